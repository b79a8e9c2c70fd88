// ESLint flat config. Every TypeScript file is linted with type information (each file gets the nearest
// tsconfig.json through the project service); the bench .mjs scripts get it from bench/tsconfig.json (allowJs),
// so a floating promise is caught there too.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const promiseRules = {
  '@typescript-eslint/no-floating-promises': 'error',
  '@typescript-eslint/no-misused-promises': 'error',
  '@typescript-eslint/await-thenable': 'error',
};

const parserOptions = {
  // Files outside every package's tsconfig include: checked against the root tsconfig.
  projectService: {
    allowDefaultProject: ['eslint.config.js', 'vitest.config.ts', 'packages/*/bench/*.ts', 'scripts/*.mjs', 'apps/server/bin/*.js'],
    defaultProject: 'tsconfig.json',
  },
  tsconfigRootDir: import.meta.dirname,
};

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/.turbo/**', 'coverage/**', 'bench/results/**'] },
  {
    files: ['**/*.ts'],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions },
    rules: {
      ...promiseRules,
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/switch-exhaustiveness-check': 'error',
      // A leading underscore marks a parameter a signature needs but the body does not (it.each rows, callbacks).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      // Off: in-memory drivers implement Promise-returning interfaces with async methods that need no await,
      // so a synchronous throw still reaches the caller as a rejection.
      '@typescript-eslint/require-await': 'off',
      // Passing on a caught `unknown` is not inventing a non-Error reason (only-throw-error allows it too).
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    files: ['**/test/**/*.ts', '**/*.test.ts'],
    rules: {
      // vitest types its asymmetric matchers (`expect.any(Number)`) as `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    extends: [js.configs.recommended],
    plugins: { '@typescript-eslint': tseslint.plugin },
    languageOptions: { globals: globals.node, parser: tseslint.parser, parserOptions },
    rules: promiseRules,
  },
);
