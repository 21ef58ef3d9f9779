/**
 * Hostile input on every port of a running cluster (JobManager REST + /tm WebSocket, each TM's data
 * port and metrics port): random bytes, truncated and oversized HTTP, WebSocket upgrades to every
 * path, WebSockets with random msgpack, valid frames with wrong fields, frames out of order, and
 * bursts of connections opened and reset. Afterwards every process must be alive and a word count
 * must still give exact counts.
 *
 * Seeded, so a failure can be replayed: FUZZ_SEED=<seed printed in the test name> npx jest test/fuzz.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { Cluster, tempDir, waitFor } from './harness';
import { expectedCounts, sinkCounts, wordcountJob, writeText } from './wordcount';

jest.setTimeout(240_000);

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const packr = new Packr({ useRecords: false });

// Looked up once: a global's property read per call is slow in jest's sandbox (Math.imul in the
// loop below made the 3 MB of random bytes per port take 5 s instead of 0.1 s).
const { imul, floor } = Math;

/** mulberry32: small, seeded, good enough to pick bytes and cases. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = imul(t ^ (t >>> 15), t | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => floor(next() * n);
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const pick = <T>(xs: T[]): T => xs[int(xs.length)];
  const value = (depth = 0): unknown => {
    switch (int(depth > 3 ? 6 : 9)) {
      case 0:
        return int(2 ** 31) - 2 ** 30;
      case 1:
        return next() * 1e9;
      case 2:
        return bytes(int(20)).toString('latin1');
      case 3:
        return pick([null, true, false, undefined, -1, 0, 1e308, '']);
      case 4:
        return bytes(int(64));
      case 5:
        return pick(['register', 'heartbeat', 'task-state', 'ack-checkpoint', 'hello', 'data', 'credit']);
      case 6:
        return Array.from({ length: int(5) }, () => value(depth + 1));
      default: {
        const o: Record<string, unknown> = {};
        for (let i = int(6); i > 0; i--)
          o[
            pick(['v', 't', 'tmId', 'slots', 'ch', 'slot', 'n', 'jobId', 'payload', 'state', bytes(3).toString('hex')])
          ] = value(depth + 1);
        return o;
      }
    }
  };
  return { next, int, bytes, pick, value };
}

/** Open a raw TCP connection, write `chunks`, then end it, reset it, or read until the peer closes. */
async function raw(
  port: number,
  chunks: (Buffer | string)[],
  finish: 'reset' | 'end' | 'read',
  r: ReturnType<typeof rng>,
): Promise<void> {
  await new Promise<void>((resolve) => {
    const s: Socket = connect(port, '127.0.0.1');
    const done = () => resolve();
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => undefined);
    s.setTimeout(15_000, () => s.destroy());
    s.on('connect', () => {
      for (const c of chunks) s.write(c);
      if (finish === 'reset') setTimeout(() => s.resetAndDestroy(), r.int(5));
      else if (finish === 'end') s.end();
    });
  });
}

async function ws(url: string, frames: Buffer[], finish: 'reset' | 'close'): Promise<void> {
  await new Promise<void>((resolve) => {
    const sock = new WebSocket(url, { handshakeTimeout: 10_000 });
    const done = () => resolve();
    sock.on('error', done);
    sock.on('close', done);
    sock.on('unexpected-response', (_req, res) => {
      res.resume();
      sock.terminate();
    });
    sock.on('open', () => {
      for (const f of frames) sock.send(f);
      if (finish === 'reset') setTimeout(() => sock.terminate(), 5);
      else setTimeout(() => sock.close(), 20);
    });
  });
}

const UPGRADE = (path: string) =>
  `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`;
const PATHS = [
  '/',
  '/tm',
  '/tm/',
  '/x',
  '/metrics',
  '/jobs',
  '/prometheus/targets',
  '/../../etc/passwd',
  '/%zz',
  '//',
  '/tm?x=1',
];

/** Frames the JM's /tm endpoint knows, with wrong fields, wrong types, or out of order. */
function controlFrames(r: ReturnType<typeof rng>): Buffer[] {
  const enc = (f: unknown) => packr.pack(f);
  const job = r.bytes(8).toString('hex');
  const base = [
    { v: 1, t: 'heartbeat', tmId: 'ghost', queuedBytes: 0, tasks: [] },
    { v: 1, t: 'task-state', jobId: job, attempt: 0, vertex: 'x', subtask: 0, state: 'FAILED' },
    { v: 1, t: 'ack-checkpoint', jobId: job, attempt: 0, checkpointId: 7, vertex: 'x', subtask: 0, state: r.bytes(10) },
    { v: 1, t: 'register', tmId: 5, slots: 'many', dataAddress: null },
    { v: 2, t: 'register', tmId: 'fuzz', slots: 1, dataAddress: 'ws://127.0.0.1:1' },
    { v: 1, t: 'deploy', plan: {}, tasks: [] },
    { v: 1, t: 'register', tmId: 'fuzz', slots: 1e9, dataAddress: 'ws://127.0.0.1:1' },
  ];
  const out = [enc(r.pick(base)), enc(r.value()), r.bytes(r.int(200))];
  // A registered stranger that then sends acks and states for jobs and checkpoints that do not exist.
  if (r.int(3) === 0) {
    out.unshift(enc({ v: 1, t: 'register', tmId: `fuzz-${r.int(1e6)}`, slots: 1, dataAddress: 'ws://127.0.0.1:1' }));
    out.push(
      enc(base[1]),
      enc(base[2]),
      enc({
        v: 1,
        t: 'decline-checkpoint',
        jobId: job,
        attempt: 3,
        checkpointId: 1,
        vertex: 'y',
        subtask: 9,
        reason: 'x',
      }),
    );
  }
  return out;
}

/** Data-port frames: before hello, credits and data for channels and slots that do not exist. */
function dataFrames(r: ReturnType<typeof rng>): Buffer[] {
  const enc = (f: unknown) => packr.pack(f);
  const frames = [
    { v: 1, t: 'credit', ch: 'nope/0/e/0/0', slot: r.int(4), n: 1 + r.int(4) },
    { v: 1, t: 'credit', ch: 'nope', slot: 99, n: 1 },
    { v: 1, t: 'data', ch: 'nope/0/e/0/0', slot: r.int(3), payload: r.bytes(r.int(100)) },
    { v: 1, t: 'data', ch: 5, slot: -1, payload: 'x' },
    { v: 1, t: 'credit', ch: 'x', slot: 0, n: -5 },
  ];
  const out = [enc(r.pick(frames)), enc(r.value()), r.bytes(r.int(200))];
  if (r.int(2) === 0) out.unshift(enc({ v: 1, t: 'hello', tmId: 'fuzz' }));
  return out;
}

// With a secret, the same input must also never get past the handshakes.
describe.each([
  ['without', undefined],
  ['with', 'fuzz-secret-0123456789abcdef'],
])(`hostile clients on every port, %s a secret (FUZZ_SEED=${SEED})`, (_, secret) => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2, 2], { secret });
  });
  afterAll(() => cluster.stop());

  test('no input ends a process, and a word count afterwards is exact', async () => {
    const r = rng(SEED);
    const tms = await cluster.get<{ dataAddress: string; metricsAddress: string }[]>('/taskmanagers');
    const portOf = (url: string) => Number(new URL(url).port);
    const ports = [cluster.port, ...tms.flatMap((t) => [portOf(t.dataAddress), portOf(t.metricsAddress)])];
    const dataPorts = new Set(tms.map((t) => portOf(t.dataAddress)));

    for (const port of ports) {
      const cases: Promise<void>[] = [];
      for (let i = 0; i < 40; i++)
        cases.push(raw(port, [r.bytes(1 + r.int(2000))], r.pick(['reset', 'end', 'read'] as const), r));
      cases.push(raw(port, ['GARBAGE\r\n\r\n\x00\xff'], 'reset', r));
      cases.push(raw(port, ['GET / HTTP/1.1\r\nHost'], r.pick(['reset', 'end'] as const), r));
      cases.push(raw(port, [`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(100_000)}\r\n\r\n`], 'read', r));
      cases.push(
        raw(
          port,
          ['POST /jobs HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n', r.bytes(3_000_000)],
          'reset',
          r,
        ),
      );
      cases.push(raw(port, ['POST /jobs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], 'read', r));
      for (const path of PATHS) {
        cases.push(raw(port, [UPGRADE(path)], 'reset', r));
        cases.push(raw(port, [UPGRADE(path), r.bytes(50)], r.pick(['reset', 'end', 'read'] as const), r));
      }
      // Bursts of connections opened and reset at once.
      for (let i = 0; i < 100; i++) cases.push(raw(port, [], 'reset', r));
      await Promise.all(cases);
    }

    const wsCases: Promise<void>[] = [];
    for (let i = 0; i < 60; i++)
      wsCases.push(ws(`ws://127.0.0.1:${cluster.port}/tm`, controlFrames(r), r.pick(['reset', 'close'] as const)));
    for (const port of dataPorts)
      for (let i = 0; i < 60; i++)
        wsCases.push(ws(`ws://127.0.0.1:${port}/`, dataFrames(r), r.pick(['reset', 'close'] as const)));
    for (const path of PATHS) wsCases.push(ws(`ws://127.0.0.1:${cluster.port}${path}`, [r.bytes(30)], 'reset'));
    await Promise.all(wsCases);

    for (const p of cluster.procs)
      expect({ process: p.name, alive: p.alive, log: p.alive ? '' : p.output.slice(-2000) }).toEqual({
        process: p.name,
        alive: true,
        log: '',
      });
    // Strangers that registered are gone again; only the two real TaskManagers remain.
    await cluster.waitForTaskManagers(2);

    const dir = tempDir();
    writeText(join(dir, 'input.txt'), 20_000, SEED);
    const jobPath = join(dir, 'job.json');
    writeFileSync(jobPath, JSON.stringify(wordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 4)));
    const jobId = await cluster.submit(jobPath);
    const job = await cluster.waitForState(jobId, ['FINISHED']);
    expect(job.state).toBe('FINISHED');
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(join(dir, 'input.txt'), 'utf8')));
    await waitFor('every process still alive', () => cluster.procs.every((p) => p.alive) || undefined, 5_000);
  });
});
