/**
 * The REST API's response shapes, one schema each, shared by the JobManager (which builds them:
 * jobmanager/rest/), the CLI (which parses every answer with them: bin/cli/client.ts) and the
 * dashboard (whose test fixtures are checked against them: test/dashboard.test.ts).
 *
 *   POST /jobs                      SubmitResponse     GET /jobs/:id/exceptions   JobException[]
 *   GET  /jobs                      JobSummary[]       GET /jobs/:id/checkpoints  Checkpoints
 *   GET  /jobs/:id                  JobDetails         POST /jobs/:id/cancel      SubmitResponse
 *   GET  /taskmanagers              TaskManagerInfo[]  any error (4xx/5xx)        ErrorResponse
 *   POST /jobs/:id/savepoints {dir?}  SavepointResponse  POST /jobs/:id/stop {dir?}  SavepointResponse
 *   GET  /health                    Health (200 UP, 503 DEGRADED)
 *   (POST /jobs also takes {savepointPath?, allowNonRestoredState?} beside the job)
 */
import { z } from 'zod';
import { CheckpointingSchema, RestartSchema } from '../jobfile';
import { PartitionerSchema } from '../plan';
import { ErrorInfoSchema, TaskStateSchema } from './control';

const count = z.number().nonnegative();
const time = z.number();

export const JobStateSchema = z.enum([
  'CREATED',
  'RUNNING',
  'RESTARTING',
  'FINISHED',
  'FAILED',
  'CANCELLING',
  'CANCELED',
]);
export type JobState = z.infer<typeof JobStateSchema>;
/** A subtask of the current attempt: SCHEDULED when deployed, then as its TaskManager reports. */
export const ExecutionStateSchema = z.enum(['SCHEDULED', ...TaskStateSchema.options]);
export type ExecutionState = z.infer<typeof ExecutionStateSchema>;
export const CheckpointStatusSchema = z.enum(['IN_PROGRESS', 'COMPLETED', 'FAILED']);
export type CheckpointStatus = z.infer<typeof CheckpointStatusSchema>;

export const JobSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  state: JobStateSchema,
  /** Why a CREATED job is not running yet, or why it ended. */
  reason: z.string().optional(),
  parallelism: z.number().int(),
  restarts: count,
  createdAt: time,
  startTime: time.optional(),
  endTime: time.optional(),
  /** ms running so far, or from start to end. */
  duration: z.number(),
});

/** A subtask's counters from its TaskManager, and the rates derived from the last two reports. */
export const ThroughputSchema = z.object({
  recordsIn: count,
  recordsOut: count,
  bytesIn: count,
  backPressuredMs: count,
  busyMs: count,
  recordsInPerSecond: count,
  recordsOutPerSecond: count,
  /** Event time (epoch ms) of the subtask's current watermark; absent before its first. */
  watermark: time.optional(),
  /** Records its windows sent to the late side output; absent without window operators. */
  lateRecords: count.optional(),
  /** Windows its window operators hold open (keys × windows). */
  openWindows: count.optional(),
  /** When the JobManager got them. */
  at: time,
});

export const SubtaskDetailsSchema = z.object({
  index: z.number().int(),
  state: ExecutionStateSchema,
  tm: z.string().optional(),
  slot: z.number().int().optional(),
  error: ErrorInfoSchema.optional(),
  metrics: ThroughputSchema.optional(),
});

export const CheckpointsSummarySchema = z.object({
  latestCompleted: z.number().nullable(),
  completed: count,
  failed: count,
  /** When the latest completed checkpoint completed. */
  latestCompletedAt: time.nullable(),
  /** Bytes of the latest completed checkpoint. */
  latestCompletedSize: count.nullable(),
});

export const JobExceptionSchema = ErrorInfoSchema.extend({
  time,
  attempt: z.number().int(),
  /** `vertex[subtask]` when a task failed; absent when a TaskManager was lost. */
  task: z.string().optional(),
});

export const JobDetailsSchema = JobSummarySchema.extend({
  attempt: z.number().int(),
  maxParallelism: z.number().int(),
  checkpointing: CheckpointingSchema.optional(),
  /** The job's `restart` block, or the default it got. */
  restartStrategy: RestartSchema,
  checkpoints: CheckpointsSummarySchema,
  failure: ErrorInfoSchema.optional(),
  vertices: z.array(
    z.object({
      id: z.string(),
      name: z.string(),
      parallelism: z.number().int(),
      nodes: z.array(z.object({ id: z.string(), type: z.string() })),
      recordsIn: count,
      recordsOut: count,
      recordsInPerSecond: count,
      recordsOutPerSecond: count,
      backPressuredMs: count,
      /**
       * The vertex's watermark, as in Flink's web UI: the minimum over its subtasks' watermarks, absent
       * until every subtask has one; `watermarkLag` is the JobManager's wall clock minus it, in ms.
       */
      watermark: time.optional(),
      watermarkLag: z.number().optional(),
      subtasks: z.array(SubtaskDetailsSchema),
    }),
  ),
  edges: z.array(
    z.object({
      id: z.string(),
      source: z.string(),
      target: z.string(),
      partitioner: PartitionerSchema,
      keyBy: z.string().optional(),
    }),
  ),
  exceptions: z.array(JobExceptionSchema),
});

export const CheckpointEntrySchema = z.object({
  id: z.number().int(),
  attempt: z.number().int(),
  status: CheckpointStatusSchema,
  triggerTime: time,
  /** ms from trigger to completion or failure; so far, while in progress. */
  duration: z.number(),
  /** Bytes of all acknowledged snapshots. */
  size: count,
  acknowledged: count,
  total: count,
  failureReason: z.string().optional(),
});

export const CheckpointsSchema = z.object({
  counts: z.object({ completed: count, failed: count, inProgress: count }),
  latest: CheckpointEntrySchema.nullable(),
  /** Newest first, the last 100. */
  history: z.array(CheckpointEntrySchema),
});

export const TaskManagerInfoSchema = z.object({
  id: z.string(),
  slots: z.number().int(),
  freeSlots: z.number().int(),
  dataAddress: z.string(),
  metricsAddress: z.string().optional(),
  registeredAt: time,
  lastHeartbeat: time,
  queuedBytes: count,
});

export const SubmitResponseSchema = z.object({ jobId: z.string(), state: JobStateSchema });

/** `POST /jobs/:id/savepoints` and `POST /jobs/:id/stop`: where the savepoint is (its directory). */
export const SavepointResponseSchema = z.object({ jobId: z.string(), path: z.string() });

export const ErrorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    /** Job-file problems, each named by its path in the file. */
    problems: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  }),
});

/** A write to the JobManager's data dir that fails and is retried with back-off (a full disk). */
export const HealthProblemSchema = z.object({
  /** What is not written, e.g. `the status of job <id>`. */
  what: z.string(),
  code: z.string(),
  message: z.string(),
  /** When it began to fail. */
  since: time,
});

/** `GET /health`: DEGRADED (503) while a write to the data dir fails; the JobManager keeps leading and retries. */
export const HealthSchema = z.object({ status: z.enum(['UP', 'DEGRADED']), problems: z.array(HealthProblemSchema) });

export type JobSummary = z.output<typeof JobSummarySchema>;
export type JobDetails = z.output<typeof JobDetailsSchema>;
export type SubtaskDetails = z.output<typeof SubtaskDetailsSchema>;
export type Throughput = z.output<typeof ThroughputSchema>;
export type JobException = z.output<typeof JobExceptionSchema>;
export type CheckpointEntry = z.output<typeof CheckpointEntrySchema>;
export type Checkpoints = z.output<typeof CheckpointsSchema>;
export type CheckpointsSummary = z.output<typeof CheckpointsSummarySchema>;
export type TaskManagerInfo = z.output<typeof TaskManagerInfoSchema>;
export type SubmitResponse = z.output<typeof SubmitResponseSchema>;
export type SavepointResponse = z.output<typeof SavepointResponseSchema>;
export type ErrorResponse = z.output<typeof ErrorResponseSchema>;
export type HealthProblem = z.output<typeof HealthProblemSchema>;
export type Health = z.output<typeof HealthSchema>;

/** The schema of a successful answer to `method path`, for clients that check every answer. */
export function responseSchemaFor(method: string, path: string): z.ZodType | undefined {
  const p = path.replace(/[?#].*$/, '').replace(/(.)\/$/, '$1');
  if (method === 'POST' && /^\/jobs\/[^/]+\/(savepoints|stop)$/.test(p)) return SavepointResponseSchema;
  if (method === 'POST') return p === '/jobs' || /^\/jobs\/[^/]+\/cancel$/.test(p) ? SubmitResponseSchema : undefined;
  if (p === '/jobs') return z.array(JobSummarySchema);
  if (p === '/taskmanagers') return z.array(TaskManagerInfoSchema);
  if (p === '/health') return HealthSchema;
  if (/^\/jobs\/[^/]+$/.test(p)) return JobDetailsSchema;
  if (/^\/jobs\/[^/]+\/exceptions$/.test(p)) return z.array(JobExceptionSchema);
  if (/^\/jobs\/[^/]+\/checkpoints$/.test(p)) return CheckpointsSchema;
  return undefined;
}
