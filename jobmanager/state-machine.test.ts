import { CHECKPOINT_STATES } from './checkpoint/checkpoint-state';
import { EXECUTION_STATES } from './execution-state';
import { isTerminal, JOB_STATES } from './job-state';
import { IllegalStateTransitionError } from './state-machine';

describe('state transition tables', () => {
  it('jobs: restarts go through RESTARTING to CREATED; ended jobs stay ended', () => {
    expect(JOB_STATES.transition('job j', 'RUNNING', 'RESTARTING')).toBe('RESTARTING');
    expect(JOB_STATES.canTransition('RESTARTING', 'CREATED')).toBe(true);
    expect(JOB_STATES.canTransition('CANCELLING', 'RUNNING')).toBe(false);
    for (const s of ['FINISHED', 'FAILED', 'CANCELED'] as const) expect(isTerminal(s)).toBe(true);
    expect(() => JOB_STATES.transition('job j', 'FINISHED', 'RUNNING')).toThrow(
      new IllegalStateTransitionError('job j', 'FINISHED', 'RUNNING'),
    );
  });

  it('tasks: a finished task cannot run again, a scheduled one may fail before it runs', () => {
    expect(EXECUTION_STATES.canTransition('SCHEDULED', 'FAILED')).toBe(true);
    expect(EXECUTION_STATES.canTransition('RUNNING', 'SCHEDULED')).toBe(false);
    expect(() => EXECUTION_STATES.transition('task a[0]', 'FINISHED', 'RUNNING')).toThrow(
      /task a\[0\]: no transition from FINISHED to RUNNING/,
    );
  });

  it('checkpoints: IN_PROGRESS ends COMPLETED or FAILED, once', () => {
    expect(CHECKPOINT_STATES.transition('checkpoint 1', 'IN_PROGRESS', 'COMPLETED')).toBe('COMPLETED');
    expect(() => CHECKPOINT_STATES.transition('checkpoint 1', 'COMPLETED', 'FAILED')).toThrow(
      IllegalStateTransitionError,
    );
    expect(() => CHECKPOINT_STATES.transition('checkpoint 1', 'FAILED', 'COMPLETED')).toThrow(
      IllegalStateTransitionError,
    );
  });
});
