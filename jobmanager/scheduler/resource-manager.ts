/**
 * The ResourceManager: owns the TaskManager registry and the slot pool. JobMasters ask it for
 * slots; a request that cannot be met yet waits, and waiting requests are served in the order they
 * came whenever slots free up or a TaskManager joins (a later, smaller request may go first).
 */
import { Logger } from '../../common/log';
import type { SlotRef } from '../../common/plan';
import { backgroundTimers, systemClock, type Clock, type Timers } from '../clock';
import type { TaskExecutorGateway } from '../gateway/gateways';
import { SlotPool } from './slot-pool';
import { TaskManagerRegistry, type RegisteredTaskManager } from './tm-registry';

const log = new Logger('resource-manager');

export interface SlotRequest {
  jobId: string;
  slots: number;
  /** The slots are the job's until it releases them. */
  allocated(slots: SlotRef[]): void;
  /** Not enough free slots yet: `free` of `total`. */
  waiting(free: number, total: number): void;
}

/** What a JobMaster needs of the ResourceManager; tests use jobmanager/testing/ fakes. */
export interface ResourceManagerGateway {
  requestSlots(request: SlotRequest): void;
  cancelSlotRequest(jobId: string): void;
  releaseSlots(jobId: string): void;
  taskExecutor(tm: string): TaskExecutorGateway | undefined;
}

export class ResourceManager implements ResourceManagerGateway {
  readonly registry: TaskManagerRegistry;
  readonly slotPool = new SlotPool();
  private readonly pending = new Map<string, SlotRequest>();
  private closed = false;

  constructor(
    heartbeat: { intervalMs: number; timeoutMs: number },
    private readonly onTaskManagerLost: (tm: RegisteredTaskManager, reason: string) => void,
    time: { clock: Clock; timers: Timers } = { clock: systemClock, timers: backgroundTimers },
  ) {
    this.registry = new TaskManagerRegistry(
      {
        taskManagerJoined: (tm) => {
          log.info('TaskManager registered', { tm: tm.id, slots: tm.slots, data: tm.dataAddress });
          this.slotPool.addTaskManager(tm.id, tm.slots);
          this.servePending();
        },
        taskManagerLost: (tm, reason) => {
          this.slotPool.removeTaskManager(tm.id);
          this.onTaskManagerLost(tm, reason);
        },
      },
      heartbeat.intervalMs,
      heartbeat.timeoutMs,
      time.clock,
      time.timers,
    );
  }

  requestSlots(request: SlotRequest): void {
    this.pending.set(request.jobId, request);
    this.servePending();
  }

  cancelSlotRequest(jobId: string): void {
    this.pending.delete(jobId);
  }

  releaseSlots(jobId: string): void {
    this.slotPool.release(jobId);
    this.servePending();
  }

  taskExecutor(tm: string): TaskExecutorGateway | undefined {
    return this.registry.get(tm)?.gateway;
  }

  private servePending(): void {
    if (this.closed) return;
    for (const request of [...this.pending.values()]) {
      if (this.pending.get(request.jobId) !== request) continue; // served or cancelled by an earlier callback
      const slots = this.slotPool.allocate(request.jobId, request.slots);
      if (!slots) {
        request.waiting(this.slotPool.free, this.slotPool.total);
        continue;
      }
      this.pending.delete(request.jobId);
      request.allocated(slots);
    }
  }

  close(): void {
    this.closed = true;
    this.registry.close();
  }
}
