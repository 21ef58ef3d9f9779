/**
 * A checkpoint's status: IN_PROGRESS from trigger until every task acked and its files are written
 * (COMPLETED), or until a decline, the timeout or the end of the attempt (FAILED).
 */
import { stateMachine } from '../state-machine';

export type CheckpointStatus = 'IN_PROGRESS' | 'COMPLETED' | 'FAILED';

export const CHECKPOINT_STATES = stateMachine<CheckpointStatus>({
  IN_PROGRESS: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
});
