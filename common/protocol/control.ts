/**
 * Control frames between a TaskManager and the JobManager (the `/tm` WebSocket on the JM port).
 *
 * TM → JM  register    {tmId, slots, dataAddress, metricsAddress?, proof?}
 *                                                  answers `challenge` (./auth.ts); the JM answers `registered`
 *          heartbeat   {tmId, queuedBytes, tasks}      every heartbeat interval, with task counters
 *          task-state  {jobId, attempt, vertex, subtask, state, error?}
 *          ack-checkpoint      {jobId, attempt, checkpointId, vertex, subtask, handle}  where the task wrote its snapshot
 *          decline-checkpoint  {jobId, attempt, checkpointId, vertex, subtask, reason}
 * JM → TM  challenge   {nonce}                         first frame on the connection (./auth.ts)
 *          registered  {heartbeatIntervalMs}
 *          deploy      {plan, tasks}                   run these subtasks of the plan here
 *          cancel      {jobId}                         stop every task of the job
 *          trigger-checkpoint   {jobId, attempt, checkpointId, timestamp}   sources emit barrier n
 *          checkpoint-complete  {jobId, attempt, checkpointId}              committing sinks commit
 */
import { z } from 'zod';
import { DeploymentPlanSchema, StateHandleSchema, TaskRefSchema } from '../plan';
import { ChallengeFrame, ProofField } from './auth';

export const TaskStateSchema = z.enum(['DEPLOYING', 'RUNNING', 'FINISHED', 'FAILED', 'CANCELED']);
export type TaskState = z.infer<typeof TaskStateSchema>;

export const ErrorInfoSchema = z.object({
  message: z.string(),
  stack: z.string().optional(),
  /** A restart cannot fix it (common/errors.ts NonRetriableError): the job fails at once. */
  nonRetriable: z.boolean().optional(),
  /** The FlinkxError code, when there is one (`CHECKPOINT_CORRUPT` makes the JM set that checkpoint aside). */
  code: z.string().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfoSchema>;

export const TaskCountersSchema = z.object({
  jobId: z.string(),
  attempt: z.number().int(),
  vertex: z.string(),
  subtask: z.number().int(),
  recordsIn: z.number(),
  recordsOut: z.number(),
  bytesIn: z.number(),
  backPressuredMs: z.number(),
  busyMs: z.number(),
  /** Operator-chain time per batch: cumulative counts per bucket of OPERATOR_DURATION_BUCKETS, sum and count. */
  operatorBuckets: z.array(z.number()),
  operatorSeconds: z.number(),
  operatorCount: z.number(),
  /** Event time (ms) of the subtask's current watermark, once it has one. */
  watermark: z.number().optional(),
  /** Records its windows sent to the late side output. */
  lateRecords: z.number().optional(),
  /** Windows its window operators hold open (keys × windows). */
  openWindows: z.number().optional(),
});

/** Upper bounds (seconds) of the per-batch operator time histogram. */
export const OPERATOR_DURATION_BUCKETS = [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5];
export type TaskCounters = z.infer<typeof TaskCountersSchema>;

export const RegisterFrame = z.object({
  v: z.literal(1),
  t: z.literal('register'),
  tmId: z.string().min(1).max(200),
  slots: z.number().int().positive().max(1024),
  dataAddress: z.string(),
  /** http://host:port of the TM's Prometheus endpoint (`/metrics`); absent from TMs that serve none. */
  metricsAddress: z.string().max(300).optional(),
  proof: ProofField,
});
export const HeartbeatFrame = z.object({
  v: z.literal(1),
  t: z.literal('heartbeat'),
  tmId: z.string(),
  queuedBytes: z.number(),
  tasks: z.array(TaskCountersSchema),
});
export const TaskStateFrame = z.object({
  v: z.literal(1),
  t: z.literal('task-state'),
  jobId: z.string(),
  attempt: z.number().int(),
  vertex: z.string(),
  subtask: z.number().int(),
  state: TaskStateSchema,
  error: ErrorInfoSchema.optional(),
  /** Final counters, sent with the terminal state so a finished job's figures are exact. */
  counters: TaskCountersSchema.optional(),
});
const CheckpointTaskFields = {
  v: z.literal(1),
  jobId: z.string(),
  attempt: z.number().int(),
  checkpointId: z.number().int().positive(),
  vertex: z.string(),
  subtask: z.number().int().nonnegative(),
};
export const AckCheckpointFrame = z.object({
  ...CheckpointTaskFields,
  t: z.literal('ack-checkpoint'),
  handle: StateHandleSchema,
});
export const DeclineCheckpointFrame = z.object({
  ...CheckpointTaskFields,
  t: z.literal('decline-checkpoint'),
  reason: z.string(),
});
export const TmToJmFrame = z.discriminatedUnion('t', [
  RegisterFrame,
  HeartbeatFrame,
  TaskStateFrame,
  AckCheckpointFrame,
  DeclineCheckpointFrame,
]);
export type TmToJmFrame = z.infer<typeof TmToJmFrame>;

export const RegisteredFrame = z.object({
  v: z.literal(1),
  t: z.literal('registered'),
  heartbeatIntervalMs: z.number(),
});
export const DeployFrame = z.object({
  v: z.literal(1),
  t: z.literal('deploy'),
  plan: DeploymentPlanSchema,
  tasks: z.array(TaskRefSchema),
});
export const CancelFrame = z.object({ v: z.literal(1), t: z.literal('cancel'), jobId: z.string() });
const CheckpointFields = {
  v: z.literal(1),
  jobId: z.string(),
  attempt: z.number().int(),
  checkpointId: z.number().int().positive(),
};
/** `terminate`: a stop-with-savepoint's savepoint; sources read nothing after it, tasks end once it completed. */
const terminate = z.boolean().optional();
export const TriggerCheckpointFrame = z.object({
  ...CheckpointFields,
  t: z.literal('trigger-checkpoint'),
  timestamp: z.number(),
  terminate,
});
export const CheckpointCompleteFrame = z.object({
  ...CheckpointFields,
  t: z.literal('checkpoint-complete'),
  terminate,
});
export const JmToTmFrame = z.discriminatedUnion('t', [
  ChallengeFrame,
  RegisteredFrame,
  DeployFrame,
  CancelFrame,
  TriggerCheckpointFrame,
  CheckpointCompleteFrame,
]);
export type JmToTmFrame = z.infer<typeof JmToTmFrame>;

/** A frame as sent: the codec adds the protocol version. */
export type Outgoing<F> = F extends { v: 1 } ? Omit<F, 'v'> : never;
