/**
 * A checkpoint's status: IN_PROGRESS from trigger until every task acked and its files are written
 * (COMPLETED), or until a decline, the timeout or the end of the attempt (FAILED).
 */
import type { CheckpointStatus } from '../../common/protocol/rest';
import { stateMachine } from '../state-machine';

export type { CheckpointStatus };

export const CHECKPOINT_STATES = stateMachine<CheckpointStatus>({
  IN_PROGRESS: ['COMPLETED', 'FAILED'],
  COMPLETED: [],
  FAILED: [],
});
