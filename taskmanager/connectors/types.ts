/** What the runtime needs of a connector; the implementations sit beside this file. */

/** Reads records for one source subtask. */
export interface SourceReader {
  /** Up to `max` records; an empty array when none are ready yet; null once the source has ended. */
  read(max: number): Promise<unknown[] | null>;
  /**
   * Where the next read starts: stored in checkpoints as operator state. Called once per
   * checkpoint, between two reads, with that checkpoint's id.
   */
  position(checkpointId?: number): unknown;
  /**
   * For `timestamps: {from: ...}`: the event time and split (partition) of each record of the last
   * read, and every split this subtask reads (so that their watermarks count before their first record).
   */
  eventTime?(): { timestamps: number[]; splits: string[]; owned: string[] };
  /** Continue from a position taken by `position()` (before the first read). */
  restore(position: unknown): void;
  /** Checkpoint n completed (e.g. commit the offsets recorded for it to an external system). */
  commit?(checkpointId: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * Writes records of one sink subtask. A committing sink makes what it wrote before barrier n
 * visible only in `commit(n)`, after checkpoint n completed.
 */
export interface SinkWriter {
  write(records: unknown[]): Promise<void>;
  /** Barrier n: make what was written durable; the returned value is the sink's state in checkpoint n. */
  snapshot(checkpointId: number): Promise<unknown>;
  /** Checkpoint n completed. */
  commit(checkpointId: number): Promise<void>;
  /** Before the first write of an attempt that restores checkpoint n with this sink's state. */
  restore(state: unknown, checkpointId: number): Promise<void>;
  /** The input has ended: make everything written durable and visible. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

export interface SubtaskInfo {
  jobId: string;
  /** Id of the node the connector belongs to (stable across attempts). */
  node: string;
  subtask: number;
  parallelism: number;
  attempt: number;
  /** The job's checkpointing mode, or undefined when it takes no checkpoints. */
  mode: 'exactly-once' | 'at-least-once' | undefined;
}
