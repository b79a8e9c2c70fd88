/**
 * t_write_req / t_write_unix: the request in the line format OpenSIPS's tm writes for external UAS
 * applications (voicemail, loggers), to a FIFO or as one datagram to a unix datagram socket.
 *
 * Twenty lines, each ending in "\n": version `0.3`, `sip_request.<action>`, method, R-URI user, R-URI
 * host, the receiving address, its port (`.` for 5060), the received R-URI, the R-URI for requests the
 * application sends in the dialog, From, To, Call-ID, From tag, To tag, CSeq number, `hash:label` of
 * the transaction, the route set (`<uri>,<uri>` or `.`), the next hop (or `.`), the appended block
 * (`P-MsgFlags: <hex>`, then `title: value` per tw_append element, then `.`) and the body (or `.`).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { parsePv, type PvReader, type RouteContext } from '@core/sip';
import type { Cell } from './transaction/cell.js';

/** One `title: value` line; written only when the value is not empty (a header or AVP that exists). */
export interface TwElement {
  title: string;
  read: PvReader;
}
export interface TwAppend {
  elements: TwElement[];
  body: boolean;
}

const EMPTY = '.';

/** The title an element gets when the config gives none: the header or AVP name, else the variable's name. */
function defaultTitle(pv: string): string {
  const m = /^(?:\$(?:hdr|avp)\((.+)\)|(?:hdr|avp)\[(.+)\])$/.exec(pv);
  const name = m?.[1] ?? m?.[2];
  return name !== undefined ? name.replace(/^[is]:/, '') : pv.replace(/^\$/, '');
}

/**
 * `name:element;element…` → the named append list (OpenSIPS tw_append syntax, element = `[title=]pv`).
 * Any pseudo-variable the core or a module has is accepted; `$rb` / `msg[body]` asks for the body.
 */
export function parseTwAppend(specs: string | readonly string[]): Map<string, TwAppend> {
  const out = new Map<string, TwAppend>();
  for (const spec of typeof specs === 'string' ? [specs] : specs) {
    if (spec.trim() === '') continue;
    const colon = spec.indexOf(':');
    if (colon <= 0) throw new Error(`tw_append "${spec}": expected append_name:element;…`);
    const name = spec.slice(0, colon).trim();
    if (out.has(name)) throw new Error(`tw_append "${spec}": the name "${name}" is defined twice`);
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
      let read: PvReader;
      try {
        read = parsePv(pv);
      } catch (err) {
        throw new Error(`tw_append "${spec}": ${(err as Error).message}`);
      }
      a.elements.push({ title: eq < 0 ? defaultTitle(pv) : el.slice(0, eq).trim(), read });
    }
    out.set(name, a);
  }
  return out;
}

/** Message flags as OpenSIPS writes them there: hex digits, least significant first. */
function reverseHex(n: number): string {
  return (n >>> 0).toString(16).split('').reverse().join('');
}

/**
 * Route set and targets for the application's own requests in the dialog (RFC 3261 12.1.1): from the
 * Record-Route as received; with a strict router first, its URI becomes the R-URI and the caller's
 * Contact goes last in the route set.
 */
function dialogRoute(ctx: RouteContext): { route: string; nextHop: string; ruri: string } {
  const msg = ctx.msg;
  const contact = msg.contacts[0]?.uri.toString() ?? msg.from.uri.toString();
  const rr = msg.recordRoutes;
  const first = rr[0];
  if (first === undefined) return { route: EMPTY, nextHop: EMPTY, ruri: contact };
  const uris = rr.map((r) => `<${r.uri.toString()}>`);
  if (first.uri.params.has('lr')) return { route: uris.join(','), nextHop: first.uri.toString(), ruri: contact };
  return { route: [...uris.slice(1), `<${contact}>`].join(','), nextHop: EMPTY, ruri: first.uri.toString() };
}

export function formatWrite(ctx: RouteContext, cell: Cell | null, info: string, appends: ReadonlyMap<string, TwAppend>): string {
  const slash = info.indexOf('/');
  const action = slash < 0 ? info : info.slice(0, slash);
  const append = slash < 0 ? undefined : appends.get(info.slice(slash + 1));
  if (slash >= 0 && append === undefined) throw new Error(`t_write: no tw_append named "${info.slice(slash + 1)}"`);
  const msg = ctx.msg;
  const d = dialogRoute(ctx);
  let block = `P-MsgFlags: ${reverseHex(ctx.flags)}\n`;
  for (const e of append?.elements ?? []) {
    const v = e.read(ctx);
    if (v !== '') block += `${e.title}: ${v}\n`;
  }
  block += EMPTY;
  const withBody = msg.method === 'INVITE' || msg.method === 'INFO' || append?.body === true;
  const body = withBody ? msg.raw.subarray(msg.bodyStart).toString('utf8') : EMPTY;
  const port = ctx.rinfo.socket.port;
  const lines = [
    '0.3',
    `sip_request.${action}`,
    msg.method,
    ctx.ruri.user ?? '',
    ctx.ruri.host,
    ctx.rinfo.socket.address,
    port === 5060 ? EMPTY : String(port),
    msg.ruri,
    d.ruri,
    msg.header('from') ?? '',
    msg.header('to') ?? '',
    msg.callId,
    msg.from.tag ?? '',
    msg.to.tag ?? '',
    String(msg.cseq.seq),
    cell?.id ?? '',
    d.route,
    d.nextHop,
    block,
    body,
  ];
  return `${lines.join('\n')}\n`;
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
