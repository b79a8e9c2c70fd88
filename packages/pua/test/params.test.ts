/** Modparam checks that stop the start with a coded message. */
import { describe, expect, it } from 'vitest';
import { startPua } from './harness.js';

describe('pua modparams', () => {
  it('cluster_sharing_tag without cluster_id, and cluster_id (not implemented), are refused naming the param', async () => {
    await expect(startPua({ cluster_sharing_tag: 'vip' })).rejects.toThrow('pua: cluster_sharing_tag needs cluster_id');
    await expect(startPua({ cluster_id: 1 })).rejects.toThrow(/E_MODULE_DEP_MISSING|clusterer/);
  });

  it('rejects a bad db_table name', async () => {
    await expect(startPua({ db_table: 'pua; drop' })).rejects.toThrow(/db_table/);
  });
});
