/**
 * Checkpoints written by the TaskManagers into the checkpoint storage, with real processes: more
 * than 100 MiB of keyed state checkpointed and restored (far past any frame limit), and a corrupt
 * snapshot file that makes the restore fall back to the checkpoint before it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, tempDir, waitFor, writePacedJob } from './harness';
import { changelogOutOfStep, expectedCounts, pacedWordcountJob, sinkCounts, writeText } from './wordcount';

jest.setTimeout(300_000);

const MiB = 1024 * 1024;

const KEYS = 120_000;
const PER_KEY = 4;

/** A job with KEYS keys whose values carry 1 KiB of padding once reduced: KEYS KiB of keyed state. */
function bigStateJob(dir: string) {
  writeFileSync(
    join(dir, 'fns.js'),
    `const PAD = 'x'.repeat(1024);\n` +
      `exports.toKey = (r) => ({ key: r.seq % ${KEYS}, n: 1 });\n` +
      `exports.add = (a, b) => ({ key: b.key, n: a.n + b.n, pad: PAD });\n` +
      `exports.slim = (r) => ({ key: r.key, n: r.n });\n`,
  );
  const spec = {
    name: 'big-state',
    parallelism: 2,
    functions: 'fns.js',
    checkpointing: { interval: 1000, mode: 'exactly-once', storage: join(dir, 'checkpoints') },
    nodes: [
      {
        id: 'gen',
        type: 'source',
        connector: { kind: 'generator', format: 'sequence', count: KEYS * PER_KEY, rate: 40_000 },
      },
      { id: 'keys', type: 'map', inputs: ['gen'], fn: 'toKey' },
      { id: 'sums', type: 'reduce', inputs: ['keys'], keyBy: 'key', fn: 'add' },
      { id: 'slim', type: 'map', inputs: ['sums'], fn: 'slim' },
      { id: 'out', type: 'sink', inputs: ['slim'], connector: { kind: 'file', path: join(dir, 'out') } },
    ],
  };
  writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
  return join(dir, 'job.json');
}

/** Each key's changelog n = 1, 2, ... in the committed output: the keys out of step, and the final n per key. */
function keyChangelog(out: string): { outOfStep: string[]; seen: Map<number, number> } {
  const seen = new Map<number, number>();
  const outOfStep: string[] = [];
  for (const f of readdirSync(out)
    .filter((n) => /^part-\d+-(\d+|final)\.jsonl$/.test(n))
    .sort()) {
    for (const line of readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)) {
      const { key, n } = JSON.parse(line) as { key: number; n: number };
      if (n !== (seen.get(key) ?? 0) + 1) outOfStep.push(`${key}: ${seen.get(key)} then ${n}`);
      seen.set(key, n);
    }
  }
  return { outOfStep, seen };
}

/** The completed checkpoints in a job's storage folder, newest first. */
function completedOnDisk(jobDir: string): number[] {
  if (!existsSync(jobDir)) return [];
  return readdirSync(jobDir)
    .map((n) => /^chk-(\d+)$/.exec(n))
    .filter((m) => m !== null && existsSync(join(jobDir, m[0], '_metadata.json')))
    .map((m) => Number(m![1]))
    .sort((a, b) => b - a);
}

describe('checkpoint storage', () => {
  // One cluster for the file: each test leaves two TaskManagers up (the killed ones replaced), and
  // reads the JobManager's log for its own job only.
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2, 2], ['--heartbeat-timeout', '3000']);
  });
  afterAll(() => cluster.stop());
  /** The checkpoint ids the JobManager logged restoring `jobId` from, in order. */
  const restoredFrom = (jobId: string) =>
    [
      ...cluster.procs[0].output.matchAll(
        new RegExp(`restoring from checkpoint job=${jobId} .*checkpoint=(\\d+)`, 'g'),
      ),
    ].map((m) => Number(m[1]));

  test('more than 100 MiB of keyed state is checkpointed and restored after a TaskManager is killed: final counts and changelog exact', async () => {
    const dir = tempDir();
    const jobId = await cluster.submit(bigStateJob(dir));

    const big = await waitFor(
      'a completed checkpoint of more than 100 MiB',
      async () => {
        const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
        return cps.history.find((c: any) => c.status === 'COMPLETED' && c.size > 100 * MiB);
      },
      120_000,
      cluster.logs,
    );
    const job = await cluster.get(`/jobs/${jobId}`);
    expect(job.state).toBe('RUNNING');
    cluster.taskManager(job.vertices[0].subtasks[0].tm)!.kill('SIGKILL');
    cluster.startTaskManager(2);

    const done = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 240_000);
    expect(done.state).toBe('FINISHED');
    expect(done.restarts).toBe(1);
    // The restore read the snapshot files by handle: the JM never held them (its frames are capped at 64 MiB).
    expect(restoredFrom(jobId).filter((id) => [big.id, big.id + 1, big.id + 2].includes(id))).not.toEqual([]);
    const { outOfStep, seen } = keyChangelog(join(dir, 'out'));
    expect(outOfStep.slice(0, 10)).toEqual([]);
    expect(seen.size).toBe(KEYS);
    expect([...seen.values()].filter((n) => n !== PER_KEY)).toEqual([]);
  });

  test('a snapshot file corrupted after its checkpoint completed is detected by its checksum; the previous checkpoint is used, exactly', async () => {
    const dir = tempDir();
    const input = join(dir, 'input.txt');
    // Paced 1 ms per line (25 000 lines per source subtask) until the restore from the corrupt
    // checkpoint is under way: the job surely runs until its TaskManagers are killed.
    writeText(input, 100_000, 5);
    const storage = join(dir, 'checkpoints');
    const spec = pacedWordcountJob(input, join(dir, 'out'), 4, {
      checkpointing: { interval: 200, mode: 'exactly-once', storage },
    });
    const { jobFile, release } = writePacedJob(dir, spec, 1);
    const jobId = await cluster.submit(jobFile);
    const jobDir = join(storage, jobId);

    await waitFor(
      'two completed checkpoints',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        if (j.state === 'FINISHED') throw new Error('the job finished before two checkpoints');
        return completedOnDisk(jobDir).length >= 2 ? true : undefined;
      },
      60_000,
    );
    // With every TaskManager gone no checkpoint can complete: the latest one stays the latest.
    for (const tm of cluster.taskManagers) tm.kill('SIGKILL');
    await waitFor(
      'the restarted job waiting for slots',
      async () => {
        const j = await cluster.get(`/jobs/${jobId}`);
        return j.state === 'CREATED' && j.restarts === 1 && /waiting for/.test(j.reason ?? '') ? j : undefined;
      },
      60_000,
      cluster.logs,
    );
    const [latest, previous] = completedOnDisk(jobDir);
    const victim = join(jobDir, `chk-${latest}`, 'counts-0.bin');
    const bytes = readFileSync(victim);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(victim, bytes);
    cluster.startTaskManager(2);
    cluster.startTaskManager(2);
    release();

    const done = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
    expect(done.state).toBe('FINISHED');
    expect(done.restarts).toBe(2);
    expect(done.exceptions.map((e: any) => e.message)).toContainEqual(
      expect.stringMatching(/counts-0\.bin does not match its sha256 checksum/),
    );
    expect(restoredFrom(jobId)).toContain(previous);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(input, 'utf8')));
    expect(changelogOutOfStep(join(dir, 'out')).slice(0, 10)).toEqual([]);
  });

  test('a TaskManager killed with SIGKILL while it writes its snapshot file leaves the previous checkpoint in use, exactly', async () => {
    const dir = tempDir();
    const jobId = await cluster.submit(bigStateJob(dir));
    const jobDir = join(dir, 'checkpoints', jobId);
    // Once the state is large, writing a task's snapshot takes a while: long enough to be caught at it.
    await waitFor(
      'a completed checkpoint of more than 50 MiB',
      async () => {
        const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
        return cps.history.find((c: any) => c.status === 'COMPLETED' && c.size > 50 * MiB);
      },
      120_000,
      cluster.logs,
    );
    const job = await cluster.get(`/jobs/${jobId}`);
    const [previous] = completedOnDisk(jobDir);
    // A snapshot file of a later checkpoint that is there (being written) while its checkpoint has no metadata yet.
    // Polled without a pause (waitFor's 100 ms could miss the write): the test fails if it never sees one.
    const findWriting = () => {
      for (const n of readdirSync(jobDir)) {
        const m = /^chk-(\d+)$/.exec(n);
        if (!m || Number(m[1]) <= previous) continue;
        const files = readdirSync(join(jobDir, n));
        const file = files.find((f) => /^sums-\d+\.bin$/.test(f));
        if (file && !files.includes('_metadata.json')) return { id: Number(m[1]), file };
      }
      return undefined;
    };
    const deadline = Date.now() + 60_000;
    let writing = findWriting();
    while (!writing && Date.now() < deadline) {
      await new Promise((r) => setImmediate(r));
      writing = findWriting();
    }
    if (!writing) throw new Error('no snapshot file seen while being written');
    const subtask = Number(/-(\d+)\.bin$/.exec(writing.file)![1]);
    const tm = job.vertices.find((v: any) => v.id === 'sums').subtasks[subtask].tm;
    cluster.taskManager(tm)!.kill('SIGKILL');
    cluster.startTaskManager(2);

    const done = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 240_000);
    expect(done.state).toBe('FINISHED');
    expect(done.restarts).toBe(1);
    // The checkpoint cut short never completed; the restore took the one before it.
    expect(existsSync(join(jobDir, `chk-${writing.id}`, '_metadata.json'))).toBe(false);
    expect(restoredFrom(jobId)[0]).toBeLessThan(writing.id);
    const { outOfStep, seen } = keyChangelog(join(dir, 'out'));
    expect(outOfStep.slice(0, 10)).toEqual([]);
    expect(seen.size).toBe(KEYS);
    expect([...seen.values()].filter((n) => n !== PER_KEY)).toEqual([]);
  });
});
