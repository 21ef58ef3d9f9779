/**
 * Accepts jobs, keeps the slot pool, schedules waiting jobs when slots free up or TMs join, and
 * reacts to task failures and lost TaskManagers with the job's restart strategy.
 */
import { randomBytes } from 'node:crypto';
import { UnknownJobError } from '../common/errors';
import { parseJobSpec } from '../common/jobfile';
import { Logger } from '../common/log';
import type { ErrorInfo, TmToJmFrame } from '../common/protocol/control';
import { isTerminal } from './job-state';
import { JobMaster } from './job-master';
import { SlotPool } from './slot-pool';
import { TaskManagerRegistry, type RegisteredTaskManager } from './tm-registry';

const log = new Logger('dispatcher');

export interface DispatcherOptions {
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
}

export class Dispatcher {
  readonly jobs = new Map<string, JobMaster>();
  readonly slotPool = new SlotPool();
  readonly registry: TaskManagerRegistry;
  private readonly restartTimers = new Set<NodeJS.Timeout>();

  constructor(options: DispatcherOptions) {
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
        const failure = job.taskState(frame.attempt, frame.vertex, frame.subtask, frame.state, frame.error, frame.counters);
        if (failure) this.fail(job, failure);
        return;
      }
      case 'register':
        return;
    }
  }

  /** Try to start every waiting job, oldest first. */
  private schedule(): void {
    for (const job of this.jobs.values()) {
      if (job.state !== 'CREATED') continue;
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
    if (isTerminal(job.state) || job.state === 'RESTARTING') {
      this.slotPool.release(job.id);
      this.schedule();
    }
  }

  private taskManagerLost(tm: RegisteredTaskManager, reason: string): void {
    log.warn('TaskManager lost', { tm: tm.id, reason });
    this.slotPool.removeTaskManager(tm.id);
    for (const job of this.jobs.values()) {
      if (!job.runsOn(tm.id)) continue;
      job.abandonTasks(tm.id);
      if (job.state === 'CANCELLING') job.settle();
      else this.fail(job, { message: `TaskManager ${tm.id} was lost: ${reason}` });
    }
  }

  /** A task failed or its TM died: restart if attempts remain, else the job FAILED. */
  private fail(job: JobMaster, cause: ErrorInfo): void {
    if (job.state !== 'RUNNING') return;
    if (!job.exceptions.some((e) => e.attempt === job.attempt)) job.exceptions.push({ time: Date.now(), attempt: job.attempt, ...cause });
    this.sendCancel(job);
    job.abandonTasks();
    if (job.restarts >= job.spec.restart.attempts) {
      job.failure = cause;
      job.transition('FAILED', cause.message);
      return;
    }
    job.transition('RESTARTING', cause.message);
    const timer = setTimeout(() => {
      this.restartTimers.delete(timer);
      if (job.state !== 'RESTARTING') return;
      job.restarts++;
      job.attempt++;
      job.transition('CREATED');
      this.schedule();
    }, job.spec.restart.delay);
    this.restartTimers.add(timer);
  }

  private sendCancel(job: JobMaster): void {
    for (const tm of new Set(job.slots?.map((s) => s.tm))) this.registry.get(tm)?.send({ t: 'cancel', jobId: job.id });
  }

  close(): void {
    for (const t of this.restartTimers) clearTimeout(t);
    this.registry.close();
  }
}
