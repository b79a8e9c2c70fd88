/**
 * Memory probe preloaded into a tsips server started without a bench config (`node --expose-gc --import
 * bench/lib/mem-probe.mjs apps/server/dist/bin.js …`): on SIGUSR2 run a full GC and write
 * process.memoryUsage() to $TSIPS_BENCH_MEM_FILE, as bench/configs/tsips-proxy.mjs does for its servers.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.TSIPS_BENCH_MEM_FILE;
if (file) {
  process.on('SIGUSR2', () => {
    const gc = globalThis.gc;
    if (typeof gc === 'function') gc();
    writeFileSync(file, JSON.stringify({ at: Date.now(), gc: typeof gc === 'function', ...process.memoryUsage() }));
  });
}
