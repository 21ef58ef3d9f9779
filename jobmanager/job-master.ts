/**
 * The JobMaster of one job (Flink's JobMaster): its state machine (./job-state.ts), scheduling of
 * each attempt on slots from the ResourceManager, the subtasks' states, the restart strategy
 * (./failover/), and the checkpoint coordinator, restoring a restarted attempt from the latest
 * completed checkpoint (./checkpoint/restore-state.ts), and its savepoints (./checkpoint/savepoints.ts).
 * TaskManagers report to it through its JobMasterGateway methods.
 *
 * Over 300 lines on purpose: it is one state machine. Every method reads or moves `state`, `attempt`
 * and `slots`, and deploy, restart and cancel each end in a transition; a split would hand its
 * private transition to another file. What stands on its own is already outside: the plan
 * (./deployment.ts), the subtasks' states (./executions.ts), the restart strategy (./failover/),
 * checkpoints, restore and savepoints (./checkpoint/).
 */
import type { JobSpec, RestartSpec } from '../common/jobfile';
import { Logger } from '../common/log';
import type { SlotRef, StateHandle } from '../common/plan';
import { coordinatorFor, triggerSavepoint } from './checkpoint/savepoints';
import { loadRestore, type RestoreState } from './checkpoint/restore-state';
import { deployment } from './deployment';
import type { SavepointRestore } from './checkpoint/savepoint-restore';
import type { ErrorInfo, TaskCounters } from '../common/protocol/control';
import type { JobException } from '../common/protocol/rest';
import type { CheckpointCoordinator } from './checkpoint/checkpoint-coordinator';
import type { CheckpointStorage } from './checkpoint/checkpoint-storage';
import { backgroundTimers, systemClock, systemTimers, type Clock, type Timers } from './clock';
import { buildExecutionGraph, buildJobGraph, type ExecutionGraph } from './compiler';
import { Executions } from './executions';
import { EXECUTION_STATES } from './execution-state';
import { createRestartStrategy, effectiveRestart, type RestartStrategy } from './failover/restart-strategy';
import type { JobMasterGateway, TaskExecutionState } from './gateway/gateways';
import { isTerminal, JOB_STATES, type JobState } from './job-state';
import type { JobStatus } from './ha/job-store';
import type { WriteFailure } from './ha/retried-write';
import { StatusWriter, type StatusToWrite } from './ha/status-writer';
import type { ResourceManagerGateway } from './scheduler/resource-manager';

const log = new Logger('jobmaster');
/** How long a cancelled job waits for its tasks to confirm before it counts them as stopped. */
export const CANCEL_TIMEOUT_MS = 10_000;
/** The exceptions a job keeps (Flink's web.exception-history-size). */
export const EXCEPTION_HISTORY_SIZE = 16;

export interface JobMasterServices {
  resourceManager: ResourceManagerGateway;
  /** Where a job with `checkpointing` keeps its checkpoints. */
  checkpointStorage?: CheckpointStorage;
  /** Where savepoints go when the request names no directory (`--savepoint-dir`). */
  savepointDir?: string;
  /** The savepoint the job was submitted with: its first attempt restores it. */
  fromSavepoint?: SavepointRestore;
  /**
   * Records the job's status durably (jobmanager/ha/job-store.ts) on every change, for a JobManager
   * that takes over; throws when it cannot, and the JobMaster retries (./ha/status-writer.ts).
   */
  persist?: (status: StatusToWrite) => void;
  /** When the job was submitted; a resumed job's is the stored one. */
  createdAt?: number;
  clock?: Clock;
  timers?: Timers;
}

export class JobMaster implements JobMasterGateway {
  readonly execution: ExecutionGraph;
  /** The job's `restart` block, or the default for it. */
  readonly restart: RestartSpec;
  readonly checkpoints: CheckpointCoordinator | undefined;
  readonly tasks: Executions;
  state: JobState = 'CREATED';
  /** Why a CREATED job is not running yet, or why it ended. */
  reason: string | undefined;
  attempt = 0;
  restarts = 0;
  slots: SlotRef[] | undefined;
  failure: ErrorInfo | undefined;
  /** The latest EXCEPTION_HISTORY_SIZE, oldest first. */
  readonly exceptions: JobException[] = [];
  readonly createdAt: number;
  startedAt: number | undefined;
  endedAt: number | undefined;
  private readonly restartStrategy: RestartStrategy;
  private readonly clock: Clock;
  private readonly timers: Timers;
  private restore: RestoreState | undefined;
  /** The checkpoint the current attempt was deployed from. */
  private restoredCheckpoint: number | undefined;
  private latestCheckpoint: JobStatus['latestCheckpoint'] = null;
  private cancelTimer: (() => void) | undefined;
  private restartTimer: (() => void) | undefined;
  /** While RESTARTING: called when a task of the failed attempt ends; restarts once all have. */
  private tasksStopped: (() => void) | undefined;
  private readonly status: StatusWriter;

  constructor(
    readonly id: string,
    readonly spec: JobSpec,
    readonly functionsCode: string | undefined,
    private readonly services: JobMasterServices,
  ) {
    this.clock = services.clock ?? systemClock;
    this.timers = services.timers ?? systemTimers;
    this.createdAt = services.createdAt ?? this.clock.now();
    this.status = new StatusWriter(
      () => this.statusToWrite(),
      (s) => services.persist?.(s),
      this.timers,
      () => this.clock.now(),
      {
        failed: (f, first) => this.statusNotWritten(f, first),
        recovered: (since) =>
          log.info('job status written again', {
            job: this.id,
            attempt: this.attempt,
            failingForMs: this.clock.now() - since,
          }),
      },
    );
    this.execution = buildExecutionGraph(buildJobGraph(spec));
    this.tasks = new Executions(this.clock);
    this.restart = effectiveRestart(spec);
    this.restartStrategy = createRestartStrategy(this.restart, this.clock);
    // The coordinator's real timers do not keep the process alive (backgroundTimers); a test's manual ones drive it.
    const coordinatorTime = { clock: this.clock, timers: services.timers ?? backgroundTimers };
    this.checkpoints = coordinatorFor(
      this,
      services.checkpointStorage,
      () => this.taskExecutors(),
      (checkpointId, metadata) => {
        this.latestCheckpoint = { id: checkpointId, metadata };
        this.persist();
      },
      coordinatorTime,
    );
    if (services.fromSavepoint) this.checkpoints?.continueAfter(services.fromSavepoint.checkpointId);
  }

  /** Where the job's tasks write their snapshots. */
  get checkpointDir(): string | undefined {
    return this.checkpoints ? this.services.checkpointStorage?.dir : undefined;
  }

  get slotsNeeded(): number {
    return this.execution.slotsNeeded;
  }

  /** Starts checkpointing and asks for the slots of the first attempt (after loading its savepoint, if any). */
  start(): void {
    this.persist();
    this.checkpoints?.start();
    this.whenAttemptDurable(() => (this.services.fromSavepoint ? void this.restoreAndSchedule() : this.requestSlots()));
  }

  /**
   * Takes a savepoint into `dir` (default: the JobManager's savepoint directory) and resolves with its
   * path. With `stop` the job stops with it: sources end at its barrier, sinks commit it, FINISHED.
   * A stop whose savepoint fails restarts the attempt from the latest checkpoint (Flink resumes the job).
   */
  async triggerSavepoint(dir: string | undefined, stop: boolean): Promise<string> {
    try {
      return await triggerSavepoint(this, dir ?? this.services.savepointDir, stop);
    } catch (err) {
      if (stop && this.state === 'RUNNING')
        this.failAttempt({ message: `stop-with-savepoint failed: ${(err as Error).message}` });
      throw err;
    }
  }

  /**
   * Resumes a job that a previous JobManager ran (its status as stored): a new attempt, past every
   * attempt the old JobManager may have deployed (it deployed none before storing it), from the
   * latest completed checkpoint. Its tasks of the old attempt were cancelled by their TaskManagers
   * when that JobManager went away. Its start time, checkpoint counts and exceptions go on.
   */
  resume(saved: StatusToWrite): void {
    this.attempt = saved.attempt + 1;
    this.restarts = saved.restarts;
    this.latestCheckpoint = saved.latestCheckpoint;
    this.startedAt = saved.startedAt;
    for (const e of saved.exceptions ?? []) this.recordException(e);
    if (saved.checkpointCounts) this.checkpoints?.restoreCounts(saved.checkpointCounts);
    log.info('resuming job after a JobManager failover', { job: this.id, was: saved.state, attempt: this.attempt });
    // A cancel that was under way only needs its end: the old tasks are gone with the old JobManager.
    if (saved.state === 'CANCELLING') return this.cancel();
    this.persist();
    void (async () => {
      await this.checkpoints?.continueIds();
      this.checkpoints?.start();
      this.whenAttemptDurable(() => void this.restoreAndSchedule());
    })();
  }

  cancel(): void {
    if (isTerminal(this.state) || this.state === 'CANCELLING') return;
    if (this.state !== 'RUNNING') {
      this.transition('CANCELLING');
      return this.transition('CANCELED');
    }
    this.transition('CANCELLING');
    this.sendCancel();
    // A TM that died meanwhile will never report; its tasks count as stopped.
    for (const tm of this.taskManagers()) if (!this.services.resourceManager.taskExecutor(tm)) this.tasks.abandon(tm);
    this.settle();
    if (isTerminal(this.state)) return;
    // A task that never reports back (stuck in a user function, say) must not hold the job forever.
    this.cancelTimer = this.timers.schedule(() => {
      if (this.state !== 'CANCELLING') return;
      log.warn('tasks did not confirm the cancel; treating them as stopped', {
        job: this.id,
        afterMs: CANCEL_TIMEOUT_MS,
      });
      this.tasks.abandon();
      this.settle();
    }, CANCEL_TIMEOUT_MS);
  }

  /** Reports of an attempt that is over are stale and dropped; an impossible transition throws. */
  updateTaskExecutionState(tm: string, u: TaskExecutionState): void {
    if (u.attempt !== this.attempt) return;
    const st = this.tasks.get(u.vertex, u.subtask);
    if (this.state === 'RESTARTING') {
      // The failed attempt's tasks ending: the restart waits for them.
      if (st?.slot?.tm === tm && EXECUTION_STATES.isTerminal(u.state) && !EXECUTION_STATES.isTerminal(st.state)) {
        this.tasks.update(st, u.state, u.error);
        this.tasksStopped?.();
      }
      return;
    }
    if (this.state !== 'RUNNING' && this.state !== 'CANCELLING') return;
    if (!st || st.slot?.tm !== tm)
      return void log.warn('task report from a TaskManager that does not run the task', {
        job: this.id,
        tm,
        task: `${u.vertex}[${u.subtask}]`,
      });
    this.tasks.update(st, u.state, u.error);
    if (u.counters) this.tasks.updateCounters(this.attempt, [u.counters], true);
    // A finished task acks no more checkpoints: the one in progress cannot complete.
    if (u.state === 'FINISHED') this.checkpoints?.abort(`task ${u.vertex}[${u.subtask}] finished`);
    if (u.state === 'FAILED' && this.state === 'RUNNING') {
      // A snapshot this attempt restored is missing or corrupt: the next restore takes the checkpoint before it.
      if (u.error?.code === 'CHECKPOINT_CORRUPT' && this.restoredCheckpoint !== undefined)
        this.checkpoints?.invalidate(this.restoredCheckpoint);
      const failure = u.error ?? { message: `task ${u.vertex}[${u.subtask}] failed` };
      this.recordException({
        time: this.clock.now(),
        attempt: u.attempt,
        task: `${u.vertex}[${u.subtask}]`,
        ...failure,
      });
      return this.failAttempt(failure, true);
    }
    this.settle();
  }

  /** Only the TM that runs the subtask may speak for it (slot i hosts subtask i of every vertex). */
  acknowledgeCheckpoint(
    tm: string,
    attempt: number,
    checkpointId: number,
    vertex: string,
    subtask: number,
    handle: StateHandle,
  ): void {
    if (this.slots?.[subtask]?.tm === tm) this.checkpoints?.acknowledge(attempt, checkpointId, vertex, subtask, handle);
  }

  declineCheckpoint(
    tm: string,
    attempt: number,
    checkpointId: number,
    vertex: string,
    subtask: number,
    reason: string,
  ): void {
    if (this.slots?.[subtask]?.tm === tm) this.checkpoints?.decline(attempt, checkpointId, vertex, subtask, reason);
  }

  reportCounters(tm: string, counters: TaskCounters[]): void {
    if (this.runsOn(tm))
      this.tasks.updateCounters(
        this.attempt,
        counters.filter((c) => c.jobId === this.id),
      );
  }

  taskManagerLost(tm: string, reason: string): void {
    if (!this.runsOn(tm)) return;
    this.tasks.abandon(tm);
    if (this.state === 'CANCELLING') this.settle();
    else if (this.state === 'RESTARTING') this.tasksStopped?.();
    else this.failAttempt({ message: `TaskManager ${tm} was lost: ${reason}` });
  }

  /** The job is RUNNING and every subtask of this attempt is RUNNING: a checkpoint can be taken. */
  allTasksRunning(): boolean {
    return this.state === 'RUNNING' && this.tasks.every((s) => s === 'RUNNING');
  }

  /** The TaskManagers that host a subtask of this attempt. */
  taskManagers(): string[] {
    return [...new Set(this.slots?.map((s) => s.tm))];
  }

  runsOn(tm: string): boolean {
    return !isTerminal(this.state) && (this.slots?.some((s) => s.tm === tm) ?? false);
  }

  /** Why the job's latest status is not on disk yet (retried with back-off); undefined when it is. */
  get statusFailure(): WriteFailure | undefined {
    return this.status.failure;
  }

  /** The JobManager is stopping: no more timers, checkpoints or retried writes. */
  close(): void {
    this.cancelTimer?.();
    this.restartTimer?.();
    this.checkpoints?.stop('JobManager stopping');
    this.status.close();
  }

  private requestSlots(): void {
    this.services.resourceManager.requestSlots({
      jobId: this.id,
      slots: this.slotsNeeded,
      allocated: (slots) => this.deploy(slots),
      waiting: (free, total) => {
        this.reason = `waiting for ${this.slotsNeeded} free slots (${free} free of ${total})`;
      },
    });
  }

  /** The plan for this attempt on the given slots, sent to each TM with the tasks it runs. */
  private deploy(slots: SlotRef[]): void {
    const rm = this.services.resourceManager;
    const gateways = new Map([...new Set(slots.map((s) => s.tm))].map((tm) => [tm, rm.taskExecutor(tm)!]));
    log.info('deploying job', {
      job: this.id,
      attempt: this.attempt,
      slots: slots.map((s) => `${s.tm}#${s.slot}`).join(','),
    });
    this.slots = slots;
    const restore = this.restore;
    this.restore = undefined;
    this.restoredCheckpoint = restore?.checkpointId;
    const peers = Object.fromEntries([...gateways].map(([tm, gw]) => [tm, gw.dataAddress]));
    const { plan, tasks } = deployment(this, slots, peers, restore);
    this.tasks.schedule(this.execution.subtasks, slots);
    this.startedAt ??= this.clock.now();
    this.transition('RUNNING');
    for (const [tm, gw] of gateways) gw.submitTasks(plan, tasks.get(tm)!);
  }

  /** A task failed or its TM died: restart if the restart strategy allows it, else the job FAILED. `recorded`: the cause is in `exceptions` already. */
  private failAttempt(cause: ErrorInfo, recorded = false): void {
    if (this.state !== 'RUNNING') return;
    if (!recorded) this.recordException({ time: this.clock.now(), attempt: this.attempt, ...cause });
    this.sendCancel();
    // A TM that died will never report; its tasks count as stopped.
    for (const tm of this.taskManagers()) if (!this.services.resourceManager.taskExecutor(tm)) this.tasks.abandon(tm);
    this.restartStrategy.notifyFailure();
    if (cause.nonRetriable || !this.restartStrategy.canRestart()) {
      this.tasks.abandon();
      this.failure = cause;
      return this.transition('FAILED', cause.message);
    }
    const delay = this.restartStrategy.backoffTime();
    log.info('restarting job', { job: this.id, strategy: this.restart.strategy, delayMs: delay });
    this.transition('RESTARTING', cause.message);
    this.scheduleRestart(delay);
  }

  /**
   * Flink's failover: the next attempt starts once the backoff has passed and every task of the
   * failed one has reported its end (after closing its sources and sinks, so no Kafka producer of
   * the old attempt acts beside the new one), or CANCEL_TIMEOUT_MS after the failure, when the
   * silent ones count as stopped.
   */
  private scheduleRestart(delay: number): void {
    let backedOff = false;
    const restart = () => {
      if (this.state !== 'RESTARTING' || !backedOff || !this.tasks.every(EXECUTION_STATES.isTerminal)) return;
      this.restartTimer?.();
      this.restartTimer = undefined;
      this.restarts++;
      this.attempt++;
      this.transition('CREATED');
      this.whenAttemptDurable(() => void this.restoreAndSchedule());
    };
    this.tasksStopped = restart;
    const backoff = this.timers.schedule(() => {
      backedOff = true;
      restart();
    }, delay);
    const silent = this.timers.schedule(() => {
      if (!this.tasks.every(EXECUTION_STATES.isTerminal))
        log.warn('tasks of the failed attempt did not confirm their end; treating them as stopped', {
          job: this.id,
          afterMs: CANCEL_TIMEOUT_MS,
        });
      this.tasks.abandon();
      restart();
    }, CANCEL_TIMEOUT_MS);
    this.restartTimer = () => {
      backoff();
      silent();
    };
  }

  /** A restarted job loads its latest completed checkpoint or its savepoint (staying CREATED meanwhile), then asks for slots. */
  private async restoreAndSchedule(): Promise<void> {
    if (!this.checkpoints && !this.services.fromSavepoint) return this.requestSlots();
    this.reason = 'loading the latest completed checkpoint';
    const loaded = await loadRestore(this.id, this.attempt, this.checkpoints, this.services.fromSavepoint);
    if (this.state !== 'CREATED') return; // cancelled while loading
    if ('failure' in loaded) {
      this.failure = loaded.failure;
      return this.transition('FAILED', loaded.failure.message);
    }
    const { restore } = loaded;
    this.restore = restore;
    this.reason = undefined;
    this.requestSlots();
  }

  /** FINISHED when every task finished; CANCELED when a cancelled job has no task left running. */
  private settle(): void {
    if (this.state === 'RUNNING' && this.tasks.every((s) => s === 'FINISHED')) this.transition('FINISHED');
    else if (
      this.state === 'CANCELLING' &&
      this.tasks.every((s) => s === 'FINISHED' || s === 'FAILED' || s === 'CANCELED')
    )
      this.transition('CANCELED');
  }

  private transition(to: JobState, reason?: string): void {
    this.state = JOB_STATES.transition(`job ${this.id}`, this.state, to);
    this.reason = reason;
    log.info('job state', { job: this.id, state: to, ...(reason ? { reason } : {}) });
    this.persist();
    const rm = this.services.resourceManager;
    if (isTerminal(to)) {
      this.endedAt = this.clock.now();
      this.cancelTimer?.();
      this.restartTimer?.();
      this.checkpoints?.stop(`job ${to}`);
      this.restore = undefined;
      rm.cancelSlotRequest(this.id);
    } else if (to === 'RESTARTING' || to === 'CANCELLING') {
      this.checkpoints?.abort(`job ${to}`);
    }
    if (isTerminal(to) || to === 'RESTARTING') rm.releaseSlots(this.id);
  }

  private persist(): void {
    this.status.save();
  }

  private statusToWrite(): StatusToWrite {
    const counts = this.checkpoints?.summary();
    return {
      state: this.state,
      attempt: this.attempt,
      restarts: this.restarts,
      latestCheckpoint: this.latestCheckpoint,
      startedAt: this.startedAt,
      checkpointCounts: counts && { completed: counts.completed, failed: counts.failed },
      exceptions: [...this.exceptions],
    };
  }

  /**
   * Goes on with the current attempt once a status that holds it is on disk: a JobManager that
   * takes over then resumes with a later attempt, never one a TaskManager has seen.
   */
  private whenAttemptDurable(next: () => void): void {
    const attempt = this.attempt;
    this.status.whenDurable(attempt, () => {
      if (this.state === 'CREATED' && this.attempt === attempt) next();
    });
  }

  /** A status write failed (a full disk): the job says why in its exceptions and, while it waits to deploy, its reason. */
  private statusNotWritten({ error, retryInMs }: WriteFailure, first: boolean): void {
    if (first) {
      log.error('cannot persist the job status; retrying with back-off', {
        job: this.id,
        attempt: this.attempt,
        error: error.message,
      });
      this.recordException({
        time: this.clock.now(),
        attempt: this.attempt,
        code: error.code,
        message: `cannot persist the job status: ${error.message}`,
      });
    }
    if (this.state === 'CREATED' && !this.status.isDurable(this.attempt)) {
      this.reason = `attempt ${this.attempt} is not deployed until the job status that holds it is written: ${error.message} (retrying in ${retryInMs} ms)`;
    }
  }

  private recordException(e: JobException): void {
    this.exceptions.push(e);
    if (this.exceptions.length > EXCEPTION_HISTORY_SIZE)
      this.exceptions.splice(0, this.exceptions.length - EXCEPTION_HISTORY_SIZE);
  }

  private taskExecutors() {
    return this.taskManagers().flatMap((tm) => this.services.resourceManager.taskExecutor(tm) ?? []);
  }

  private sendCancel(): void {
    for (const gw of this.taskExecutors()) gw.cancelJob(this.id);
  }
}
