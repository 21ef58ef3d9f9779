import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureLogging } from '../../common/log';
import { parseJobSpec } from '../../common/jobfile';
import { CheckpointsSchema, JobDetailsSchema, JobSummarySchema } from '../../common/protocol/rest';
import { CheckpointStorage } from '../checkpoint/checkpoint-storage';
import { JobMaster } from '../job-master';
import { ManualClock } from '../testing/manual-clock';
import { TestingResourceManager } from '../testing/testing-gateways';
import { jobDetails, jobSummary } from './job-views';

configureLogging('error', 'text');

/** What a client gets: the JSON text, parsed back. */
const overTheWire = (v: unknown) => JSON.parse(JSON.stringify(v));

it('what the JobManager answers about a job has the shapes clients parse it with', () => {
  const root = mkdtempSync(join(tmpdir(), 'flinkx-views-'));
  try {
    const clock = new ManualClock();
    const rm = new TestingResourceManager();
    rm.addTaskManager('tm1', 2);
    const spec = parseJobSpec({
      name: 'views',
      parallelism: 2,
      checkpointing: { interval: 100_000_000, mode: 'exactly-once' },
      nodes: [
        { id: 'src', type: 'source', connector: { kind: 'generator', count: 10 } },
        { id: 'cnt', type: 'count', inputs: ['src'], keyBy: 'word' },
        { id: 'out', type: 'sink', inputs: ['cnt'], connector: { kind: 'stdout' } },
      ],
    });
    const job = new JobMaster('j1', spec, undefined, {
      resourceManager: rm,
      clock,
      timers: clock,
      checkpointStorage: new CheckpointStorage(join(root, 'j1')),
    });
    job.start();
    for (const t of job.tasks.list())
      job.updateTaskExecutionState('tm1', { attempt: 0, vertex: t.vertex, subtask: t.subtask, state: 'RUNNING' });
    job.reportCounters('tm1', [
      {
        jobId: 'j1',
        attempt: 0,
        vertex: 'src',
        subtask: 0,
        recordsIn: 5,
        recordsOut: 5,
        bytesIn: 50,
        backPressuredMs: 0,
        busyMs: 1,
        operatorBuckets: [],
        operatorSeconds: 0,
        operatorCount: 0,
      },
    ]);
    job.checkpoints!.tick();
    job.updateTaskExecutionState('tm1', {
      attempt: 0,
      vertex: 'cnt',
      subtask: 1,
      state: 'FAILED',
      error: { message: 'boom', stack: 'Error: boom' },
    });

    const details = JobDetailsSchema.parse(overTheWire(jobDetails(job)));
    expect(details).toMatchObject({
      state: 'RESTARTING',
      restartStrategy: { strategy: 'exponential-delay' },
      exceptions: [{ task: 'cnt[1]', message: 'boom' }],
    });
    expect(details.vertices[0].subtasks[0].metrics).toMatchObject({ recordsIn: 5 });
    JobSummarySchema.parse(overTheWire(jobSummary(job)));
    // A job not ended yet has run until the time asked about.
    expect(jobDetails(job, job.startedAt! + 5000).duration).toBe(5000);
    expect(CheckpointsSchema.parse(overTheWire(job.checkpoints!.snapshot())).history[0]).toMatchObject({
      status: 'FAILED',
      total: 4,
    });
    job.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

it("a vertex's watermark is the minimum over its subtasks', absent while one has none, with its lag behind the clock", () => {
  const root = mkdtempSync(join(tmpdir(), 'flinkx-views-'));
  try {
    const clock = new ManualClock();
    const rm = new TestingResourceManager();
    rm.addTaskManager('tm1', 2);
    const spec = parseJobSpec({
      name: 'wm',
      parallelism: 2,
      nodes: [
        { id: 'src', type: 'source', connector: { kind: 'generator' } },
        { id: 'out', type: 'sink', inputs: ['src'], connector: { kind: 'stdout' } },
      ],
    });
    const job = new JobMaster('j2', spec, undefined, {
      resourceManager: rm,
      clock,
      timers: clock,
      checkpointStorage: new CheckpointStorage(join(root, 'j2')),
    });
    job.start();
    for (const t of job.tasks.list())
      job.updateTaskExecutionState('tm1', { attempt: 0, vertex: t.vertex, subtask: t.subtask, state: 'RUNNING' });
    const counters = (subtask: number, extra: { watermark?: number; lateRecords?: number; openWindows?: number }) => ({
      jobId: 'j2',
      attempt: 0,
      vertex: 'src',
      subtask,
      recordsIn: 0,
      recordsOut: 0,
      bytesIn: 0,
      backPressuredMs: 0,
      busyMs: 0,
      operatorBuckets: [],
      operatorSeconds: 0,
      operatorCount: 0,
      ...extra,
    });
    const vertex = () => JobDetailsSchema.parse(overTheWire(jobDetails(job, 5000))).vertices[0];

    expect(vertex().watermark).toBeUndefined();
    job.reportCounters('tm1', [counters(0, { watermark: 3000, lateRecords: 2, openWindows: 7 })]);
    expect(vertex()).not.toHaveProperty('watermark');
    expect(vertex().subtasks[0].metrics).toMatchObject({ watermark: 3000, lateRecords: 2, openWindows: 7 });
    job.reportCounters('tm1', [counters(1, { watermark: 1200 })]);
    expect(vertex()).toMatchObject({ watermark: 1200, watermarkLag: 3800 });
    job.close();
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
