/**
 * Dialog sharing tags: `dlg_sharing_tag` (the tag of every new dialog), `set_dlg_sharing_tag()` and the MI
 * commands `dlg_list_sharing_tags`, `dlg_set_sharing_tag_active` and `dlg_cluster_sync`. The tags
 * themselves (active / backup, leases) belong to the clusterer; here is only which dialog has which.
 */
import { MiError, MiErrorCode, type MiParams } from '@core/sip';
import type { Dlg } from './dialog.js';
import type { DialogModule } from './module-state.js';

/** Same rule as the clusterer's tag names (no `/`, `=` or blanks). */
const TAG = /^[^/=\s]+$/;

export function checkTagName(fn: string, tag: string): void {
  if (!TAG.test(tag)) throw new TypeError(`${fn}("${tag}"): a sharing tag name has no "/", "=" or blanks`);
}

/** set_dlg_sharing_tag(name): the dialog follows that tag from now on (replicated with it). */
export function setDlgSharingTag(m: DialogModule, d: Dlg, tag: string): number {
  checkTagName('set_dlg_sharing_tag', tag);
  if (!d.alive) return -1;
  d.shtag = tag;
  if (m.replication !== null) m.replication.api.getShtagState(tag, m.replication.cluster); // declares it (backup) so its lease is followed
  m.engine.changed(d);
  return 1;
}

function replicationOf(m: DialogModule) {
  const r = m.replication;
  if (r === null) throw new MiError(MiErrorCode.Failure, 'dialog_replication_cluster is not set');
  return r;
}

export const sharingTagMi = {
  dlg_cluster_sync: {
    help: 'Asks a donor node of dialog_replication_cluster for every dialog again',
    params: [],
    handler: async (m: DialogModule) => {
      await replicationOf(m).sync();
      return 'OK';
    },
  },
  dlg_list_sharing_tags: {
    help: 'Sharing tags of dialogs here (dlg_sharing_tag and those set on dialogs), with their state',
    params: [],
    handler: (m: DialogModule) => {
      const r = replicationOf(m);
      const tags = new Set<string>();
      if (m.params.dlg_sharing_tag !== undefined) tags.add(m.params.dlg_sharing_tag);
      for (const d of m.engine.table.values()) if (d.shtag !== '') tags.add(d.shtag);
      return [...tags].sort().map((tag) => ({ tag, state: r.api.getShtagState(tag, r.cluster) }));
    },
  },
  dlg_set_sharing_tag_active: {
    help: 'Makes a sharing tag active on this node (taken from its owner)',
    params: ['tag'],
    handler: async (m: DialogModule, p: MiParams) => {
      const r = replicationOf(m);
      const tag = typeof p['tag'] === 'string' ? p['tag'] : '';
      if (!TAG.test(tag)) throw new MiError(MiErrorCode.InvalidParams, `bad sharing tag "${tag}"`);
      try {
        await r.api.shtagSetActive(tag, r.cluster);
      } catch (err) {
        throw new MiError(MiErrorCode.Failure, `cannot set ${tag} active: ${err instanceof Error ? err.message : String(err)}`);
      }
      return 'OK';
    },
  },
} as const;

declare module '@core/sip' {
  interface RouteContext {
    /** `set_dlg_sharing_tag(name)`: the current dialog follows this sharing tag; -1 without a live dialog. */
    set_dlg_sharing_tag(tag: string): number;
  }
}
