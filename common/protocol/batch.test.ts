import { BatchFormatError } from '../errors';
import { BATCH_VERSION, decodeBatch, encodeBatch, type Batch } from './batch';
import { encode } from './codec';

/** The BatchFormatError decodeBatch throws, or a failure if it returns. */
function rejection(payload: unknown): BatchFormatError {
  try {
    decodeBatch(payload);
  } catch (err) {
    expect(err).toBeInstanceOf(BatchFormatError);
    expect((err as BatchFormatError).code).toBe('BATCH_FORMAT');
    return err as BatchFormatError;
  }
  throw new Error(`decodeBatch accepted ${String(payload)}`);
}

const batch: Batch = {
  records: [{ word: 'a', count: 1 }, 'b', 3, null],
  timestamps: [5, null, 7, 8],
  keyGroups: [0, 127, 5, 32767],
  marker: { kind: 'barrier', id: 2 },
  bytes: 0,
};
const good = encodeBatch(batch);
const V = BATCH_VERSION;

describe('decodeBatch', () => {
  it('round-trips a batch, its size in bytes as `bytes`', () => {
    expect(decodeBatch(good)).toEqual({ ...batch, bytes: good.byteLength });
  });

  it('returns an encoding of its own, not msgpackr’s reused buffer', () => {
    const a = encodeBatch({ records: ['a'], bytes: 0 });
    encodeBatch({ records: ['zzzz'], bytes: 0 });
    expect(decodeBatch(a).records).toEqual(['a']);
    expect(a.byteOffset).toBe(0);
    expect(a.buffer.byteLength).toBe(a.byteLength);
  });

  it('rejects what is not bytes', () => {
    for (const p of ['batch', 42, null, undefined, { v: 1, r: [] }, [1]]) rejection(p);
  });

  it('rejects truncated bytes, trailing garbage, empty and random bytes', () => {
    const cases = [
      good.subarray(0, good.length - 3),
      Buffer.concat([good, Buffer.from([0x01])]),
      new Uint8Array(0),
      Buffer.from([0xc1, 0xff, 0x00]),
      Buffer.from([0x81]),
    ];
    for (const p of cases) expect(rejection(p).message).toMatch(/msgpack|version/);
  });

  it('rejects another version, or none, naming it', () => {
    expect(rejection(encode({ v: BATCH_VERSION + 1, r: [] })).message).toContain(`version ${BATCH_VERSION + 1}`);
    expect(rejection(encode({ v: 1, r: [{ word: 'a', count: 1 }] })).message).toContain(
      'version 1 (this build reads version 2)',
    );
    expect(rejection(encode({ r: ['a'] })).message).toContain('version undefined');
    expect(rejection(encode({ v: String(BATCH_VERSION), r: ['a'] })).message).toContain(
      `version ${BATCH_VERSION} (this build`,
    );
    rejection(encode(['a', 'b']));
    rejection(encode('batch'));
  });

  it('rejects a malformed envelope: records, timestamps, marker', () => {
    const bad = [
      { v: V },
      { v: V, r: 'abc' },
      { v: V, r: { 0: 'a' } },
      { v: V, r: ['a', 'b'], t: [1] },
      { v: V, r: ['a'], t: ['noon'] },
      { v: V, r: ['a'], t: 5 },
      { v: V, r: ['a', 'b'], k: [1] },
      { v: V, r: ['a'], k: [-1] },
      { v: V, r: ['a'], k: [1.5] },
      { v: V, r: ['a'], k: [32768] },
      { v: V, r: ['a'], k: ['1'] },
      { v: V, r: ['a'], k: 1 },
      { v: V, r: [], m: 'eop' },
      { v: V, r: [], m: { kind: 'explode' } },
      { v: V, r: [], m: { kind: 'barrier' } },
      { v: V, r: [], m: { kind: 'barrier', id: 0 } },
      { v: V, r: [], m: { kind: 'barrier', id: 1.5 } },
      { v: V, r: [], m: { kind: 'watermark', timestamp: '10' } },
      { v: V, r: [], m: { kind: 'watermark', timestamp: NaN } },
      { v: V, r: [], m: { kind: 'status', idle: 'yes' } },
    ];
    for (const w of bad) expect(rejection(encode(w)).message).toMatch(/batch is not valid: \S+/);
    expect(rejection(encode({ v: V, r: ['a', 'b'], t: [1] })).message).toContain('t: must be 2 numbers or nulls');
    expect(rejection(encode({ v: V, r: ['a', 'b'], k: [1, -1] })).message).toContain('k: must be 2 key groups');
  });

  it('does not look into the records: any value is a record', () => {
    const records = [undefined, [1, [2]], { nested: { deep: true } }, 'ü', -0.5];
    expect(decodeBatch(encode({ v: V, r: records })).records).toEqual(records);
  });
});

/** A seeded generator (mulberry32), so that a failing case can be re-run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random JSON value: objects of few and of many shapes, nested, with strings, numbers, arrays, null. */
function jsonValue(rnd: () => number, depth = 0): unknown {
  const pick = Math.floor(rnd() * (depth > 3 ? 6 : 9));
  const int = (n: number) => Math.floor(rnd() * n);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return rnd() < 0.5;
    case 2:
      return int(300) - 100; // fixints 0x40…0x7f among them: the ids of shapes
    case 3:
      return [2 ** 31, -(2 ** 40), 1.5, -0.25, 1e300, Number.MAX_SAFE_INTEGER][int(6)];
    case 4:
      return ['', 'word', 'ü€😀', 'x'.repeat(int(300)), '0x41', 'kind'][int(6)];
    case 5:
      return rnd() * 1e6 - 5e5;
    case 6:
      return Array.from({ length: int(5) }, () => jsonValue(rnd, depth + 1));
    default: {
      // field names from a small pool: the same shape recurs, in other orders too
      const names = ['word', 'count', 'a', 'b', 'nested', 'ü', '', 'with space', 'constructor', '0'];
      const o: Record<string, unknown> = {};
      for (let i = int(5); i > 0; i--) o[names[int(names.length)]!] = jsonValue(rnd, depth + 1);
      return o;
    }
  }
}

describe('batch version 2: each object shape once per batch', () => {
  it('round-trips random records of mixed shapes exactly (JSON deep-equality)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const rnd = random(seed);
      const records = Array.from({ length: Math.floor(rnd() * 600) }, () => jsonValue(rnd));
      const back = decodeBatch(encodeBatch({ records, bytes: 0 })).records;
      expect(JSON.stringify(back)).toBe(JSON.stringify(records));
      expect(back).toEqual(records);
    }
  });

  it('round-trips a batch of more shapes than one-byte shape ids (64)', () => {
    const records = Array.from({ length: 300 }, (_, i) => ({
      [`f${i % 150}`]: i,
      [`g${i % 7}`]: { [`h${i % 90}`]: [i] },
    }));
    expect(decodeBatch(encodeBatch({ records, bytes: 0 })).records).toEqual(records);
  });

  it('writes the field names of a shape once per batch, not once per record', () => {
    const records = Array.from({ length: 512 }, (_, i) => ({ word: `w${i}`, count: i }));
    const bytes = Buffer.from(encodeBatch({ records, bytes: 0 }));
    const occurrences = (s: string) => bytes.toString('latin1').split(s).length - 1;
    expect(occurrences('word')).toBe(1);
    expect(occurrences('count')).toBe(1);
  });

  it('decodes every batch alone: no shape outlives the batch that defined it', () => {
    const a = encodeBatch({ records: [{ word: 'a', count: 1 }], bytes: 0 });
    const b = encodeBatch({
      records: [
        { x: 1, y: 2 },
        { x: 3, y: 4 },
      ],
      bytes: 0,
    });
    expect(decodeBatch(b).records).toEqual([
      { x: 1, y: 2 },
      { x: 3, y: 4 },
    ]);
    expect(decodeBatch(a).records).toEqual([{ word: 'a', count: 1 }]);
    expect(decodeBatch(b).records).toEqual([
      { x: 1, y: 2 },
      { x: 3, y: 4 },
    ]);
    // 0x41 was the records' shape id in both; a batch without its definition reads the number 65
    const undefinedRef = Buffer.from('82a176' + '02' + 'a172' + '9141', 'hex');
    expect(decodeBatch(undefinedRef).records).toEqual([65]);
  });

  it('takes plain msgpack maps (another writer, or version 1 records) as records', () => {
    const records = [{ word: 'a', count: 1 }, { nested: { m: [1, { n: null }] } }];
    expect(decodeBatch(encode({ v: V, r: records })).records).toEqual(records);
  });

  it('rejects wrong shape definitions and impossible lengths with a BatchFormatError', () => {
    const envelope = (records: string) => Buffer.from('82a17602a172' + records, 'hex');
    const cases = [
      envelope('91d47240a3616263'), // a definition that is a string, not field names
      envelope('91d4724091' + '80'), // a field name that is a map
      envelope('91d4724091' + '90'), // a field name that is an array
      envelope('91d4724092a161a162' + '01'), // two fields, one value
      envelope('91d4724092a161'), // definition cut short
      envelope('91d472'), // extension cut short
      envelope('dd' + 'ffffffff' + '01'), // 4 G records claimed, one sent
      envelope('91df' + 'ffffffff' + 'a16101'), // a map of 4 G entries claimed
      envelope('91db' + 'ffffffff' + '61'), // a string of 4 GB claimed
      envelope('91c6' + 'ffffffff' + '00'), // binary of 4 GB claimed
      envelope('91d47240dd' + 'ffffffff'), // a definition of 4 G field names claimed
    ];
    for (const p of cases) rejection(p);
  });

  it('never throws anything but a BatchFormatError on corrupted bytes: truncated or with random bytes changed', () => {
    const rnd = random(42);
    const records = Array.from({ length: 40 }, () => jsonValue(rnd));
    const bytes = Buffer.from(
      encodeBatch({ records, timestamps: records.map((_, i) => i), marker: { kind: 'barrier', id: 3 }, bytes: 0 }),
    );
    const tryDecode = (p: Uint8Array) => {
      try {
        decodeBatch(p);
      } catch (err) {
        if (!(err instanceof BatchFormatError)) throw err;
      }
    };
    for (let n = 0; n < bytes.length; n++) tryDecode(bytes.subarray(0, n));
    for (let i = 0; i < 3000; i++) {
      const p = Buffer.from(bytes);
      for (let j = 1 + Math.floor(rnd() * 4); j > 0; j--) p[Math.floor(rnd() * p.length)] = Math.floor(rnd() * 256);
      tryDecode(p);
    }
  });
});
