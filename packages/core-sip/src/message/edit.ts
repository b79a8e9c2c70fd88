import { latin1 } from './chars.js';
import { Hdr, headerIdFromName } from './header-names.js';
import type { SipMessage } from './message.js';
import { nextListComma } from './headers/split.js';

/** One header line of the output: a span of the original message (possibly trimmed or with a new value) or new text. */
interface Line {
  /** Header number (-1 unknown). */
  id: number;
  /** Lower-cased name for unknown headers ('' for known ones). */
  lname: string;
  /** Original span [start, end) including the line end; -1 for new lines. */
  start: number;
  end: number;
  valueStart: number;
  valueEnd: number;
  /** Where the kept values begin after popping leading ones (== valueStart when none were popped). */
  cut: number;
  /** Replacement value for an original line. */
  value: string | undefined;
  /** Whole text of a new line, CRLF included. */
  text: string | undefined;
}

function newLine(name: string, value: string): Line {
  const id = headerIdFromName(name);
  return { id, lname: id >= 0 ? '' : name.toLowerCase(), start: -1, end: -1, valueStart: -1, valueEnd: -1, cut: -1, value: undefined, text: `${name}: ${value}\r\n` };
}

/**
 * A set of edits over a received message, for proxies and B2BUAs. Operations are applied to a list of line
 * descriptors that point into the original buffer; `toBuffer()` copies untouched bytes as they were with a
 * single Buffer.concat. Chainable; independent of any other edit of the same message.
 */
export class MessageEdit {
  private readonly msg: SipMessage;
  private lines: Line[] | undefined;
  private ruri: string | undefined;
  private body: Buffer | undefined;
  /**
   * Top Via values popped before any other header edit, not applied to a line list yet: a relayed reply's
   * only edit (RFC 3261 16.7 step 9) then costs one buffer and two copies, no line list.
   */
  private viaPops: number;

  constructor(msg: SipMessage) {
    this.msg = msg;
    this.lines = undefined;
    this.ruri = undefined;
    this.body = undefined;
    this.viaPops = 0;
  }

  private list(): Line[] {
    if (this.lines === undefined) {
      const m = this.msg;
      const out: Line[] = new Array<Line>(m.count);
      for (let k = 0; k < m.count; k++) {
        const id = m.idAt(k);
        out[k] = {
          id,
          lname: id >= 0 ? '' : m.nameAt(k).toLowerCase(),
          start: m.lineStart(k),
          end: m.lineEnd(k),
          valueStart: m.valueOffset(k),
          valueEnd: m.valueEnd(k),
          cut: m.valueOffset(k),
          value: undefined,
          text: undefined,
        };
      }
      this.lines = out;
      for (; this.viaPops > 0; this.viaPops--) this.popFirstValue(Hdr.Via);
    }
    return this.lines;
  }

  private indexOf(name: string): number {
    const id = headerIdFromName(name);
    const lname = id >= 0 ? '' : name.toLowerCase();
    const lines = this.list();
    for (let i = 0; i < lines.length; i++) {
      const l = lines[i] as Line;
      if (l.id === id && l.lname === lname) return i;
    }
    return -1;
  }

  /** Replaces the Request-URI (requests only). */
  setRuri(uri: string): this {
    if (!this.msg.isRequest) throw new Error('setRuri on a response');
    this.ruri = uri;
    return this;
  }

  /** Adds a Via line above all others (RFC 3261 16.6 step 8). */
  pushVia(value: string): this {
    return this.insertBefore('Via', 'Via', value);
  }

  /** Removes the top Via value, even when it shares its line with other values (responses, RFC 3261 16.7). */
  popVia(): this {
    if (this.lines === undefined) this.viaPops++;
    else this.popFirstValue(Hdr.Via);
    return this;
  }

  /** Removes the first Route value (loose routing, RFC 3261 16.12). */
  popRoute(): this {
    this.popFirstValue(Hdr.Route);
    return this;
  }

  /** Adds a header line at the top of the headers or after the last one. */
  addHeader(name: string, value: string, where: 'top' | 'bottom' = 'bottom'): this {
    const lines = this.list();
    if (where === 'top') lines.unshift(newLine(name, value));
    else lines.push(newLine(name, value));
    return this;
  }

  /** Adds `newName: value` before the first `name` line, or at the top when there is none (e.g. Record-Route). */
  insertBefore(name: string, newName: string, value: string): this {
    const i = this.indexOf(name);
    this.list().splice(i < 0 ? 0 : i, 0, newLine(newName, value));
    return this;
  }

  /** Removes every line of that header. */
  removeHeader(name: string): this {
    const id = headerIdFromName(name);
    const lname = id >= 0 ? '' : name.toLowerCase();
    this.lines = this.list().filter((l) => l.id !== id || l.lname !== lname);
    return this;
  }

  /** Replaces all lines of that header with one `name: value` line where the first was (at the bottom when none). */
  replaceHeader(name: string, value: string): this {
    const i = this.indexOf(name);
    if (i < 0) return this.addHeader(name, value);
    const line = newLine(name, value);
    this.removeHeader(name);
    (this.lines as Line[]).splice(i, 0, line);
    return this;
  }

  /** Sets the Max-Forwards value in place (keeping the name as written), or adds the header. */
  setMaxForwards(n: number): this {
    return this.setValue(Hdr.MaxForwards, 'Max-Forwards', String(n));
  }

  /** Replaces the body, fixing Content-Length; sets Content-Type when given, drops it for an empty body. */
  setBody(body: Buffer, contentType?: string): this {
    this.body = body;
    this.setValue(Hdr.ContentLength, 'Content-Length', String(body.length));
    if (contentType !== undefined) this.setValue(Hdr.ContentType, 'Content-Type', contentType);
    else if (body.length === 0) this.removeHeader('Content-Type');
    return this;
  }

  /**
   * The edited message. Without any edit this is a view of the original bytes up to the end of the body;
   * otherwise one buffer of the final size, with untouched spans copied from the original and new text
   * written straight into it (no intermediate buffers or strings of the original bytes).
   */
  toBuffer(): Buffer {
    const m = this.msg;
    const raw = m.raw;
    if (this.lines === undefined && this.ruri === undefined && this.body === undefined) {
      if (this.viaPops === 0) return raw.subarray(0, m.bodyEnd);
      if (this.viaPops === 1) {
        const out = this.poppedTopVia();
        if (out !== undefined) return out;
      }
    }
    if (this.viaPops > 0) this.list(); // applies the pops to lines
    // Pairs of numbers are spans [start, end) of the original (contiguous ones merged); strings are new text.
    const segs: (number | string)[] = [];
    let size = 0;
    const addRaw = (s: number, e: number): void => {
      if (e <= s) return;
      const n = segs.length;
      if (n >= 2 && segs[n - 1] === s) segs[n - 1] = e;
      else segs.push(s, e);
      size += e - s;
    };
    const addText = (t: string): void => {
      segs.push(t);
      size += Buffer.byteLength(t, 'utf8');
    };
    if (this.ruri !== undefined) {
      addRaw(0, m.ruriStart);
      addText(this.ruri);
      addRaw(m.ruriEnd, m.headersStart);
    } else {
      addRaw(0, m.headersStart);
    }
    if (this.lines === undefined) {
      addRaw(m.headersStart, m.headersEnd);
    } else {
      for (const l of this.lines) {
        if (l.text !== undefined) addText(l.text);
        else if (l.value !== undefined) {
          addRaw(l.start, l.valueStart);
          addText(l.value);
          addRaw(l.valueEnd, l.end);
        } else if (l.cut !== l.valueStart) {
          addRaw(l.start, l.valueStart);
          addRaw(l.cut, l.end);
        } else addRaw(l.start, l.end);
      }
    }
    addRaw(m.headersEnd, m.bodyStart);
    const body = this.body;
    if (body === undefined) addRaw(m.bodyStart, m.bodyEnd);
    else size += body.length;
    const out = Buffer.allocUnsafe(size);
    let pos = 0;
    for (let i = 0; i < segs.length;) {
      const x = segs[i] as number | string;
      if (typeof x === 'string') {
        pos += out.write(x, pos, 'utf8');
        i++;
      } else {
        pos += raw.copy(out, pos, x, segs[i + 1] as number);
        i += 2;
      }
    }
    if (body !== undefined) body.copy(out, pos);
    return out;
  }

  /**
   * The message with only its top Via value removed, from the index alone: the whole line when it holds one
   * value, else the value up to the next one. Undefined for a folded line (the line list handles it).
   */
  private poppedTopVia(): Buffer | undefined {
    const m = this.msg;
    const k = m.findHeader(Hdr.Via, '', 0);
    if (k < 0) return m.raw.subarray(0, m.bodyEnd);
    if (m.folded(k)) return undefined;
    const vs = m.valueOffset(k);
    const ve = m.valueEnd(k);
    const raw = m.raw;
    const comma = nextListComma(latin1(raw, vs, ve), 0);
    let next = comma < 0 ? ve : vs + comma + 1;
    while (next < ve && (raw[next] === 32 || raw[next] === 9)) next++;
    // One value (or a trailing comma with nothing after it): the whole line goes, as popFirstValue does.
    const whole = next >= ve;
    const cutFrom = whole ? m.lineStart(k) : vs;
    const cutTo = whole ? m.lineEnd(k) : next;
    const end = m.bodyEnd;
    const out = Buffer.allocUnsafe(end - (cutTo - cutFrom));
    raw.copy(out, 0, 0, cutFrom);
    raw.copy(out, cutFrom, cutTo, end);
    return out;
  }

  private setValue(id: number, name: string, value: string): this {
    const lines = this.list();
    let first = true;
    this.lines = lines.filter((l) => {
      if (l.id !== id) return true;
      if (!first) return false;
      first = false;
      if (l.text !== undefined) l.text = `${name}: ${value}\r\n`;
      else l.value = value;
      return true;
    });
    if (first) this.lines.push(newLine(name, value));
    return this;
  }

  private popFirstValue(id: number): void {
    const lines = this.list();
    const i = lines.findIndex((l) => l.id === id);
    if (i < 0) return;
    const l = lines[i] as Line;
    if (l.text !== undefined || l.value !== undefined) {
      // A line this edit wrote: drop it whole (it holds one value).
      lines.splice(i, 1);
      return;
    }
    const raw = this.msg.raw;
    // latin1 keeps one character per byte, so string positions are byte offsets from `cut`.
    const rest = latin1(raw, l.cut, l.valueEnd);
    const comma = nextListComma(rest, 0);
    if (comma < 0) {
      lines.splice(i, 1);
      return;
    }
    let next = l.cut + comma + 1;
    while (next < l.valueEnd) {
      const c = raw[next];
      if (c !== 32 && c !== 9 && c !== 13 && c !== 10) break;
      next++;
    }
    if (next >= l.valueEnd) lines.splice(i, 1);
    else l.cut = next;
  }
}
