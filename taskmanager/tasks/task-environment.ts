/**
 * What a subtask is given by the slot that runs it: its plan, channels, functions, restored state and
 * the calls that report back. Its own module, as the task's parts (chain, checkpoints) read it too.
 */
import type { ErrorInfo, TaskState } from '../../common/protocol/control';
import type { DeploymentPlan, PlanVertex } from '../../common/plan';
import type { ChannelTransport, NetworkOptions } from '../network/channels';
import type { FunctionRegistry } from '../operators/functions';
import type { RestoredState } from '../checkpoint/restore';

export interface TaskEnvironment {
  plan: DeploymentPlan;
  /** Batch size, flush interval and credits of this TM's channels. */
  network?: NetworkOptions;
  vertex: PlanVertex;
  subtask: number;
  transport: ChannelTransport;
  functions: FunctionRegistry;
  /** This subtask's state in the checkpoint or savepoint `plan.restoredCheckpoint` (../checkpoint/restore.ts). */
  restoreState?: () => Promise<RestoredState>;
  report(state: TaskState, error?: ErrorInfo): void;
  acknowledge(checkpointId: number, state: Uint8Array): void;
}
