export { default } from './module.js';
export { dialogInfoXml, type DialogInfoState, type DialogInfoSide } from './body.js';
