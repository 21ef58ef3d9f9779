/**
 * Job states and the transitions between them.
 *
 *   CREATED ──deployed──▶ RUNNING ──all tasks finished──▶ FINISHED
 *      │                     │ ╲──task failed, restart allowed──▶ RESTARTING ──▶ CREATED
 *      │                     │  ╲─task failed, no restart─────▶ FAILED
 *      └──────cancel─────────┴──▶ CANCELLING ──tasks stopped──▶ CANCELED
 */
import type { JobState } from '../common/protocol/rest';
import { stateMachine } from './state-machine';

export type { JobState };

export const JOB_STATES = stateMachine<JobState>({
  CREATED: ['RUNNING', 'CANCELLING', 'FAILED'],
  RUNNING: ['FINISHED', 'RESTARTING', 'FAILED', 'CANCELLING'],
  RESTARTING: ['CREATED', 'CANCELLING', 'FAILED'],
  CANCELLING: ['CANCELED'],
  FINISHED: [],
  FAILED: [],
  CANCELED: [],
});

export function isTerminal(state: JobState): boolean {
  return JOB_STATES.isTerminal(state);
}
