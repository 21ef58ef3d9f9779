/**
 * Hand-written fakes of the gateways a JobMaster talks to, for unit tests: they record what they
 * are asked and let the test answer (no module mocking).
 */
import type { DeploymentPlan, SlotRef, TaskRef } from '../../common/plan';
import type { TaskExecutorGateway } from '../gateway/gateways';
import type { ResourceManagerGateway, SlotRequest } from '../scheduler/resource-manager';

export type TaskExecutorCall =
  | { t: 'submitTasks'; plan: DeploymentPlan; tasks: TaskRef[] }
  | { t: 'cancelJob'; jobId: string }
  | { t: 'triggerCheckpoint'; jobId: string; attempt: number; checkpointId: number }
  | { t: 'notifyCheckpointComplete'; jobId: string; attempt: number; checkpointId: number };

export class TestingTaskExecutorGateway implements TaskExecutorGateway {
  readonly calls: TaskExecutorCall[] = [];
  constructor(
    readonly id: string,
    readonly dataAddress = `ws://127.0.0.1:1/${id}`,
  ) {}

  submitTasks(plan: DeploymentPlan, tasks: TaskRef[]): void {
    this.calls.push({ t: 'submitTasks', plan, tasks });
  }
  cancelJob(jobId: string): void {
    this.calls.push({ t: 'cancelJob', jobId });
  }
  triggerCheckpoint(jobId: string, attempt: number, checkpointId: number): void {
    this.calls.push({ t: 'triggerCheckpoint', jobId, attempt, checkpointId });
  }
  notifyCheckpointComplete(jobId: string, attempt: number, checkpointId: number): void {
    this.calls.push({ t: 'notifyCheckpointComplete', jobId, attempt, checkpointId });
  }

  callsOf<T extends TaskExecutorCall['t']>(t: T): Extract<TaskExecutorCall, { t: T }>[] {
    return this.calls.filter((c): c is Extract<TaskExecutorCall, { t: T }> => c.t === t);
  }
}

/** Slots of fake TaskManagers: a request is served at once while enough slots are free. */
export class TestingResourceManager implements ResourceManagerGateway {
  readonly taskExecutors = new Map<string, TestingTaskExecutorGateway>();
  private readonly free: SlotRef[] = [];
  private readonly owned = new Map<string, SlotRef[]>();
  readonly pending = new Map<string, SlotRequest>();

  /** A TaskManager with `slots` slots joins. */
  addTaskManager(id: string, slots: number): TestingTaskExecutorGateway {
    const gw = new TestingTaskExecutorGateway(id);
    this.taskExecutors.set(id, gw);
    for (let slot = 0; slot < slots; slot++) this.free.push({ tm: id, slot });
    this.serve();
    return gw;
  }

  requestSlots(request: SlotRequest): void {
    this.pending.set(request.jobId, request);
    this.serve();
  }
  cancelSlotRequest(jobId: string): void {
    this.pending.delete(jobId);
  }
  releaseSlots(jobId: string): void {
    this.free.push(...(this.owned.get(jobId) ?? []));
    this.owned.delete(jobId);
    this.serve();
  }
  taskExecutor(tm: string): TestingTaskExecutorGateway | undefined {
    return this.taskExecutors.get(tm);
  }

  private serve(): void {
    for (const [jobId, request] of this.pending) {
      if (this.free.length < request.slots) {
        request.waiting(this.free.length, this.free.length + [...this.owned.values()].flat().length);
        continue;
      }
      const slots = this.free.splice(0, request.slots);
      this.owned.set(jobId, slots);
      this.pending.delete(jobId);
      request.allocated(slots);
    }
  }
}
