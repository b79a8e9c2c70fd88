import type { SipUri } from '../uri/uri.js';

/** Rebuilds a URI with a new user, host or port ($rU / $rd / $rp assignments); params and headers are kept. */
export function rewriteUri(uri: SipUri, change: { user?: string; host?: string; port?: number | undefined }): string {
  const user = 'user' in change ? change.user : uri.user;
  const host = change.host ?? uri.host;
  const port = 'port' in change ? change.port : uri.port;
  let s = `${uri.scheme}:`;
  if (user !== undefined && user !== '') s += uri.password !== undefined ? `${user}:${uri.password}@` : `${user}@`;
  s += host;
  if (port !== undefined) s += `:${port}`;
  const params = uri.params.toString();
  if (params !== '') s += params;
  const headers = uri.headers.toString();
  if (headers !== '') s += headers.startsWith('?') ? headers : `?${headers.replace(/^;/, '').replace(/;/g, '&')}`;
  return s;
}
