/**
 * asyncMap against a real HTTP service started here: records enriched with at most `capacity` calls
 * in flight per subtask and results in input order; and, with exactly-once checkpoints, a TaskManager
 * SIGKILLed mid-job: the calls waiting in the queue at the checkpoint are issued again after the
 * restore, so the committed output has every record enriched exactly once. With event time, the
 * restored records keep their timestamps and the held watermarks come back in their place, so the
 * event-time windows after it are exact (ordered and unordered).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { Cluster, StopWaiting, tempDir, waitFor } from './harness';
import { writeText } from './wordcount';

jest.setTimeout(300_000);

const tokens = (text: string) =>
  text
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
const enrich = (word: string) => ({ word, letters: [...word].length, upper: word.toUpperCase() });

/** GET /enrich?word=w answers enrich(w); it records the most requests it ever had open at once. */
async function startService(): Promise<{
  url: string;
  server: Server;
  stats: { open: number; maxOpen: number; requests: number };
}> {
  const stats = { open: 0, maxOpen: 0, requests: 0 };
  const server = createServer((req, res) => {
    stats.open++;
    stats.requests++;
    stats.maxOpen = Math.max(stats.maxOpen, stats.open);
    const word = new URL(req.url!, 'http://x').searchParams.get('word') ?? '';
    // Answered on a later turn of the event loop, so requests that arrive together overlap.
    setImmediate(() => {
      stats.open--;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(enrich(word)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/enrich`, server, stats };
}

function jobModule(
  dir: string,
  url: string,
  options: { capacity: number; checkpointing: boolean; rebalance: boolean },
): string {
  writeFileSync(
    join(dir, 'job.ts'),
    `import { FileSink, StreamExecutionEnvironment } from 'flinkx';
const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);
${options.checkpointing ? "env.enableCheckpointing(200, 'exactly-once').setRestartStrategy({ attempts: 10, delay: 200 });" : ''}
const words = env.readTextFile('input.txt')
  .flatMap((line: string) => line.toLowerCase().split(/[^\\p{L}\\p{N}]+/u).filter(Boolean));
(${options.rebalance} ? words.rebalance() : words)
  .asyncMap(async (word: string) => {
    const res = await fetch(${JSON.stringify(url)} + '?word=' + encodeURIComponent(word));
    if (!res.ok) throw new Error('service answered ' + res.status);
    return res.json();
  }, { capacity: ${options.capacity}, timeout: 30000 }).uid('enrich')
  .sinkTo(FileSink.jsonLines('out'));
env.execute('enrich');
`,
  );
  return join(dir, 'job.ts');
}

/** Events 10 ms apart in file order, each up to 2 s earlier than its place: bounded disorder, none late. */
function writeEvents(path: string, n: number): { word: string; ts: number }[] {
  const words = tokens('a bb ccc dddd eeeee ffffff ggggggg hhhhhhhh iiiiiiiii jjjjjjjjjj kk lll');
  let s = 7;
  const rand = (m: number) => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % m;
  const events = Array.from({ length: n }, (_, i) => ({
    word: words[rand(words.length)],
    ts: 1_000_000 + i * 10 - rand(2000),
  }));
  writeFileSync(path, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return events;
}

/** asyncMap (ordered into `ordered`, unordered into `unordered`) and then a 1 s event-time window summing the letters. */
function windowedJobModule(dir: string, url: string): string {
  writeFileSync(
    join(dir, 'job.ts'),
    `import { FileSink, StreamExecutionEnvironment, TumblingEventTimeWindows } from 'flinkx';
const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);
env.enableCheckpointing(200, 'exactly-once').setRestartStrategy({ attempts: 10, delay: 200 });
const events = env.readTextFile('events.jsonl')
  .map((line: string) => JSON.parse(line) as { word: string; ts: number })
  .assignTimestampsAndWatermarks({ field: 'ts', maxOutOfOrderness: '2s' })
  .rebalance();
for (const ordered of [true, false]) {
  events
    .asyncMap(async (e: { word: string; ts: number }) => {
      const res = await fetch(${JSON.stringify(url)} + '?word=' + encodeURIComponent(e.word));
      if (!res.ok) throw new Error('service answered ' + res.status);
      return { word: e.word, letters: (await res.json()).letters as number };
    }, { capacity: 16, timeout: 30000, ordered }).uid(ordered ? 'enrich' : 'enrich-unordered')
    .keyBy('word').window(TumblingEventTimeWindows.of(1000)).sum('letters').uid(ordered ? 'sums' : 'sums-unordered')
    .sinkTo(FileSink.jsonLines(ordered ? 'ordered' : 'unordered'));
}
env.execute('enrich-windows');
`,
  );
  return join(dir, 'job.ts');
}

/** The committed records of each sink subtask, in commit order. */
function committed(folder: string): unknown[][] {
  const bySubtask = new Map<string, unknown[]>();
  for (const f of readdirSync(folder)
    .filter((n) => /^part-\d+(-(\d+|final))?\.jsonl$/.test(n))
    .sort()) {
    const subtask = f.split('-')[1].replace('.jsonl', '');
    const lines = readFileSync(join(folder, f), 'utf8').split('\n').filter(Boolean);
    bySubtask.set(subtask, [...(bySubtask.get(subtask) ?? []), ...lines.map((l) => JSON.parse(l))]);
  }
  return [...bySubtask.keys()].sort().map((k) => bySubtask.get(k)!);
}

describe('asyncMap', () => {
  let cluster: Cluster;
  let service: Awaited<ReturnType<typeof startService>>;
  beforeAll(async () => {
    [cluster, service] = await Promise.all([Cluster.start([2, 2]), startService()]);
  });
  afterAll(async () => {
    await cluster.stop();
    service.server.close();
  });

  /** Once the job has a completed checkpoint, SIGKILLs the TaskManager of subtask 0 and starts another. */
  async function killTaskManagerAfterACheckpoint(jobId: string): Promise<void> {
    const running = await waitFor(
      'a completed checkpoint',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        if (j.state === 'FINISHED' || j.state === 'FAILED') throw new StopWaiting(`job is ${j.state} before the kill`);
        const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
        return j.state === 'RUNNING' && cps.history.some((c: { status: string }) => c.status === 'COMPLETED')
          ? j
          : undefined;
      },
      60_000,
    );
    const victim = cluster.taskManager(running.vertices[0].subtasks[0].tm);
    if (!victim) throw new Error('no process for the TaskManager of subtask 0');
    victim.kill('SIGKILL');
    cluster.startTaskManager(2);
  }

  // The service runs in this process: the job is followed with async waits, never a blocking CLI call.
  test('enriches every record, in input order, with at most `capacity` calls open per subtask', async () => {
    const dir = tempDir();
    writeText(join(dir, 'input.txt'), 1000, 5);
    const before = service.stats.requests;
    const jobId = await cluster.submit(
      jobModule(dir, service.url, { capacity: 4, checkpointing: false, rebalance: false }),
    );
    expect((await cluster.waitForState(jobId, ['FINISHED'])).state).toBe('FINISHED');
    const words = tokens(readFileSync(join(dir, 'input.txt'), 'utf8'));
    // Source subtask 0 reads the first byte range, subtask 1 the rest; each chain keeps its order.
    expect(committed(join(dir, 'out')).flat()).toEqual(words.map(enrich));
    expect(service.stats.requests - before).toBe(words.length);
    expect(service.stats.maxOpen).toBeLessThanOrEqual(2 * 4);
  });

  test('exactly-once, a TaskManager SIGKILLed mid-job: every record enriched exactly once', async () => {
    const dir = tempDir();
    writeText(join(dir, 'input.txt'), 6000, 9);
    const jobId = await cluster.submit(
      jobModule(dir, service.url, { capacity: 16, checkpointing: true, rebalance: true }),
    );
    await killTaskManagerAfterACheckpoint(jobId);

    const job = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 240_000);
    expect(job.state).toBe('FINISHED');
    expect(job.restarts).toBeGreaterThanOrEqual(1);
    const key = (r: unknown) => JSON.stringify(r);
    const got = committed(join(dir, 'out')).flat().map(key).sort();
    const expected = tokens(readFileSync(join(dir, 'input.txt'), 'utf8'))
      .map((w) => key(enrich(w)))
      .sort();
    expect(got).toEqual(expected);
  });

  test('exactly-once with event time, a TaskManager SIGKILLed mid-job: the windows after asyncMap are exact, ordered and unordered', async () => {
    const dir = tempDir();
    const events = writeEvents(join(dir, 'events.jsonl'), 30_000);
    const jobId = await cluster.submit(windowedJobModule(dir, service.url));
    await killTaskManagerAfterACheckpoint(jobId);

    const job = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 240_000);
    // Without event time on the restored records, every restore failed at the window ("has no event time").
    const failures = job.state === 'FINISHED' ? [] : job.exceptions.map((e: { message: string }) => e.message);
    expect({ state: job.state, failures }).toEqual({ state: 'FINISHED', failures: [] });
    expect(job.restarts).toBeGreaterThanOrEqual(1);
    const sums = new Map<string, { word: string; windowStart: number; windowEnd: number; sum: number }>();
    for (const e of events) {
      const windowStart = Math.floor(e.ts / 1000) * 1000;
      const row = sums.get(`${e.word}/${windowStart}`) ?? {
        word: e.word,
        windowStart,
        windowEnd: windowStart + 1000,
        sum: 0,
      };
      row.sum += enrich(e.word).letters;
      sums.set(`${e.word}/${windowStart}`, row);
    }
    const key = (r: unknown) => JSON.stringify(r);
    const expected = [...sums.values()].map(key).sort();
    expect(committed(join(dir, 'ordered')).flat().map(key).sort()).toEqual(expected);
    expect(committed(join(dir, 'unordered')).flat().map(key).sort()).toEqual(expected);
  });
});
