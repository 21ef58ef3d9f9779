/**
 * `flinkx submit --wait` with the active and the standby JobManager: the active one is SIGKILLed
 * mid-job; the command keeps asking the addresses in turn, the standby resumes the job, and the
 * command exits 0 once the job FINISHED.
 */
import { join } from 'node:path';
import { Cluster, freePort, tempDir, waitFor, writePacedJob } from './harness';
import { pacedWordcountJob, writeText } from './wordcount';

jest.setTimeout(180_000);

describe('submit --wait through a JobManager failover', () => {
  test('the active JobManager SIGKILLed: the command retries across --jobmanager and exits 0 with the job FINISHED', async () => {
    const cluster = await Cluster.start([]);
    try {
      const standbyPort = await freePort();
      const standby = cluster.startJobManager(standbyPort);
      await waitFor(
        'the standby to wait on the lock',
        () => standby.output.includes('standby: another JobManager holds the data dir'),
        30_000,
        cluster.logs,
      );
      const both = `http://127.0.0.1:${cluster.port},http://127.0.0.1:${standbyPort}`;
      cluster.startTaskManager(2, { jobmanager: both.replace(/http/g, 'ws') });
      await cluster.waitForTaskManagers(1);

      const dir = tempDir();
      writeText(join(dir, 'input.txt'), 200, 9);
      const { jobFile, release } = writePacedJob(
        dir,
        pacedWordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 2, { checkpointing: { interval: 300 } }),
        5,
      );
      const submit = cluster.spawn('flinkx', ['submit', jobFile, '--wait', '--jobmanager', both]);
      await waitFor(
        'the job RUNNING',
        async () =>
          ((await cluster.get('/jobs')) as { state: string }[]).some((j) => j.state === 'RUNNING') || undefined,
        60_000,
        cluster.logs,
      );
      const [active] = cluster.jobManagers;
      active.kill('SIGKILL');
      await active.exited();
      release();
      await submit.exited();
      expect([submit.child.exitCode, submit.output]).toEqual([
        0,
        expect.stringContaining('JobManager unreachable, retrying'),
      ]);
      expect(submit.output).toMatch(/FINISHED: /);
    } finally {
      await cluster.stop();
    }
  });
});
