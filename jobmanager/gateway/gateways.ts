/**
 * The two conversations between a job's JobMaster and the TaskManagers, as Flink's RPC gateways.
 * Over the wire they are control frames (common/protocol/control.ts; ./websocket.ts adapts them);
 * unit tests use hand-written fakes (jobmanager/testing/).
 */
import type { DeploymentPlan, StateHandle, TaskRef } from '../../common/plan';
import type { z } from 'zod';
import type { TaskCounters, TaskStateFrame } from '../../common/protocol/control';

/** What a JobMaster asks of one TaskManager. */
export interface TaskExecutorGateway {
  readonly id: string;
  /** ws://host:port of the TM's data port, where other TMs open data channels to it. */
  readonly dataAddress: string;
  /** Run these subtasks of the plan here. */
  submitTasks(plan: DeploymentPlan, tasks: TaskRef[]): void;
  /** Stop every task of the job. */
  cancelJob(jobId: string): void;
  /** Sources of the attempt emit barrier `checkpointId` (with `terminate`, the last: stop-with-savepoint). */
  triggerCheckpoint(jobId: string, attempt: number, checkpointId: number, timestamp: number, terminate?: boolean): void;
  /** Checkpoint `checkpointId` is complete: committing sinks commit (and with `terminate` the tasks end). */
  notifyCheckpointComplete(jobId: string, attempt: number, checkpointId: number, terminate?: boolean): void;
}

/** A subtask's report of its state: the `task-state` frame's fields, without the job it is routed by. */
export type TaskExecutionState = Omit<z.infer<typeof TaskStateFrame>, 'v' | 't' | 'jobId'>;

/** What TaskManagers tell one job's JobMaster; `tm` is the TaskManager the report came from. */
export interface JobMasterGateway {
  updateTaskExecutionState(tm: string, update: TaskExecutionState): void;
  acknowledgeCheckpoint(
    tm: string,
    attempt: number,
    checkpointId: number,
    vertex: string,
    subtask: number,
    handle: StateHandle,
  ): void;
  declineCheckpoint(
    tm: string,
    attempt: number,
    checkpointId: number,
    vertex: string,
    subtask: number,
    reason: string,
  ): void;
  /** Task counters from a TM's heartbeat. */
  reportCounters(tm: string, counters: TaskCounters[]): void;
  /** The TaskManager `tm` is gone (connection closed, heartbeat timeout, protocol error). */
  taskManagerLost(tm: string, reason: string): void;
}
