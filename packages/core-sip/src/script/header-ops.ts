/**
 * Header changes the script asks for (append_hf, remove_hf, Max-Forwards…). They are kept as a list and
 * applied to every copy the server sends (one per branch), like OpenSIPS lumps.
 */
import type { MessageEdit } from '../message/edit.js';

export type HeaderOp =
  | { readonly kind: 'add'; readonly name: string; readonly value: string; readonly where: 'top' | 'bottom' }
  | { readonly kind: 'remove'; readonly name: string }
  | { readonly kind: 'replace'; readonly name: string; readonly value: string }
  | { readonly kind: 'maxfwd'; readonly value: number }
  | { readonly kind: 'popRoute' }
  | { readonly kind: 'topVia'; readonly value: string }
  | { readonly kind: 'body'; readonly body: Buffer; readonly contentType: string | undefined };

export function applyHeaderOps(edit: MessageEdit, ops: readonly HeaderOp[]): void {
  for (const op of ops) {
    switch (op.kind) {
      case 'add':
        edit.addHeader(op.name, op.value, op.where);
        break;
      case 'remove':
        edit.removeHeader(op.name);
        break;
      case 'replace':
        edit.replaceHeader(op.name, op.value);
        break;
      case 'maxfwd':
        edit.setMaxForwards(op.value);
        break;
      case 'popRoute':
        edit.popRoute();
        break;
      case 'topVia':
        // The received top Via with received/rport added (RFC 3581): replace it in place of the old one.
        edit.popVia();
        edit.pushVia(op.value);
        break;
      case 'body':
        edit.setBody(op.body, op.contentType);
        break;
      default: {
        const never: never = op;
        throw new Error(`unknown header op ${String(never)}`);
      }
    }
  }
}
