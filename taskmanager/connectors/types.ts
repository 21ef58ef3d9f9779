/** What the runtime needs of a connector; the implementations sit beside this file. */

/** Reads records for one source subtask. */
export interface SourceReader {
  /** Up to `max` records; an empty array when none are ready yet; null once the source has ended. */
  read(max: number): Promise<unknown[] | null>;
  close(): Promise<void>;
}

/** Writes records of one sink subtask. */
export interface SinkWriter {
  write(records: unknown[]): Promise<void>;
  /** The input has ended: make everything written durable and visible. */
  finish(): Promise<void>;
  close(): Promise<void>;
}

export interface SubtaskInfo {
  subtask: number;
  parallelism: number;
}
