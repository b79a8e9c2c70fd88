/** Registrant states with the numbers and names OpenSIPS shows (reg_list, the state of E_UAC_REG_STATE). */
export const RegState = {
  NOT_REGISTERED: 0,
  REGISTERING: 1,
  AUTHENTICATING: 2,
  REGISTERED: 3,
  REGISTER_TIMEOUT: 4,
  INTERNAL_ERROR: 5,
  WRONG_CREDENTIALS: 6,
  REGISTRAR_ERROR: 7,
  UNREGISTERING: 8,
  AUTHENTICATING_UNREGISTER: 9,
} as const;
export type RegState = (typeof RegState)[keyof typeof RegState];

export const STATE_NAMES: readonly string[] = [
  'NOT_REGISTERED_STATE',
  'REGISTERING_STATE',
  'AUTHENTICATING_STATE',
  'REGISTERED_STATE',
  'REGISTER_TIMEOUT_STATE',
  'INTERNAL_ERROR_STATE',
  'WRONG_CREDENTIALS_STATE',
  'REGISTRAR_ERROR_STATE',
  'UNREGISTERING_STATE',
  'AUTHENTICATING_UNREGISTER_STATE',
];

/** A REGISTER or un-REGISTER is waiting for its final reply. */
export function isPending(s: RegState): boolean {
  return s === RegState.REGISTERING || s === RegState.AUTHENTICATING || s === RegState.UNREGISTERING || s === RegState.AUTHENTICATING_UNREGISTER;
}

/** The last attempt failed; it is retried after the backoff. */
export function isFailed(s: RegState): boolean {
  return s === RegState.REGISTER_TIMEOUT || s === RegState.INTERNAL_ERROR || s === RegState.WRONG_CREDENTIALS || s === RegState.REGISTRAR_ERROR;
}
