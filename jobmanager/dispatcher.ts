/**
 * Accepts jobs, keeps the slot pool, schedules waiting jobs when slots free up or TMs join, and
 * reacts to task failures and lost TaskManagers with the job's restart strategy.
 */
import { randomBytes } from 'node:crypto';
import { UnknownJobError } from '../common/errors';
import { parseJobSpec } from '../common/jobfile';
import { Logger } from '../common/log';
import type { ErrorInfo, TmToJmFrame } from '../common/protocol/control';
import { CheckpointCoordinator, type CheckpointTarget } from './checkpoint/checkpoint-coordinator';
import { checkpointDirFor, CheckpointStorage } from './checkpoint/checkpoint-storage';
import { isTerminal } from './job-state';
import { JobMaster } from './job-master';
import { SlotPool } from './scheduler/slot-pool';
import { TaskManagerRegistry, type RegisteredTaskManager } from './scheduler/tm-registry';

const log = new Logger('dispatcher');
/** How long a cancelled job waits for its tasks to confirm before it counts them as stopped. */
const CANCEL_TIMEOUT_MS = 10_000;

export interface DispatcherOptions {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** The JM's data dir; checkpoints go to `<dataDir>/checkpoints/<jobId>/` unless the job names a storage. */
  dataDir: string;
}

export class Dispatcher {
  readonly jobs = new Map<string, JobMaster>();
  readonly slotPool = new SlotPool();
  readonly registry: TaskManagerRegistry;
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly options: DispatcherOptions) {
    this.registry = new TaskManagerRegistry(
      {
        taskManagerJoined: (tm) => {
          log.info('TaskManager registered', { tm: tm.id, slots: tm.slots, data: tm.dataAddress });
          this.slotPool.addTaskManager(tm.id, tm.slots);
          this.schedule();
        },
        taskManagerLost: (tm, reason) => this.taskManagerLost(tm, reason),
      },
      options.heartbeatIntervalMs,
      options.heartbeatTimeoutMs,
    );
  }

  submit(input: unknown, functionsCode: string | undefined): JobMaster {
    const spec = parseJobSpec(input, 'submitted job');
    const id = randomBytes(8).toString('hex');
    const job = new JobMaster(id, spec, functionsCode, (j) => this.stateChanged(j));
    this.jobs.set(id, job);
    if (spec.checkpointing) {
      const storage = new CheckpointStorage(checkpointDirFor(this.options.dataDir, id, spec.checkpointing.storage));
      job.checkpoints = new CheckpointCoordinator(this.checkpointTarget(job), spec.checkpointing, storage);
      job.checkpoints.start();
    }
    log.info('job submitted', { job: id, name: spec.name, slots: job.slotsNeeded });
    this.schedule();
    return job;
  }

  get(id: string): JobMaster {
    const job = this.jobs.get(id);
    if (!job) throw new UnknownJobError(id);
    return job;
  }

  cancel(id: string): JobMaster {
    const job = this.get(id);
    if (isTerminal(job.state)) return job;
    if (job.state === 'RUNNING') {
      job.transition('CANCELLING');
      this.sendCancel(job);
      // A TM that died meanwhile will never report; its tasks count as stopped.
      for (const tm of new Set(job.slots?.map((s) => s.tm))) if (!this.registry.get(tm)) job.abandonTasks(tm);
      job.settle();
      // A task that never reports back (stuck in a user function, say) must not hold the job forever.
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        if (job.state !== 'CANCELLING') return;
        log.warn('tasks did not confirm the cancel; treating them as stopped', { job: job.id, afterMs: CANCEL_TIMEOUT_MS });
        job.abandonTasks();
        job.settle();
      }, CANCEL_TIMEOUT_MS);
      this.timers.add(timer);
    } else {
      job.transition('CANCELLING');
      job.transition('CANCELED');
    }
    return job;
  }

  /** Frames from a registered TM (register is handled by the server). */
  onTaskManagerFrame(tm: RegisteredTaskManager, frame: TmToJmFrame): void {
    switch (frame.t) {
      case 'heartbeat':
        this.registry.heartbeat(tm.id, frame.queuedBytes, frame.tasks);
        for (const job of this.jobs.values()) if (job.runsOn(tm.id)) job.updateCounters(frame.tasks);
        return;
      case 'task-state': {
        const job = this.jobs.get(frame.jobId);
        if (!job) return;
        // A finished task acks no more checkpoints: the one in progress cannot complete.
        if (frame.state === 'FINISHED' && frame.attempt === job.attempt) job.checkpoints?.abort(`task ${frame.vertex}[${frame.subtask}] finished`);
        const failure = job.taskState(frame.attempt, frame.vertex, frame.subtask, frame.state, frame.error, frame.counters);
        if (failure) this.fail(job, failure);
        return;
      }
      case 'ack-checkpoint':
      case 'decline-checkpoint': {
        const job = this.jobs.get(frame.jobId);
        // Only the TM that runs the subtask may speak for it (slot i hosts subtask i of every vertex).
        if (!job?.checkpoints || job.slots?.[frame.subtask]?.tm !== tm.id) return;
        if (frame.t === 'ack-checkpoint') job.checkpoints.acknowledge(frame.attempt, frame.checkpointId, frame.vertex, frame.subtask, frame.state);
        else job.checkpoints.decline(frame.attempt, frame.checkpointId, frame.vertex, frame.subtask, frame.reason);
        return;
      }
      case 'register':
        return;
    }
  }

  /** Try to start every waiting job, oldest first. */
  private schedule(): void {
    if (this.closed) return;
    for (const job of this.jobs.values()) {
      if (job.state !== 'CREATED' || job.restoring) continue;
      const slots = this.slotPool.allocate(job.id, job.slotsNeeded);
      if (!slots) {
        job.reason = `waiting for ${job.slotsNeeded} free slots (${this.slotPool.free} free of ${this.slotPool.total})`;
        continue;
      }
      const tms = new Map(this.registry.all().map((t) => [t.id, t]));
      log.info('deploying job', { job: job.id, attempt: job.attempt, slots: slots.map((s) => `${s.tm}#${s.slot}`).join(',') });
      job.deploy(slots, tms);
    }
  }

  private stateChanged(job: JobMaster): void {
    log.info('job state', { job: job.id, state: job.state, ...(job.reason ? { reason: job.reason } : {}) });
    if (isTerminal(job.state)) {
      job.checkpoints?.stop(`job ${job.state}`);
      job.restore = undefined;
    } else if (job.state === 'RESTARTING' || job.state === 'CANCELLING') {
      job.checkpoints?.abort(`job ${job.state}`);
    }
    if (isTerminal(job.state) || job.state === 'RESTARTING') {
      this.slotPool.release(job.id);
      this.schedule();
    }
  }

  private taskManagerLost(tm: RegisteredTaskManager, reason: string): void {
    const idle = ![...this.jobs.values()].some((j) => j.runsOn(tm.id));
    if (reason === 'stopped' && idle) log.info('TaskManager stopped', { tm: tm.id });
    else log.warn('TaskManager lost', { tm: tm.id, reason });
    this.slotPool.removeTaskManager(tm.id);
    for (const job of this.jobs.values()) {
      if (!job.runsOn(tm.id)) continue;
      job.abandonTasks(tm.id);
      if (job.state === 'CANCELLING') job.settle();
      else this.fail(job, { message: `TaskManager ${tm.id} was lost: ${reason}` });
    }
  }

  /** A task failed or its TM died: restart if the job's restart strategy allows it, else the job FAILED. */
  private fail(job: JobMaster, cause: ErrorInfo): void {
    if (job.state !== 'RUNNING') return;
    if (!job.exceptions.some((e) => e.attempt === job.attempt)) job.exceptions.push({ time: Date.now(), attempt: job.attempt, ...cause });
    this.sendCancel(job);
    job.abandonTasks();
    job.restartStrategy.notifyFailure();
    if (cause.nonRetriable || !job.restartStrategy.canRestart()) {
      job.failure = cause;
      job.transition('FAILED', cause.message);
      return;
    }
    const delay = job.restartStrategy.backoffTime();
    log.info('restarting job', { job: job.id, strategy: job.restart.strategy, delayMs: delay });
    job.transition('RESTARTING', cause.message);
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (job.state !== 'RESTARTING') return;
      job.restarts++;
      job.attempt++;
      job.transition('CREATED');
      void this.restoreAndSchedule(job);
    }, delay);
    this.timers.add(timer);
  }

  /** A restarted job loads its latest completed checkpoint (staying CREATED meanwhile), then is scheduled. */
  private async restoreAndSchedule(job: JobMaster): Promise<void> {
    if (!job.checkpoints) return this.schedule();
    job.restoring = true;
    job.reason = 'loading the latest completed checkpoint';
    let restore: JobMaster['restore'];
    let failure: ErrorInfo | undefined;
    try {
      const checkpoint = await job.checkpoints.latestForRestore();
      if (checkpoint) restore = { attempt: job.attempt, checkpointId: checkpoint.metadata.checkpointId, states: await checkpoint.loadAll() };
    } catch (err) {
      // Starting from scratch would silently break the job's guarantees; failing says why.
      failure = { message: `cannot load the latest checkpoint: ${(err as Error).message}` };
    }
    job.restoring = false;
    if (job.state !== 'CREATED') return; // cancelled while loading
    if (failure) {
      log.error('restore failed', { job: job.id, attempt: job.attempt, reason: failure.message });
      job.failure = failure;
      return job.transition('FAILED', failure.message);
    }
    if (restore) log.info('restoring from checkpoint', { job: job.id, attempt: job.attempt, checkpoint: restore.checkpointId });
    else log.info('no completed checkpoint: the attempt starts from scratch', { job: job.id, attempt: job.attempt });
    job.restore = restore;
    job.reason = undefined;
    this.schedule();
  }

  /** The coordinator's view of a job: its attempt, task states, and its TaskManagers. */
  private checkpointTarget(job: JobMaster): CheckpointTarget {
    return {
      jobId: job.id,
      attempt: () => job.attempt,
      allTasksRunning: () => job.allTasksRunning(),
      tasks: () => job.execution.subtasks,
      broadcast: (frame) => {
        for (const tm of job.taskManagers()) this.registry.get(tm)?.send(frame);
      },
    };
  }

  private sendCancel(job: JobMaster): void {
    for (const tm of new Set(job.slots?.map((s) => s.tm))) this.registry.get(tm)?.send({ t: 'cancel', jobId: job.id });
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const job of this.jobs.values()) job.checkpoints?.stop('JobManager stopping');
    this.registry.close();
  }
}
