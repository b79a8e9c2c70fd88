/** The RFC 4235 dialog-info document of one side of a call. */

export type DialogInfoState = 'trying' | 'proceeding' | 'early' | 'confirmed' | 'terminated';

export interface DialogInfoSide {
  /** The presentity the document is about (entity). */
  entity: string;
  /** Its peer in the call. */
  peer: string;
  /** The caller side is the initiator (RFC 4235 4.1.1 direction). */
  initiator: boolean;
  callId: string;
  /** Tag of the entity's side and of the peer's ('' while unknown). */
  localTag: string;
  remoteTag: string;
  state: DialogInfoState;
}

export interface DialogInfoOptions {
  includeCallid: boolean;
  includeLocalremote: boolean;
  includeTags: boolean;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** `version` counts the documents sent for the entity; the presence server aggregates and renumbers as it needs. */
export function dialogInfoXml(s: DialogInfoSide, version: number, o: DialogInfoOptions): string {
  const attrs = [`id="${esc(s.callId)}"`];
  if (o.includeCallid) attrs.push(`call-id="${esc(s.callId)}"`);
  if (o.includeTags && s.localTag !== '') attrs.push(`local-tag="${esc(s.localTag)}"`);
  if (o.includeTags && s.remoteTag !== '') attrs.push(`remote-tag="${esc(s.remoteTag)}"`);
  attrs.push(`direction="${s.initiator ? 'initiator' : 'recipient'}"`);
  const lr = o.includeLocalremote
    ? `<local><identity>${esc(s.entity)}</identity><target uri="${esc(s.entity)}"/></local><remote><identity>${esc(s.peer)}</identity><target uri="${esc(s.peer)}"/></remote>`
    : '';
  return (
    `<?xml version="1.0"?>\n<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="${version}" state="full" entity="${esc(s.entity)}">` +
    `<dialog ${attrs.join(' ')}><state>${s.state}</state>${lr}</dialog></dialog-info>`
  );
}
