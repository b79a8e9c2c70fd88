/**
 * Header values are slices of the decoded message text, so a string kept from a message keeps the whole
 * message alive. State that outlives the message (a dialog's Call-ID, tags, URIs, contacts) stores its own
 * copy: concatenation makes V8 flatten the text into a new string, and the slice drops the added space.
 */
export function ownString(s: string): string {
  return s.length < 13 ? s : (' ' + s).slice(1);
}
