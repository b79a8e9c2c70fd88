/**
 * The DB side of the record table: every update_period the new and changed records are written and the
 * removed ones deleted; at start the rows are read back, expired ones deleted and live ones refreshed at
 * once (republished / re-subscribed), so a restart does not lose publications (OpenSIPS #3802, #240).
 */
import { numberOf, textOf, type Db, type DbRow } from '@core/sip';
import type { PuaEngine } from './engine.js';
import { UaPres } from './record.js';

function toRow(e: PuaEngine, r: UaPres): DbRow {
  return {
    id: e.dbId(r),
    pres_uri: r.presUri,
    pres_id: r.id,
    event: r.event,
    expires: r.expires,
    desired_expires: r.desiredExpires,
    flag: r.flag,
    etag: r.etag,
    tuple_id: r.tupleId,
    watcher_uri: r.kind === 'subscribe' ? r.watcherUri : null,
    to_uri: r.presUri,
    call_id: r.callId,
    to_tag: r.toTag,
    from_tag: r.fromTag,
    cseq: r.cseq,
    record_route: r.routes.length > 0 ? r.routes.join(',') : null,
    contact: r.contact,
    remote_contact: r.remoteContact,
    version: r.version,
    extra_headers: r.extraHeaders,
    sharing_tag: r.sharingTag === '' ? null : r.sharingTag,
    body: r.body,
    content_type: r.contentType,
    outbound_proxy: r.outboundProxy,
    interval: r.interval,
  };
}

function fromRow(row: DbRow): UaPres {
  const watcher = textOf(row['watcher_uri']);
  const r = new UaPres(watcher === '' ? 'publish' : 'subscribe', textOf(row['pres_uri']), watcher, numberOf(row['event']), numberOf(row['flag']), textOf(row['pres_id']));
  r.expires = numberOf(row['expires']);
  r.desiredExpires = numberOf(row['desired_expires']);
  r.etag = textOf(row['etag']);
  r.tupleId = textOf(row['tuple_id']);
  r.callId = textOf(row['call_id']);
  r.toTag = textOf(row['to_tag']);
  r.fromTag = textOf(row['from_tag']);
  r.cseq = numberOf(row['cseq']);
  const rr = textOf(row['record_route']);
  // Each route is a name-addr in <>: split on the commas between them only.
  r.routes = rr === '' ? [] : rr.split(/,(?=\s*<)/).map((s) => s.trim());
  r.contact = textOf(row['contact']);
  r.remoteContact = textOf(row['remote_contact']);
  r.version = numberOf(row['version']);
  r.extraHeaders = textOf(row['extra_headers']);
  r.sharingTag = textOf(row['sharing_tag']);
  const body = row['body'];
  r.body = body === null || body === undefined ? null : textOf(body);
  r.contentType = textOf(row['content_type']);
  r.outboundProxy = textOf(row['outbound_proxy']);
  r.interval = numberOf(row['interval']) || Math.max(0, r.expires - Math.floor(Date.now() / 1000));
  r.dbState = 'clean';
  return r;
}

/** Writes the dirty records and deletes the removed ones; returns how many rows changed. */
export async function writeBack(e: PuaEngine, db: Db, table: string): Promise<number> {
  let n = 0;
  const gone = [...e.removed];
  e.removed.clear();
  for (const id of gone) n += await db.delete(table, { id });
  const dirty = [...e.table.values()].filter((r) => r.dbState !== 'clean');
  for (const r of dirty) r.dbState = 'clean';
  for (const r of dirty) {
    await db.replace(table, toRow(e, r));
    n++;
  }
  return n;
}

/** Loads the table: expired rows deleted, live records added and refreshed now. Returns the live count. */
export async function load(e: PuaEngine, db: Db, table: string): Promise<number> {
  const rows = await db.select(table);
  const now = e.now();
  let live = 0;
  for (const row of rows) {
    const rec = fromRow(row);
    const id = numberOf(row['id']);
    if (rec.expires <= now || (rec.kind === 'subscribe' && rec.toTag === '')) {
      await db.delete(table, { id });
      continue;
    }
    e.adoptDbId(rec, id);
    e.add(rec);
    if (rec.kind === 'subscribe') e.dialogs.set(`${rec.callId}\u0000${rec.fromTag}`, rec);
    live++;
  }
  return live;
}

/** After load: every record is refreshed at once (its presence server state may be gone). */
export function refreshAll(e: PuaEngine): void {
  for (const rec of e.table.values()) {
    rec.expires = e.now();
    e.schedule(rec);
  }
}
