/**
 * The Dispatcher (as Flink's): accepts jobs, starts a JobMaster for each, and routes TaskManager
 * frames: heartbeats to the ResourceManager, a job's reports to its JobMaster. TaskManagers and
 * slots belong to the ResourceManager; everything about a job belongs to its JobMaster.
 */
import { randomBytes } from 'node:crypto';
import { UnknownJobError } from '../common/errors';
import { parseJobSpec, type JobSpec } from '../common/jobfile';
import { Logger } from '../common/log';
import type { TmToJmFrame } from '../common/protocol/control';
import type { HealthProblem } from '../common/protocol/rest';
import { join } from 'node:path';
import { checkpointDirFor, CheckpointStorage } from './checkpoint/checkpoint-storage';
import { planSavepointRestore, type SavepointRestore } from './checkpoint/savepoint-restore';
import { loadSavepoint } from './checkpoint/savepoint-storage';
import { buildJobGraph } from './compiler';
import { deliverToJobMaster } from './gateway/websocket';
import { JobStore } from './ha/job-store';
import { isTerminal } from './job-state';
import { JobMaster } from './job-master';
import type { JobManagerConfig } from './jobmanager-options';
import { ResourceManager } from './scheduler/resource-manager';
import type { RegisteredTaskManager, TaskManagerRegistry } from './scheduler/tm-registry';

const log = new Logger('dispatcher');

/** The JM's config; checkpoints go to `<dataDir>/checkpoints/<jobId>/` unless the job names a storage. */
export type DispatcherOptions = Pick<JobManagerConfig, 'heartbeatIntervalMs' | 'heartbeatTimeoutMs' | 'dataDir'> &
  Partial<Pick<JobManagerConfig, 'savepointDir'>>;

/** The savepoint a job is submitted from (`--from-savepoint`, `--allow-non-restored-state`). */
export interface SavepointSettings {
  path: string;
  allowNonRestoredState: boolean;
}

async function restoreFor(spec: JobSpec, s: SavepointSettings): Promise<SavepointRestore> {
  const graph = buildJobGraph(spec);
  return planSavepointRestore(await loadSavepoint(s.path), graph, s.allowNonRestoredState);
}

export class Dispatcher {
  readonly jobs = new Map<string, JobMaster>();
  readonly resourceManager: ResourceManager;
  private readonly store: JobStore;

  constructor(private readonly options: DispatcherOptions) {
    this.store = new JobStore(options.dataDir);
    this.resourceManager = new ResourceManager(
      { intervalMs: options.heartbeatIntervalMs, timeoutMs: options.heartbeatTimeoutMs },
      (tm, reason) => this.taskManagerLost(tm, reason),
    );
  }

  /** Where the server registers TaskManager connections: the ResourceManager's registry. */
  get registry(): TaskManagerRegistry {
    return this.resourceManager.registry;
  }

  /** A new job; with `savepoint` its first attempt restores that savepoint (checked here, before the job exists). */
  async submit(input: unknown, functionsCode: string | undefined, savepoint?: SavepointSettings): Promise<JobMaster> {
    const spec = parseJobSpec(input, 'submitted job');
    const fromSavepoint = savepoint && (await restoreFor(spec, savepoint));
    const id = randomBytes(8).toString('hex');
    const job = this.jobMaster(id, spec, functionsCode, fromSavepoint);
    this.store.saveJob({ id, spec, functionsCode, createdAt: job.createdAt, ...(savepoint && { savepoint }) });
    this.jobs.set(id, job);
    log.info('job submitted', { job: id, name: spec.name, slots: job.slotsNeeded });
    job.start();
    return job;
  }

  /**
   * After a JobManager failover: every stored job that had not ended resumes under its id from its
   * latest completed checkpoint. Ended jobs stay on disk and are not listed again.
   */
  async recover(): Promise<void> {
    for (const { job: stored, status } of this.store.load()) {
      if (status && isTerminal(status.state)) continue;
      const spec = parseJobSpec(stored.spec, `stored job ${stored.id}`);
      // Until its first checkpoint a job resumes from the savepoint it was submitted with.
      let fromSavepoint: SavepointRestore | undefined;
      try {
        fromSavepoint = stored.savepoint && (await restoreFor(spec, stored.savepoint));
      } catch (err) {
        log.error('the savepoint of a stored job cannot be read; it resumes from its checkpoints only', {
          job: stored.id,
          error: (err as Error).message,
        });
      }
      const job = this.jobMaster(stored.id, spec, stored.functionsCode, fromSavepoint, stored.createdAt);
      this.jobs.set(stored.id, job);
      job.resume(status ?? { state: 'CREATED', attempt: -1, restarts: 0, latestCheckpoint: null });
    }
  }

  private jobMaster(
    id: string,
    spec: JobSpec,
    functionsCode: string | undefined,
    fromSavepoint?: SavepointRestore,
    createdAt?: number,
  ): JobMaster {
    const checkpointStorage = spec.checkpointing
      ? new CheckpointStorage(checkpointDirFor(this.options.dataDir, id, spec.checkpointing.storage))
      : undefined;
    return new JobMaster(id, spec, functionsCode, {
      resourceManager: this.resourceManager,
      checkpointStorage,
      savepointDir: this.options.savepointDir ?? join(this.options.dataDir, 'savepoints'),
      fromSavepoint,
      createdAt,
      // Throws when it cannot write: the JobMaster retries, and deploys no attempt the store does not hold.
      persist: (status) => this.store.saveStatus(id, status),
    });
  }

  /** The jobs whose latest status is not on disk (a full data dir), for GET /health. */
  storeProblems(): HealthProblem[] {
    return [...this.jobs.values()].flatMap((job) => {
      const f = job.statusFailure;
      return f
        ? [{ what: `the status of job ${job.id}`, code: f.error.code, message: f.error.message, since: f.since }]
        : [];
    });
  }

  get(id: string): JobMaster {
    const job = this.jobs.get(id);
    if (!job) throw new UnknownJobError(id);
    return job;
  }

  cancel(id: string): JobMaster {
    const job = this.get(id);
    job.cancel();
    return job;
  }

  /** Frames from a registered TM (register is handled by the server). */
  onTaskManagerFrame(tm: RegisteredTaskManager, frame: TmToJmFrame): void {
    switch (frame.t) {
      case 'heartbeat':
        this.registry.heartbeat(tm.id, frame.queuedBytes, frame.tasks);
        for (const job of this.jobs.values()) job.reportCounters(tm.id, frame.tasks);
        return;
      case 'task-state':
      case 'ack-checkpoint':
      case 'decline-checkpoint': {
        const job = this.jobs.get(frame.jobId);
        if (job) deliverToJobMaster(tm.id, frame, job);
        return;
      }
      case 'register':
        return;
    }
  }

  private taskManagerLost(tm: RegisteredTaskManager, reason: string): void {
    const idle = ![...this.jobs.values()].some((j) => j.runsOn(tm.id));
    if (reason === 'stopped' && idle) log.info('TaskManager stopped', { tm: tm.id });
    else log.warn('TaskManager lost', { tm: tm.id, reason });
    for (const job of this.jobs.values()) job.taskManagerLost(tm.id, reason);
  }

  close(): void {
    for (const job of this.jobs.values()) job.close();
    this.resourceManager.close();
  }
}
