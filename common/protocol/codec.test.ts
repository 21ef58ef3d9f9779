import { z } from 'zod';
import { ProtocolError } from '../errors';
import type { DeploymentPlan } from '../plan';
import { decodeBatch, encodeBatch, type Batch } from './batch';
import { decode, decodeFrame, encode, encodeFrame, PROTOCOL_VERSION, type Frame } from './codec';
import {
  CancelFrame,
  DeployFrame,
  HeartbeatFrame,
  JmToTmFrame,
  RegisteredFrame,
  RegisterFrame,
  TaskStateFrame,
  TmToJmFrame,
  type Outgoing,
} from './control';
import { CreditFrame, DataConnectionFrame, DataFrame, HelloFrame } from './data';

/** The ProtocolError decodeFrame throws, or a failure if it returns. */
/** A frame that is not one of the protocol (encodeFrame would not compile it), as a peer could send it. */
const raw = (frame: object): Buffer => encode({ v: PROTOCOL_VERSION, ...frame });

function rejection(schema: z.ZodType, data: unknown): ProtocolError {
  try {
    decodeFrame(schema, data);
  } catch (err) {
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe('PROTOCOL_ERROR');
    return err as ProtocolError;
  }
  throw new Error(`decodeFrame accepted ${JSON.stringify(data)}`);
}

const counters = {
  jobId: 'job-1',
  attempt: 2,
  vertex: 'lines',
  subtask: 3,
  recordsIn: 10,
  recordsOut: 2 ** 40, // beyond 32 bits: must come back as the same number
  bytesIn: 12345.5,
  backPressuredMs: 0,
  busyMs: 17,
  operatorBuckets: [0, 3, 5, 5, 5, 5, 5, 5, 5, 5],
  operatorSeconds: 0.0021,
  operatorCount: 5,
};

const plan: DeploymentPlan = {
  jobId: 'job-1',
  attempt: 0,
  name: 'wordcount',
  maxParallelism: 128,
  vertices: [
    {
      id: 'lines',
      name: 'lines -> words',
      parallelism: 2,
      nodes: [
        { id: 'lines', type: 'source', inputs: [], connector: { kind: 'file', path: '/data/in.txt' } },
        { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
      ],
    },
    {
      id: 'counts',
      name: 'counts -> out',
      parallelism: 2,
      nodes: [
        { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
        { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'stdout' } },
      ],
    },
  ],
  edges: [{ id: 'words->counts', source: 'lines', target: 'counts', partitioner: 'hash', keyBy: 'word' }],
  slots: [
    { tm: 'tm-a', slot: 0 },
    { tm: 'tm-b', slot: 0 },
  ],
  peers: { 'tm-a': 'ws://127.0.0.1:7001', 'tm-b': 'ws://127.0.0.1:7002' },
  functionsCode: 'module.exports = { f: (x) => x };',
  checkpointing: { interval: 1000, mode: 'exactly-once', timeout: 60000 },
};

describe('encode / decode', () => {
  it('round-trips plain values', () => {
    const value = { a: [1, 'two', null, true], b: { c: -3.25 }, s: 'Grüße 東京 😀' };
    expect(decode(encode(value))).toEqual(value);
  });

  it('encodeFrame adds the protocol version', () => {
    expect(decode(encodeFrame({ t: 'cancel', jobId: 'x' }))).toEqual({ v: PROTOCOL_VERSION, t: 'cancel', jobId: 'x' });
  });
});

describe('decodeFrame rejects', () => {
  const good = encodeFrame({ t: 'cancel', jobId: 'job-1' });

  it('non-binary data', () => {
    for (const data of [
      '{"v":1,"t":"cancel","jobId":"x"}',
      42,
      null,
      undefined,
      { v: 1, t: 'cancel', jobId: 'x' },
      [1, 2],
    ]) {
      expect(rejection(JmToTmFrame, data).message).toMatch(/binary/);
    }
  });

  it('an ArrayBuffer (not a Uint8Array view)', () => {
    const ab = good.buffer.slice(good.byteOffset, good.byteOffset + good.byteLength);
    rejection(JmToTmFrame, ab);
  });

  it('bytes that are not msgpack: truncated, trailing garbage, empty, text', () => {
    const cases = [
      good.subarray(0, good.length - 2),
      Buffer.concat([good, Buffer.from([0x01])]),
      Buffer.alloc(0),
      Buffer.from('hello world'),
      Buffer.from([0x81]), // a map of one entry, with no entry
    ];
    for (const data of cases) expect(rejection(JmToTmFrame, data).message).toMatch(/msgpack/);
  });

  it('msgpack that is not a map with the protocol version', () => {
    const cases = [
      encode(1),
      encode('cancel'),
      encode(null),
      encode([1, 'cancel']),
      encode({ t: 'cancel', jobId: 'x' }),
      encode({ v: 2, t: 'cancel', jobId: 'x' }),
      encode({ v: 0, t: 'cancel', jobId: 'x' }),
      encode({ v: '1', t: 'cancel', jobId: 'x' }),
    ];
    for (const data of cases) expect(rejection(JmToTmFrame, data).message).toMatch(/protocol version 1/);
  });

  it('an unknown type tag, naming it', () => {
    const err = rejection(JmToTmFrame, raw({ t: 'self-destruct', jobId: 'x' }));
    expect(err.message).toContain('self-destruct');
  });

  it('a frame kind this endpoint does not accept', () => {
    // a TM→JM frame arriving at a TM
    rejection(JmToTmFrame, raw({ t: 'register', tmId: 'tm', slots: 2, dataAddress: 'ws://x' }));
    // a control frame on a data connection
    rejection(DataConnectionFrame, raw({ t: 'cancel', jobId: 'x' }));
  });

  it('a missing tag', () => {
    rejection(JmToTmFrame, encode({ v: 1, jobId: 'x' }));
  });

  it('missing or mistyped fields, naming the field', () => {
    expect(rejection(JmToTmFrame, raw({ t: 'cancel' })).message).toContain('jobId');
    expect(rejection(TmToJmFrame, raw({ t: 'register', tmId: 'tm', dataAddress: 'ws://x' })).message).toContain(
      'slots',
    );
    rejection(TmToJmFrame, raw({ t: 'register', tmId: 'tm', slots: 0, dataAddress: 'ws://x' }));
    rejection(TmToJmFrame, raw({ t: 'register', tmId: '', slots: 2, dataAddress: 'ws://x' }));
    rejection(TmToJmFrame, raw({ t: 'register', tmId: 'tm', slots: 1.5, dataAddress: 'ws://x' }));
    rejection(TmToJmFrame, raw({ t: 'heartbeat', tmId: 'tm', queuedBytes: 0, tasks: [{ jobId: 'j' }] }));
    rejection(
      TmToJmFrame,
      raw({ t: 'task-state', jobId: 'j', attempt: 0, vertex: 'v', subtask: 0, state: 'EXPLODED' }),
    );
    rejection(JmToTmFrame, raw({ t: 'registered' }));
    rejection(JmToTmFrame, raw({ t: 'deploy', plan: { ...plan, slots: undefined }, tasks: [] }));
    rejection(JmToTmFrame, raw({ t: 'deploy', plan, tasks: [{ vertex: 'lines', subtask: -1 }] }));
    expect(rejection(DataConnectionFrame, raw({ t: 'data', ch: 'c', slot: 0 })).message).toContain('payload');
    rejection(DataConnectionFrame, raw({ t: 'data', ch: 'c', slot: 0, payload: 'not bytes' }));
    rejection(DataConnectionFrame, raw({ t: 'credit', ch: 'c', slot: 0, n: 0 }));
    rejection(DataConnectionFrame, raw({ t: 'credit', ch: 'c', slot: -1, n: 1 }));
    rejection(DataConnectionFrame, raw({ t: 'hello' }));
  });
});

describe('decodeFrame round-trips every frame kind', () => {
  /** encodeFrame → decodeFrame through both the single-kind schema and the endpoint's union. */
  function roundTrip(single: z.ZodType, union: z.ZodType, frame: Outgoing<Frame>): unknown {
    const bytes = encodeFrame(frame);
    const viaSingle = decodeFrame(single, bytes);
    const viaUnion = decodeFrame(union, bytes);
    expect(viaUnion).toEqual(viaSingle);
    // also from a plain Uint8Array, as some WebSocket stacks deliver
    expect(decodeFrame(union, new Uint8Array(bytes))).toEqual(viaSingle);
    return viaSingle;
  }

  type AnyFrame = Outgoing<Frame>;
  const controlFrames: [string, z.ZodType, z.ZodType, AnyFrame][] = [
    [
      'register',
      RegisterFrame,
      TmToJmFrame,
      { t: 'register', tmId: 'tm-1', slots: 4, dataAddress: 'ws://10.0.0.2:6121' },
    ],
    ['heartbeat', HeartbeatFrame, TmToJmFrame, { t: 'heartbeat', tmId: 'tm-1', queuedBytes: 1024, tasks: [counters] }],
    ['heartbeat (no tasks)', HeartbeatFrame, TmToJmFrame, { t: 'heartbeat', tmId: 'tm-1', queuedBytes: 0, tasks: [] }],
    [
      'task-state',
      TaskStateFrame,
      TmToJmFrame,
      { t: 'task-state', jobId: 'job-1', attempt: 1, vertex: 'lines', subtask: 0, state: 'RUNNING' },
    ],
    [
      'task-state (failed, with error and counters)',
      TaskStateFrame,
      TmToJmFrame,
      {
        t: 'task-state',
        jobId: 'job-1',
        attempt: 1,
        vertex: 'counts',
        subtask: 1,
        state: 'FAILED',
        error: { message: 'operator "x" threw: boom', stack: 'Error: boom\n    at f (fns.js:1:1)' },
        counters,
      },
    ],
    ['registered', RegisteredFrame, JmToTmFrame, { t: 'registered', heartbeatIntervalMs: 2000 }],
    [
      'deploy',
      DeployFrame,
      JmToTmFrame,
      {
        t: 'deploy',
        plan,
        tasks: [
          { vertex: 'lines', subtask: 0 },
          { vertex: 'counts', subtask: 1 },
        ],
      },
    ],
    ['cancel', CancelFrame, JmToTmFrame, { t: 'cancel', jobId: 'job-1' }],
  ];

  for (const [name, single, union, frame] of controlFrames) {
    it(`control: ${name}`, () => {
      expect(roundTrip(single, union, frame)).toEqual({ v: PROTOCOL_VERSION, ...frame });
    });
  }

  it('data: hello', () => {
    const frame = { t: 'hello', tmId: 'tm-2' } as const;
    expect(roundTrip(HelloFrame, DataConnectionFrame, frame)).toEqual({ v: 1, ...frame });
  });

  it('data: data, with its binary payload intact', () => {
    const payload = encode({ records: ['a', { word: 'b', count: 2 }], bytes: 0 });
    const frame = {
      t: 'data',
      ch: 'job-1/0/words->counts/1/0',
      slot: 1,
      payload: payload as Uint8Array<ArrayBuffer>,
    } as const;
    const got = roundTrip(DataFrame, DataConnectionFrame, frame) as z.infer<typeof DataFrame>;
    expect(got.t).toBe('data');
    expect(got.ch).toBe(frame.ch);
    expect(got.slot).toBe(1);
    expect(got.payload).toBeInstanceOf(Uint8Array);
    expect(Array.from(got.payload)).toEqual(Array.from(payload));
    expect(decode(got.payload)).toEqual({ records: ['a', { word: 'b', count: 2 }], bytes: 0 });
  });

  it('data: an empty payload', () => {
    const got = roundTrip(DataFrame, DataConnectionFrame, {
      t: 'data',
      ch: 'c',
      slot: 0,
      payload: new Uint8Array(0),
    }) as {
      payload: Uint8Array;
    };
    expect(got.payload).toHaveLength(0);
  });

  it('data: credit', () => {
    const frame = { t: 'credit' as const, ch: 'job-1/0/words->counts/1/0', slot: 3, n: 4 };
    expect(roundTrip(CreditFrame, DataConnectionFrame, frame)).toEqual({ v: 1, ...frame });
  });
});

/**
 * The bytes of one frame of each kind. A change here is a change of the wire format: bump
 * PROTOCOL_VERSION or make sure both ends still understand each other, then update the fixture.
 */
const FIXTURE_REGISTER =
  'de0005a17601a174a87265676973746572a4746d4964a4746d2d31a5736c6f747302ab6461746141646472657373a877733a2f2f683a31';
const FIXTURE_REGISTERED = 'de0003a17601a174aa72656769737465726564b3686561727462656174496e74657276616c4d73cd03e8';
const FIXTURE_CANCEL = 'de0003a17601a174a663616e63656ca56a6f624964a16a';
const FIXTURE_TRIGGER =
  'de0006a17601a174b2747269676765722d636865636b706f696e74a56a6f624964a16aa7617474656d707400ac636865636b706f696e74496401a974696d657374616d7005';
const FIXTURE_HELLO = 'de0003a17601a174a568656c6c6fa4746d4964a4746d2d31';
const FIXTURE_CREDIT = 'de0005a17601a174a6637265646974a26368a96a2f302f652f302f31a4736c6f7400a16e04';
const FIXTURE_DATA = 'de0005a17601a174a464617461a26368a96a2f302f652f302f31a4736c6f7401a77061796c6f6164c4020102';
const FIXTURE_CHALLENGE = 'de0003a17601a174a96368616c6c656e6765a56e6f6e6365b030313233343536373839616263646566';

describe('wire fixtures', () => {
  const fixtures: [Outgoing<Frame>, string][] = [
    [{ t: 'register', tmId: 'tm-1', slots: 2, dataAddress: 'ws://h:1' }, FIXTURE_REGISTER],
    [{ t: 'registered', heartbeatIntervalMs: 1000 }, FIXTURE_REGISTERED],
    [{ t: 'cancel', jobId: 'j' }, FIXTURE_CANCEL],
    [{ t: 'trigger-checkpoint', jobId: 'j', attempt: 0, checkpointId: 1, timestamp: 5 }, FIXTURE_TRIGGER],
    [{ t: 'hello', tmId: 'tm-1' }, FIXTURE_HELLO],
    [{ t: 'credit', ch: 'j/0/e/0/1', slot: 0, n: 4 }, FIXTURE_CREDIT],
    [{ t: 'data', ch: 'j/0/e/0/1', slot: 1, payload: new Uint8Array([1, 2]) }, FIXTURE_DATA],
    [{ t: 'challenge', nonce: '0123456789abcdef' }, FIXTURE_CHALLENGE],
  ];
  it.each(fixtures.map(([f, hex]) => [f.t, f, hex] as const))('%s', (_, frame, hex) => {
    expect(encodeFrame(frame).toString('hex')).toBe(hex);
  });
});

/**
 * The bytes of data-plane batches (./batch.ts), one per shape a channel sends. A change here is a
 * change of the batch format: bump BATCH_VERSION, then update the fixture. Version 2: `d4 72 <id>`
 * defines a shape (its field names follow as an array) where an object of it first appears; `<id>`
 * (0x40…) alone refers to it later, as the second record of 'key groups' does with 41.
 */
describe('batch wire fixtures', () => {
  const fixtures: [string, Omit<Batch, 'bytes'>, string][] = [
    [
      'records',
      { records: ['a', { word: 'b', count: 2 }] },
      'd4724092a176a1720292a161d4724192a4776f7264a5636f756e74a16202',
    ],
    [
      'timestamps',
      { records: [{ n: 1 }, { n: 2 }], timestamps: [1000, null] },
      'd4724093a176a172a1740292d4724191a16e01410292cd03e8c0',
    ],
    // keyGroupFor('a', 128) = 81, keyGroupFor('b', 128) = 22: a hash-partitioned channel's batch
    [
      'key groups',
      {
        records: [
          { word: 'a', count: 1 },
          { word: 'b', count: 1 },
        ],
        keyGroups: [81, 22],
      },
      'd4724093a176a172a16b0292d4724192a4776f7264a5636f756e74a1610141a1620192cc5116',
    ],
    ['eop', { records: [], marker: { kind: 'eop' } }, 'd4724093a176a172a16d0290d4724191a46b696e64a3656f70'],
    [
      'barrier',
      { records: ['x'], marker: { kind: 'barrier', id: 7 } },
      'd4724093a176a172a16d0291a178d4724192a46b696e64a26964a76261727269657207',
    ],
    [
      'watermark',
      { records: [], marker: { kind: 'watermark', timestamp: 1500 } },
      'd4724093a176a172a16d0290d4724192a46b696e64a974696d657374616d70a977617465726d61726bcd05dc',
    ],
    [
      'watermark +Infinity (end of input)',
      { records: [], marker: { kind: 'watermark', timestamp: Infinity } },
      'd4724093a176a172a16d0290d4724192a46b696e64a974696d657374616d70a977617465726d61726bcb7ff0000000000000',
    ],
    [
      'status',
      { records: [], marker: { kind: 'status', idle: true } },
      'd4724093a176a172a16d0290d4724192a46b696e64a469646c65a6737461747573c3',
    ],
  ];
  it.each(fixtures)('%s', (_, batch, hex) => {
    expect(Buffer.from(encodeBatch({ ...batch, bytes: 0 })).toString('hex')).toBe(hex);
    expect(decodeBatch(Buffer.from(hex, 'hex'))).toEqual({ ...batch, bytes: hex.length / 2 });
  });
});
