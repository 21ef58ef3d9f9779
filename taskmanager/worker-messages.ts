/**
 * Messages between the TM main thread and its slot workers (structured clone, not the network).
 * Those that relay a control frame have that frame's shape (common/protocol/control.ts), tagged by
 * `kind` instead of `t`, so a frame's fields are declared once.
 */
import type { MessagePort } from 'node:worker_threads';
import type { z } from 'zod';
import type {
  AckCheckpointFrame,
  CancelFrame,
  CheckpointCompleteFrame,
  DeclineCheckpointFrame,
  Outgoing,
  TaskCounters,
  TaskStateFrame,
  TriggerCheckpointFrame,
} from '../common/protocol/control';
import type { DeploymentPlan, SlotRef, TaskRef } from '../common/plan';
import type { NetworkOptions } from './network/channels';

export interface WorkerInit {
  tmId: string;
  slot: number;
  network: NetworkOptions;
}

/** A control frame as a worker message. */
type Relayed<S extends z.ZodType> =
  Outgoing<z.infer<S>> extends infer F ? (F extends { t: infer T } ? Omit<F, 't'> & { kind: T } : never) : never;

export type MainToWorker =
  | { kind: 'deploy'; plan: DeploymentPlan; tasks: TaskRef[]; functionsPath?: string }
  | Relayed<typeof CancelFrame>
  /** The data connection with TaskManager `tm` broke: every task that exchanges data with it fails. */
  | { kind: 'taskmanager-unreachable'; tm: string; reason: string }
  | Relayed<typeof TriggerCheckpointFrame>
  | Relayed<typeof CheckpointCompleteFrame>
  | { kind: 'data'; ch: string; payload: Uint8Array }
  | { kind: 'credit'; ch: string; n: number }
  /** Slot `slot` has a new worker (the old one was terminated): `port` is the way to it now. */
  | { kind: 'peer-port'; slot: number; port: MessagePort };

export type WorkerToMain =
  | { kind: 'ready' }
  | Relayed<typeof TaskStateFrame>
  /** `frame`: a whole encoded data frame (common/protocol/data.ts) for TaskManager `dest.tm`. */
  | { kind: 'remote-data'; dest: SlotRef; ch: string; frame: Uint8Array<ArrayBuffer> }
  | { kind: 'remote-credit'; dest: SlotRef; ch: string; n: number }
  | { kind: 'stats'; tasks: TaskCounters[]; queuedBytes: number }
  | Relayed<typeof AckCheckpointFrame>
  | Relayed<typeof DeclineCheckpointFrame>;
