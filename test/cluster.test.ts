/**
 * The runtime core with real processes: a JobManager and TaskManagers started from dist/.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { Cluster, paceModule, tempDir, waitFor } from './harness';
import { expectedCounts, sinkCounts, wordcountJob, writeText } from './wordcount';

jest.setTimeout(180_000);

function writeJob(dir: string, job: unknown): string {
  const path = join(dir, 'job.json');
  writeFileSync(path, JSON.stringify(job, null, 2));
  return path;
}

describe('JobManager + 2 TaskManagers × 2 slots', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2, 2]);
  });
  afterAll(() => cluster.stop());

  test('a parallelism-4 word count gives exact counts, with subtasks on both TaskManagers', async () => {
    const dir = tempDir();
    writeText(join(dir, 'input.txt'), 60_000);
    const jobId = await cluster.submit(writeJob(dir, wordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 4)));
    const job = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(job.state).toBe('FINISHED');

    const expected = expectedCounts(readFileSync(join(dir, 'input.txt'), 'utf8'));
    expect(sinkCounts(join(dir, 'out'))).toEqual(expected);

    const tms = new Set<string>(job.vertices.flatMap((v: any) => v.subtasks.map((s: any) => s.tm)));
    expect(tms.size).toBe(2);
    const counts = job.vertices.find((v: any) => v.id === 'counts');
    expect(counts.parallelism).toBe(4);
    expect(counts.recordsIn).toBe([...expected.values()].reduce((a, b) => a + b, 0));
  });

  test('an unbounded job runs until it is cancelled, and its slots come back', async () => {
    const dir = tempDir();
    const job = {
      name: 'endless',
      parallelism: 2,
      nodes: [
        { id: 'gen', type: 'source', connector: { kind: 'generator', rate: 2000 } },
        { id: 'out', type: 'sink', inputs: ['gen'], connector: { kind: 'file', path: join(dir, 'out') } },
      ],
    };
    const jobId = await cluster.submit(writeJob(dir, job));
    await waitFor(
      'records flowing',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        return j.state === 'RUNNING' && j.vertices[0].recordsIn > 0 ? j : undefined;
      },
      60_000,
    );
    const r = cluster.cli(['cancel', jobId]);
    expect(r.status).toBe(0);
    expect((await cluster.waitForState(jobId, ['CANCELED', 'FAILED', 'FINISHED'])).state).toBe('CANCELED');
    await waitFor(
      'all slots free',
      async () => {
        const tms = await cluster.get<any[]>('/taskmanagers');
        return tms.every((t) => t.freeSlots === t.slots) ? true : undefined;
      },
      60_000,
    );
  });

  test('a slow sink behind a fast generator back-pressures the source and bounds queued bytes', async () => {
    const dir = tempDir();
    // Blocks the slot's thread 1 ms per record: a deliberately slow consumer.
    writeFileSync(join(dir, 'slow.js'), paceModule(1));
    const job = {
      name: 'slow-sink',
      parallelism: 2,
      functions: 'slow.js',
      nodes: [
        { id: 'gen', type: 'source', connector: { kind: 'generator' } },
        { id: 'words', type: 'flatMap', inputs: ['gen'], fn: 'tokenize' },
        // One consumer: generator subtask 1 runs in another slot (on the other TM), so only credits
        // can hold it back; subtask 0 shares the consumer's blocked thread.
        { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count', parallelism: 1 },
        { id: 'slow', type: 'map', inputs: ['counts'], fn: 'pace', parallelism: 1 },
        {
          id: 'out',
          type: 'sink',
          inputs: ['slow'],
          connector: { kind: 'file', path: join(dir, 'out') },
          parallelism: 1,
        },
      ],
    };
    const jobId = await cluster.submit(writeJob(dir, job));
    const vertex = (j: any, id: string) => j.vertices.find((v: any) => v.id === id);
    // A task that always has input still reports its counters: it yields to its thread's event loop
    // (stream-input-processor.ts). Without that its stats starved and this took ~47 s.
    await waitFor(
      'the slow sink to be consuming',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        return vertex(j, 'counts').recordsIn > 1000 ? j : undefined;
      },
      30_000,
      cluster.logs,
    );

    let maxQueued = 0;
    let maxInFlight = 0;
    for (let i = 0; i < 12; i++) {
      const [tms, j] = await Promise.all([cluster.get<any[]>('/taskmanagers'), cluster.get(`/jobs/${jobId}`)]);
      maxQueued = Math.max(maxQueued, ...tms.map((t) => t.queuedBytes));
      maxInFlight = Math.max(maxInFlight, vertex(j, 'gen').recordsOut - vertex(j, 'counts').recordsIn);
      await new Promise((r) => setTimeout(r, 250));
    }
    const j = await cluster.get(`/jobs/${jobId}`);
    expect(j.state).toBe('RUNNING');
    // Unthrottled, the generator makes hundreds of thousands of words a second; with credits the
    // words between the source and the slow consumer stay at a few batches per channel.
    expect(maxInFlight).toBeLessThan(50_000);
    expect(maxQueued).toBeLessThan(4 * 1024 * 1024);
    expect(cluster.cli(['cancel', jobId]).status).toBe(0);
    await cluster.waitForState(jobId, ['CANCELED']);
  });

  test('garbage on the JobManager and TaskManager ports harms nothing', async () => {
    const packr = new Packr({ useRecords: false });
    const closeCode = (url: string, payload: Buffer | string) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(url);
        ws.on('open', () => ws.send(payload));
        ws.on('close', (code) => resolve(code));
        ws.on('error', () => undefined);
      });
    const tmUrl = cluster.url.replace('http', 'ws') + '/tm';
    expect(await closeCode(tmUrl, 'hello')).toBe(1008);
    expect(await closeCode(tmUrl, Buffer.from([0xc1, 0xff, 0x00, 0x13]))).toBe(1008);
    expect(await closeCode(tmUrl, packr.pack({ v: 1, t: 'heartbeat', tmId: 'x', queuedBytes: 0, tasks: [] }))).toBe(
      1008,
    );
    expect(await closeCode(tmUrl, packr.pack({ v: 1, t: 'register', tmId: 'evil', slots: -1, dataAddress: 'x' }))).toBe(
      1008,
    );
    expect(await closeCode(tmUrl, packr.pack({ v: 99, t: 'register' }))).toBe(1008);

    const [tm] = await cluster.get<any[]>('/taskmanagers');
    expect(
      await closeCode(
        tm.dataAddress,
        packr.pack({ v: 1, t: 'data', ch: 'a/0/e/0/0', slot: 99, payload: Buffer.from([1]) }),
      ),
    ).toBe(1008);
    expect(await closeCode(tm.dataAddress, packr.pack({ v: 1, t: 'credit', ch: 'x', slot: 0, n: 'many' }))).toBe(1008);

    await new Promise<void>((resolve) => {
      const sock = connect(cluster.port, '127.0.0.1', () => sock.end(Buffer.from('\x00\xffGARBAGE\r\n\r\n\x16\x03')));
      sock.resume(); // read the 400 answer, so the close that follows it is seen
      sock.on('close', () => resolve());
      sock.on('error', () => resolve());
    });
    const bad = await fetch(`${cluster.url}/jobs`, { method: 'POST', body: '{nope' });
    expect(bad.status).toBe(400);
    const invalid = await cluster.post('/jobs', { job: { name: 'x', nodes: [] } });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('INVALID_JOB_FILE');

    // Still alive: both TMs registered, and a job runs to the end.
    expect(cluster.procs.every((p) => p.alive)).toBe(true);
    await cluster.waitForTaskManagers(2);
    const dir = tempDir();
    writeText(join(dir, 'input.txt'), 2000, 5);
    const jobId = await cluster.submit(writeJob(dir, wordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 4)));
    expect((await cluster.waitForState(jobId, ['FINISHED', 'FAILED'])).state).toBe('FINISHED');
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(join(dir, 'input.txt'), 'utf8')));
  });
});

describe('a job that needs more slots than are free', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2]);
  });
  afterAll(() => cluster.stop());

  test('waits with its reason visible and starts when a TaskManager joins', async () => {
    const dir = tempDir();
    writeText(join(dir, 'input.txt'), 5000, 9);
    const jobId = await cluster.submit(writeJob(dir, wordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 4)));
    const waiting = await cluster.get(`/jobs/${jobId}`);
    expect(waiting.state).toBe('CREATED');
    expect(waiting.reason).toMatch(/waiting for 4 free slots \(2 free of 2\)/);

    cluster.startTaskManager(2);
    const job = await cluster.waitForState(jobId, ['FINISHED', 'FAILED']);
    expect(job.state).toBe('FINISHED');
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(join(dir, 'input.txt'), 'utf8')));
  });
});

describe('TaskManagers with tiny batches and one credit per channel', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([]);
    for (let i = 0; i < 2; i++)
      cluster.startTaskManager(1, {
        extraArgs: ['--batch-records', '7', '--flush-interval', '1', '--credits-per-channel', '1'],
      });
    await cluster.waitForTaskManagers(2);
  });
  afterAll(() => cluster.stop());

  test('run a word count across both exactly, batches of at most 7 records', async () => {
    const dir = tempDir();
    writeText(join(dir, 'input.txt'), 3000, 11);
    const jobId = await cluster.submit(writeJob(dir, wordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 2)));
    const job = await cluster.waitForState(jobId, ['FINISHED']);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(join(dir, 'input.txt'), 'utf8')));
    // The keyed edge crosses TMs: its bytes arrive in many small batches.
    expect(job.vertices.find((v: any) => v.id === 'counts').recordsIn).toBeGreaterThan(0);
  });
});

describe('a task that never confirms the cancel', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([1]);
  });
  afterAll(() => cluster.stop());

  test('does not hold the job in CANCELLING forever', async () => {
    const dir = tempDir();
    // Blocks its slot's thread for two minutes: the task cannot even see the cancel.
    writeFileSync(
      join(dir, 'stuck.js'),
      'exports.stuck = (r) => { Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 120000); return r; };\n',
    );
    const job = {
      name: 'stuck',
      functions: 'stuck.js',
      nodes: [
        { id: 'gen', type: 'source', connector: { kind: 'generator', rate: 10 } },
        { id: 'f', type: 'map', inputs: ['gen'], fn: 'stuck' },
        { id: 'out', type: 'sink', inputs: ['f'], connector: { kind: 'stdout' } },
      ],
    };
    const jobId = await cluster.submit(writeJob(dir, job));
    await cluster.waitForState(jobId, ['RUNNING']);
    expect(cluster.cli(['cancel', jobId]).status).toBe(0);
    expect((await cluster.waitForState(jobId, ['CANCELED'], 60_000)).state).toBe('CANCELED');
  });
});
