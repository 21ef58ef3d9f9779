/**
 * Checkpoints and recovery with real processes: TaskManagers SIGKILLed after a completed
 * checkpoint, new ones joining, and the committed output checked against counts computed here.
 * The word counts' sources are paced (test/harness.ts's paceModule) until the last kill, so a short
 * input keeps each job mid-stream through its kills; then it runs the rest at full speed.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, tempDir, waitFor, writePacedJob } from './harness';
import { changelog, changelogOutOfStep, expectedCounts, pacedWordcountJob, sinkCounts, writeText } from './wordcount';

jest.setTimeout(300_000);

const LINES = 100_000;
/** Milliseconds each source subtask blocks per line until released: 25 000 lines per subtask ≈ 25 s of pacing at least. */
const PACE_MS = 1;

/**
 * Once the job runs its `restarts`-th restart and a checkpoint of that attempt has completed, kill a
 * TaskManager running it with SIGKILL; a new TM joins.
 */
async function killAfterCheckpoint(cluster: Cluster, jobId: string, restarts: number): Promise<void> {
  const job = await waitFor(
    `a completed checkpoint after ${restarts} restarts`,
    async () => {
      const j = await cluster.get(`/jobs/${jobId}`);
      if (j.state === 'FINISHED' || j.state === 'FAILED') throw new Error(`job is ${j.state}`);
      if (j.state !== 'RUNNING' || j.restarts !== restarts) return undefined;
      const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
      return cps.history.some((c: any) => c.status === 'COMPLETED' && c.attempt === j.attempt) ? j : undefined;
    },
    60_000,
  );
  const tmId: string = job.vertices[0].subtasks[0].tm;
  const victim = cluster.taskManager(tmId);
  if (!victim) throw new Error(`no process for ${tmId}`);
  victim.kill('SIGKILL');
  cluster.startTaskManager(2);
}

describe('checkpoints and recovery', () => {
  let cluster: Cluster;
  let input: string;
  let expected: Map<string, number>;

  beforeAll(async () => {
    cluster = await Cluster.start([2, 2]);
    input = join(tempDir(), 'input.txt');
    writeText(input, LINES, 21);
    expected = expectedCounts(readFileSync(input, 'utf8'));
  });
  afterAll(() => cluster.stop());

  const job = (out: string, mode: string) =>
    pacedWordcountJob(input, out, 4, { checkpointing: { interval: 200, mode }, restart: { attempts: 10, delay: 200 } });

  test('exactly-once: three TaskManagers killed with SIGKILL, the committed output counts every word once', async () => {
    const dir = tempDir();
    const { jobFile, release } = writePacedJob(dir, job(join(dir, 'out'), 'exactly-once'), PACE_MS);
    const jobId = await cluster.submit(jobFile);
    for (let kill = 0; kill < 3; kill++) await killAfterCheckpoint(cluster, jobId, kill);
    release();

    const done = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(done.state).toBe('FINISHED');
    expect(done.restarts).toBe(3);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expected);
    expect(changelogOutOfStep(join(dir, 'out')).slice(0, 10)).toEqual([]);
    expect(readdirSync(join(dir, 'out')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  test('exactly-once with no restart block: a TaskManager killed with SIGKILL, the default exponential delay restarts it exactly', async () => {
    const dir = tempDir();
    const spec = pacedWordcountJob(input, join(dir, 'out'), 4, {
      checkpointing: { interval: 200, mode: 'exactly-once' },
    });
    expect(spec).not.toHaveProperty('restart');
    const { jobFile, release } = writePacedJob(dir, spec, PACE_MS);
    const jobId = await cluster.submit(jobFile);
    await killAfterCheckpoint(cluster, jobId, 0);
    release();

    const done = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(done.state).toBe('FINISHED');
    expect(done.restartStrategy).toMatchObject({ strategy: 'exponential-delay', initialBackoff: 1000 });
    expect(done.restarts).toBe(1);
    expect(done.exceptions[0].message).toMatch(/TaskManager .* was lost/);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expected);
    expect(changelogOutOfStep(join(dir, 'out')).slice(0, 10)).toEqual([]);
  });

  test("exactly-once with miniBatch: a TaskManager killed with SIGKILL, fewer updates, each word's committed counts rise to the exact total", async () => {
    const dir = tempDir();
    const spec = pacedWordcountJob(input, join(dir, 'out'), 4, {
      checkpointing: { interval: 200, mode: 'exactly-once' },
      restart: { attempts: 10, delay: 200 },
      miniBatch: { latency: 50, size: 2000 },
    });
    const { jobFile, release } = writePacedJob(dir, spec, PACE_MS);
    const jobId = await cluster.submit(jobFile);
    await killAfterCheckpoint(cluster, jobId, 0);
    release();

    const done = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(done.state).toBe('FINISHED');
    expect(done.restarts).toBe(1);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expected);
    // A replayed or lost bundle shows as a count that does not rise.
    const last = new Map<string, number>();
    const notRising: string[] = [];
    const records = changelog(join(dir, 'out'));
    for (const r of records) {
      if (r.count <= (last.get(r.word) ?? 0)) notRising.push(`${r.word}: ${last.get(r.word)} then ${r.count}`);
      last.set(r.word, r.count);
    }
    expect(notRising.slice(0, 10)).toEqual([]);
    const words = [...expected.values()].reduce((a, b) => a + b, 0);
    expect(records.length).toBeLessThan(words / 2);
  });

  test('at-least-once: a TaskManager killed with SIGKILL, no word is lost', async () => {
    const dir = tempDir();
    const { jobFile, release } = writePacedJob(dir, job(join(dir, 'out'), 'at-least-once'), PACE_MS);
    const jobId = await cluster.submit(jobFile);
    await killAfterCheckpoint(cluster, jobId, 0);
    release();

    const done = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(done.state).toBe('FINISHED');
    expect(done.restarts).toBe(1);
    const got = sinkCounts(join(dir, 'out'));
    const missingOrLow = [...expected].filter(([w, n]) => (got.get(w) ?? 0) < n);
    expect(missingOrLow).toEqual([]);
  });

  test('checkpoint history is listed with status, timing, size and acknowledgements', async () => {
    const dir = tempDir();
    const spec = {
      name: 'endless',
      parallelism: 2,
      checkpointing: { interval: 100, mode: 'exactly-once' },
      nodes: [
        { id: 'gen', type: 'source', connector: { kind: 'generator', rate: 5000 } },
        { id: 'words', type: 'flatMap', inputs: ['gen'], fn: 'tokenize' },
        { id: 'counts', type: 'count', inputs: ['words'], keyBy: 'word' },
        { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: join(dir, 'out') } },
      ],
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
    const jobId = await cluster.submit(join(dir, 'job.json'));
    const cps = await waitFor(
      'three completed checkpoints',
      async () => {
        const c = await cluster.get(`/jobs/${jobId}/checkpoints`);
        return c.counts.completed >= 3 ? c : undefined;
      },
      60_000,
    );
    const done = cps.history.find((c: any) => c.status === 'COMPLETED');
    expect(done).toMatchObject({ status: 'COMPLETED', acknowledged: 4, total: 4 });
    expect(done.size).toBeGreaterThan(0);
    expect(typeof done.triggerTime).toBe('number');
    expect(typeof done.duration).toBe('number');
    const ids = cps.history.map((c: any) => c.id);
    expect([...ids].sort((a: number, b: number) => b - a)).toEqual(ids);
    // Committed files appear as checkpoints complete, before the (unbounded) job ends.
    expect(readdirSync(join(dir, 'out')).some((n) => /^part-\d+-\d+\.jsonl$/.test(n))).toBe(true);
    expect(cluster.cli(['status', jobId]).stdout).toMatch(/checkpoint/i);
    expect(cluster.cli(['cancel', jobId]).status).toBe(0);
    await cluster.waitForState(jobId, ['CANCELED']);
  });
});
