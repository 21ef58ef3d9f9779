/**
 * A job's checkpoint coordinator wired to its JobMaster, and its savepoints (Flink's
 * `flink savepoint` and `flink stop --savepointPath`): a savepoint is a checkpoint asked for,
 * copied into its own directory (./savepoint-storage.ts) before it counts as completed.
 */
import { resolve } from 'node:path';
import { FlinkxError } from '../../common/errors';
import type { JobSpec } from '../../common/jobfile';
import { statefulUids } from '../../common/operator-uids';
import { backgroundTimers, systemClock, type Clock, type Timers } from '../clock';
import type { ExecutionGraph } from '../compiler';
import type { TaskExecutorGateway } from '../gateway/gateways';
import type { JobState } from '../job-state';
import { CheckpointCoordinator } from './checkpoint-coordinator';
import type { CheckpointStorage } from './checkpoint-storage';
import { writeSavepoint } from './savepoint-storage';

/** A savepoint cannot be taken of this job now (no checkpointing, not running, no directory). */
export class SavepointUnavailableError extends FlinkxError {
  constructor(message: string) {
    super('SAVEPOINT_UNAVAILABLE', message);
  }
}

/** What of its JobMaster a job's coordinator and savepoints read (the JobMaster passes itself). */
export interface CheckpointedJob {
  readonly id: string;
  readonly spec: JobSpec;
  readonly execution: ExecutionGraph;
  readonly attempt: number;
  readonly state: JobState;
  readonly checkpoints: CheckpointCoordinator | undefined;
  allTasksRunning(): boolean;
}

/** The coordinator of a job with `checkpointing` (undefined without). */
export function coordinatorFor(
  job: CheckpointedJob,
  storage: CheckpointStorage | undefined,
  gateways: () => TaskExecutorGateway[],
  completed: (checkpointId: number, metadataPath: string) => void,
  time: { clock: Clock; timers: Timers } = { clock: systemClock, timers: backgroundTimers },
): CheckpointCoordinator | undefined {
  const { spec, execution, id } = job;
  if (!spec.checkpointing || !storage) return undefined;
  const vertices = new Map(
    execution.jobGraph.vertices.map((v) => [v.id, { parallelism: v.parallelism, uids: statefulUids(v.nodes) }]),
  );
  return new CheckpointCoordinator(
    {
      jobId: id,
      attempt: () => job.attempt,
      allTasksRunning: () => job.allTasksRunning(),
      tasks: () => execution.subtasks,
      broadcast: (frame) => {
        for (const gw of gateways()) {
          if (frame.t === 'trigger-checkpoint')
            gw.triggerCheckpoint(id, frame.attempt, frame.checkpointId, frame.timestamp, frame.terminate);
          else gw.notifyCheckpointComplete(id, frame.attempt, frame.checkpointId, frame.terminate);
        }
      },
      completed,
      writeSavepoint: (dir, chkDir, metadata) =>
        writeSavepoint(dir, chkDir, metadata, {
          jobId: id,
          jobName: spec.name,
          maxParallelism: execution.jobGraph.maxParallelism,
          vertices,
        }),
    },
    spec.checkpointing,
    storage,
    time,
  );
}

/** Takes a savepoint of `job` into `dir`; resolves with its path. */
export function triggerSavepoint(job: CheckpointedJob, dir: string | undefined, terminate: boolean): Promise<string> {
  // Flink also takes savepoints of jobs without periodic checkpoints; here the barriers, snapshot
  // files and sink commits that a savepoint needs come with `checkpointing`, so it is required.
  if (!job.checkpoints) {
    return Promise.reject(
      new SavepointUnavailableError(
        `job ${job.id} has no "checkpointing": savepoints are taken as checkpoints, so the job needs it`,
      ),
    );
  }
  if (!dir)
    return Promise.reject(
      new SavepointUnavailableError('no savepoint directory: pass --dir or start the JobManager with --savepoint-dir'),
    );
  if (job.state !== 'RUNNING')
    return Promise.reject(new SavepointUnavailableError(`job ${job.id} is ${job.state}: a savepoint needs it RUNNING`));
  return job.checkpoints.triggerSavepoint(resolve(dir), terminate);
}
