/** Messages between the TM main thread and its slot workers (structured clone, not the network). */
import type { ErrorInfo, TaskCounters, TaskState } from '../common/protocol/control';
import type { DeploymentPlan, SlotRef, StateHandle, TaskRef } from '../common/plan';
import type { NetworkOptions } from './network/channels';

export interface WorkerInit {
  tmId: string;
  slot: number;
  network: NetworkOptions;
}

export type MainToWorker =
  | { kind: 'deploy'; plan: DeploymentPlan; tasks: TaskRef[]; functionsPath?: string }
  | { kind: 'cancel'; jobId: string }
  /** The data connection with TaskManager `tm` broke: every task that exchanges data with it fails. */
  | { kind: 'taskmanager-unreachable'; tm: string; reason: string }
  | { kind: 'trigger-checkpoint'; jobId: string; attempt: number; checkpointId: number }
  | { kind: 'checkpoint-complete'; jobId: string; attempt: number; checkpointId: number }
  | { kind: 'data'; ch: string; payload: Uint8Array }
  | { kind: 'credit'; ch: string; n: number };

export type WorkerToMain =
  | { kind: 'ready' }
  | { kind: 'task-state'; jobId: string; attempt: number; vertex: string; subtask: number; state: TaskState; error?: ErrorInfo; counters?: TaskCounters }
  | { kind: 'remote-data'; dest: SlotRef; ch: string; payload: Uint8Array }
  | { kind: 'remote-credit'; dest: SlotRef; ch: string; n: number }
  | { kind: 'stats'; tasks: TaskCounters[]; queuedBytes: number }
  | { kind: 'ack-checkpoint'; jobId: string; attempt: number; checkpointId: number; vertex: string; subtask: number; handle: StateHandle }
  | { kind: 'decline-checkpoint'; jobId: string; attempt: number; checkpointId: number; vertex: string; subtask: number; reason: string };
