/** Coded errors of the transport layer; the code leads the message so logs and tests can pin it. */

export type TransportErrorCode =
  | 'E_LISTEN'
  | 'E_TLS_CONFIG'
  | 'E_NO_SOCKET'
  | 'E_CONNECT'
  | 'E_CONNECT_TIMEOUT'
  | 'E_CONN_CLOSED'
  | 'E_SEND'
  | 'E_RESOLVE'
  | 'E_RESOLVE_BUSY'
  | 'E_VIA_TRANSPORT'
  | 'E_NOT_STARTED'
  | 'E_STATE';

export class TransportError extends Error {
  readonly code: TransportErrorCode;

  constructor(code: TransportErrorCode, detail: string, options?: { cause?: unknown }) {
    super(`${code}: ${detail}`, options);
    this.name = 'TransportError';
    this.code = code;
  }
}
