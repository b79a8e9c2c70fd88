/** What tm keeps per route context (a core per-message slot): the transaction and what the script armed. */
import type { Cell } from './transaction/cell.js';

export class TmMsgState {
  cell: Cell | null = null;
  onFailure: string | null = null;
  onReply: string | null = null;
  onBranch: string | null = null;
  /** `$T_branch_idx`: the branch being processed (branch/onreply/failure routes), null elsewhere. */
  branchIdx: number | null = null;
  /** `$T_reply_code` in onreply/failure routes. */
  replyCode = 0;
  /** Branch flags of the branch in hand (the R-URI branch in request routes). */
  bflags = 0;
  /** TMCB_E2EACK_IN already fired for this ACK. */
  e2eAckDone = false;
}
