/** MI commands: b2be_list and the ua_session_* family, output shaped as OpenSIPS 4.0 prints it. */
import { MiError, MiErrorCode, type MiCommandSpec, type MiParams } from '@core/sip';
import type { Entity } from './entity.js';
import { B2bError } from './errors.js';
import type { B2bModule } from './module-state.js';
import { methodId } from './state.js';
import { nameAddr } from './entity.js';

/** One entity as b2be_list / ua_session_list print it. */
export function entityJson(e: Entity): Record<string, unknown> {
  return {
    dlg: `${e.hashIndex}:${e.key}`,
    logic_key: e.logicKey,
    mod_name: e.modName,
    state: e.state,
    last_invite_cseq: e.lastInviteCseq,
    last_method: methodId(e.lastMethod),
    last_reply_code: e.lastReplyCode,
    db_flag: e.dbFlag,
    ruri: e.ruri,
    callid: e.callid,
    from: nameAddr(e.fromDname, e.fromUri, ''),
    from_uri: e.fromUri,
    from_tag: e.fromTag,
    to: nameAddr(e.toDname, e.toUri, ''),
    to_uri: e.toUri,
    to_tag: e.toTag,
    cseq: { caller: e.cseq[0], callee: e.cseq[1] },
    contact: { caller: e.contact[0], callee: e.contact[1] },
    send_sock: e.sendSock,
  };
}

const str = (p: MiParams, k: string): string | undefined => {
  const v = p[k];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new MiError(MiErrorCode.InvalidParams, `Invalid params: "${k}" must be a string`);
  return String(v);
};
const req = (p: MiParams, k: string): string => {
  const v = str(p, k);
  if (v === undefined || v === '') throw new MiError(MiErrorCode.InvalidParams, `Invalid params: "${k}" is required`);
  return v;
};

/** Misuse becomes a JSON-RPC failure with the B2bError's message. */
function mi<T>(f: () => T): T {
  try {
    return f();
  } catch (err) {
    if (err instanceof B2bError) throw new MiError(MiErrorCode.Failure, err.message);
    throw err;
  }
}

export const b2bMi: Readonly<Record<string, MiCommandSpec<B2bModule>>> = {
  b2be_list: {
    help: 'Lists every b2b entity (server and client) with its dialog state',
    handler: (m) => [...m.engine.all()].map(entityJson),
  },
  ua_session_client_start: {
    help: 'Starts a UA session by sending an initial INVITE; returns its key',
    params: ['ruri', 'to', 'from', 'proxy?', 'body?', 'content_type?', 'extra_headers?', 'flags?', 'socket?'],
    handler: (m, p) =>
      mi(() =>
        m.ua.clientStart({
          ruri: req(p, 'ruri'),
          to: req(p, 'to'),
          from: req(p, 'from'),
          proxy: str(p, 'proxy'),
          body: str(p, 'body'),
          content_type: str(p, 'content_type'),
          extra_headers: str(p, 'extra_headers'),
          flags: str(p, 'flags'),
          socket: str(p, 'socket'),
        }),
      ),
  },
  ua_session_update: {
    help: 'Sends a sequential request in a UA session',
    params: ['key', 'method', 'body?', 'extra_headers?', 'content_type?'],
    handler: (m, p) => mi(() => m.ua.update('ua_session_update', req(p, 'key'), req(p, 'method'), str(p, 'body'), str(p, 'extra_headers'), str(p, 'content_type'))),
  },
  ua_session_reply: {
    help: 'Replies to a request received in a UA session',
    params: ['key', 'method', 'code', 'reason', 'body?', 'extra_headers?', 'content_type?'],
    handler: (m, p) =>
      mi(() =>
        m.ua.reply(
          'ua_session_reply',
          req(p, 'key'),
          req(p, 'method'),
          Number(req(p, 'code')),
          str(p, 'reason'),
          str(p, 'body'),
          str(p, 'extra_headers'),
          str(p, 'content_type'),
        ),
      ),
  },
  ua_session_terminate: {
    help: 'Ends a UA session (BYE, CANCEL or a 603 as its state requires)',
    params: ['key', 'extra_headers?'],
    handler: (m, p) => mi(() => m.ua.terminate('ua_session_terminate', req(p, 'key'), str(p, 'extra_headers'))),
  },
  ua_session_list: {
    help: 'Lists the UA sessions, or the one with the given key',
    params: ['key?'],
    handler: (m, p) =>
      mi(() => {
        const key = str(p, 'key');
        const l = m.ua.list(key).map(entityJson);
        return key === undefined ? l : l[0];
      }),
  },
};
