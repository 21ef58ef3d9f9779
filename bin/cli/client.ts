/** A small REST client for the JobManager, with errors a person can act on; answers are checked against common/protocol/rest.ts. */
import { FlinkxError, JobManagerUnreachableError, UnknownJobError } from '../../common/errors';
import { ErrorResponseSchema, responseSchemaFor } from '../../common/protocol/rest';

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
  /** `token`: the cluster's REST bearer token (common/net/cluster-secret.ts), if it has a secret. */
  constructor(url: string, private readonly token?: string) {
    this.base = url.replace(/^ws(s?):/, 'http$1:').replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
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
      const e = ErrorResponseSchema.safeParse(json).data?.error;
      if (e?.code === 'UNKNOWN_JOB') throw new UnknownJobError(path.split('/')[2] ?? '');
      throw new JobManagerError(e?.code ?? `HTTP_${res.status}`, e?.message ?? `HTTP ${res.status}`, e?.problems);
    }
    // Every answer is checked against its shape, so a JobManager of another version fails here, by name.
    const parsed = responseSchemaFor(method, path)?.safeParse(json);
    if (parsed && !parsed.success) {
      const [iss] = parsed.error.issues;
      throw new JobManagerError(
        'UNEXPECTED_RESPONSE',
        `the JobManager at ${this.base} answered ${method} ${path} with an unexpected shape: ${iss.path.join('.') || '(body)'}: ${iss.message}`,
      );
    }
    return (parsed ? parsed.data : json) as T;
  }
}

export type { JobDetails, JobSummary } from '../../common/protocol/rest';

export const TERMINAL_STATES = new Set(['FINISHED', 'FAILED', 'CANCELED']);
