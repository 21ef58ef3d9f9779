/**
 * A state union with its transition table. Job, task and checkpoint states each declare theirs; a
 * transition the table does not list throws, so a bug or a confused report is never silently absorbed.
 */
import { FlinkxError } from '../common/errors';

export class IllegalStateTransitionError extends FlinkxError {
  constructor(subject: string, from: string, to: string) {
    super('ILLEGAL_STATE_TRANSITION', `${subject}: no transition from ${from} to ${to}`);
  }
}

export interface StateMachine<S extends string> {
  readonly states: readonly S[];
  canTransition(from: S, to: S): boolean;
  /** A state with no way out. */
  isTerminal(state: S): boolean;
  /** Returns `to`, or throws IllegalStateTransitionError naming `subject`. */
  transition(subject: string, from: S, to: S): S;
}

export function stateMachine<S extends string>(table: Readonly<Record<S, readonly S[]>>): StateMachine<S> {
  const canTransition = (from: S, to: S) => table[from].includes(to);
  return {
    states: Object.keys(table) as S[],
    canTransition,
    isTerminal: (state) => table[state].length === 0,
    transition(subject, from, to) {
      if (!canTransition(from, to)) throw new IllegalStateTransitionError(subject, from, to);
      return to;
    },
  };
}
