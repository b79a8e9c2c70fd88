/**
 * tsips config for the proxy benchmark: a stateful proxy (tm t_relay + rr) when @mod/tm is built and
 * exports t_relay, otherwise the stateless default route (forward()). Listen socket and MI port are set on
 * the command line by bench/proxy.mjs. Imports the built packages by path because bench/ is not a
 * workspace package.
 *
 * Route, as in bench/configs/kamailio.cfg: Max-Forwards check; in-dialog requests follow their Route set
 * (an ACK without one is relayed if it matches a transaction); initial INVITEs are record-routed and
 * relayed to their Request-URI. Logging is at "warn" so the hot path pays nothing for it.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = new URL('../../', import.meta.url);
const at = (p) => fileURLToPath(new URL(p, root));

/** The tm module when its build exports a module declaring t_relay; otherwise undefined. */
export async function loadTm() {
  const dist = at('packages/tm/dist/index.js');
  if (!existsSync(dist)) return { tm: undefined, why: 'packages/tm/dist/index.js not built' };
  try {
    const mod = await import(pathToFileURL(dist).href);
    const tm = mod.default ?? mod.tm;
    if (tm && typeof tm.functions?.t_relay?.handler === 'function') return { tm, why: 'packages/tm/dist exports t_relay' };
    return { tm: undefined, why: 'packages/tm/dist has no module with a t_relay function' };
  } catch (err) {
    return { tm: undefined, why: `packages/tm/dist failed to load: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/** The dialog module when its build exports one declaring create_dialog; otherwise undefined. */
export async function loadDialog() {
  const dist = at('packages/dialog/dist/index.js');
  if (!existsSync(dist)) return { dialog: undefined, why: 'packages/dialog/dist/index.js not built' };
  try {
    const mod = await import(pathToFileURL(dist).href);
    const dialog = mod.default ?? mod.dialog;
    if (dialog && typeof dialog.functions?.create_dialog?.handler === 'function') return { dialog, why: 'packages/dialog/dist exports create_dialog' };
    return { dialog: undefined, why: 'packages/dialog/dist has no module with a create_dialog function' };
  } catch (err) {
    return { dialog: undefined, why: `packages/dialog/dist failed to load: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Memory probe for the soak and dialog-memory benchmarks: on SIGUSR2 run a full GC (node --expose-gc) and
 * write process.memoryUsage() to $TSIPS_BENCH_MEM_FILE, so heap figures are live data, not garbage.
 */
function installMemoryProbe() {
  const file = process.env.TSIPS_BENCH_MEM_FILE;
  if (!file) return;
  process.on('SIGUSR2', () => {
    const gc = globalThis.gc;
    if (typeof gc === 'function') gc();
    writeFileSync(file, JSON.stringify({ at: Date.now(), gc: typeof gc === 'function', ...process.memoryUsage() }));
  });
}

export default async function config() {
  installMemoryProbe();
  const { defineConfig } = await import(pathToFileURL(at('packages/core-sip/dist/index.js')).href);
  const rr = (await import(pathToFileURL(at('packages/rr/dist/index.js')).href)).default;
  const { tm, why } = await loadTm();
  const stateful = tm !== undefined && process.env.TSIPS_BENCH_STATELESS !== '1';
  // TSIPS_BENCH_DIALOG=1 (dialog-memory benchmark): create a dialog for every initial INVITE.
  const { dialog, why: dlgWhy } = stateful && process.env.TSIPS_BENCH_DIALOG === '1' ? await loadDialog() : { dialog: undefined, why: 'not asked' };
  process.stderr.write(
    `tsips bench config: ${stateful ? 'STATEFUL (tm t_relay + rr)' : 'STATELESS (forward + rr)'}: ${why}; dialog: ${dialog ? 'yes' : 'no'} (${dlgWhy})\n`,
  );

  const relay = stateful
    ? async (ctx) => {
        const r = await ctx.t_relay();
        if (r < 0) ctx.sl_send_reply(500, 'Relay Failed');
      }
    : async (ctx) => {
        if ((await ctx.forward()) < 0) ctx.sl_send_reply(500, 'Forward Failed');
      };

  return defineConfig({
    listen: ['udp:127.0.0.1:15080'],
    modules: stateful ? (dialog ? [tm, rr, dialog] : [tm, rr]) : [rr],
    mi: { host: '127.0.0.1', port: 18888 },
    log: { level: 'warn' },
    routes: {
      async request(ctx) {
        if (ctx.mf_process_maxfwd_header(10) < 0) {
          ctx.sl_send_reply(483, 'Too Many Hops');
          return;
        }
        if (ctx.has_totag()) {
          if (ctx.loose_route() > 0) {
            await relay(ctx);
            return;
          }
          if (ctx.$rm === 'ACK') {
            if (!stateful || ctx.t_check_trans() > 0) await relay(ctx);
            return;
          }
          ctx.sl_send_reply(404, 'Not here');
          return;
        }
        if (ctx.$rm === 'INVITE') {
          ctx.record_route();
          if (dialog) ctx.create_dialog();
        }
        await relay(ctx);
      },
    },
  });
}
