/**
 * A JobManager on a full data dir (issue 32, faults 2 and 3), with real processes: the data dir is
 * a small tmpfs the test mounts and fills. A TaskManager is SIGKILLed before, so the job has an
 * exception to keep, and another while the disk is full, so the job must restart: its next attempt cannot be written, so it is not deployed. Then the active
 * JobManager is SIGKILLed and the standby takes over on the full disk: it keeps running and says
 * why in GET /health. Once space is freed the job resumes with an attempt no JobManager deployed
 * before, and finishes with the exact word counts, keeping its start time, checkpoint counts and
 * exceptions across the failover.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Cluster, freePort, tempDir, waitFor, writePacedJob, type Proc } from './harness';
import {
  changelogOutOfStep,
  expectedCounts,
  pacedWordcountJob,
  sinkCounts,
  wordcountJob,
  writeText,
} from './wordcount';

jest.setTimeout(300_000);

const LINES = 100_000;
/** Milliseconds each source subtask blocks per line until released: the job is mid-stream through every kill. */
const PACE_MS = 1;

/** GET on a JobManager at `url`: status and body, undefined while it does not answer. */
async function get(url: string, path: string): Promise<{ status: number; body: any } | undefined> {
  try {
    const res = await fetch(url + path);
    return { status: res.status, body: await res.json() };
  } catch {
    return undefined;
  }
}

/** Appends to `file` until the filesystem is full; with `big`, in 1 MiB pieces first. */
function fill(file: string, big = false): void {
  for (const size of big ? [1 << 20, 4096, 1] : [4096, 1]) {
    const chunk = Buffer.alloc(size, 1);
    for (;;) {
      try {
        appendFileSync(file, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
        throw err;
      }
    }
  }
}

/** The attempts each JobManager deployed of `jobId`, from its log. */
function deployedAttempts(jm: Proc, jobId: string): number[] {
  return [...jm.output.matchAll(new RegExp(`deploying job job=${jobId} attempt=(\\d+)`, 'g'))].map((m) => Number(m[1]));
}

describe('JobManager on a full disk', () => {
  let mnt: string | undefined;
  let input: string;
  let expected: Map<string, number>;
  beforeAll(() => {
    input = join(tempDir(), 'input.txt');
    writeText(input, LINES, 31);
    expected = expectedCounts(readFileSync(input, 'utf8'));
    const dir = mkdtempSync(join(tmpdir(), 'flinkx-full-disk-'));
    const r = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=32m', 'tmpfs', dir], { encoding: 'utf8' });
    if (r.status === 0) mnt = dir;
    else
      console.warn(
        `skipping the full-disk JobManager test: cannot mount a tmpfs (${(r.stderr || r.error?.message || '').trim()}); it needs root`,
      );
  });
  afterAll(() => {
    if (!mnt) return;
    spawnSync('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  test('no attempt is deployed before it is stored; the standby takes over on the full disk, stays up saying why, and the job finishes exactly once space is freed', async () => {
    if (!mnt) return;
    const dataDir = join(mnt, 'jm');
    const filler = join(mnt, 'filler');
    const cluster = await Cluster.start([], { jmArgs: ['--data-dir', dataDir] });
    let topUp: NodeJS.Timeout | undefined;
    try {
      const active = cluster.jobManagers[0];
      const standbyPort = await freePort();
      const standbyUrl = `http://127.0.0.1:${standbyPort}`;
      const standby = cluster.startJobManager(standbyPort);
      await waitFor(
        'the standby to wait on the lock',
        () => standby.output.includes('standby: another JobManager holds the data dir'),
        30_000,
        cluster.logs,
      );
      const both = `ws://127.0.0.1:${cluster.port},ws://127.0.0.1:${standbyPort}`;
      for (let i = 0; i < 4; i++) cluster.startTaskManager(2, { jobmanager: both });
      await cluster.waitForTaskManagers(4);

      const dir = tempDir();
      const out = join(dir, 'out');
      const spec = pacedWordcountJob(input, out, 4, {
        checkpointing: { interval: 200, mode: 'exactly-once' },
        restart: { attempts: 100, delay: 100 },
      });
      const { jobFile, release } = writePacedJob(dir, spec, PACE_MS);
      const jobId = await cluster.submit(jobFile);
      /** Kills a TaskManager that runs the job, as the JobManager at `url` sees it; its id. */
      const killTaskManagerOf = (job: any): string => {
        const tmId: string = job.vertices[0].subtasks[0].tm;
        cluster.taskManager(tmId)!.kill('SIGKILL');
        return tmId;
      };
      const checkpointOfAttempt = (attempt: number) =>
        waitFor(
          `a completed checkpoint of attempt ${attempt}`,
          async () => {
            const j = (await get(cluster.url, `/jobs/${jobId}`))?.body;
            if (j?.state === 'FAILED' || j?.state === 'FINISHED')
              throw new Error(`job is ${j.state}: ${j.failure?.message ?? ''}`);
            const cps = (await get(cluster.url, `/jobs/${jobId}/checkpoints`))?.body;
            return j?.state === 'RUNNING' &&
              j.attempt === attempt &&
              cps?.history.some((c: any) => c.status === 'COMPLETED' && c.attempt === attempt)
              ? j
              : undefined;
          },
          120_000,
          cluster.logs,
        );
      // A failure while the disk has room: its exception is stored.
      const lost = killTaskManagerOf(await checkpointOfAttempt(0));
      const before = await checkpointOfAttempt(1);
      expect(before.exceptions).toEqual([
        expect.objectContaining({ attempt: 0, message: expect.stringContaining(`TaskManager ${lost} was lost`) }),
      ]);

      // The data dir fills up, and stays full: whatever is freed is taken again.
      fill(filler, true);
      topUp = setInterval(() => fill(filler), 20);
      const refused = await cluster.post('/jobs', { job: wordcountJob(input, join(dir, 'other'), 1) });
      expect(refused.status).toBe(503);
      expect(refused.body.error).toMatchObject({
        code: 'JOB_STORE',
        message: expect.stringContaining('no space left on device'),
      });

      // A TaskManager of the job dies: the job must restart, but its next attempt cannot be stored.
      killTaskManagerOf(before);
      const waiting = await waitFor(
        'the restart to wait for its status to be written',
        async () => {
          const j = (await get(cluster.url, `/jobs/${jobId}`))?.body;
          if (j?.attempt > 1 && j.state === 'RUNNING')
            throw new Error(`attempt ${j.attempt} was deployed while its status could not be written`);
          return j?.state === 'CREATED' &&
            /is not deployed until the job status that holds it is written/.test(j.reason ?? '')
            ? j
            : undefined;
        },
        60_000,
        cluster.logs,
      );
      expect(waiting.reason).toMatch(/^attempt \d+ is not deployed until .*no space left on device/);
      expect(waiting.exceptions).toContainEqual(
        expect.objectContaining({
          code: 'JOB_STORE',
          message: expect.stringMatching(/^cannot persist the job status: .*no space left on device/),
        }),
      );
      const health = await get(cluster.url, '/health');
      expect(health?.status).toBe(503);
      expect(health?.body.status).toBe('DEGRADED');
      expect(health?.body.problems).toContainEqual(
        expect.objectContaining({
          what: `the status of job ${jobId}`,
          code: 'JOB_STORE',
          message: expect.stringContaining('no space left on device'),
        }),
      );

      // The active JobManager dies; the standby takes over the full disk and stays up, saying why.
      active.kill('SIGKILL');
      await active.exited();
      await waitFor(
        'the standby to take over or wait, on the full disk',
        async () => {
          if (!standby.alive) throw new Error('the standby exited');
          if (standby.output.includes('cannot write the lock: the disk is full')) return true;
          const h = await get(standbyUrl, '/health');
          return h?.status === 503 &&
            h.body.status === 'DEGRADED' &&
            h.body.problems.some((p: any) => /no space left on device/.test(p.message))
            ? true
            : undefined;
        },
        60_000,
        cluster.logs,
      );
      expect(standby.alive).toBe(true);

      // Space is freed: the standby leads, becomes healthy, and the job resumes and finishes.
      clearInterval(topUp);
      topUp = undefined;
      rmSync(filler);
      release();
      await waitFor(
        'the standby to be healthy',
        async () => {
          const h = await get(standbyUrl, '/health');
          return h?.status === 200 && h.body.status === 'UP' ? true : undefined;
        },
        60_000,
        cluster.logs,
      );
      const done = await waitFor(
        'the job to finish under the standby',
        async () => {
          const j = (await get(standbyUrl, `/jobs/${jobId}`))?.body;
          if (j?.state === 'FAILED' || j?.state === 'CANCELED')
            throw new Error(`job ended ${j.state}: ${j.failure?.message ?? ''}`);
          return j?.state === 'FINISHED' ? j : undefined;
        },
        180_000,
        cluster.logs,
      );
      expect(sinkCounts(out)).toEqual(expected);
      expect(changelogOutOfStep(out).slice(0, 10)).toEqual([]);

      // No attempt number was deployed twice, by either JobManager.
      const attempts = [...deployedAttempts(active, jobId), ...deployedAttempts(standby, jobId)];
      expect(attempts.slice(0, 2)).toEqual([0, 1]);
      expect(new Set(attempts).size).toBe(attempts.length);
      expect(done.attempt).toBe(attempts[attempts.length - 1]);

      // What the job was before the failover goes on: start time, checkpoint counts, exceptions.
      expect(done.startTime).toBe(before.startTime);
      // (no checkpoint completes while the job waits in CREATED; the history is the new JobManager's)
      const history = (await get(standbyUrl, `/jobs/${jobId}/checkpoints`))!.body.history;
      expect(waiting.checkpoints.completed).toBeGreaterThan(0);
      expect(done.checkpoints.completed).toBe(
        waiting.checkpoints.completed + history.filter((c: any) => c.status === 'COMPLETED').length,
      );
      // (the exceptions recorded while the disk was full were never stored: they went with that JobManager)
      expect(done.exceptions[0]).toEqual(before.exceptions[0]);
    } finally {
      if (topUp) clearInterval(topUp);
      await cluster.stop();
    }
  });
});
