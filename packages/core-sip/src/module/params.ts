/**
 * Modparams validation. Each module's `params` is a zod shape keyed by the OpenSIPS param names; the
 * operator's values are checked against `z.object(shape).strict()`, so a misspelt param is refused
 * (with a suggestion) instead of silently ignored, and a wrong value is refused instead of rewritten.
 * Errors name the module, the param and the problem in words an operator reads without knowing zod.
 */
import { z } from 'zod';
import { errors, showValue, type TsipsError } from '../errors.js';
import { suggest } from './suggest.js';
import type { ParamShape, ParamsOf } from './types.js';

type Schema = z.core.$ZodType;
type Issue = z.core.$ZodIssue;

/** Validates `raw` against `shape`; returns the params with defaults applied or throws a coded error. */
export function validateParams<S extends ParamShape>(module: string, shape: S | undefined, raw: Readonly<Record<string, unknown>> | undefined): ParamsOf<S> {
  const schema = z.object(shape ?? ({} as S)).strict();
  const res = schema.safeParse(raw ?? {});
  // Same type as ParamsOf<S>; zod's generic spelling of it is just not provably equal for an open S.
  if (res.success) return res.data as ParamsOf<S>;
  const issues = res.error.issues;
  const first = issues[0];
  if (first === undefined) throw errors.config(`module "${module}": invalid params`);
  throw describeIssue(module, shape ?? {}, raw ?? {}, first, countOthers(issues));
}

/** The number of problems besides the first; each unknown key counts as one. */
function countOthers(issues: readonly Issue[]): number {
  let n = 0;
  for (const i of issues) n += i.code === 'unrecognized_keys' ? i.keys.length : 1;
  return n - 1;
}

function describeIssue(module: string, shape: ParamShape, raw: Readonly<Record<string, unknown>>, issue: Issue, others: number): TsipsError {
  const more = others > 0 ? ` (and ${others} more problem${others === 1 ? '' : 's'})` : '';
  if (issue.code === 'unrecognized_keys') {
    const key = issue.keys[0] ?? '?';
    const err = errors.moduleUnknownParam(module, key, suggest(key, Object.keys(shape)));
    err.message += more;
    return err;
  }
  const top = issue.path[0];
  const param = issue.path.map(String).join('.') || '?';
  const schema = typeof top === 'string' ? shape[top] : undefined;
  const value = valueAt(raw, issue.path);
  const problem = issue.code === 'custom' ? `${issue.message}, got ${showValue(value)}` : plainProblem(issue, schema, value);
  const err = errors.moduleParam(module, param, problem);
  err.message += more;
  return err;
}

function valueAt(raw: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = raw;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[k];
  }
  return v;
}

function plainProblem(issue: Issue, schema: Schema | undefined, value: unknown): string {
  // Nested params (objects, arrays) are described by zod's own message; top-level ones in our words.
  const expected = schema !== undefined && issue.path.length === 1 ? describeSchema(schema) : undefined;
  if (expected !== undefined) return `expected ${expected}, got ${showValue(value)}`;
  return `${issue.message.replace(/^Invalid input: /, '')}, got ${showValue(value)}`;
}

/** What a schema accepts, in plain words (`a positive integer`, `one of "a", "b"`), or undefined. */
export function describeSchema(schema: Schema): string | undefined {
  const described = z.globalRegistry.get(schema)?.description;
  if (described !== undefined) return described;
  if (schema instanceof z.core.$ZodDefault || schema instanceof z.core.$ZodPrefault) {
    return describeSchema(schema._zod.def.innerType);
  }
  if (schema instanceof z.core.$ZodOptional) return describeSchema(schema._zod.def.innerType);
  if (schema instanceof z.core.$ZodNullable) {
    const inner = describeSchema(schema._zod.def.innerType);
    return inner === undefined ? undefined : `${inner} or null`;
  }
  if (schema instanceof z.core.$ZodNumber) return describeNumber(schema);
  if (schema instanceof z.core.$ZodString) return describeString(schema);
  if (schema instanceof z.core.$ZodBoolean) return 'true or false';
  if (schema instanceof z.core.$ZodEnum) {
    return `one of ${Object.values(schema._zod.def.entries).map(showValue).join(', ')}`;
  }
  if (schema instanceof z.core.$ZodLiteral) {
    const values = schema._zod.def.values.map(showValue);
    return values.length === 1 ? values[0] : `one of ${values.join(', ')}`;
  }
  if (schema instanceof z.core.$ZodUnion) {
    const parts = schema._zod.def.options.map(describeSchema);
    if (parts.some((p) => p === undefined)) return undefined;
    return parts.join(' or ');
  }
  if (schema instanceof z.core.$ZodArray) {
    const item = describeSchema(schema._zod.def.element);
    return item === undefined ? 'a list' : `a list of ${item.replace(/^an? /, '')}s`;
  }
  return undefined;
}

interface Bound {
  value: number;
  inclusive: boolean;
}

function describeNumber(schema: z.core.$ZodNumber): string {
  let int = false;
  let min: Bound | undefined;
  let max: Bound | undefined;
  for (const c of schema._zod.def.checks ?? []) {
    const d: unknown = c._zod.def;
    if (typeof d !== 'object' || d === null || !('check' in d)) continue;
    const rec = d as { check: unknown; format?: unknown; value?: unknown; inclusive?: unknown };
    if (rec.check === 'number_format' && typeof rec.format === 'string' && /int/.test(rec.format)) int = true;
    if (typeof rec.value !== 'number') continue;
    const b = { value: rec.value, inclusive: rec.inclusive === true };
    if (rec.check === 'greater_than') min = b;
    if (rec.check === 'less_than') max = b;
  }
  const noun = int ? 'integer' : 'number';
  if (min && min.value === 0 && !max) return min.inclusive ? `a non-negative ${noun}` : `a positive ${noun}`;
  const art = int ? 'an' : 'a';
  const lo = min ? `${min.inclusive ? '≥' : '>'} ${min.value}` : '';
  const hi = max ? `${max.inclusive ? '≤' : '<'} ${max.value}` : '';
  if (min && max && min.inclusive && max.inclusive) return `${art} ${noun} from ${min.value} to ${max.value}`;
  return [`${art} ${noun}`, lo, hi]
    .filter((s) => s !== '')
    .join(' ')
    .replace(/(\d) ([<≤])/, '$1 and $2');
}

function describeString(schema: z.core.$ZodString): string {
  for (const c of schema._zod.def.checks ?? []) {
    const d: unknown = c._zod.def;
    if (typeof d === 'object' && d !== null && 'check' in d && d.check === 'min_length' && 'minimum' in d) {
      if (d.minimum === 1) return 'a non-empty string';
    }
  }
  return 'a string';
}
