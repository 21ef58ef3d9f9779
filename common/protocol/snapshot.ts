/**
 * The formats of state at rest, versioned so that a reader refuses what it does not know instead
 * of misreading it:
 *
 * - a task's snapshot (one file per task and checkpoint, msgpack), written by the task, read back
 *   by the task that restores it: state by operator `uid` (a node's `uid`, default its id), keyed
 *   state by key group, so a restore at another parallelism can split and merge it;
 * - a savepoint's `_metadata` (JSON), written by the JobManager into the savepoint's directory
 *   beside copies of the tasks' snapshot files: which task of which parallelism wrote which file
 *   (name, size, sha256), which uids its state belongs to, and the job's maxParallelism.
 *
 * A savepoint is self-contained: its directory can be moved or outlive the job's checkpoints.
 */
import { z } from 'zod';
import { SnapshotFormatError } from '../errors';
import { decode, encode } from './codec';

export const SNAPSHOT_VERSION = 1;
export const SAVEPOINT_VERSION = 1;

/** Keyed state of one operator: [keyGroup, [key, value][]][]. */
const KeyedStateSchema = z.array(z.tuple([z.number().int().nonnegative(), z.array(z.tuple([z.unknown(), z.unknown()]))]));

export const TaskSnapshotSchema = z.object({
  version: z.literal(SNAPSHOT_VERSION),
  /** The source's position (split/offset state) under the source node's uid. */
  source: z.object({ uid: z.string(), position: z.unknown() }).optional(),
  keyed: z.record(z.string(), KeyedStateSchema),
  /** The inputs of each asyncMap's queue, by uid. */
  async: z.record(z.string(), z.array(z.unknown())).optional(),
  /** Timers (by key group) with the watermark of timer-driven operators, by uid; a timestamps stage's under `<uid>.timestamps`. */
  operators: z.record(z.string(), z.unknown()).optional(),
  sink: z.object({ uid: z.string(), state: z.unknown() }).optional(),
});
export type TaskSnapshot = z.infer<typeof TaskSnapshotSchema>;

export const SavepointTaskSchema = z.object({
  vertex: z.string(),
  subtask: z.number().int().nonnegative(),
  /** The parallelism of the vertex when the savepoint was taken. */
  parallelism: z.number().int().positive(),
  /** Uids of the operators of this task that have state. */
  uids: z.array(z.string()),
  /** File name inside the savepoint's directory. */
  file: z.string().regex(/^[^/\\]+$/),
  size: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type SavepointTask = z.infer<typeof SavepointTaskSchema>;

export const SavepointMetadataSchema = z.object({
  version: z.literal(SAVEPOINT_VERSION),
  jobId: z.string(),
  jobName: z.string(),
  /** The checkpoint id the savepoint was taken as; a job restored from it continues after it. */
  checkpointId: z.number().int().positive(),
  maxParallelism: z.number().int().positive(),
  createdAt: z.number(),
  tasks: z.array(SavepointTaskSchema),
});
export type SavepointMetadata = z.infer<typeof SavepointMetadataSchema>;

function versionProblem(value: unknown, known: number): string | undefined {
  const v = typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;
  if (typeof v === 'number' && v !== known) return `version ${v} (this build reads version ${known})`;
  return undefined;
}

function check<S extends z.ZodType>(schema: S, value: unknown, what: string, known: number): z.infer<S> {
  const tooNew = versionProblem(value, known);
  if (tooNew) throw new SnapshotFormatError(`${what} has ${tooNew}`);
  const r = schema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new SnapshotFormatError(`${what} is not valid: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  return r.data;
}

export function encodeSnapshot(s: Omit<TaskSnapshot, 'version'>): Uint8Array {
  return Uint8Array.prototype.slice.call(encode({ version: SNAPSHOT_VERSION, ...s }));
}

/** A task snapshot's bytes; a SnapshotFormatError (code SNAPSHOT_FORMAT) for anything else. */
export function decodeSnapshot(bytes: Uint8Array, what = 'task snapshot'): TaskSnapshot {
  let value: unknown;
  try {
    value = decode(bytes);
  } catch (err) {
    throw new SnapshotFormatError(`${what} is not msgpack: ${(err as Error).message}`, err);
  }
  return check(TaskSnapshotSchema, value, what, SNAPSHOT_VERSION);
}

/** A savepoint's `_metadata` text; a SnapshotFormatError for truncated, garbage or another version's. */
export function parseSavepointMetadata(text: string, what = 'savepoint metadata'): SavepointMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SnapshotFormatError(`${what} is not JSON: ${(err as Error).message}`, err);
  }
  return check(SavepointMetadataSchema, value, what, SAVEPOINT_VERSION);
}
