/** tm MI commands, OpenSIPS names and parameters: t_uac_dlg, t_uac_cancel, t_reply. */
import { MiError, MiErrorCode, type MiCommandSpec, type MiParams } from '@core/sip';
import type { Tm } from './tm.js';
import { uacRequest } from './uac.js';
import { replyLocal } from './transaction/server.js';
import { cancelInvite } from './cancel.js';

function str(p: MiParams, name: string): string | undefined {
  const v = p[name];
  if (v === undefined || v === null) return undefined;
  // A number or boolean as written; an object or array as its JSON, not "[object Object]".
  const s = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint' ? String(v) : (JSON.stringify(v) ?? '');
  return s === '.' ? undefined : s; // "." means "no value", as in OpenSIPS
}
function need(p: MiParams, name: string): string {
  const s = str(p, name);
  if (s === undefined || s === '') throw new MiError(MiErrorCode.InvalidParams, `missing parameter "${name}"`);
  return s;
}

/** `Name: value` lines (CRLF or LF separated) → header pairs. */
export function parseHeaders(text: string | undefined): [string, string][] {
  const out: [string, string][] = [];
  if (text === undefined) return out;
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const i = line.indexOf(':');
    if (i <= 0) throw new MiError(MiErrorCode.InvalidParams, `bad header line "${line}"`);
    out.push([line.slice(0, i).trim(), line.slice(i + 1).trim()]);
  }
  return out;
}

const SKIP = new Set(['from', 'f', 'to', 't', 'call-id', 'i', 'cseq', 'content-length', 'l', 'content-type', 'c', 'via', 'v', 'max-forwards']);

export const mi: Record<string, MiCommandSpec<Tm>> = {
  t_uac_dlg: {
    help: 'Sends a request from the server and returns its final reply',
    params: ['method', 'ruri', 'next_hop?', 'socket?', 'headers', 'body?'],
    async handler(tm, p) {
      const headers = parseHeaders(need(p, 'headers'));
      const get = (n: string): string | undefined => headers.find(([h]) => h.toLowerCase() === n)?.[1];
      const from = get('from') ?? get('f');
      const to = get('to') ?? get('t');
      if (from === undefined || to === undefined) throw new MiError(MiErrorCode.InvalidParams, 'headers must contain From and To');
      const body = str(p, 'body');
      const ctype = get('content-type') ?? get('c');
      if (body !== undefined && ctype === undefined) throw new MiError(MiErrorCode.InvalidParams, 'a body needs a Content-Type header');
      const cseq = get('cseq');
      // pass_provisional_replies: the application also hears the 1xx replies (in order, retransmissions excluded).
      const provisional: string[] = [];
      const cb = tm.cfg.passProvisional ? { onProvisional: (r: { status: number; reason: string }) => void provisional.push(`${r.status} ${r.reason}`) } : undefined;
      const h = uacRequest(
        tm,
        {
          method: need(p, 'method'),
          ruri: need(p, 'ruri'),
          from,
          to,
          callId: get('call-id') ?? get('i'),
          cseq: cseq !== undefined ? Number.parseInt(cseq, 10) : undefined,
          dstUri: str(p, 'next_hop'),
          socket: str(p, 'socket'),
          headers: headers.filter(([n]) => !SKIP.has(n.toLowerCase())),
          body: body !== undefined ? Buffer.from(body) : undefined,
          contentType: ctype,
        },
        cb,
      );
      const o = await h.done;
      return {
        Status: `${o.code} ${o.reply?.reason ?? (o.code === 408 ? 'Request Timeout' : 'Service Unavailable')}`,
        Transaction: o.transaction.id,
        Message: o.reply?.raw.toString('utf8') ?? '',
        ...(tm.cfg.passProvisional ? { Provisional: provisional } : {}),
      };
    },
  },
  t_uac_cancel: {
    help: 'CANCELs a pending INVITE sent by the server (t_uac_dlg / modules)',
    params: ['callid', 'cseq'],
    handler(tm, p) {
      const callId = need(p, 'callid');
      const cseq = Number(need(p, 'cseq'));
      for (const c of tm.table.cells()) {
        if (c.isLocal && c.isInvite && c.request.callId === callId && c.request.cseq.seq === cseq) {
          if (c.status >= 200) throw new MiError(481, 'transaction already completed');
          cancelInvite(tm, c);
          return 'OK';
        }
      }
      throw new MiError(481, 'no such transaction');
    },
  },
  t_reply: {
    help: 'Replies to a pending server transaction',
    params: ['code', 'reason', 'trans_id', 'to_tag', 'new_headers?', 'body?'],
    handler(tm, p) {
      const code = Number(need(p, 'code'));
      if (!Number.isInteger(code) || code < 100 || code > 699) throw new MiError(MiErrorCode.InvalidParams, 'bad reply code');
      const cell = tm.table.byId(need(p, 'trans_id'));
      if (cell === undefined || cell.isLocal) throw new MiError(481, 'no such transaction');
      const headers = parseHeaders(str(p, 'new_headers'));
      const body = str(p, 'body');
      const ct = headers.find(([n]) => n.toLowerCase() === 'content-type');
      if (body !== undefined && ct === undefined) throw new MiError(MiErrorCode.InvalidParams, 'a body needs a Content-Type header');
      const ok = replyLocal(tm, cell, code, need(p, 'reason'), {
        toTag: str(p, 'to_tag'),
        headers: headers.filter(([n]) => n.toLowerCase() !== 'content-type'),
        body: body !== undefined ? Buffer.from(body) : undefined,
        contentType: ct?.[1],
      });
      if (!ok) throw new MiError(MiErrorCode.Failure, 'reply not sent: the transaction was answered already');
      return 'OK';
    },
  },
};
