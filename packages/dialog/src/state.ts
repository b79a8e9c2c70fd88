/**
 * Dialog states with OpenSIPS's numbers ($DLG_status, the `state` column, E_DLG_STATE_CHANGED) and the
 * transitions the INVITE transaction, ACK and BYE drive (RFC 3261 12.1 and 13.2.2.4: a dialog is early on a
 * provisional with a To tag, confirmed on a 2xx; the 2xx is only settled once its ACK passes).
 */

export const DlgState = {
  /** create_dialog() ran; no reply with a To tag yet. */
  UNCONFIRMED: 1,
  /** A provisional reply (> 100) went upstream. */
  EARLY: 2,
  /** The 2xx went upstream, its ACK has not passed yet. */
  CONFIRMED_NA: 3,
  /** The ACK of the 2xx passed. */
  CONFIRMED: 4,
  /** BYE, negative final reply, CANCEL, timeout or termination. */
  DELETED: 5,
} as const;
export type DlgStateValue = (typeof DlgState)[keyof typeof DlgState];

/** What happens to a dialog. */
export type DlgEvent = 'provisional' | 'confirm' | 'ack' | 'negative' | 'bye' | 'terminate' | 'expire';

/**
 * The next state for an event, or null when the event does not apply in this state (e.g. a late 180 after
 * the 2xx, a retransmitted ACK). One case per state; the compiler checks every state is handled.
 */
export function nextState(state: DlgStateValue, ev: DlgEvent): DlgStateValue | null {
  switch (state) {
    case DlgState.UNCONFIRMED:
      return fromSetup(ev, true);
    case DlgState.EARLY:
      return fromSetup(ev, false);
    case DlgState.CONFIRMED_NA:
      // 13.2.2.4: the caller must ACK the 2xx; a BYE may still overtake the ACK.
      if (ev === 'ack') return DlgState.CONFIRMED;
      if (ev === 'bye' || ev === 'terminate' || ev === 'expire') return DlgState.DELETED;
      return null;
    case DlgState.CONFIRMED:
      if (ev === 'bye' || ev === 'terminate' || ev === 'expire') return DlgState.DELETED;
      return null;
    case DlgState.DELETED:
      return null;
    default: {
      const never: never = state;
      return never;
    }
  }
}

function fromSetup(ev: DlgEvent, unconfirmed: boolean): DlgStateValue | null {
  switch (ev) {
    case 'provisional':
      return unconfirmed ? DlgState.EARLY : null;
    case 'confirm':
      return DlgState.CONFIRMED_NA;
    // A BYE before any final reply (RFC 3261 15: the caller uses CANCEL, but a broken UA may BYE).
    case 'bye':
    case 'negative':
    case 'terminate':
    case 'expire':
      return DlgState.DELETED;
    case 'ack':
      return null;
    default: {
      const never: never = ev;
      return never;
    }
  }
}

export function isStateValue(n: number): n is DlgStateValue {
  return n >= 1 && n <= 5 && Number.isInteger(n);
}
