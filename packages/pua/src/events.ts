/** The events pua can PUBLISH / SUBSCRIBE (add_event); presence, presence.winfo, message-summary and dialog;sla are built in. */
import { PUA_EVENT, type ProcessBody, type PuaEventDef } from './api.js';

export class PuaEvents {
  private readonly byFlag = new Map<number, PuaEventDef>();
  private readonly byName = new Map<string, PuaEventDef>();

  constructor() {
    this.add(PUA_EVENT.PRESENCE_EVENT, 'presence', 'application/pidf+xml', undefined);
    this.add(PUA_EVENT.PWINFO_EVENT, 'presence.winfo', undefined, undefined);
    this.add(PUA_EVENT.MSGSUM_EVENT, 'message-summary', 'application/simple-message-summary', undefined);
    this.add(PUA_EVENT.BLA_EVENT, 'dialog;sla', 'application/dialog-info+xml', undefined);
  }

  /** 0, or -1 when the flag or the name is taken. */
  add(flag: number, name: string, contentType: string | undefined, processBody: ProcessBody | undefined): number {
    if (this.byFlag.has(flag) || this.byName.has(name.toLowerCase())) return -1;
    const def: PuaEventDef = { flag, name, contentType, processBody };
    this.byFlag.set(flag, def);
    this.byName.set(name.toLowerCase(), def);
    return 0;
  }

  get(flagOrName: number | string): PuaEventDef | undefined {
    return typeof flagOrName === 'number' ? this.byFlag.get(flagOrName) : this.byName.get(flagOrName.toLowerCase());
  }
}
