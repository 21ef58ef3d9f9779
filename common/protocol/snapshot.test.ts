import { randomBytes } from 'node:crypto';
import { SnapshotFormatError } from '../errors';
import { encode } from './codec';
import {
  decodeSnapshot,
  encodeSnapshot,
  parseSavepointMetadata,
  SAVEPOINT_VERSION,
  SNAPSHOT_VERSION,
} from './snapshot';

const snapshot = {
  source: { uid: 'lines', position: { splits: [{ range: [0, 2], offset: 17 }] } },
  keyed: { counts: [[3, [['alpha', 2]]]] as [number, [unknown, unknown][]][] },
  sink: { uid: 'out', state: { subtask: 0, pending: [4] } },
};

const metadata = {
  version: SAVEPOINT_VERSION,
  jobId: 'abc',
  jobName: 'wc',
  checkpointId: 4,
  maxParallelism: 128,
  createdAt: 1,
  tasks: [
    {
      vertex: 'counts',
      subtask: 0,
      parallelism: 2,
      uids: ['counts', 'out'],
      file: 'counts-0.bin',
      size: 10,
      sha256: 'a'.repeat(64),
    },
  ],
};

describe('task snapshots', () => {
  it('round-trip with their version', () => {
    expect(decodeSnapshot(encodeSnapshot(snapshot))).toEqual({ version: SNAPSHOT_VERSION, ...snapshot });
  });

  it('an asyncMap queue round-trips: records with and without event time, watermarks up to the end of time', () => {
    const async = {
      enrich: [
        { kind: 'record' as const, value: { id: 1 }, timestamp: 5 },
        { kind: 'watermark' as const, watermark: 9 },
        { kind: 'record' as const, value: 'untimed' },
        { kind: 'watermark' as const, watermark: Infinity },
      ],
    };
    expect(decodeSnapshot(encodeSnapshot({ ...snapshot, async }))).toEqual({
      version: SNAPSHOT_VERSION,
      ...snapshot,
      async,
    });
  });

  it('version 1 reads as it was while no asyncMap queue held records, and is refused, naming the queue, when one did', () => {
    expect(decodeSnapshot(encode({ ...snapshot, version: 1, async: { enrich: [] } }))).toEqual({
      version: SNAPSHOT_VERSION,
      ...snapshot,
      async: { enrich: [] },
    });
    expect(decodeSnapshot(encode({ ...snapshot, version: 1 }))).toEqual({ version: SNAPSHOT_VERSION, ...snapshot });
    // Version 1 kept only the inputs: their event times and the watermarks behind them are gone.
    expect(() =>
      decodeSnapshot(encode({ ...snapshot, version: 1, async: { enrich: [{ id: 1 }, { id: 2 }] } }), 'snapshot a.bin'),
    ).toThrow(
      /snapshot a\.bin has version 1, whose asyncMap "enrich" holds 2 record\(s\) saved without their event time and the watermarks between them; this build \(version 2\) cannot restore them/,
    );
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['random bytes', randomBytes(200), /task snapshot/],
    ['truncated', encodeSnapshot(snapshot).subarray(0, 20), /task snapshot/],
    ['another version', encode({ ...snapshot, version: 7 }), /version 7 \(this build reads version 1 or 2\)/],
    ['no version', encode(snapshot), /not valid: version/],
    [
      'keyed state of the wrong shape',
      encode({ version: SNAPSHOT_VERSION, keyed: { counts: { alpha: 2 } } }),
      /not valid: keyed\.counts/,
    ],
    [
      'version 1 of the wrong shape',
      encode({ version: 1, keyed: { counts: { alpha: 2 } } }),
      /not valid: keyed\.counts/,
    ],
    [
      'an asyncMap queue of bare inputs',
      encode({ ...snapshot, version: SNAPSHOT_VERSION, async: { enrich: [{ id: 1 }] } }),
      /not valid: async\.enrich\.0/,
    ],
    [
      'a watermark that is not a number',
      encode({ ...snapshot, version: SNAPSHOT_VERSION, async: { enrich: [{ kind: 'watermark', watermark: NaN }] } }),
      /not valid: async\.enrich\.0\.watermark/,
    ],
    ['not an object', encode('hello'), /not valid/],
  ];
  it.each(bad)('%s: a SnapshotFormatError with code SNAPSHOT_FORMAT', (_, bytes, message) => {
    let err: unknown;
    try {
      decodeSnapshot(bytes);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SnapshotFormatError);
    expect((err as SnapshotFormatError).code).toBe('SNAPSHOT_FORMAT');
    expect((err as Error).message).toMatch(message);
  });
});

describe('savepoint metadata', () => {
  it('parses what the JobManager writes', () => {
    expect(parseSavepointMetadata(JSON.stringify(metadata))).toEqual(metadata);
  });

  const text = JSON.stringify(metadata);
  const bad: [string, string, RegExp][] = [
    ['garbage', '\u0000\u00ffxx', /not JSON/],
    ['truncated', text.slice(0, text.length - 5), /not JSON/],
    ['a newer version', JSON.stringify({ ...metadata, version: 2 }), /version 2 \(this build reads version 1\)/],
    [
      'a file outside the directory',
      JSON.stringify({ ...metadata, tasks: [{ ...metadata.tasks[0], file: '../x.bin' }] }),
      /tasks\.0\.file/,
    ],
    ['no tasks', JSON.stringify({ ...metadata, tasks: undefined }), /not valid: tasks/],
  ];
  it.each(bad)('%s: a SnapshotFormatError naming the problem', (_, t, message) => {
    expect(() => parseSavepointMetadata(t)).toThrow(SnapshotFormatError);
    expect(() => parseSavepointMetadata(t)).toThrow(message);
  });
});
