/**
 * Pseudo-variables by their OpenSIPS spelling (`$ru`, `$hdr(User-Agent)`, `$avp(i:10)`, `$rb`, `$Ts`,
 * `$DLG_status` …), for places where a config names one as text (tm's `tw_append`). In routes, code
 * reads the context's properties instead. A spec is parsed once (`parsePv`) and read per message.
 * Module variables (`$T_reply_code`, `$DLG_id`) are the script functions of the same name.
 */
import type { RouteContext } from './context.js';

export type PvReader = (ctx: RouteContext) => string;

/** Variables of the core that are context properties under their own name. */
const PROPS = new Set(['$ru', '$rU', '$rd', '$rp', '$du', '$rm', '$fu', '$tu', '$ft', '$tt', '$ci', '$cs', '$si', '$sp', '$proto', '$Ri', '$Rp', '$rs', '$rr', '$ua']);

/** Core variables are strings and numbers; a module's may be anything printable. */
const str = (v: unknown): string =>
  typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : v === undefined || v === null ? '' : JSON.stringify(v);
const body = (ctx: RouteContext): string => ctx.msg.raw.subarray(ctx.msg.bodyStart).toString('utf8');

/** Core variables computed here rather than read from a property. */
const COMPUTED: Record<string, PvReader> = {
  $rb: body,
  $mb: (ctx) => ctx.msg.raw.toString('utf8'),
  $ml: (ctx) => String(ctx.msg.raw.length),
  $cl: (ctx) => String(ctx.msg.raw.length - ctx.msg.bodyStart),
  $ct: (ctx) => str(ctx.msg.header('contact')),
  $cT: (ctx) => str(ctx.msg.header('content-type')),
  $rv: () => 'SIP/2.0', // any other version was answered 505 before a route ran
  $pr: (ctx) => ctx.$proto,
  $pp: () => String(process.pid),
  $Ts: () => String(Math.floor(Date.now() / 1000)),
  $Tf: () => new Date().toString(),
  $fn: (ctx) => ctx.msg.from.displayName ?? '',
  $tn: (ctx) => ctx.msg.to.displayName ?? '',
};

/**
 * A reader for `spec` (`$name`, `$name(arg)`, or the older `hdr[X]` / `avp[x]` / `msg[body]`); throws a
 * TypeError naming the spec when it is not a variable the core or a module can have.
 */
export function parsePv(spec: string): PvReader {
  const s = spec.trim();
  const old = /^(hdr|avp|msg)\[([^\]]+)\]$/.exec(s);
  const call = /^\$([A-Za-z_][A-Za-z0-9_]*)\((.+)\)$/.exec(s);
  const kind = old?.[1] ?? call?.[1];
  const arg = (old?.[2] ?? call?.[2])?.trim();
  if (kind !== undefined && arg !== undefined) {
    if (kind === 'hdr') return (ctx) => str(ctx.msg.header(arg));
    if (kind === 'avp') {
      const name = arg.replace(/^[is]:/, '');
      return (ctx) => str(ctx.avp(name));
    }
    if (kind === 'msg' && arg === 'body') return body;
    throw new TypeError(`"${spec}" is not a pseudo-variable tsips knows (with an argument: $hdr(name), $avp(name))`);
  }
  if (!/^\$[A-Za-z_][A-Za-z0-9_]*$/.test(s)) throw new TypeError(`"${spec}" is not a pseudo-variable ($name, $name(arg), hdr[X], avp[x] or msg[body])`);
  const computed = COMPUTED[s];
  if (computed !== undefined) return computed;
  if (PROPS.has(s)) return (ctx) => str((ctx as unknown as Record<string, unknown>)[s]);
  // A module's variable: its script function of the same name ($T_reply_code → T_reply_code()).
  const fn = s.slice(1);
  return (ctx) => {
    const f = (ctx as unknown as Record<string, unknown>)[fn];
    return typeof f === 'function' ? str((f as () => unknown).call(ctx)) : '';
  };
}
