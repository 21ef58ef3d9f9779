/** Load a job (a job file and its functions module, or a job module), submit it, and follow it. */
import { resolve } from 'node:path';
import { delay } from '../../common/async';
import { FlinkxError, JobManagerUnreachableError, UnknownJobError } from '../../common/errors';
import { loadJobFile, type JobSpec } from '../../common/jobfile';
import { JOB_MODULE, bundleModule, loadJobModule } from './job-module';
import { typecheckJobModule } from './typecheck';
import { TERMINAL_STATES, type JobDetails, type RestClient } from './client';
import { rate } from './format';

export class FunctionsBundleError extends FlinkxError {
  constructor(path: string, cause: unknown) {
    super('FUNCTIONS_BUNDLE_FAILED', `cannot bundle the functions module ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
}

/** The job's functions module (JS or TS) and its imports as one CommonJS script, shipped with the job. */
export async function bundleFunctions(spec: JobSpec): Promise<string | undefined> {
  if (!spec.functions) return undefined;
  try {
    return await bundleModule(spec.functions);
  } catch (err) {
    throw new FunctionsBundleError(spec.functions, err);
  }
}

export interface LoadedJob {
  spec: JobSpec;
  functionsCode: string | undefined;
}

/**
 * A job file (JSON) with its functions module bundled, or a job module (`.ts`, `.js`, ...), which
 * with `typecheck` is type-checked first when a tsconfig.json applies to it (see typecheck.ts).
 */
export async function loadJob(path: string, options: { typecheck?: boolean } = {}): Promise<LoadedJob> {
  if (JOB_MODULE.test(path)) {
    if (options.typecheck) typecheckJobModule(path, (message) => process.stderr.write(`warning: ${message}\n`));
    return loadJobModule(path);
  }
  const spec = await loadJobFile(path);
  return { spec, functionsCode: await bundleFunctions(spec) };
}

/** `--from-savepoint PATH [--allow-non-restored-state]`: the job's first attempt restores that savepoint. */
export interface FromSavepoint {
  fromSavepoint?: string;
  allowNonRestoredState?: boolean;
}

export async function submitJob(client: RestClient, job: LoadedJob, from: FromSavepoint = {}): Promise<string> {
  const { jobId } = await client.request<{ jobId: string }>('POST', '/jobs', {
    job: job.spec,
    functionsCode: job.functionsCode,
    // The JobManager reads the savepoint, so a relative path means the one this command sees.
    ...(from.fromSavepoint && {
      savepointPath: resolve(from.fromSavepoint),
      allowNonRestoredState: from.allowNonRestoredState === true,
    }),
  });
  return jobId;
}

/** How often `waitForJob` asks the JobManager for the job's state. */
export const POLL_MS = 200;

/** How long `--wait` keeps polling JobManagers that do not answer (a failover to a standby takes seconds). @default 60000 */
export const WAIT_UNREACHABLE_MS = 60_000;

export interface WaitOptions {
  /** Standby JobManagers (`--jobmanager` lists them after the first), asked in turn while one does not answer. */
  others?: RestClient[];
  /** How long no JobManager may answer before the wait gives up (`--wait-timeout`). */
  unreachableMs?: number;
}

/**
 * Poll until the job ends; progress on one rewritten line on a terminal, plain lines otherwise.
 * Through a JobManager failover (no JobManager answers, or the new one has not resumed the job
 * yet) it goes on asking each address in turn, for up to `unreachableMs`.
 */
export async function waitForJob(
  client: RestClient,
  jobId: string,
  out: NodeJS.WriteStream = process.stderr,
  options: WaitOptions = {},
): Promise<JobDetails> {
  const clients = [client, ...(options.others ?? [])];
  const unreachableMs = options.unreachableMs ?? WAIT_UNREACHABLE_MS;
  let next = 0;
  let unreachableSince: number | undefined;
  let last = '';
  for (;;) {
    let job: JobDetails;
    try {
      job = await clients[next].request<JobDetails>('GET', `/jobs/${jobId}`);
    } catch (err) {
      // A JobManager that took over answers UNKNOWN_JOB until it has resumed the job.
      const failover =
        err instanceof JobManagerUnreachableError || (err instanceof UnknownJobError && unreachableSince !== undefined);
      if (!failover) throw err;
      if (unreachableSince === undefined) {
        unreachableSince = Date.now();
        if (out.isTTY) out.write('\n');
        out.write(`JobManager unreachable, retrying… (${(err as Error).message.split('. ')[0]})\n`);
      } else if (Date.now() - unreachableSince > unreachableMs) {
        throw err;
      }
      next = (next + 1) % clients.length;
      await delay(POLL_MS);
      continue;
    }
    if (unreachableSince !== undefined) out.write(`JobManager at ${clients[next].base} answers again\n`);
    unreachableSince = undefined;
    const sources = job.vertices.filter((v) => !job.edges.some((e) => e.target === v.id));
    const read = sources.reduce((n, v) => n + v.recordsIn, 0);
    const perSecond = sources.reduce((n, v) => n + v.recordsInPerSecond, 0);
    const line = `${job.state}${job.reason && !TERMINAL_STATES.has(job.state) ? ` (${job.reason})` : ''}: ${read} records read, ${rate(perSecond)}, restarts ${job.restarts}`;
    if (out.isTTY) out.write(`\r\x1b[K${line}`);
    else if (line !== last) out.write(line + '\n');
    last = line;
    if (TERMINAL_STATES.has(job.state)) {
      if (out.isTTY) out.write('\n');
      return job;
    }
    await delay(POLL_MS);
  }
}
