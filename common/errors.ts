/**
 * Typed errors. Every error carries a stable `code` a script can match on, whether retrying can help
 * (`retriable`), and the underlying `cause`. Messages are written for the person reading them.
 */
export class FlinkxError extends Error {
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}

export interface Problem {
  /** Where in the job file, e.g. `nodes[2].keyBy`. Empty for the file as a whole. */
  path: string;
  message: string;
  /** The line it is written on, where the file format keeps positions (YAML). */
  line?: number;
}

/** A job file that cannot run: every problem is named by its path in the file. */
export class JobFileError extends FlinkxError {
  readonly problems: Problem[];
  constructor(problems: Problem[], source?: string) {
    const where = source ? ` ${source}` : '';
    const at = (p: Problem) => (p.line === undefined ? p.path : `${p.path} (line ${p.line})`.trim());
    const list = problems.map((p) => `  - ${at(p) ? `${at(p)}: ` : ''}${p.message}`).join('\n');
    super('INVALID_JOB_FILE', `invalid job file${where}:\n${list}`);
    this.problems = problems;
  }
}

/** Process options (command-line flags) that cannot work: every problem is named by its flag. */
export class InvalidOptionsError extends FlinkxError {
  readonly problems: Problem[];
  constructor(problems: Problem[]) {
    super('INVALID_OPTIONS', `invalid options:\n${problems.map((p) => `  - ${p.path}: ${p.message}`).join('\n')}`);
    this.problems = problems;
  }
}

/** A frame on a WebSocket that does not follow the protocol. The connection is closed; nothing else. */
export class ProtocolError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('PROTOCOL_ERROR', message, { cause });
  }
}

/** The JobManager could not be reached or answered with an error. */
export class JobManagerUnreachableError extends FlinkxError {
  constructor(url: string, cause?: unknown) {
    super(
      'JOBMANAGER_UNREACHABLE',
      `cannot reach the JobManager at ${url}. Is \`flinkx-jm start\` running there? ` +
        'Set --jobmanager or FLINKX_JOBMANAGER to its address.',
      { retriable: true, cause },
    );
  }
}

export class UnknownJobError extends FlinkxError {
  constructor(jobId: string) {
    super('UNKNOWN_JOB', `no job with id ${jobId}. \`flinkx list\` shows the jobs the JobManager knows.`);
  }
}

/** A user function threw. The stack is the user's, so it is kept for status and REST. */
export class UserFunctionError extends FlinkxError {
  constructor(operator: string, cause: unknown) {
    const msg = cause instanceof Error ? cause.message : String(cause);
    super('USER_FUNCTION_FAILED', `operator "${operator}" threw: ${msg}`, { cause });
    if (cause instanceof Error && cause.stack) this.stack = `${this.name}: ${this.message}\nCaused by: ${cause.stack}`;
  }
}

/** A connector could not read or write its external system. */
export class ConnectorError extends FlinkxError {
  constructor(message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super('CONNECTOR_FAILED', message, options);
  }
}

/**
 * A failure a restart cannot fix (Flink's SuppressRestartsException): the job fails at once with it,
 * whatever its restart strategy. User functions may throw it, or any error named "NonRetriableError":
 * the name is what counts, since a functions bundle carries its own copy of any class it imports.
 */
export class NonRetriableError extends FlinkxError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(options.code ?? 'NON_RETRIABLE', message, { cause: options.cause });
  }
}

/** Whether the error, or any error in its `cause` chain, is a NonRetriableError. */
export function isNonRetriable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 10; e = e.cause, depth++) {
    if (e instanceof NonRetriableError || e.name === 'NonRetriableError') return true;
  }
  return false;
}

/** A failure as reported to the JobManager: message, stack, and whether a restart can help. */
export function errorInfo(err: unknown): { message: string; stack?: string; nonRetriable?: true; code?: string } {
  const e = err instanceof Error ? err : undefined;
  return {
    message: e?.message ?? String(err),
    stack: e?.stack,
    ...(isNonRetriable(err) && { nonRetriable: true as const }),
    ...(err instanceof FlinkxError && { code: err.code }),
  };
}

/** A snapshot file that is missing, short, or does not match its checksum: its checkpoint cannot be restored. */
export class CorruptCheckpointError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('CHECKPOINT_CORRUPT', message, { retriable: true, cause });
  }
}

/** Bytes that are not a snapshot or savepoint metadata of a version this build reads (truncated, garbage, too new). */
export class SnapshotFormatError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('SNAPSHOT_FORMAT', message, { cause });
  }
}

/**
 * Bytes on a channel that are not a data-plane batch of a version this build reads (truncated,
 * garbage, another version). The consuming task fails with it and the job restarts per its
 * restart strategy; the slot worker and its TaskManager carry on.
 */
export class BatchFormatError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('BATCH_FORMAT', message, { retriable: true, cause });
  }
}

/** A savepoint that cannot be restored into this job (unreadable, another maxParallelism, state no operator takes). */
export class SavepointRestoreError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('SAVEPOINT_RESTORE', message, { cause });
  }
}
