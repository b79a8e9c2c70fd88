/**
 * t_write_req / t_write_unix: the request, one field per line, then the `tw_append` elements
 * (`name: value`, the body last), written to a FIFO or sent to a unix socket (voicemail, loggers).
 *
 * Lines: the info's action (before `/`), method, R-URI, From URI, To, Call-ID, From tag, To tag, CSeq
 * number, transaction id, then the appended elements, then `.` and the body when `$rb`/`msg[body]` asked.
 * Node has no unix datagram sockets: t_write_unix writes the same text on a unix stream connection.
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { createConnection } from 'node:net';
import type { RouteContext } from '@core/sip';
import type { Cell } from './transaction/cell.js';

export interface TwElement {
  name: string;
  /** A pseudo-variable: `$hdr(X)`/`hdr[X]`, `$avp(x)`/`avp[x]`, `$rb`/`msg[body]`, `$ci`, `$ru`… */
  pv: string;
}
export interface TwAppend {
  elements: TwElement[];
  body: boolean;
}

/** `name:element;element…` → the named append list (OpenSIPS tw_append syntax). */
export function parseTwAppend(specs: string | readonly string[]): Map<string, TwAppend> {
  const out = new Map<string, TwAppend>();
  for (const spec of typeof specs === 'string' ? [specs] : specs) {
    if (spec.trim() === '') continue;
    const colon = spec.indexOf(':');
    if (colon <= 0) throw new Error(`tw_append "${spec}": expected append_name:element;…`);
    const a: TwAppend = { elements: [], body: false };
    for (const raw of spec.slice(colon + 1).split(';')) {
      const el = raw.trim();
      if (el === '') continue;
      const eq = el.indexOf('=');
      const pv = (eq < 0 ? el : el.slice(eq + 1)).trim();
      if (pv === '$rb' || pv === 'msg[body]') {
        a.body = true;
        continue;
      }
      a.elements.push({ name: eq < 0 ? pv : el.slice(0, eq).trim(), pv });
    }
    out.set(spec.slice(0, colon).trim(), a);
  }
  return out;
}

function pvValue(ctx: RouteContext, pv: string): string {
  const m = /^\$(hdr|avp)\((.+)\)$/.exec(pv) ?? /^(hdr|avp)\[(.+)\]$/.exec(pv);
  if (m !== null) {
    const v = m[1] === 'hdr' ? ctx.hdr(m[2] as string) : ctx.avp((m[2] as string).replace(/^[is]:/, ''));
    return v === undefined ? '' : String(v);
  }
  switch (pv) {
    case '$ci':
      return ctx.$ci;
    case '$ru':
      return ctx.$ru;
    case '$fu':
      return ctx.$fu;
    case '$tu':
      return ctx.$tu;
    case '$rm':
      return ctx.$rm;
    case '$si':
      return ctx.$si;
    case '$ua':
      return ctx.$ua;
    case '$Ts':
      return String(Math.floor(Date.now() / 1000));
    default:
      return '';
  }
}

export function formatWrite(ctx: RouteContext, cell: Cell | null, info: string, appends: ReadonlyMap<string, TwAppend>): string {
  const slash = info.indexOf('/');
  const action = slash < 0 ? info : info.slice(0, slash);
  const append = slash < 0 ? undefined : appends.get(info.slice(slash + 1));
  const m = ctx.msg;
  let s = `${action}\n${m.method}\n${ctx.$ru}\n${ctx.$fu}\n${m.header('To') ?? ''}\n${m.callId}\n${m.from.tag ?? ''}\n${m.to.tag ?? ''}\n${m.cseq.seq}\n${cell?.id ?? ''}\n`;
  if (append !== undefined) {
    for (const e of append.elements) s += `${e.name}: ${pvValue(ctx, e.pv)}\n`;
    if (append.body) s += `.\n${m.raw.subarray(m.bodyStart, m.bodyEnd).toString('utf8')}\n`;
  }
  return s + '\n';
}

/** Writes to a FIFO without blocking: fails when no reader has it open. */
export async function writeFifo(path: string, text: string): Promise<void> {
  const fh = await open(path, constants.O_WRONLY | constants.O_NONBLOCK);
  try {
    await fh.write(text);
  } finally {
    await fh.close();
  }
}

export function writeUnix(path: string, text: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const sock = createConnection(path);
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`t_write_unix: ${path} timed out`));
    }, timeoutMs);
    sock.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    sock.once('connect', () => {
      sock.end(text, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  });
}
