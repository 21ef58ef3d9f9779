/** `flinkx run`: a JobManager and a TaskManager in this process, on loopback, for one job. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildExecutionGraph, buildJobGraph } from '../../jobmanager/compiler';
import { JobManager } from '../../jobmanager/jobmanager';
import { JobManagerOptionsSchema } from '../../jobmanager/jobmanager-options';
import { TaskManager } from '../../taskmanager/taskmanager';
import { TaskManagerOptionsSchema } from '../../taskmanager/taskmanager-options';
import { RestClient } from './client';
import { duration } from './format';
import { loadJob, submitJob, waitForJob, type FromSavepoint } from './submit';
import { parseOptions } from './options';

export async function runEmbedded(
  file: string,
  cores: number,
  from: FromSavepoint = {},
  typecheck = true,
): Promise<boolean> {
  const loaded = await loadJob(file, { typecheck });
  const { spec } = loaded;
  const needed = buildExecutionGraph(buildJobGraph(spec)).slotsNeeded;
  const dataDir = mkdtempSync(join(tmpdir(), 'flinkx-run-'));
  const jm = new JobManager(parseOptions(JobManagerOptionsSchema, { port: 0, dataDir }));
  const port = await jm.start();
  const tm = new TaskManager(
    parseOptions(TaskManagerOptionsSchema, { slots: Math.max(cores, needed), jobmanager: `ws://127.0.0.1:${port}` }),
  );
  const stop = async () => {
    await tm.stop();
    await jm.stop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const onSignal = () => void stop().then(() => process.exit(130));
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  try {
    await tm.start();
    const client = new RestClient(`http://127.0.0.1:${port}`);
    const jobId = await submitJob(client, loaded, from);
    process.stderr.write(`running ${spec.name} (job ${jobId}) embedded with ${Math.max(cores, needed)} slots\n`);
    const job = await waitForJob(client, jobId);
    if (job.state !== 'FINISHED') {
      process.stderr.write(
        `job ${job.state}: ${job.failure?.message ?? job.reason ?? ''}\n${job.failure?.stack ?? ''}\n`,
      );
      return false;
    }
    process.stdout.write(`${spec.name} FINISHED in ${duration(job.duration)}\n`);
    for (const sink of spec.nodes.filter((n) => n.type === 'sink')) {
      const c = sink.connector!;
      const where =
        c.kind === 'file'
          ? join(c.path, 'part-*.jsonl')
          : c.kind === 'kafka'
            ? `Kafka topic ${c.topic} at ${c.brokers.join(',')}`
            : c.kind;
      process.stdout.write(`results of ${sink.id}: ${where}\n`);
    }
    return true;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    await stop();
  }
}
