/**
 * Records as JSON Lines in UTF-8, byte for byte what `JSON.stringify(record) + '\n'` gives, written
 * straight into bytes. The sinks' largest cost was JSON text: `JSON.stringify` of a two-field object
 * costs ~400 ns on Node 20, and the batch's string must still be joined and encoded. Flat objects of
 * one shape (what sinks see most) are written here field by field from the shape's key list, learned
 * from a record and reused while records keep it; strings are escaped and encoded, integers written
 * digit by digit. Anything else (a nested value, undefined, a Date, a class instance, an array)
 * goes through `JSON.stringify` whole, so the bytes never differ.
 */

/** A key list and its quoted keys with their separators as UTF-8: `{"a":` then `,"b":`. */
interface Shape {
  keys: string[];
  prefixes: Buffer[];
}

function shapeOf(keys: string[]): Shape {
  return { keys, prefixes: keys.map((k, i) => Buffer.from((i === 0 ? '{' : ',') + JSON.stringify(k) + ':')) };
}

const HEX = '0123456789abcdef';
const [NULL, TRUE, FALSE, EMPTY_OBJECT] = ['null', 'true', 'false', '{}'].map((t) => Buffer.from(t));
/** Strings longer than this are quoted by JSON.stringify and encoded natively: a byte loop only pays for short ones. */
const LONG_STRING = 64;

/**
 * Lines are written into a slab, and each batch's lines are a view of it that is never written
 * again: no buffer is allocated and copied per batch (an ArrayBuffer each time cost more than
 * the copy). A full slab is left to the views that still hold it.
 */
const SLAB = 1 << 18;

export class JsonLinesEncoder {
  private buf = Buffer.allocUnsafe(SLAB);
  private pos = 0;
  /** Where the current batch starts in `buf`. */
  private start = 0;
  private shape: Shape = shapeOf([]);

  /**
   * The records as JSON Lines, each line ended by a newline; a value JSON cannot write (undefined, a
   * function) is the line `null`. The bytes are the caller's: this encoder never writes them again.
   */
  lines(records: readonly unknown[]): Buffer {
    this.start = this.pos;
    for (let i = 0; i < records.length; i++) {
      this.record(records[i]);
      this.byte(0x0a);
    }
    return this.buf.subarray(this.start, this.pos);
  }

  private record(record: unknown): void {
    if (typeof record !== 'object' || record === null || Object.getPrototypeOf(record) !== Object.prototype)
      return this.text(JSON.stringify(record) ?? 'null');
    const r = record as Record<string, unknown>;
    let shape = this.shape;
    // for-in walks V8's enum cache without allocating, where Object.keys copies it for every record.
    // An inherited enumerable key (a polluted Object.prototype) is a mismatch: Object.keys decides.
    let n = 0;
    let same = true;
    for (const key in r) {
      if (key !== shape.keys[n]) {
        same = false;
        break;
      }
      n++;
    }
    if (!same || n !== shape.keys.length) this.shape = shape = shapeOf(Object.keys(r));
    const keys = shape.keys;
    n = keys.length;
    if (n === 0) return this.bytes(EMPTY_OBJECT);
    // From the batch's start: a new slab may move the batch while the record is written.
    const offset = this.pos - this.start;
    for (let i = 0; i < n; i++) {
      const v = r[keys[i]];
      if (typeof v === 'string') {
        this.bytes(shape.prefixes[i]);
        this.string(v);
      } else if (typeof v === 'number') {
        this.bytes(shape.prefixes[i]);
        this.number(v);
      } else if (typeof v === 'boolean' || v === null) {
        this.bytes(shape.prefixes[i]);
        this.bytes(v === null ? NULL : v ? TRUE : FALSE);
      } else {
        // Nested values, undefined (a dropped key), toJSON: JSON.stringify's own rules, on the whole record.
        this.pos = this.start + offset;
        return this.text(JSON.stringify(r));
      }
    }
    this.byte(0x7d);
  }

  /** Room for n more bytes: when the slab is full, a new one, with the batch so far moved to its start. */
  private room(n: number): void {
    if (this.pos + n <= this.buf.length) return;
    const batch = this.pos - this.start;
    const next = Buffer.allocUnsafe(Math.max(SLAB, 2 * (batch + n)));
    this.buf.copy(next, 0, this.start, this.pos);
    this.buf = next;
    this.start = 0;
    this.pos = batch;
  }

  private byte(b: number): void {
    this.room(1);
    this.buf[this.pos++] = b;
  }

  private bytes(b: Buffer): void {
    const n = b.length;
    this.room(n);
    const buf = this.buf;
    const p = this.pos;
    for (let i = 0; i < n; i++) buf[p + i] = b[i];
    this.pos = p + n;
  }

  /** Text that is already JSON (or ASCII), encoded as UTF-8. */
  private text(s: string): void {
    this.room(s.length * 3);
    this.pos += this.buf.write(s, this.pos, 'utf8');
  }

  private number(v: number): void {
    if (!Number.isSafeInteger(v)) return this.text(Number.isFinite(v) ? String(v) : 'null');
    this.room(17);
    const buf = this.buf;
    if (v < 0) {
      buf[this.pos++] = 0x2d;
      v = -v;
    }
    let digits = 1;
    if (v <= 0x7fffffff) {
      // int32 arithmetic: V8 divides by the constant with a multiply, where doubles take a division.
      for (let x = v; x >= 10; x = (x / 10) | 0) digits++;
      for (let i = this.pos + digits - 1; i >= this.pos; i--) {
        const q = (v / 10) | 0;
        buf[i] = 0x30 + v - q * 10;
        v = q;
      }
    } else {
      for (let x = v; x >= 10; x = Math.floor(x / 10)) digits++;
      for (let i = this.pos + digits - 1; i >= this.pos; i--) {
        buf[i] = 0x30 + (v % 10);
        v = Math.floor(v / 10);
      }
    }
    this.pos += digits;
  }

  /** A JSON string literal, escaped as JSON.stringify escapes (lone surrogates as \udxxx), in UTF-8. */
  private string(s: string): void {
    const n = s.length;
    if (n > LONG_STRING) return this.text(JSON.stringify(s));
    this.room(n * 6 + 2);
    const buf = this.buf;
    let p = this.pos;
    buf[p++] = 0x22;
    for (let i = 0; i < n; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) {
        if (c >= 0x20 && c !== 0x22 && c !== 0x5c) buf[p++] = c;
        else {
          buf[p++] = 0x5c;
          if (c === 0x22 || c === 0x5c) buf[p++] = c;
          else if (c === 0x0a)
            buf[p++] = 0x6e; // \n
          else if (c === 0x0d)
            buf[p++] = 0x72; // \r
          else if (c === 0x09)
            buf[p++] = 0x74; // \t
          else if (c === 0x08)
            buf[p++] = 0x62; // \b
          else if (c === 0x0c)
            buf[p++] = 0x66; // \f
          else p = unicodeEscape(buf, p, c);
        }
      } else if (c < 0x800) {
        buf[p++] = 0xc0 | (c >> 6);
        buf[p++] = 0x80 | (c & 0x3f);
      } else if (c >= 0xd800 && c <= 0xdfff) {
        const next = i + 1 < n ? s.charCodeAt(i + 1) : 0;
        if (c <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
          i++;
          buf[p++] = 0xf0 | (c >> 18);
          buf[p++] = 0x80 | ((c >> 12) & 0x3f);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
        } else {
          buf[p++] = 0x5c;
          p = unicodeEscape(buf, p, c);
        }
      } else {
        buf[p++] = 0xe0 | (c >> 12);
        buf[p++] = 0x80 | ((c >> 6) & 0x3f);
        buf[p++] = 0x80 | (c & 0x3f);
      }
    }
    buf[p++] = 0x22;
    this.pos = p;
  }
}

/** `uXXXX` (after the backslash) with lowercase hex digits, as JSON.stringify writes it. */
function unicodeEscape(buf: Buffer, p: number, c: number): number {
  buf[p++] = 0x75;
  for (let shift = 12; shift >= 0; shift -= 4) buf[p++] = HEX.charCodeAt((c >> shift) & 0xf);
  return p;
}
