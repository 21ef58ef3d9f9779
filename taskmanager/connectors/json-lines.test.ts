import { Packr } from 'msgpackr';
import { JsonLinesEncoder } from './json-lines';
import { mulberry32 } from '../../common/prng';

/** What the sinks wrote before: JSON.stringify per record (a value it cannot write: `null`). */
const reference = (records: unknown[]) => records.map((r) => (JSON.stringify(r) ?? 'null') + '\n').join('');

/** The encoder's bytes are the reference's UTF-8, byte for byte. */
function expectSame(enc: JsonLinesEncoder, records: unknown[]): void {
  const bytes = enc.lines(records);
  expect(bytes.toString('utf8')).toBe(reference(records));
  expect(Buffer.compare(bytes, Buffer.from(reference(records), 'utf8'))).toBe(0);
}

const STRINGS = [
  '',
  'word',
  'é数据',
  'quote " and \\ backslash',
  'nl\nand\ttab\u0001\b\f\r\u001f\u007f',
  'lone \ud800 surrogate',
  'low \udc00 first',
  'end \udbff',
  '\u2028\u2029',
  '😀',
  'ü'.repeat(40) + '"',
  'x'.repeat(200),
];
const KEYS = ['word', 'count', '1', '0', 'a b', 'ключ', '"q"', '__proto__x', 'toJSON'];
const ODD: unknown[] = [
  undefined,
  NaN,
  Infinity,
  -Infinity,
  -0,
  1e21,
  5e-324,
  new Date(0),
  [1, 'x', null],
  { nested: { deep: [true] } },
  () => 1,
  Symbol('s'),
  12345678901234567890n,
];

function value(rnd: () => number): unknown {
  const r = rnd();
  if (r < 0.35) return STRINGS[Math.floor(rnd() * STRINGS.length)];
  if (r < 0.65) {
    const k = rnd();
    if (k < 0.4) return Math.floor(rnd() * 1e6) - 5e5;
    if (k < 0.6) return Math.floor((rnd() - 0.5) * 2 ** 54); // beyond the safe integers too
    if (k < 0.7)
      return [0, -0, 9, 10, 99, 100, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53][Math.floor(rnd() * 9)];
    return (rnd() - 0.5) * 1e9;
  }
  if (r < 0.75) return rnd() < 0.5;
  if (r < 0.85) return null;
  const odd = ODD[Math.floor(rnd() * ODD.length)];
  return typeof odd === 'bigint' ? 1 : odd; // a BigInt makes JSON.stringify throw: not a record a sink can get from a batch
}

function record(rnd: () => number, shapes: string[][]): unknown {
  const r = rnd();
  if (r < 0.05) return STRINGS[Math.floor(rnd() * STRINGS.length)];
  if (r < 0.08) return [value(rnd), value(rnd)];
  if (r < 0.1) return rnd() < 0.5 ? null : 42;
  if (r < 0.12) return Object.assign(Object.create(null), { a: 1 });
  const keys = shapes[Math.floor(rnd() * shapes.length)];
  const o: Record<string, unknown> = {};
  for (const k of keys) o[k] = value(rnd);
  return o;
}

describe('JsonLinesEncoder', () => {
  test('writes exactly what JSON.stringify writes, over random records of changing shapes and odd values', () => {
    const rnd = mulberry32(7);
    for (let round = 0; round < 200; round++) {
      const shapes = Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => KEYS.filter(() => rnd() < 0.4));
      const records = Array.from({ length: Math.floor(rnd() * 64) }, () => record(rnd, shapes));
      const enc = new JsonLinesEncoder();
      expectSame(enc, records);
      expectSame(enc, records); // with the shape of the last batch cached
    }
  });

  test('records decoded from a batch (msgpackr records) and class instances', () => {
    class Point {
      constructor(
        readonly x: number,
        readonly y: number,
      ) {}
      toJSON() {
        return [this.x, this.y];
      }
    }
    const packr = new Packr({ useRecords: true });
    const decoded = packr.unpack(
      packr.pack([
        { word: 'a', count: 1 },
        { word: 'b', count: 2 },
      ]),
    ) as unknown[];
    const records = [...decoded, new Point(1, 2), { at: new Point(3, 4) }, { word: 'c', count: 3 }];
    expectSame(new JsonLinesEncoder(), records);
  });

  test('no records, no bytes; a value JSON cannot write is the line null; {} and batches past the first buffer', () => {
    const enc = new JsonLinesEncoder();
    expect(enc.lines([]).length).toBe(0);
    expect(enc.lines([undefined, () => 1, { a: 1 }, {}]).toString()).toBe('null\nnull\n{"a":1}\n{}\n');
    const big = Array.from({ length: 5000 }, (_, i) => ({ word: 'ü'.repeat(i % 70), count: i }));
    expectSame(enc, big); // > 256 KiB: a new slab in the middle of the batch
  });

  test('bytes handed out stay as they were while later batches fill new slabs, records falling back to JSON.stringify among them', () => {
    const enc = new JsonLinesEncoder();
    const first = enc.lines([{ word: 'first', count: 1 }]);
    const copy = Buffer.from(first);
    const rnd = mulberry32(11);
    const held: [Buffer, Buffer][] = [];
    for (let batch = 0; batch < 40; batch++) {
      // ~45 KiB a batch, about 1.8 MiB in all: several new slabs, some while a nested record is half written.
      const records = Array.from({ length: 300 }, (_, i) => ({
        text: 'é'.repeat(Math.floor(rnd() * 100)),
        n: i,
        ...(rnd() < 0.3 && { nested: { i } }),
      }));
      const bytes = enc.lines(records);
      expect(bytes.toString('utf8')).toBe(reference(records));
      held.push([bytes, Buffer.from(bytes)]);
    }
    expect(first.equals(copy)).toBe(true);
    for (const [bytes, was] of held) expect(bytes.equals(was)).toBe(true);
  });
});
