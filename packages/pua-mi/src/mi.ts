/**
 * MI pua_publish and pua_subscribe, with OpenSIPS pua_mi's named params. Each waits for the request it
 * sent and answers its SIP reply code (and the ETag, for a PUBLISH); a bad parameter is a JSON-RPC
 * InvalidParams error naming it.
 */
import { MiError, MiErrorCode, type MiCommandSpec, type MiParams } from '@core/sip';
import { PUA_SOURCE, type PuaApi } from '@mod/pua';

export interface PuaMiState {
  readonly pua: PuaApi;
  /** modparam presence_server: the outbound proxy of every request ('' for none: sent to the presentity URI). */
  readonly presenceServer: string;
}

function bad(name: string, why: string): MiError {
  return new MiError(MiErrorCode.InvalidParams, `parameter "${name}" ${why}`);
}

function str(p: MiParams, name: string, required: true): string;
function str(p: MiParams, name: string, required: false): string | undefined;
function str(p: MiParams, name: string, required: boolean): string | undefined {
  const v = p[name];
  if (v === undefined || v === null || v === '') {
    if (required) throw bad(name, 'is missing');
    return undefined;
  }
  if (typeof v !== 'string' && typeof v !== 'number') throw bad(name, 'must be a string');
  return String(v);
}

function uri(p: MiParams, name: string): string {
  const v = str(p, name, true);
  if (!/^sips?:[^\s]+$/i.test(v)) throw bad(name, `must be a sip: URI, not "${v}"`);
  return v;
}

function expires(p: MiParams): number {
  const v = str(p, 'expires', true);
  // OpenSIPS pua_mi: -1 means default_expires, 0 removes, > 0 as given.
  if (!/^-?\d+$/.test(v) || Number(v) < -1) throw bad('expires', `must be an integer >= -1, not "${v}"`);
  return Number(v);
}

function event(s: PuaMiState, p: MiParams): number {
  const name = str(p, 'event_package', true);
  const ev = s.pua.event(name);
  if (ev === undefined) throw bad('event_package', `"${name}" is not an event pua knows`);
  return ev.flag;
}

function outcome(code: number, reason: string): void {
  if (code < 0) throw new MiError(MiErrorCode.Failure, reason);
}

export const puaMiCommands: Record<string, MiCommandSpec<PuaMiState>> = {
  pua_publish: {
    help: 'Sends a PUBLISH for presentity_uri (expires -1 default, 0 remove); optional etag (refresh/modify), extra_headers, content_type + body',
    params: ['presentity_uri', 'expires', 'event_package', 'content_type?', 'etag?', 'extra_headers?', 'body?'],
    async handler(s, p) {
      const presUri = uri(p, 'presentity_uri');
      const exp = expires(p);
      const ev = event(s, p);
      const body = str(p, 'body', false);
      const contentType = str(p, 'content_type', false);
      const etag = str(p, 'etag', false);
      const extra = str(p, 'extra_headers', false);
      if (body !== undefined && contentType === undefined) throw bad('content_type', 'is needed with a body');
      if (body !== undefined && exp === 0) throw bad('body', 'makes no sense with expires 0');
      if (body === undefined && etag === undefined && exp !== 0) {
        const held = [...s.pua.records()].some((r) => r.kind === 'publish' && r.presUri === presUri && r.event === ev && r.flag === PUA_SOURCE.MI_PUBLISH);
        if (!held) throw bad('body', 'is needed for an initial PUBLISH (no etag given and none stored)');
      }
      const o = await s.pua.sendPublish({
        presUri,
        expires: exp,
        event: ev,
        sourceFlag: PUA_SOURCE.MI_PUBLISH,
        body: body ?? null,
        ...(contentType !== undefined ? { contentType } : {}),
        ...(etag !== undefined ? { etag } : {}),
        // MI carries the lines with literal \r\n escapes as OpenSIPS's fifo does.
        ...(extra !== undefined ? { extraHeaders: extra.replace(/\\r\\n/g, '\r\n') } : {}),
        ...(s.presenceServer !== '' ? { outboundProxy: s.presenceServer } : {}),
      });
      outcome(o.code, o.reason);
      return { code: o.code, reason: o.reason, ...(o.etag !== undefined ? { etag: o.etag } : {}) };
    },
  },
  pua_subscribe: {
    help: 'Sends a SUBSCRIBE from watcher_uri to presentity_uri for event_package (expires 0 unsubscribes)',
    params: ['presentity_uri', 'watcher_uri', 'event_package', 'expires'],
    async handler(s, p) {
      const o = await s.pua.sendSubscribe({
        presUri: uri(p, 'presentity_uri'),
        watcherUri: uri(p, 'watcher_uri'),
        event: event(s, p),
        expires: expires(p),
        sourceFlag: PUA_SOURCE.MI_SUBSCRIBE,
        ...(s.presenceServer !== '' ? { outboundProxy: s.presenceServer } : {}),
      });
      outcome(o.code, o.reason);
      return { code: o.code, reason: o.reason };
    },
  },
};
