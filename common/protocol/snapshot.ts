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

/** 2: an asyncMap queue holds each record with its event time, and the watermarks between them. */
export const SNAPSHOT_VERSION = 2;
export const SAVEPOINT_VERSION = 1;

/** Keyed state of one operator: [keyGroup, [key, value][]][]. */
const KeyedStateSchema = z.array(
  z.tuple([z.number().int().nonnegative(), z.array(z.tuple([z.unknown(), z.unknown()]))]),
);

/** A watermark: a number of ms, or one of the ends of time (Infinity at the end of input). */
const WatermarkSchema = z.union([z.number(), z.literal(Infinity), z.literal(-Infinity)]);

/**
 * One element of an asyncMap's queue (Flink's StreamElement): a record whose result is not emitted
 * yet, with its event time if it has one, or a watermark held behind the records before it.
 */
export const AsyncElementSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('record'), value: z.unknown(), timestamp: z.number().optional() }),
  z.object({ kind: z.literal('watermark'), watermark: WatermarkSchema }),
]);
export type AsyncElement = z.infer<typeof AsyncElementSchema>;

const taskSnapshotFields = {
  /** The source's position (split/offset state) under the source node's uid. */
  source: z.object({ uid: z.string(), position: z.unknown() }).optional(),
  keyed: z.record(z.string(), KeyedStateSchema),
  /** Timers (by key group) with the watermark of timer-driven operators, by uid; a timestamps stage's under `<uid>.timestamps`. */
  operators: z.record(z.string(), z.unknown()).optional(),
  sink: z.object({ uid: z.string(), state: z.unknown() }).optional(),
};

export const TaskSnapshotSchema = z.object({
  version: z.literal(SNAPSHOT_VERSION),
  ...taskSnapshotFields,
  /** The queue of each asyncMap, by uid, in input order. */
  async: z.record(z.string(), z.array(AsyncElementSchema)).optional(),
});
export type TaskSnapshot = z.infer<typeof TaskSnapshotSchema>;

/** Version 1 kept only the inputs of an asyncMap's queue: no event times, no watermarks. */
const TaskSnapshotV1Schema = z.object({
  version: z.literal(1),
  ...taskSnapshotFields,
  async: z.record(z.string(), z.array(z.unknown())).optional(),
});

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

const versionOf = (value: unknown): unknown =>
  typeof value === 'object' && value !== null ? (value as { version?: unknown }).version : undefined;

function versionProblem(value: unknown, known: number[]): string | undefined {
  const v = versionOf(value);
  if (typeof v === 'number' && !known.includes(v))
    return `version ${v} (this build reads version ${known.join(' or ')})`;
  return undefined;
}

function check<S extends z.ZodType>(schema: S, value: unknown, what: string, known: number[]): z.infer<S> {
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
  if (versionOf(value) === 1)
    return fromVersion1(check(TaskSnapshotV1Schema, value, what, [1, SNAPSHOT_VERSION]), what);
  return check(TaskSnapshotSchema, value, what, [1, SNAPSHOT_VERSION]);
}

/**
 * A version 1 snapshot reads as it was unless an asyncMap queue held records: their event times and
 * the watermarks held behind them were not kept, and a restore without them would change results.
 */
function fromVersion1(s: z.infer<typeof TaskSnapshotV1Schema>, what: string): TaskSnapshot {
  const async: Record<string, AsyncElement[]> = {};
  for (const [uid, inputs] of Object.entries(s.async ?? {})) {
    if (inputs.length > 0) {
      throw new SnapshotFormatError(
        `${what} has version 1, whose asyncMap "${uid}" holds ${inputs.length} record(s) saved without their event time and the watermarks between them; ` +
          `this build (version ${SNAPSHOT_VERSION}) cannot restore them as they were: restore it with the build that wrote it, or start the job without this state`,
      );
    }
    async[uid] = [];
  }
  const { async: _, ...rest } = s;
  return { ...rest, version: SNAPSHOT_VERSION, ...(s.async && { async }) };
}

/** A savepoint's `_metadata` text; a SnapshotFormatError for truncated, garbage or another version's. */
export function parseSavepointMetadata(text: string, what = 'savepoint metadata'): SavepointMetadata {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new SnapshotFormatError(`${what} is not JSON: ${(err as Error).message}`, err);
  }
  return check(SavepointMetadataSchema, value, what, [SAVEPOINT_VERSION]);
}
