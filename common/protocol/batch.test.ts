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
    const cases = [good.subarray(0, good.length - 3), Buffer.concat([good, Buffer.from([0x01])]), new Uint8Array(0), Buffer.from([0xc1, 0xff, 0x00]), Buffer.from([0x81])];
    for (const p of cases) expect(rejection(p).message).toMatch(/msgpack|version/);
  });

  it('rejects another version, or none, naming it', () => {
    expect(rejection(encode({ v: BATCH_VERSION + 1, r: [] })).message).toContain(`version ${BATCH_VERSION + 1}`);
    expect(rejection(encode({ r: ['a'] })).message).toContain('version undefined');
    expect(rejection(encode({ v: '1', r: ['a'] })).message).toContain('version 1 (this build');
    rejection(encode(['a', 'b']));
    rejection(encode('batch'));
  });

  it('rejects a malformed envelope: records, timestamps, marker', () => {
    const bad = [
      { v: 1 },
      { v: 1, r: 'abc' },
      { v: 1, r: { 0: 'a' } },
      { v: 1, r: ['a', 'b'], t: [1] },
      { v: 1, r: ['a'], t: ['noon'] },
      { v: 1, r: ['a'], t: 5 },
      { v: 1, r: ['a', 'b'], k: [1] },
      { v: 1, r: ['a'], k: [-1] },
      { v: 1, r: ['a'], k: [1.5] },
      { v: 1, r: ['a'], k: [32768] },
      { v: 1, r: ['a'], k: ['1'] },
      { v: 1, r: ['a'], k: 1 },
      { v: 1, r: [], m: 'eop' },
      { v: 1, r: [], m: { kind: 'explode' } },
      { v: 1, r: [], m: { kind: 'barrier' } },
      { v: 1, r: [], m: { kind: 'barrier', id: 0 } },
      { v: 1, r: [], m: { kind: 'barrier', id: 1.5 } },
      { v: 1, r: [], m: { kind: 'watermark', timestamp: '10' } },
      { v: 1, r: [], m: { kind: 'watermark', timestamp: NaN } },
      { v: 1, r: [], m: { kind: 'status', idle: 'yes' } },
    ];
    for (const w of bad) expect(rejection(encode(w)).message).toMatch(/batch is not valid: \S+/);
    expect(rejection(encode({ v: 1, r: ['a', 'b'], t: [1] })).message).toContain('t: must be 2 numbers or nulls');
    expect(rejection(encode({ v: 1, r: ['a', 'b'], k: [1, -1] })).message).toContain('k: must be 2 key groups');
  });

  it('does not look into the records: any value is a record', () => {
    const records = [undefined, [1, [2]], { nested: { deep: true } }, 'ü', -0.5];
    expect(decodeBatch(encode({ v: 1, r: records })).records).toEqual(records);
  });
});
