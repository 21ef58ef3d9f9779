/** A small REST client for the JobManager, with errors a person can act on. */
import { FlinkxError, JobManagerUnreachableError, UnknownJobError } from '../../common/errors';

export class JobManagerError extends FlinkxError {
  constructor(
    code: string,
    message: string,
    readonly problems?: { path: string; message: string }[],
  ) {
    super(code, message);
  }
}

export class RestClient {
  readonly base: string;
  constructor(url: string) {
    this.base = url.replace(/^ws(s?):/, 'http$1:').replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: body === undefined ? undefined : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new JobManagerUnreachableError(this.base, err);
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new JobManagerUnreachableError(this.base, new Error(`answered ${res.status} with non-JSON: ${text.slice(0, 100)}`));
    }
    if (!res.ok) {
      const e = (json as { error?: { code?: string; message?: string; problems?: { path: string; message: string }[] } }).error ?? {};
      if (e.code === 'UNKNOWN_JOB') throw new UnknownJobError(path.split('/')[2] ?? '');
      throw new JobManagerError(e.code ?? `HTTP_${res.status}`, e.message ?? `HTTP ${res.status}`, e.problems);
    }
    return json as T;
  }
}

export interface JobSummary {
  id: string;
  name: string;
  state: string;
  reason?: string;
  parallelism: number;
  restarts: number;
  startTime?: number;
  endTime?: number;
  duration: number;
}

export interface SubtaskDetails {
  index: number;
  state: string;
  tm?: string;
  slot?: number;
  error?: { message: string; stack?: string };
  metrics?: { recordsIn: number; recordsOut: number; recordsInPerSecond: number; backPressuredMs: number };
}

export interface CheckpointsSummary {
  latestCompleted: number | null;
  completed: number;
  failed?: number;
  /** When the latest completed checkpoint completed (ms since epoch). */
  latestCompletedAt?: number | null;
  /** Bytes of the latest completed checkpoint. */
  latestCompletedSize?: number | null;
}

export interface JobDetails extends JobSummary {
  attempt: number;
  checkpointing?: { interval: number; mode: string; timeout?: number; storage?: string };
  checkpoints?: CheckpointsSummary;
  failure?: { message: string; stack?: string };
  vertices: {
    id: string;
    name: string;
    parallelism: number;
    recordsIn: number;
    recordsOut: number;
    recordsInPerSecond: number;
    recordsOutPerSecond: number;
    backPressuredMs: number;
    subtasks: SubtaskDetails[];
  }[];
  edges: { source: string; target: string; partitioner: string; keyBy?: string }[];
  exceptions: { time: number; attempt: number; task?: string; message: string; stack?: string }[];
}

export const TERMINAL_STATES = new Set(['FINISHED', 'FAILED', 'CANCELED']);
