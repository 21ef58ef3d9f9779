/**
 * Job states and the transitions between them.
 *
 *   CREATED ──deployed──▶ RUNNING ──all tasks finished──▶ FINISHED
 *      │                     │ ╲──task failed, attempts left──▶ RESTARTING ──▶ CREATED
 *      │                     │  ╲─task failed, no attempts left──▶ FAILED
 *      └──────cancel─────────┴──▶ CANCELLING ──tasks stopped──▶ CANCELED
 */
export type JobState = 'CREATED' | 'RUNNING' | 'RESTARTING' | 'FINISHED' | 'FAILED' | 'CANCELLING' | 'CANCELED';

const TRANSITIONS: Record<JobState, JobState[]> = {
  CREATED: ['RUNNING', 'CANCELLING', 'CANCELED', 'FAILED'],
  RUNNING: ['FINISHED', 'RESTARTING', 'FAILED', 'CANCELLING'],
  RESTARTING: ['CREATED', 'CANCELLING', 'FAILED'],
  CANCELLING: ['CANCELED'],
  FINISHED: [],
  FAILED: [],
  CANCELED: [],
};

export function isTerminal(state: JobState): boolean {
  return TRANSITIONS[state].length === 0;
}

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from].includes(to);
}
