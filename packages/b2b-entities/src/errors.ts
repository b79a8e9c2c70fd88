/**
 * Coded errors of b2b_entities. They extend the core's TsipsError (code E_CONFIG: a misuse by the script,
 * an MI caller or a module) and carry their own `reason`, which also starts the message so logs and MI
 * callers can match on it.
 */
import { TsipsError } from '@core/sip';

export type B2bErrorReason = 'E_B2B_KEY' | 'E_B2B_STATE' | 'E_B2B_METHOD' | 'E_B2B_FLAGS' | 'E_B2B_CODE' | 'E_B2B_MSG' | 'E_B2B_ARG' | 'E_B2B_STORAGE';

export class B2bError extends TsipsError {
  constructor(
    readonly reason: B2bErrorReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('E_CONFIG', `${reason}: ${message}`, options);
    this.name = 'B2bError';
  }
}

export const b2bErrors = {
  unknownKey: (fn: string, key: string) => new B2bError('E_B2B_KEY', `${fn}: no b2b entity with key "${key}"`),
  notInit: (fn: string, problem: string) => new B2bError('E_B2B_MSG', `${fn}: ${problem}`),
  state: (fn: string, key: string, problem: string) => new B2bError('E_B2B_STATE', `${fn}: entity "${key}" ${problem}`),
  method: (fn: string, method: string, problem: string) => new B2bError('E_B2B_METHOD', `${fn}: method "${method}" ${problem}`),
  flags: (fn: string, flags: string, problem: string) => new B2bError('E_B2B_FLAGS', `${fn}: flags "${flags}": ${problem} (use t<sec>, a, r, d, h, b, n)`),
  code: (fn: string, code: unknown) => new B2bError('E_B2B_CODE', `${fn}: reply code ${String(code)} is not 100–699`),
  arg: (fn: string, problem: string) => new B2bError('E_B2B_ARG', `${fn}: ${problem}`),
  storage: (what: string, cause: unknown) => new B2bError('E_B2B_STORAGE', `b2b_entities: ${what}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause }),
};
