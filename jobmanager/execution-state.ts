/**
 * States of one subtask's execution in an attempt, as the JobMaster tracks them (Flink's
 * ExecutionState): SCHEDULED when deployed, then as its TaskManager reports.
 *
 *   SCHEDULED ──▶ DEPLOYING ──▶ RUNNING ──▶ FINISHED
 *       └────────────┴─────────────┴──────▶ FAILED | CANCELED
 */
import type { ExecutionState } from '../common/protocol/rest';
import { stateMachine } from './state-machine';

export type { ExecutionState };

export const EXECUTION_STATES = stateMachine<ExecutionState>({
  SCHEDULED: ['DEPLOYING', 'RUNNING', 'FAILED', 'CANCELED'],
  DEPLOYING: ['RUNNING', 'FAILED', 'CANCELED'],
  RUNNING: ['FINISHED', 'FAILED', 'CANCELED'],
  FINISHED: [],
  FAILED: [],
  CANCELED: [],
});
