/**
 * One tracked call's BLF: per side (caller A, callee B) a presentity, its dialog-info document and a chain
 * of PUBLISHes kept in order (early before confirmed before terminated), sent through pua.
 */
import type { Dlg } from '@mod/dialog';
import { PUA_EVENT, PUA_SOURCE, type PuaApi } from '@mod/pua';
import { dialogInfoXml, type DialogInfoOptions, type DialogInfoState } from './body.js';

export interface DialoginfoConfig extends DialogInfoOptions {
  readonly presenceServer: string;
  readonly callerConfirmed: boolean;
  readonly expires: number;
}

export class CallBlf {
  /** Muted sides publish nothing. */
  caller: boolean;
  callee: boolean;
  private chain: Promise<unknown> = Promise.resolve();
  private version = 0;
  private ended = false;

  constructor(
    private readonly pua: PuaApi,
    private readonly cfg: DialoginfoConfig,
    private readonly onError: (err: unknown) => void,
    readonly callerUri: string,
    public calleeUri: string,
    sides: { caller: boolean; callee: boolean },
  ) {
    this.caller = sides.caller;
    this.callee = sides.callee;
  }

  /** Publishes `state` for both sides (the caller confirmed early when caller_confirmed is set). */
  publish(dlg: Dlg, state: DialogInfoState): Promise<unknown> {
    if (this.ended) return this.chain;
    if (state === 'terminated') this.ended = true;
    const callerState = this.cfg.callerConfirmed && (state === 'early' || state === 'trying' || state === 'proceeding') ? 'confirmed' : state;
    const sides: [boolean, string, string, boolean, DialogInfoState][] = [
      [this.caller, this.callerUri, this.calleeUri, true, callerState],
      [this.callee, this.calleeUri, this.callerUri, false, state],
    ];
    const version = ++this.version;
    const { callid, fromTag, toTag } = dlg;
    this.chain = this.chain.then(() =>
      Promise.all(
        sides
          .filter(([on]) => on)
          .map(async ([, entity, peer, initiator, st]) => {
            const body = dialogInfoXml(
              { entity, peer, initiator, callId: callid, localTag: initiator ? fromTag : toTag, remoteTag: initiator ? toTag : fromTag, state: st },
              version,
              this.cfg,
            );
            const id = `${callid}${initiator ? ';A' : ';B'}`;
            const base = {
              id,
              presUri: entity,
              sourceFlag: PUA_SOURCE.DIALOG_PUBLISH,
              event: PUA_EVENT.DIALOG_EVENT,
              ...(this.cfg.presenceServer !== '' ? { outboundProxy: this.cfg.presenceServer } : {}),
            };
            await this.pua.sendPublish({ ...base, body, expires: this.cfg.expires });
            // The terminated state was told; the publication itself ends so nothing is refreshed for a dead call.
            if (st === 'terminated') await this.pua.sendPublish({ ...base, body: null, expires: 0 });
          }),
      ).catch(this.onError),
    );
    return this.chain;
  }
}
