/**
 * A TaskManager that loses its JobManager cancels every task it runs for it, from its own record
 * of deployments: here the JobManager is SIGKILLed the moment the TaskManager logs a deployment,
 * before the slot worker's first 500 ms stats can name the new tasks.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, tempDir, waitFor, writePacedJob } from './harness';
import { pacedWordcountJob, writeText } from './wordcount';

jest.setTimeout(120_000);

/** A paced word count that keeps running until the cluster is stopped (never released). */
function endlessJob(): string {
  const dir = tempDir();
  writeText(join(dir, 'input.txt'), 20_000, 7);
  return writePacedJob(dir, pacedWordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 1), 5).jobFile;
}

/** job_id labels of the task series on a TaskManager's /metrics. */
async function jobsOnMetrics(metricsUrl: string): Promise<Set<string>> {
  const text = await (await fetch(metricsUrl)).text();
  return new Set([...text.matchAll(/^flinkx_task_records_in_total\{job_id="([^"]+)"/gm)].map((m) => m[1]));
}

describe('orphaned tasks', () => {
  test('the JobManager SIGKILLed right after a deployment: the TaskManager cancels the tasks it just deployed', async () => {
    // One slot: the job submitted after the failover runs in the same worker as the orphan would.
    const cluster = await Cluster.start([1]);
    try {
      const [tm] = cluster.taskManagers;
      const [jm] = cluster.jobManagers;
      const metricsUrl = /metrics=(\S+)/.exec(tm.output)![1];
      tm.child.stderr!.on('data', () => {
        if (tm.output.includes('taskmanager: deploying')) jm.kill('SIGKILL');
      });
      cluster.spawn('flinkx', ['submit', endlessJob(), '--jobmanager', cluster.url]);
      await jm.exited();
      const orphan = /taskmanager: deploying job=(\S+)/.exec(tm.output)![1];

      // A JobManager on a data dir of its own (it resumes nothing) on the same port, and a job in
      // the slot the old one used: once that job's tasks show on /metrics, the worker has reported
      // after the JobManager's loss, and no task of the old job may be among them.
      cluster.spawn('flinkx-jm', ['start', '--port', String(cluster.port), '--data-dir', tempDir()]);
      await cluster.waitForTaskManagers(1);
      const next = await cluster.submit(endlessJob());
      await waitFor(
        `job ${next} and no task of job ${orphan} on the TaskManager's /metrics`,
        async () => {
          const jobs = await jobsOnMetrics(metricsUrl);
          return jobs.has(next) && !jobs.has(orphan);
        },
        30_000,
        cluster.logs,
      );
      expect(tm.output).toMatch(
        new RegExp(`lost the JobManager; cancelling local tasks and reconnecting .*jobs=${orphan} tasks=[1-9]`),
      );
      expect(tm.output).toMatch(/every task of the lost JobManager ended/);
    } finally {
      await cluster.stop();
    }
  });

  test('a TaskManager registers with the next JobManager only once the tasks of the lost one ended', async () => {
    const cluster = await Cluster.start([1]);
    try {
      const [tm] = cluster.taskManagers;
      const [jm] = cluster.jobManagers;
      // Two lines, each held 2 s by the map: a task of the lost JobManager still runs seconds after the loss.
      const dir = tempDir();
      const started = join(dir, 'started');
      writeFileSync(join(dir, 'input.txt'), 'slow line\nslower line\n');
      writeFileSync(
        join(dir, 'pace.js'),
        `const cell = new Int32Array(new SharedArrayBuffer(4));\n` +
          `exports.pace = (r) => { require('node:fs').writeFileSync(${JSON.stringify(started)}, ''); Atomics.wait(cell, 0, 0, 2000); return r; };\n`,
      );
      writeFileSync(
        join(dir, 'job.json'),
        JSON.stringify(pacedWordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 1)),
      );
      await cluster.submit(join(dir, 'job.json'));
      await waitFor('the first record in the slow map', () => existsSync(started), 30_000, cluster.logs);
      jm.kill('SIGKILL');
      await jm.exited();

      cluster.spawn('flinkx-jm', ['start', '--port', String(cluster.port), '--data-dir', tempDir()]);
      await cluster.waitForTaskManagers(1);
      const ended = tm.output.indexOf('every task of the lost JobManager ended');
      expect(ended).toBeGreaterThan(0);
      expect(tm.output.lastIndexOf('registered with the JobManager')).toBeGreaterThan(ended);
      expect(tm.output).toMatch(/registering again once the cancelled tasks ended tasks=2/);
    } finally {
      await cluster.stop();
    }
  });
});
