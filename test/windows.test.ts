/**
 * Event time and windows with real processes (a JobManager, two TaskManagers of 2 slots): exact
 * window results at parallelism 4 over out-of-order input, late records in the side output only,
 * an idle source subtask that does not stall windows, and exactly-once window results across a
 * SIGKILL of a TaskManager. Every expectation is computed here, independently of the runtime.
 * Over 300 lines because its cases share one cluster (started once, in beforeAll); a second file
 * would start a second one.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, ROOT, paceModule, release, tempDir, waitFor } from './harness';

jest.setTimeout(300_000);

type Row = Record<string, any>;

/** Every visible record of a file sink (committed part files only). */
function sinkRows(folder: string): Row[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((n) => /^part-\d+(-(\d+|final))?\.jsonl$/.test(n))
    .flatMap((n) =>
      readFileSync(join(folder, n), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Row),
    );
}

const sorted = (rows: Row[]) => rows.map((r) => JSON.stringify(r)).sort();

const WORDS = Array.from({ length: 20 }, (_, i) => `w${i}`);

// Looked up once: a global's property read per call is slow in jest's sandbox.
const { imul } = Math;

/** Events 10 ms apart in file order, each up to 2 s earlier than its place: bounded disorder. */
function writeEvents(path: string, n: number, seed = 5): Row[] {
  let s = seed;
  const rand = (m: number) => ((s = (imul(s, 1103515245) + 12345) >>> 0) >>> 8) % m;
  const events = Array.from({ length: n }, (_, i) => ({
    word: WORDS[rand(WORDS.length)],
    ts: 1_000_000 + i * 10 - rand(2000),
    v: rand(10),
  }));
  writeFileSync(path, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return events;
}

function tumblingCounts(events: Row[], size: number, key = 'word'): string[] {
  const m = new Map<string, Row>();
  for (const e of events) {
    const start = Math.floor(e.ts / size) * size;
    const row = m.get(`${e[key]}/${start}`) ?? { [key]: e[key], windowStart: start, windowEnd: start + size, count: 0 };
    row.count++;
    m.set(`${e[key]}/${start}`, row);
  }
  return sorted([...m.values()]);
}

function slidingSums(events: Row[], size: number, slide: number): string[] {
  const m = new Map<string, Row>();
  for (const e of events) {
    for (let start = Math.floor(e.ts / slide) * slide; start > e.ts - size; start -= slide) {
      const row = m.get(`${e.word}/${start}`) ?? { word: e.word, windowStart: start, windowEnd: start + size, sum: 0 };
      row.sum += e.v;
      m.set(`${e.word}/${start}`, row);
    }
  }
  return sorted([...m.values()]);
}

/** Per word, events in time order; a session ends where the next event is `gap` or more after the last. */
function sessionCounts(events: Row[], gap: number): string[] {
  const rows: Row[] = [];
  for (const word of WORDS) {
    const ts = events
      .filter((e) => e.word === word)
      .map((e) => e.ts as number)
      .sort((a, b) => a - b);
    let start = ts[0];
    let count = 0;
    ts.forEach((t, i) => {
      count++;
      if (i === ts.length - 1 || ts[i + 1] > t + gap) {
        rows.push({ word, windowStart: start, windowEnd: t + gap, count });
        [start, count] = [ts[i + 1], 0];
      }
    });
  }
  return sorted(rows);
}

describe('event time and windows on a cluster', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2, 2]);
  });
  afterAll(() => cluster.stop());

  async function runJob(dir: string, spec: Row): Promise<Row> {
    writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
    const jobId = await cluster.submit(join(dir, 'job.json'));
    return cluster.waitForState(jobId, ['FINISHED']);
  }

  test('out-of-order events at parallelism 4 give exact tumbling, sliding and session results', async () => {
    const dir = tempDir();
    const events = writeEvents(join(dir, 'events.jsonl'), 30_000);
    const sink = (id: string, input: string) => ({
      id,
      type: 'sink',
      inputs: [input],
      connector: { kind: 'file', path: join(dir, id) },
    });
    const window = (id: string, window: Row, extra: Row = {}) => ({
      id,
      type: 'window',
      inputs: ['events'],
      keyBy: 'word',
      window,
      aggregate: 'count',
      ...extra,
    });
    await runJob(dir, {
      name: 'windows',
      parallelism: 4,
      nodes: [
        { id: 'lines', type: 'source', connector: { kind: 'file', path: join(dir, 'events.jsonl') } },
        {
          id: 'events',
          type: 'map',
          inputs: ['lines'],
          fn: 'parseJson',
          timestamps: { field: 'ts', maxOutOfOrderness: '2s' },
        },
        window('tumbling', { kind: 'tumbling', size: '1s' }),
        window('sliding', { kind: 'sliding', size: '3s', slide: '1s' }, { aggregate: 'sum', field: 'v' }),
        window('sessions', { kind: 'session', gap: '250ms' }),
        sink('tumbling-out', 'tumbling'),
        sink('sliding-out', 'sliding'),
        sink('sessions-out', 'sessions'),
        sink('late-out', 'tumbling.late'),
      ],
    });
    expect(sorted(sinkRows(join(dir, 'tumbling-out')))).toEqual(tumblingCounts(events, 1000));
    expect(sorted(sinkRows(join(dir, 'sliding-out')))).toEqual(slidingSums(events, 3000, 1000));
    expect(sorted(sinkRows(join(dir, 'sessions-out')))).toEqual(sessionCounts(events, 250));
    expect(sinkRows(join(dir, 'late-out'))).toEqual([]);
  });

  test('records beyond the allowed lateness arrive in the side output and nowhere else', async () => {
    const dir = tempDir();
    // From seq 1000 on (2 s into the run at 500 records/s), every 50th record claims time 5 ms:
    // its window [0, 500) closed long before, so it is late; every other record is in order.
    writeFileSync(
      join(dir, 'functions.js'),
      `exports.toEvent = (r) => ({ seq: r.seq, k: 'k' + (r.seq % 3), ts: r.seq >= 1000 && r.seq % 50 === 7 ? 5 : r.seq * 10 });\n`,
    );
    await runJob(dir, {
      name: 'late',
      parallelism: 2,
      functions: 'functions.js',
      nodes: [
        { id: 'gen', type: 'source', connector: { kind: 'generator', format: 'sequence', count: 2000, rate: 500 } },
        { id: 'events', type: 'map', inputs: ['gen'], fn: 'toEvent', timestamps: { field: 'ts' } },
        {
          id: 'w',
          type: 'window',
          inputs: ['events'],
          keyBy: 'k',
          window: { kind: 'tumbling', size: '500ms' },
          aggregate: 'count',
          allowedLateness: '200ms',
        },
        { id: 'out', type: 'sink', inputs: ['w'], connector: { kind: 'file', path: join(dir, 'out') } },
        { id: 'late', type: 'sink', inputs: ['w.late'], connector: { kind: 'file', path: join(dir, 'late') } },
      ],
    });
    const all = Array.from({ length: 2000 }, (_, seq) => ({
      seq,
      k: `k${seq % 3}`,
      ts: seq >= 1000 && seq % 50 === 7 ? 5 : seq * 10,
    }));
    const late = all.filter((e) => e.ts === 5);
    expect(late.length).toBe(20);
    expect(sorted(sinkRows(join(dir, 'late')))).toEqual(sorted(late));
    expect(sorted(sinkRows(join(dir, 'out')))).toEqual(
      tumblingCounts(
        all.filter((e) => e.ts !== 5),
        500,
        'k',
      ),
    );
  });

  test("a window first reached past its end, within the allowed lateness, fires once (Flink's SideOutputITCase#testKeyedWindowLateArrivingEvents)", async () => {
    const dir = tempDir();
    const released = join(dir, 'released');
    // Events at 1, 2, 6 and 4 ms in 1 ms windows, lateness 2 ms. The ordered async call holds the 4
    // (and so every later record) back until window [2, 3) has fired, that is until the watermark 5
    // (6 - 1) has reached the window: then [4, 5) is past its end but not its cleanup time (6), and
    // fires at once, on its record. Then 500, and 1000 for ever after: the watermark 999 fires [500,
    // 501), after the 4's window would have fired again from a stale timer. The source runs on, so
    // that checkpoints commit the results.
    writeFileSync(
      join(dir, 'functions.js'),
      `const { existsSync } = require('node:fs');
exports.toEvent = (r) => ({ k: 'k', ts: [1, 2, 6, 4, 500][r.seq] ?? 1000 });
exports.hold = (e) => new Promise((resolve) => {
  const look = () => (e.ts !== 4 || existsSync(${JSON.stringify(released)}) ? resolve(e) : setTimeout(look, 20));
  look();
});
`,
    );
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({
        name: 'late-once',
        functions: 'functions.js',
        checkpointing: { interval: '100ms' },
        nodes: [
          { id: 'gen', type: 'source', connector: { kind: 'generator', format: 'sequence', rate: 20 } },
          { id: 'events', type: 'map', inputs: ['gen'], fn: 'toEvent' },
          {
            id: 'held',
            type: 'asyncMap',
            inputs: ['events'],
            fn: 'hold',
            async: { timeout: 120_000, capacity: 10_000 },
            timestamps: { field: 'ts' },
          },
          {
            id: 'w',
            type: 'window',
            inputs: ['held'],
            keyBy: 'k',
            window: { kind: 'tumbling', size: 1 },
            aggregate: 'count',
            allowedLateness: 2,
          },
          { id: 'out', type: 'sink', inputs: ['w'], connector: { kind: 'file', path: join(dir, 'out') } },
          { id: 'late', type: 'sink', inputs: ['w.late'], connector: { kind: 'file', path: join(dir, 'late') } },
        ],
      }),
    );
    const jobId = await cluster.submit(join(dir, 'job.json'));
    const fired = (start: number) => () => sinkRows(join(dir, 'out')).some((r) => r.windowStart === start) || undefined;
    await waitFor('window [2, 3) fired (the watermark is 5)', fired(2), 120_000, cluster.logs);
    release(released);
    await waitFor('window [500, 501) fired (the watermark is 999)', fired(500), 120_000, cluster.logs);
    expect(cluster.cli(['cancel', jobId]).status).toBe(0);
    await cluster.waitForState(jobId, ['CANCELED']);
    const row = (windowStart: number) => ({ k: 'k', windowStart, windowEnd: windowStart + 1, count: 1 });
    expect(sorted(sinkRows(join(dir, 'out')))).toEqual(sorted([row(1), row(2), row(4), row(6), row(500)]));
    expect(sinkRows(join(dir, 'late'))).toEqual([]);
  });

  test('an idle source subtask does not stall the windows', async () => {
    const dir = tempDir();
    // Subtask 1 of the generator makes the odd numbers, all filtered out: its events stage sees nothing.
    writeFileSync(
      join(dir, 'functions.js'),
      `exports.isEven = (r) => r.seq % 2 === 0;\nexports.toEvent = (r) => ({ k: 'k' + ((r.seq / 2) % 2), ts: r.seq * 5 });\n`,
    );
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({
        name: 'idle',
        parallelism: 2,
        functions: 'functions.js',
        nodes: [
          { id: 'gen', type: 'source', connector: { kind: 'generator', format: 'sequence', rate: 400 } },
          { id: 'even', type: 'filter', inputs: ['gen'], fn: 'isEven' },
          {
            id: 'events',
            type: 'map',
            inputs: ['even'],
            fn: 'toEvent',
            timestamps: { field: 'ts', idleTimeout: '300ms' },
          },
          {
            id: 'w',
            type: 'window',
            inputs: ['events'],
            keyBy: 'k',
            window: { kind: 'tumbling', size: '1s' },
            aggregate: 'count',
          },
          { id: 'out', type: 'sink', inputs: ['w'], connector: { kind: 'file', path: join(dir, 'out') } },
        ],
      }),
    );
    const jobId = await cluster.submit(join(dir, 'job.json'));
    const rows = await waitFor(
      'results of the first three windows',
      () => {
        const r = sinkRows(join(dir, 'out')).filter((x) => x.windowEnd <= 3000);
        return r.length === 6 ? r : undefined;
      },
      120_000,
      cluster.logs,
    );
    // Window [s, s + 1000) holds seq in [s/5, (s + 1000)/5): 100 even numbers, alternating between k0 and k1.
    const expected = [0, 1000, 2000].flatMap((s) =>
      ['k0', 'k1'].map((k) => ({ k, windowStart: s, windowEnd: s + 1000, count: 50 })),
    );
    expect(sorted(rows)).toEqual(sorted(expected));
    expect(cluster.cli(['cancel', jobId]).status).toBe(0);
    await cluster.waitForState(jobId, ['CANCELED']);
  });

  test('a window join and an interval join over two shuffled streams give exactly the pairs a join here finds', async () => {
    const dir = tempDir();
    let x = 3;
    const rand = (m: number) => ((x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 8) % m;
    // Orders and payments of 50 users, 20 ms apart in file order, each up to 1 s early: bounded disorder.
    const orders = Array.from({ length: 4000 }, (_, i) => ({
      user: `u${rand(50)}`,
      ts: 1_000_000 + i * 20 - rand(1000),
      order: i,
    }));
    const payments = Array.from({ length: 4000 }, (_, i) => ({
      uid: `u${rand(50)}`,
      ts: 1_000_000 + i * 20 - rand(1000),
      payment: i,
    }));
    writeFileSync(join(dir, 'orders.jsonl'), orders.map((o) => JSON.stringify(o)).join('\n') + '\n');
    writeFileSync(join(dir, 'payments.jsonl'), payments.map((o) => JSON.stringify(o)).join('\n') + '\n');
    const source = (id: string) => [
      { id: `${id}-lines`, type: 'source', connector: { kind: 'file', path: join(dir, `${id}.jsonl`) } },
      {
        id,
        type: 'map',
        inputs: [`${id}-lines`],
        fn: 'parseJson',
        timestamps: { field: 'ts', maxOutOfOrderness: '1s' },
      },
    ];
    const keyBy = { orders: 'user', payments: 'uid' };
    await runJob(dir, {
      name: 'joins',
      parallelism: 4,
      nodes: [
        ...source('orders'),
        ...source('payments'),
        {
          id: 'wj',
          type: 'windowJoin',
          inputs: ['orders', 'payments'],
          keyBy,
          window: { kind: 'tumbling', size: '2s' },
        },
        { id: 'ij', type: 'intervalJoin', inputs: ['orders', 'payments'], keyBy, between: ['-500ms', '+1s'] },
        { id: 'wj-out', type: 'sink', inputs: ['wj'], connector: { kind: 'file', path: join(dir, 'wj') } },
        { id: 'ij-out', type: 'sink', inputs: ['ij'], connector: { kind: 'file', path: join(dir, 'ij') } },
      ],
    });
    const windowPairs: Row[] = [];
    const intervalPairs: Row[] = [];
    for (const o of orders) {
      for (const p of payments) {
        if (p.uid !== o.user) continue;
        const start = Math.floor(o.ts / 2000) * 2000;
        if (Math.floor(p.ts / 2000) * 2000 === start)
          windowPairs.push({ windowStart: start, windowEnd: start + 2000, orders: o, payments: p });
        if (o.ts - 500 <= p.ts && p.ts <= o.ts + 1000) intervalPairs.push({ orders: o, payments: p });
      }
    }
    expect(sorted(sinkRows(join(dir, 'wj')))).toEqual(sorted(windowPairs));
    expect(sorted(sinkRows(join(dir, 'ij')))).toEqual(sorted(intervalPairs));
  });

  test('exactly-once: a TaskManager SIGKILLed mid-job leaves every committed window and process result exact, each once', async () => {
    const dir = tempDir();
    const events = writeEvents(join(dir, 'events.jsonl'), 100_000, 11);
    // The source blocks 1 ms per line (25 000 lines per subtask) until the kill has landed, so the
    // job surely runs until then; then it reads the rest at full speed.
    const released = join(dir, 'pace-released');
    // A process function counting per word in value state, emitting once at the end of input from an
    // event-time timer: the count and the timer must both survive the restore.
    writeFileSync(
      join(dir, 'functions.js'),
      paceModule(1, released) +
        `exports.countToEnd = {
  processElement(r, ctx) {
    const n = ctx.valueState('n');
    n.update((n.value() || 0) + 1);
    ctx.registerEventTimeTimer(Number.MAX_SAFE_INTEGER);
  },
  onTimer(t, ctx) { ctx.emit({ word: ctx.key, count: ctx.valueState('n').value() }); },
};\n`,
    );
    writeFileSync(
      join(dir, 'job.json'),
      JSON.stringify({
        name: 'windows-eo',
        parallelism: 4,
        functions: 'functions.js',
        checkpointing: { interval: '200ms', mode: 'exactly-once' },
        restart: { attempts: 5, delay: '200ms' },
        nodes: [
          { id: 'lines', type: 'source', connector: { kind: 'file', path: join(dir, 'events.jsonl') } },
          { id: 'paced', type: 'map', inputs: ['lines'], fn: 'pace' },
          {
            id: 'events',
            type: 'map',
            inputs: ['paced'],
            fn: 'parseJson',
            timestamps: { field: 'ts', maxOutOfOrderness: '2s' },
          },
          {
            id: 'w',
            type: 'window',
            inputs: ['events'],
            keyBy: 'word',
            window: { kind: 'tumbling', size: '1s' },
            aggregate: 'count',
          },
          { id: 'out', type: 'sink', inputs: ['w'], connector: { kind: 'file', path: join(dir, 'out') } },
          { id: 'totals', type: 'process', inputs: ['events'], keyBy: 'word', fn: 'countToEnd' },
          {
            id: 'totals-out',
            type: 'sink',
            inputs: ['totals'],
            connector: { kind: 'file', path: join(dir, 'totals') },
          },
        ],
      }),
    );
    const jobId = await cluster.submit(join(dir, 'job.json'));
    const job = await waitFor(
      'a completed checkpoint with window results committed',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        if (j.state === 'FINISHED' || j.state === 'FAILED') throw new Error(`job is ${j.state} before the kill`);
        const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
        const done = j.state === 'RUNNING' && cps.history.some((c: Row) => c.status === 'COMPLETED');
        return done && sinkRows(join(dir, 'out')).length > 0 ? j : undefined;
      },
      120_000,
      cluster.logs,
    );
    const tmId: string = job.vertices[0].subtasks[0].tm;
    cluster.taskManager(tmId)!.kill('SIGKILL');
    cluster.startTaskManager(2);
    release(released);

    const done = await cluster.waitForState(jobId, ['FINISHED']);
    expect(done.restarts).toBe(1);
    const rows = sinkRows(join(dir, 'out'));
    const ids = rows.map((r) => `${r.word}/${r.windowStart}`);
    expect(ids.length - new Set(ids).size).toBe(0);
    expect(sorted(rows)).toEqual(tumblingCounts(events, 1000));
    const totals = new Map<string, number>();
    for (const e of events) totals.set(e.word, (totals.get(e.word) ?? 0) + 1);
    expect(sorted(sinkRows(join(dir, 'totals')))).toEqual(
      sorted([...totals].map(([word, count]) => ({ word, count }))),
    );
  });
});

/** `flinkx run` of a copy of an example job folder; its folder. */
function runExample(name: string): string {
  const dir = tempDir();
  cpSync(join(ROOT, 'jobs', name), dir, { recursive: true, filter: (src) => !src.includes('/out') });
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'flinkx.js'), 'run', join(dir, 'job.json')], {
    encoding: 'utf8',
    timeout: 100_000,
  });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  return dir;
}

const jsonLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Row);

test('the example jobs/windowed-wordcount runs with `flinkx run` and counts every word per 30 s window', () => {
  const dir = runExample('windowed-wordcount');
  expect(sorted(sinkRows(join(dir, 'out')))).toEqual(tumblingCounts(jsonLines(join(dir, 'events.jsonl')), 30_000));
});

test('the example jobs/quiet-sensors (process function, list state, event-time timers) alerts after every 10 s of silence', () => {
  const dir = runExample('quiet-sensors');
  const bySensor = new Map<string, number[]>();
  for (const r of jsonLines(join(dir, 'readings.jsonl')))
    bySensor.set(r.sensor, [...(bySensor.get(r.sensor) ?? []), r.ts]);
  const expected: Row[] = [];
  for (const [sensor, all] of bySensor) {
    const ts = [...new Set(all)].sort((a, b) => a - b);
    ts.forEach((t, i) => {
      if (i === ts.length - 1 || ts[i + 1] > t + 10_000) expected.push({ sensor, lastSeen: t, quietAt: t + 10_000 });
    });
  }
  expect(expected.length).toBeGreaterThan(bySensor.size); // gaps inside the stream, not only at its end
  expect(sorted(sinkRows(join(dir, 'out')))).toEqual(sorted(expected));
});

test('the example jobs/sessions counts the clicks of every visit (sessions of 30 s inactivity)', () => {
  const dir = runExample('sessions');
  const clicks = jsonLines(join(dir, 'clicks.jsonl'));
  const expected: Row[] = [];
  for (const user of new Set(clicks.map((c) => c.user as string))) {
    const ts = clicks
      .filter((c) => c.user === user)
      .map((c) => c.ts as number)
      .sort((a, b) => a - b);
    let start = ts[0];
    ts.forEach((t, i) => {
      if (i === ts.length - 1 || ts[i + 1] > t + 30_000) {
        expected.push({
          user,
          windowStart: start,
          windowEnd: t + 30_000,
          count: ts.filter((x) => x >= start && x <= t).length,
        });
        start = ts[i + 1];
      }
    });
  }
  expect(sorted(sinkRows(join(dir, 'out')))).toEqual(sorted(expected));
});
