export { default, default as dialog, parseCreateFlags } from './module.js';
import './api.js';
export type { DlgApi } from './api.js';
export { Dlg, DLG_FLAG } from './dialog.js';
export { DlgState, type DlgStateValue } from './state.js';
export { DLGCB, DLG_DIR, type DlgCbParams, type DialogCb, type DlgDir } from './callbacks.js';
export { DlgProfile } from './profiles.js';
export { dialogSchema } from './schema.js';
export { dialogParams } from './params.js';
