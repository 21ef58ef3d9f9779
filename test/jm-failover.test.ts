/**
 * JobManager failover with real processes, as Flink's test_ha_datastream.sh: the JobManager
 * SIGKILLed during an exactly-once word count and a new one started on the same data dir, three
 * times; and a standby on the same data dir that takes over when the active one dies. The committed
 * output is checked against counts computed here. The word count's source is paced (test/harness.ts's
 * paceModule) until the last kill, so a short input keeps the job mid-stream through every kill;
 * then it runs the rest at full speed.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { Cluster, freePort, ROOT, tempDir, waitFor, writePacedJob, type Proc } from './harness';
import { changelogOutOfStep, expectedCounts, pacedWordcountJob, sinkCounts, writeText } from './wordcount';

jest.setTimeout(300_000);

const LINES = 100_000;
/** Milliseconds each source subtask blocks per line until released: 25 000 lines per subtask ≈ 25 s of pacing at least. */
const PACE_MS = 1;

/** GET on a JobManager at `url`, undefined while it does not answer. */
async function get(url: string, path: string): Promise<any> {
  try {
    const res = await fetch(url + path);
    return await res.json();
  } catch {
    return undefined;
  }
}

/** Waits until the job, as the JobManager at `url` sees it, completed a checkpoint of its current attempt. */
async function checkpointOfCurrentAttempt(url: string, jobId: string, cluster: Cluster): Promise<void> {
  await waitFor(
    'a completed checkpoint of the current attempt',
    async () => {
      const j = await get(url, `/jobs/${jobId}`);
      if (j?.state === 'FINISHED' || j?.state === 'FAILED')
        throw new Error(`job is ${j.state}: ${j.failure?.message ?? ''}`);
      if (j?.state !== 'RUNNING') return undefined;
      const cps = await get(url, `/jobs/${jobId}/checkpoints`);
      return cps?.history.some((c: any) => c.status === 'COMPLETED' && c.attempt === j.attempt) ? true : undefined;
    },
    120_000,
    cluster.logs,
  );
}

async function killed(p: Proc): Promise<void> {
  p.kill('SIGKILL');
  await p.exited();
}

describe('JobManager failover', () => {
  let input: string;
  let expected: Map<string, number>;
  beforeAll(() => {
    input = join(tempDir(), 'input.txt');
    writeText(input, LINES, 31);
    expected = expectedCounts(readFileSync(input, 'utf8'));
  });

  /** The paced word count, and the function that lets it run at full speed. */
  async function submitWordcount(cluster: Cluster): Promise<{ jobId: string; out: string; release: () => void }> {
    const dir = tempDir();
    const out = join(dir, 'out');
    // No restart block: a JobManager failover is not a job failure and needs none.
    const { jobFile, release } = writePacedJob(
      dir,
      pacedWordcountJob(input, out, 4, { checkpointing: { interval: 200, mode: 'exactly-once' } }),
      PACE_MS,
    );
    return { jobId: await cluster.submit(jobFile), out, release };
  }

  test('the JobManager SIGKILLed three times, a new one each time on the same data dir: the job resumes under its id and the committed output is exact', async () => {
    const cluster = await Cluster.start([2, 2]);
    try {
      const { jobId, out, release } = await submitWordcount(cluster);
      for (let kill = 0; kill < 3; kill++) {
        await checkpointOfCurrentAttempt(cluster.url, jobId, cluster);
        await killed(cluster.jobManagers[cluster.jobManagers.length - 1]);
        cluster.startJobManager();
      }
      release();
      const done = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED']);
      expect(done.state).toBe('FINISHED');
      expect(done.restarts).toBe(0);
      expect(done.attempt).toBeGreaterThanOrEqual(3);
      const last = cluster.jobManagers[3].output;
      expect(last).toMatch(new RegExp(`resuming job after a JobManager failover job=${jobId}`));
      expect(last).toMatch(/restoring from checkpoint/);
      expect(sinkCounts(out)).toEqual(expected);
      expect(changelogOutOfStep(out).slice(0, 10)).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });

  test('a standby JobManager on the same data dir waits on the lock and takes over when the active one dies; TaskManagers find it in their list', async () => {
    const cluster = await Cluster.start([]);
    try {
      const standbyPort = await freePort();
      const standbyUrl = `http://127.0.0.1:${standbyPort}`;
      const standby = cluster.startJobManager(standbyPort);
      await waitFor(
        'the standby to wait on the lock',
        () => standby.output.includes('standby: another JobManager holds the data dir'),
        30_000,
        cluster.logs,
      );
      expect(await get(standbyUrl, '/jobs')).toBeUndefined(); // a standby serves nothing

      const both = `ws://127.0.0.1:${cluster.port},ws://127.0.0.1:${standbyPort}`;
      cluster.startTaskManager(2, { jobmanager: both });
      cluster.startTaskManager(2, { jobmanager: both });
      await cluster.waitForTaskManagers(2);
      const { jobId, out, release } = await submitWordcount(cluster);
      await checkpointOfCurrentAttempt(cluster.url, jobId, cluster);
      await killed(cluster.jobManagers[0]);
      release();

      const done = await waitFor(
        'the job to finish under the standby',
        async () => {
          const j = await get(standbyUrl, `/jobs/${jobId}`);
          if (j?.state === 'FAILED' || j?.state === 'CANCELED')
            throw new Error(`job ended ${j.state}: ${j.failure?.message ?? ''}`);
          return j?.state === 'FINISHED' ? j : undefined;
        },
        180_000,
        cluster.logs,
      );
      expect((await get(standbyUrl, '/taskmanagers')).length).toBe(2);
      expect(done.restarts).toBe(0);
      expect(sinkCounts(out)).toEqual(expected);
      expect(changelogOutOfStep(out).slice(0, 10)).toEqual([]);
    } finally {
      await cluster.stop();
    }
  });

  test('a data dir whose stored job status is garbage: the JobManager says which file and exits non-zero, releasing port and lock', () => {
    const dataDir = tempDir();
    mkdirSync(join(dataDir, 'jobs', 'j'), { recursive: true });
    writeFileSync(
      join(dataDir, 'jobs', 'j', 'job.json'),
      JSON.stringify({ version: 1, id: 'j', spec: {}, createdAt: 1 }),
    );
    writeFileSync(join(dataDir, 'jobs', 'j', 'status.json'), 'garbage');
    const run = spawnSync(
      process.execPath,
      [join(ROOT, 'bin', 'flinkx-jm.js'), 'start', '--port', '0', '--data-dir', dataDir],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: cannot read ${join(dataDir, 'jobs', 'j', 'status.json')}`);
  });
});
