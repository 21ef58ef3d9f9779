/**
 * The deployment plan: what the JobManager tells TaskManagers about a job attempt. It is the
 * ExecutionGraph in wire form: vertices (chains of job-file nodes), edges with their partitioners,
 * and the slot-sharing placement (subtask i of every vertex runs in `slots[i]`).
 */
import { z } from 'zod';
import type { NodeSpec, JobSpec } from './jobfile';

export const PartitionerSchema = z.enum(['forward', 'rebalance', 'hash', 'broadcast']);
export type Partitioner = z.infer<typeof PartitionerSchema>;

export const PlanEdgeSchema = z.object({
  id: z.string(),
  source: z.string(),
  target: z.string(),
  partitioner: PartitionerSchema,
  keyBy: z.string().optional(),
  /** The producer's side output this edge carries (a window's `late` records) instead of its main output. */
  sideOutput: z.string().optional(),
  /** Into a join: the consumer's input (as named in its `inputs`) this edge feeds. */
  input: z.string().optional(),
});
export type PlanEdge = z.infer<typeof PlanEdgeSchema>;

export const PlanVertexSchema = z.object({
  id: z.string(),
  name: z.string(),
  parallelism: z.number().int().positive(),
  // Nodes were validated by the job-file schema at submission; here they travel as data.
  nodes: z.array(z.custom<NodeSpec>((v) => typeof v === 'object' && v !== null)),
});
export type PlanVertex = z.infer<typeof PlanVertexSchema>;

export const SlotRefSchema = z.object({ tm: z.string(), slot: z.number().int().nonnegative() });
export type SlotRef = z.infer<typeof SlotRefSchema>;

export const DeploymentPlanSchema = z.object({
  jobId: z.string(),
  attempt: z.number().int().nonnegative(),
  name: z.string(),
  maxParallelism: z.number().int().positive(),
  vertices: z.array(PlanVertexSchema),
  edges: z.array(PlanEdgeSchema),
  slots: z.array(SlotRefSchema),
  /** Data address (ws://host:port) of every TM that hosts a subtask of this attempt. */
  peers: z.record(z.string(), z.string()),
  functionsCode: z.string().optional(),
  checkpointing: z.custom<JobSpec['checkpointing']>().optional(),
  miniBatch: z.custom<JobSpec['miniBatch']>().optional(),
  /** Id of the completed checkpoint this attempt starts from, if any. */
  restoredCheckpoint: z.number().int().optional(),
  /** Absolute path of the job's checkpoint storage: tasks write their snapshots under it. */
  checkpointDir: z.string().optional(),
});
export type DeploymentPlan = z.infer<typeof DeploymentPlanSchema>;

/**
 * Where one task's snapshot of one checkpoint lies (Flink's state handle): written by the task, named
 * in its acknowledgement and in the checkpoint's metadata, read back by the task that restores it.
 */
export const StateHandleSchema = z.object({
  /** Absolute path of the snapshot file. */
  path: z.string().min(1),
  size: z.number().int().nonnegative(),
  /** sha256 of the file's bytes, hex: a restore refuses a file that does not match. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type StateHandle = z.infer<typeof StateHandleSchema>;

/** A snapshot of a savepoint that one restoring task takes state from: written by subtask `subtask` of `parallelism`. */
export const PriorSnapshotSchema = z.object({
  subtask: z.number().int().nonnegative(),
  parallelism: z.number().int().positive(),
  handle: StateHandleSchema,
});
export type PriorSnapshot = z.infer<typeof PriorSnapshotSchema>;

export const TaskRefSchema = z.object({
  vertex: z.string(),
  subtask: z.number().int().nonnegative(),
  /** The task's snapshot in the checkpoint this attempt restores (format: common/protocol/snapshot.ts). */
  state: StateHandleSchema.optional(),
  /** Restoring a savepoint: the snapshots this task's state is split and merged from (taskmanager/checkpoint/rescale.ts). */
  priors: z.array(PriorSnapshotSchema).optional(),
});
export type TaskRef = z.infer<typeof TaskRefSchema>;

/** The channel from producer subtask `from` to consumer subtask `to` along `edge` of one attempt. */
export function channelId(jobId: string, attempt: number, edge: string, from: number, to: number): string {
  return `${jobId}/${attempt}/${edge}/${from}/${to}`;
}

/** Job, attempt prefix of channel ids, so everything of one attempt can be dropped at once. */
export function attemptPrefix(jobId: string, attempt: number): string {
  return `${jobId}/${attempt}/`;
}
