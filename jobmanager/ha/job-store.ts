/**
 * What a JobManager needs to resume its jobs after a crash (Flink's JobGraphStore and job result
 * store, on the `--data-dir` filesystem instead of ZooKeeper):
 *
 *   <data-dir>/jobs/<jobId>/job.json      {version, id, spec, functionsCode?, createdAt}   written once, at submission
 *   <data-dir>/jobs/<jobId>/status.json   {version, state, attempt, restarts, latestCheckpoint,
 *                                          startedAt?, checkpointCounts?, exceptions?}   on every change
 *
 * Every file is written to a temp file, fsynced and renamed over the old one, so a reader (the
 * next JobManager) sees the old or the new content, never a torn one. The checkpoints themselves
 * stay in the job's checkpoint storage; `latestCheckpoint` points at the latest completed one.
 */
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { writeAtomicallySync } from '../../common/durable-file';
import { FlinkxError } from '../../common/errors';
import type { JobSpec } from '../../common/jobfile';
import { JobExceptionSchema, JobStateSchema } from '../../common/protocol/rest';

export const JOB_STORE_VERSION = 1;

/** `job.json`; the spec is checked again by parseJobSpec when the job is recovered. */
const StoredJobSchema = z.object({
  version: z.literal(JOB_STORE_VERSION),
  id: z.string().min(1),
  spec: z.custom<JobSpec>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'must be a job spec object'),
  functionsCode: z.string().optional(),
  createdAt: z.number(),
  /** The savepoint the job was submitted from. */
  savepoint: z.object({ path: z.string().min(1), allowNonRestoredState: z.boolean() }).optional(),
});
export type StoredJob = z.infer<typeof StoredJobSchema>;

/** `status.json`. */
const JobStatusSchema = z.object({
  version: z.literal(JOB_STORE_VERSION),
  state: JobStateSchema,
  attempt: z.number().int().min(-1),
  restarts: z.number().int().nonnegative(),
  /** The latest completed checkpoint: its id and the path of its `_metadata.json`. */
  latestCheckpoint: z.object({ id: z.number().int().nonnegative(), metadata: z.string().min(1) }).nullable(),
  /** When the job's first attempt was deployed: its running time goes on across failovers. */
  startedAt: z.number().optional(),
  /** Completed and failed checkpoints so far (failed as of the latest write of this file). */
  checkpointCounts: z
    .object({ completed: z.number().int().nonnegative(), failed: z.number().int().nonnegative() })
    .optional(),
  /** The job's latest exceptions, at most EXCEPTION_HISTORY_SIZE. */
  exceptions: z.array(JobExceptionSchema).optional(),
});
export type JobStatus = z.infer<typeof JobStatusSchema>;

/** The job store could not be written or read; retriable when the disk is full. */
export class JobStoreError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('JOB_STORE', message, { cause, retriable: isDiskFull(cause) });
  }
}

/** The filesystem is full (or the user's quota is): a write may succeed once space is freed. */
export function isDiskFull(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}

export class JobStore {
  private readonly root: string;

  /** `write`: injected by tests, to fail as a full disk does. */
  constructor(
    dataDir: string,
    private readonly write: (path: string, data: string) => void = writeAtomicallySync,
  ) {
    this.root = join(dataDir, 'jobs');
  }

  private dir(id: string): string {
    return join(this.root, id);
  }

  saveJob(job: Omit<StoredJob, 'version'>): void {
    try {
      mkdirSync(this.dir(job.id), { recursive: true });
      this.write(join(this.dir(job.id), 'job.json'), JSON.stringify({ version: JOB_STORE_VERSION, ...job }));
    } catch (err) {
      throw new JobStoreError(`cannot store job ${job.id} under ${this.root}: ${(err as Error).message}`, err);
    }
  }

  saveStatus(id: string, status: Omit<JobStatus, 'version'>): void {
    try {
      this.write(join(this.dir(id), 'status.json'), JSON.stringify({ version: JOB_STORE_VERSION, ...status }));
    } catch (err) {
      throw new JobStoreError(
        `cannot store the status of job ${id} under ${this.root}: ${(err as Error).message}`,
        err,
      );
    }
  }

  /** Every stored job with its latest status, in submission order; a job without a status was never started. */
  load(): { job: StoredJob; status: JobStatus | undefined }[] {
    let ids: string[];
    try {
      ids = readdirSync(this.root);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new JobStoreError(`cannot list jobs in ${this.root}: ${(err as Error).message}`, err);
    }
    const read = <T>(id: string, file: string, schema: z.ZodType<T>): T | undefined => {
      const path = join(this.dir(id), file);
      let json: unknown;
      try {
        json = JSON.parse(readFileSync(path, 'utf8'));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new JobStoreError(`cannot read ${path}: ${(err as Error).message}`, err);
      }
      const parsed = schema.safeParse(json);
      if (parsed.success) return parsed.data;
      const version = (json as { version?: unknown } | null)?.version;
      if (version !== JOB_STORE_VERSION)
        throw new JobStoreError(
          `${path} has version ${JSON.stringify(version)}; this JobManager reads ${JOB_STORE_VERSION}`,
        );
      throw new JobStoreError(
        `${path} is not a stored job's file: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; ')}`,
      );
    };
    return ids
      .flatMap((id) => {
        const job = read(id, 'job.json', StoredJobSchema);
        if (!job) return []; // cut short before its rename: never accepted
        return [{ job, status: read(id, 'status.json', JobStatusSchema) }];
      })
      .sort((a, b) => a.job.createdAt - b.job.createdAt);
  }
}
