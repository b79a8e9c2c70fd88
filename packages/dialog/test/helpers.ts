/** Shared helpers of the dialog tests. */
import { createLogger, type ModuleContext } from '@core/sip';
import { Dlg } from '../src/dialog.js';

export const silentLog: ModuleContext['log'] = createLogger({ level: process.env['DLG_TEST_LOG'] ?? 'silent' }).root;

let n = 0;
/** A bare dialog object (no server), for the parts that need none. */
export function bareDlg(callid = `c${++n}`): Dlg {
  return new Dlg({
    hEntry: 1,
    hId: ++n,
    flags: 0,
    callid,
    fromUri: 'sip:alice@a.example',
    fromTag: `f${n}`,
    toUri: 'sip:bob@b.example',
    callerCseq: 1,
    callerContact: 'sip:alice@127.0.0.1:5070',
    callerRouteSet: '',
    callerSock: 'udp:127.0.0.1:5060',
    timeout: 60,
    slots: [],
  });
}
