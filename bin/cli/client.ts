/** A small REST client for the JobManager, with errors a person can act on; answers are checked against common/protocol/rest.ts. */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
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
  /**
   * `token`: the cluster's REST bearer token (common/net/cluster-secret.ts), if it has a secret;
   * `ca`: the CA (PEM) that signed an https JobManager's certificate, if not a public one.
   */
  constructor(
    url: string,
    private readonly token?: string,
    private readonly ca?: Buffer,
  ) {
    this.base = url.replace(/^ws(s?):/, 'http$1:').replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: { status: number; ok: boolean; text: string };
    try {
      res = await send(
        this.base + path,
        method,
        {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        },
        body === undefined ? undefined : JSON.stringify(body),
        this.ca,
      );
    } catch (err) {
      throw new JobManagerUnreachableError(this.base, err);
    }
    const text = res.text;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new JobManagerUnreachableError(
        this.base,
        new Error(`answered ${res.status} with non-JSON: ${text.slice(0, 100)}`),
      );
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

/** One request over node:http(s) (fetch cannot take a CA of its own), with a 30 s deadline. */
function send(
  url: string,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  ca?: Buffer,
): Promise<{ status: number; ok: boolean; text: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsRequest : httpRequest)(
      url,
      { method, headers, ca, timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ok: (res.statusCode ?? 0) < 300,
            text: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.on('error', reject);
    req.end(body);
  });
}
