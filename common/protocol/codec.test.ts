import { z } from 'zod';
import { ProtocolError } from '../errors';
import type { DeploymentPlan } from '../plan';
import { decode, decodeFrame, encode, encodeFrame, PROTOCOL_VERSION } from './codec';
import {
  CancelFrame,
  DeployFrame,
  HeartbeatFrame,
  JmToTmFrame,
  RegisteredFrame,
  RegisterFrame,
  TaskStateFrame,
  TmToJmFrame,
} from './control';
import { CreditFrame, DataConnectionFrame, DataFrame, HelloFrame } from './data';

/** The ProtocolError decodeFrame throws, or a failure if it returns. */
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
    for (const data of ['{"v":1,"t":"cancel","jobId":"x"}', 42, null, undefined, { v: 1, t: 'cancel', jobId: 'x' }, [1, 2]]) {
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
    const err = rejection(JmToTmFrame, encodeFrame({ t: 'self-destruct', jobId: 'x' }));
    expect(err.message).toContain('self-destruct');
  });

  it('a frame kind this endpoint does not accept', () => {
    // a TM→JM frame arriving at a TM
    rejection(JmToTmFrame, encodeFrame({ t: 'register', tmId: 'tm', slots: 2, dataAddress: 'ws://x' }));
    // a control frame on a data connection
    rejection(DataConnectionFrame, encodeFrame({ t: 'cancel', jobId: 'x' }));
  });

  it('a missing tag', () => {
    rejection(JmToTmFrame, encode({ v: 1, jobId: 'x' }));
  });

  it('missing or mistyped fields, naming the field', () => {
    expect(rejection(JmToTmFrame, encodeFrame({ t: 'cancel' })).message).toContain('jobId');
    expect(rejection(TmToJmFrame, encodeFrame({ t: 'register', tmId: 'tm', dataAddress: 'ws://x' })).message).toContain('slots');
    rejection(TmToJmFrame, encodeFrame({ t: 'register', tmId: 'tm', slots: 0, dataAddress: 'ws://x' }));
    rejection(TmToJmFrame, encodeFrame({ t: 'register', tmId: '', slots: 2, dataAddress: 'ws://x' }));
    rejection(TmToJmFrame, encodeFrame({ t: 'register', tmId: 'tm', slots: 1.5, dataAddress: 'ws://x' }));
    rejection(TmToJmFrame, encodeFrame({ t: 'heartbeat', tmId: 'tm', queuedBytes: 0, tasks: [{ jobId: 'j' }] }));
    rejection(TmToJmFrame, encodeFrame({ t: 'task-state', jobId: 'j', attempt: 0, vertex: 'v', subtask: 0, state: 'EXPLODED' }));
    rejection(JmToTmFrame, encodeFrame({ t: 'registered' }));
    rejection(JmToTmFrame, encodeFrame({ t: 'deploy', plan: { ...plan, slots: undefined }, tasks: [] }));
    rejection(JmToTmFrame, encodeFrame({ t: 'deploy', plan, tasks: [{ vertex: 'lines', subtask: -1 }] }));
    expect(rejection(DataConnectionFrame, encodeFrame({ t: 'data', ch: 'c', slot: 0 })).message).toContain('payload');
    rejection(DataConnectionFrame, encodeFrame({ t: 'data', ch: 'c', slot: 0, payload: 'not bytes' }));
    rejection(DataConnectionFrame, encodeFrame({ t: 'credit', ch: 'c', slot: 0, n: 0 }));
    rejection(DataConnectionFrame, encodeFrame({ t: 'credit', ch: 'c', slot: -1, n: 1 }));
    rejection(DataConnectionFrame, encodeFrame({ t: 'hello' }));
  });
});

describe('decodeFrame round-trips every frame kind', () => {
  /** encodeFrame → decodeFrame through both the single-kind schema and the endpoint's union. */
  function roundTrip(single: z.ZodType, union: z.ZodType, frame: { t: string } & Record<string, unknown>): unknown {
    const bytes = encodeFrame(frame);
    const viaSingle = decodeFrame(single, bytes);
    const viaUnion = decodeFrame(union, bytes);
    expect(viaUnion).toEqual(viaSingle);
    // also from a plain Uint8Array, as some WebSocket stacks deliver
    expect(decodeFrame(union, new Uint8Array(bytes))).toEqual(viaSingle);
    return viaSingle;
  }

  type AnyFrame = { t: string } & Record<string, unknown>;
  const controlFrames: [string, z.ZodType, z.ZodType, AnyFrame][] = [
    ['register', RegisterFrame, TmToJmFrame, { t: 'register', tmId: 'tm-1', slots: 4, dataAddress: 'ws://10.0.0.2:6121' }],
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
    ['deploy', DeployFrame, JmToTmFrame, { t: 'deploy', plan, tasks: [{ vertex: 'lines', subtask: 0 }, { vertex: 'counts', subtask: 1 }] }],
    ['cancel', CancelFrame, JmToTmFrame, { t: 'cancel', jobId: 'job-1' }],
  ];

  for (const [name, single, union, frame] of controlFrames) {
    it(`control: ${name}`, () => {
      expect(roundTrip(single, union, frame)).toEqual({ v: PROTOCOL_VERSION, ...frame });
    });
  }

  it('data: hello', () => {
    const frame = { t: 'hello', tmId: 'tm-2' };
    expect(roundTrip(HelloFrame, DataConnectionFrame, frame)).toEqual({ v: 1, ...frame });
  });

  it('data: data, with its binary payload intact', () => {
    const payload = encode({ records: ['a', { word: 'b', count: 2 }], bytes: 0 });
    const frame = { t: 'data', ch: 'job-1/0/words->counts/1/0', slot: 1, payload };
    const got = roundTrip(DataFrame, DataConnectionFrame, frame) as z.infer<typeof DataFrame>;
    expect(got.t).toBe('data');
    expect(got.ch).toBe(frame.ch);
    expect(got.slot).toBe(1);
    expect(got.payload).toBeInstanceOf(Uint8Array);
    expect(Array.from(got.payload)).toEqual(Array.from(payload));
    expect(decode(got.payload)).toEqual({ records: ['a', { word: 'b', count: 2 }], bytes: 0 });
  });

  it('data: an empty payload', () => {
    const got = roundTrip(DataFrame, DataConnectionFrame, { t: 'data', ch: 'c', slot: 0, payload: new Uint8Array(0) }) as {
      payload: Uint8Array;
    };
    expect(got.payload).toHaveLength(0);
  });

  it('data: credit', () => {
    const frame = { t: 'credit', ch: 'job-1/0/words->counts/1/0', slot: 3, n: 4 };
    expect(roundTrip(CreditFrame, DataConnectionFrame, frame)).toEqual({ v: 1, ...frame });
  });
});
