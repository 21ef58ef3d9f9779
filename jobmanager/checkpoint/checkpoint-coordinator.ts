/**
 * Triggers a job's periodic checkpoints, collects the tasks' acknowledgements with the handles of
 * the snapshots they wrote, and tells the TaskManagers when a checkpoint is complete (so committing
 * sinks commit).
 *
 * One checkpoint at a time. Checkpoint n is COMPLETED when every subtask of the attempt acked it and
 * its metadata is on disk; a decline, the timeout, or a restart FAILS it, not the job.
 * Ids keep increasing across attempts: the coordinator lives as long as the job.
 *
 * A savepoint is a checkpoint asked for (./savepoints.ts): triggered at the next chance, its
 * files copied into the savepoint's directory before it counts as completed. A terminal one
 * (stop-with-savepoint) is the job's last: no checkpoint is triggered after it.
 * History and counts: ./checkpoint-stats-tracker.ts.
 */
import type { JobSpec } from '../../common/jobfile';
import { FlinkxError } from '../../common/errors';
import { Logger } from '../../common/log';
import type { StateHandle } from '../../common/plan';
import type { JmToTmFrame, Outgoing } from '../../common/protocol/control';
import type {
  CheckpointMetadata,
  CheckpointStorage,
  CheckpointWriter,
  CompletedCheckpoint,
} from './checkpoint-storage';
import type { CheckpointEntry, Checkpoints, CheckpointsSummary } from '../../common/protocol/rest';
import type { Clock, Timers } from '../clock';
import { CHECKPOINT_STATES } from './checkpoint-state';
import { CheckpointStatsTracker } from './checkpoint-stats-tracker';

const log = new Logger('checkpoints');

export type CheckpointingConfig = NonNullable<JobSpec['checkpointing']>;

/** What the coordinator needs from its job; the JobMaster provides it, tests a fake. */
export interface CheckpointTarget {
  readonly jobId: string;
  /** The current attempt. */
  attempt(): number;
  /** The job is RUNNING and every subtask of the current attempt reports RUNNING (none finished yet). */
  allTasksRunning(): boolean;
  /** Every subtask of the attempt; each one must acknowledge a checkpoint. */
  tasks(): readonly { vertex: string; subtask: number }[];
  /** Sends a frame to every TaskManager that hosts a subtask of the current attempt. */
  broadcast(frame: Extract<Outgoing<JmToTmFrame>, { t: 'trigger-checkpoint' | 'checkpoint-complete' }>): void;
  /** Checkpoint `id` completed, its metadata at `metadataPath` (the JobManager records the pointer). */
  completed?(id: number, metadataPath: string): void;
  /** Writes a savepoint from the completed checkpoint in `chkDir` into `dir`; returns its path. */
  writeSavepoint?(dir: string, chkDir: string, metadata: CheckpointMetadata): Promise<string>;
}

/** A savepoint asked for: where to, whether the job stops with it, and who waits for its path. */
export interface SavepointRequest {
  dir: string;
  terminate: boolean;
  resolve(path: string): void;
  reject(err: Error): void;
}

export type { CheckpointEntry };

/** Why a checkpoint failed (declined, timed out, aborted by a restart, storage error). */
export class CheckpointFailedError extends FlinkxError {
  constructor(checkpointId: number, reason: string, cause?: unknown) {
    super('CHECKPOINT_FAILED', `checkpoint ${checkpointId} failed: ${reason}`, { retriable: true, cause });
  }
}

interface Pending {
  entry: CheckpointEntry;
  writer: CheckpointWriter;
  waiting: Set<string>;
  /** Cancels the checkpoint's timeout. */
  cancelTimeout: () => void;
  /** Set once every task acked: files are being finalized. */
  finalizing?: Promise<void>;
  savepoint?: SavepointRequest;
}

/**
 * A failed checkpoint some of whose tasks had not answered: they may still be writing into its
 * folder (and recreate it), so each late answer deletes the folder again, as Flink discards the
 * state of a late acknowledgement.
 */
interface Unanswered {
  attempt: number;
  writer: CheckpointWriter;
  waiting: Set<string>;
}

/** Failed checkpoints whose late answers are waited for; beyond that the oldest is forgotten (its tasks' TMs may be gone). */
const MAX_UNANSWERED = 8;

export class CheckpointCoordinator {
  private nextId = 1;
  private pending: Pending | undefined;
  /** Cancels the next periodic trigger; set while started. */
  private cancelTrigger: (() => void) | undefined;
  private readonly stats: CheckpointStatsTracker;
  /** Resolves when no checkpoint files are being finalized or discarded. */
  private settled: Promise<void> = Promise.resolve();
  /** A savepoint waiting for the checkpoint in progress to end. */
  private requested: SavepointRequest | undefined;
  /** A terminal savepoint was triggered: the job takes no more checkpoints. */
  private terminating = false;
  /** By checkpoint id, oldest first. */
  private readonly unanswered = new Map<number, Unanswered>();

  constructor(
    private readonly target: CheckpointTarget,
    readonly config: CheckpointingConfig,
    private readonly storage: CheckpointStorage,
    /** The timers should not keep the process alive on their own (jobmanager/clock.ts backgroundTimers). */
    private readonly time: { clock: Clock; timers: Timers },
  ) {
    this.stats = new CheckpointStatsTracker(time.clock);
  }

  /**
   * A job resumed by a new JobManager: ids continue after every chk folder in the storage (even an
   * unfinished one, which TaskManagers may have written into), so no file of an old checkpoint is reused.
   */
  async continueIds(): Promise<void> {
    this.nextId = Math.max(this.nextId, (await this.storage.highestId()) + 1);
  }

  /** A job restored from a savepoint continues after the savepoint's checkpoint id, as in Flink. */
  continueAfter(checkpointId: number): void {
    this.nextId = Math.max(this.nextId, checkpointId + 1);
  }

  /** A job resumed by a new JobManager: its counts go on from the stored ones. */
  restoreCounts(counts: { completed: number; failed: number }): void {
    this.stats.restoreCounts(counts);
  }

  /**
   * Takes a savepoint at the next chance (now, or once the checkpoint in progress ended); resolves
   * with its path. Refused while another savepoint is asked for or the job is stopping.
   */
  triggerSavepoint(dir: string, terminate: boolean): Promise<string> {
    if (this.requested || this.pending?.savepoint || this.terminating) {
      return Promise.reject(new CheckpointFailedError(this.nextId, 'a savepoint is already in progress'));
    }
    if (!this.target.allTasksRunning())
      return Promise.reject(new CheckpointFailedError(this.nextId, 'not every task of the job is running'));
    const done = new Promise<string>((resolve, reject) => (this.requested = { dir, terminate, resolve, reject }));
    this.tick();
    return done;
  }

  /** Starts the periodic trigger; each tick checks whether the job can take a checkpoint. */
  start(): void {
    if (this.cancelTrigger) return;
    const next = (): void => {
      this.cancelTrigger = this.time.timers.schedule(() => {
        next();
        this.tick();
      }, this.config.interval);
    };
    next();
  }

  /** Stops triggering for good (the job ended); fails the checkpoint in progress. */
  stop(reason: string): void {
    this.cancelTrigger?.();
    this.cancelTrigger = undefined;
    this.abort(reason);
    this.requested?.reject(new CheckpointFailedError(this.nextId, reason));
    this.requested = undefined;
  }

  /** Triggers the next checkpoint if the attempt is fully running and none is in progress. */
  tick(): CheckpointEntry | undefined {
    if (this.pending || this.terminating || !this.target.allTasksRunning()) return undefined;
    const savepoint = this.requested;
    this.requested = undefined;
    if (savepoint?.terminate) this.terminating = true;
    const tasks = this.target.tasks();
    const id = this.nextId++;
    const entry: CheckpointEntry = {
      id,
      attempt: this.target.attempt(),
      status: 'IN_PROGRESS',
      triggerTime: this.time.clock.now(),
      duration: 0,
      size: 0,
      acknowledged: 0,
      total: tasks.length,
    };
    const cancelTimeout = this.time.timers.schedule(
      () => this.fail(id, `timed out after ${this.config.timeout} ms`),
      this.config.timeout,
    );
    this.pending = {
      entry,
      writer: this.storage.begin(id),
      waiting: new Set(tasks.map((t) => `${t.vertex}/${t.subtask}`)),
      cancelTimeout,
      savepoint,
    };
    this.stats.reportPending(entry);
    log.info(savepoint ? 'savepoint triggered' : 'checkpoint triggered', {
      job: this.target.jobId,
      checkpoint: id,
      attempt: entry.attempt,
      tasks: entry.total,
    });
    const terminate = savepoint?.terminate ? { terminate: true } : {};
    this.target.broadcast({
      t: 'trigger-checkpoint',
      jobId: this.target.jobId,
      attempt: entry.attempt,
      checkpointId: id,
      timestamp: entry.triggerTime,
      ...terminate,
    });
    return entry;
  }

  /**
   * A task's snapshot handle. Acks of another attempt, an unknown id, or a task that already acked
   * are ignored; a late one for a failed checkpoint deletes its files.
   */
  acknowledge(attempt: number, checkpointId: number, vertex: string, subtask: number, handle: StateHandle): void {
    const p = this.pendingFor(attempt, checkpointId);
    if (!p) return this.lateAnswer(attempt, checkpointId, vertex, subtask);
    if (p.finalizing || !p.waiting.delete(`${vertex}/${subtask}`)) return;
    try {
      p.writer.add(vertex, subtask, handle);
    } catch (err) {
      return this.fail(checkpointId, (err as Error).message);
    }
    p.entry.acknowledged++;
    p.entry.size += handle.size;
    if (p.waiting.size === 0) p.finalizing = this.finalize(p);
  }

  /** A task could not snapshot: the checkpoint fails, the job goes on. */
  decline(attempt: number, checkpointId: number, vertex: string, subtask: number, reason: string): void {
    const p = this.pendingFor(attempt, checkpointId);
    if (!p) return this.lateAnswer(attempt, checkpointId, vertex, subtask);
    p.waiting.delete(`${vertex}/${subtask}`);
    this.fail(checkpointId, `${vertex}[${subtask}] declined: ${reason}`);
  }

  /** A task answered a checkpoint that failed before it did: whatever it wrote is deleted. */
  private lateAnswer(attempt: number, checkpointId: number, vertex: string, subtask: number): void {
    const u = this.unanswered.get(checkpointId);
    if (!u || u.attempt !== attempt || !u.waiting.delete(`${vertex}/${subtask}`)) return;
    if (u.waiting.size === 0) this.unanswered.delete(checkpointId);
    const discard = this.discard(checkpointId, u.writer);
    this.settled = this.settled.then(() => discard);
  }

  /** The attempt is over (restart, cancel): the checkpoint in progress fails. */
  abort(reason: string): void {
    if (this.pending) this.fail(this.pending.entry.id, reason);
  }

  /**
   * The latest completed checkpoint to restore from, once any checkpoint still being written or
   * discarded has settled (so a half-written one is never picked).
   */
  async latestForRestore(): Promise<CompletedCheckpoint | undefined> {
    await this.settled;
    return this.storage.latest();
  }

  /**
   * A restore found checkpoint `id` corrupt: it is set aside, so the next restore takes the one
   * before it.
   */
  invalidate(id: number): void {
    log.warn('checkpoint is corrupt; setting it aside', { job: this.target.jobId, checkpoint: id });
    const done = this.storage.setAside(id).catch((err: unknown) =>
      log.error('cannot set a corrupt checkpoint aside', {
        job: this.target.jobId,
        checkpoint: id,
        error: (err as Error).message,
      }),
    );
    this.settled = this.settled.then(() => done);
  }

  private pendingFor(attempt: number, checkpointId: number): Pending | undefined {
    const p = this.pending;
    return p && p.entry.id === checkpointId && p.entry.attempt === attempt && attempt === this.target.attempt()
      ? p
      : undefined;
  }

  /** Every task acked: write the metadata; COMPLETED unless a restart failed it meanwhile. */
  private finalize(p: Pending): Promise<void> {
    const { entry } = p;
    p.cancelTimeout(); // fully acknowledged: only the metadata is left, a restart can still abort it
    const meta = {
      jobId: this.target.jobId,
      attempt: entry.attempt,
      triggerTime: entry.triggerTime,
      completedAt: this.time.clock.now(),
    };
    const done = p.writer.finalize(meta).then(
      async (metadata) => {
        if (this.pending !== p) return this.discard(entry.id, p.writer); // aborted meanwhile
        let savepointPath: string | undefined;
        if (p.savepoint) {
          try {
            savepointPath = await this.target.writeSavepoint!(p.savepoint.dir, p.writer.dir, metadata);
          } catch (err) {
            this.fail(entry.id, (err as Error).message);
            return this.discard(entry.id, p.writer);
          }
          if (this.pending !== p) return this.discard(entry.id, p.writer); // aborted while copying
        }
        this.pending = undefined;
        entry.status = CHECKPOINT_STATES.transition(`checkpoint ${entry.id}`, entry.status, 'COMPLETED');
        entry.duration = this.time.clock.now() - entry.triggerTime;
        this.stats.reportCompleted(entry);
        log.info('checkpoint completed', {
          job: this.target.jobId,
          checkpoint: entry.id,
          durationMs: entry.duration,
          bytes: entry.size,
        });
        this.target.completed?.(metadata.checkpointId, p.writer.metadataPath);
        const terminate = p.savepoint?.terminate ? { terminate: true } : {};
        this.target.broadcast({
          t: 'checkpoint-complete',
          jobId: this.target.jobId,
          attempt: entry.attempt,
          checkpointId: entry.id,
          ...terminate,
        });
        if (savepointPath) p.savepoint!.resolve(savepointPath);
      },
      async (err: unknown) => {
        this.fail(entry.id, (err as Error).message);
        await this.discard(entry.id, p.writer);
      },
    );
    this.settled = this.settled.then(() => done);
    return done;
  }

  /** Deletes a failed checkpoint's files; never rejects. */
  private async discard(checkpointId: number, writer: CheckpointWriter): Promise<void> {
    await writer.discard().catch((err: unknown) =>
      log.warn('cannot delete failed checkpoint', {
        job: this.target.jobId,
        checkpoint: checkpointId,
        error: (err as Error).message,
      }),
    );
  }

  private fail(checkpointId: number, reason: string): void {
    const p = this.pending;
    if (!p || p.entry.id !== checkpointId) return;
    this.pending = undefined;
    p.cancelTimeout();
    const { entry } = p;
    entry.status = CHECKPOINT_STATES.transition(`checkpoint ${entry.id}`, entry.status, 'FAILED');
    entry.duration = this.time.clock.now() - entry.triggerTime;
    entry.failureReason = reason;
    this.stats.reportFailed();
    if (p.savepoint) {
      this.terminating = false;
      p.savepoint.reject(new CheckpointFailedError(checkpointId, reason));
    }
    log.warn('checkpoint failed', { job: this.target.jobId, checkpoint: entry.id, reason });
    if (p.waiting.size > 0) {
      this.unanswered.set(checkpointId, { attempt: entry.attempt, writer: p.writer, waiting: p.waiting });
      if (this.unanswered.size > MAX_UNANSWERED) this.unanswered.delete(this.unanswered.keys().next().value!);
    }
    // While finalizing, finalize() discards the files itself once the metadata write is done.
    if (p.finalizing) return;
    const discard = this.discard(checkpointId, p.writer);
    this.settled = this.settled.then(() => discard);
  }

  /** The `GET /jobs/:id/checkpoints` body. */
  snapshot(): Checkpoints {
    return this.stats.snapshot(this.pending ? 1 : 0);
  }

  /** The checkpoint part of `GET /jobs/:id`. */
  summary(): CheckpointsSummary {
    return this.stats.summary();
  }
}
