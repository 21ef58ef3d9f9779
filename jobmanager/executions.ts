/**
 * The current attempt's subtasks: where each runs, its state (transitions checked against
 * ./execution-state.ts), and its throughput from the counters TaskManagers report.
 */
import type { SlotRef } from '../common/plan';
import type { ErrorInfo, TaskCounters } from '../common/protocol/control';
import type { Throughput } from '../common/protocol/rest';
import { systemClock, type Clock } from './clock';
import { EXECUTION_STATES, type ExecutionState } from './execution-state';

export interface SubtaskStatus {
  vertex: string;
  subtask: number;
  state: ExecutionState;
  slot?: SlotRef;
  error?: ErrorInfo;
}

const key = (vertex: string, subtask: number) => `${vertex}/${subtask}`;

export class Executions {
  private subtasks = new Map<string, SubtaskStatus>();
  private readonly throughput = new Map<string, Throughput>();

  constructor(private readonly clock: Clock = systemClock) {}

  /** A new attempt: every subtask SCHEDULED on its slot (slot i hosts subtask i of every vertex). */
  schedule(tasks: readonly { vertex: string; subtask: number }[], slots: SlotRef[]): void {
    this.subtasks = new Map(
      tasks.map((t) => [key(t.vertex, t.subtask), { ...t, state: 'SCHEDULED' as const, slot: slots[t.subtask] }]),
    );
  }

  get(vertex: string, subtask: number): SubtaskStatus | undefined {
    return this.subtasks.get(key(vertex, subtask));
  }

  /** A subtask's new state; throws IllegalStateTransitionError if its state cannot go there. */
  update(st: SubtaskStatus, state: ExecutionState, error?: ErrorInfo): void {
    st.state = EXECUTION_STATES.transition(`task ${st.vertex}[${st.subtask}]`, st.state, state);
    st.error = error;
  }

  /** Every subtask not yet ended counts as CANCELED: its TM is gone (`onTm`) or the attempt is over. */
  abandon(onTm?: string): void {
    for (const st of this.subtasks.values()) {
      if ((!onTm || st.slot?.tm === onTm) && !EXECUTION_STATES.isTerminal(st.state)) this.update(st, 'CANCELED');
    }
  }

  list(): SubtaskStatus[] {
    return [...this.subtasks.values()];
  }

  every(pred: (state: ExecutionState) => boolean): boolean {
    return this.subtasks.size > 0 && this.list().every((s) => pred(s.state));
  }

  /**
   * Counters of `attempt` from heartbeats (up to a report interval old), or the final ones a task
   * sent with its terminal state: a stale heartbeat must not overwrite those.
   */
  updateCounters(attempt: number, counters: TaskCounters[], final = false): void {
    const now = this.clock.now();
    for (const c of counters) {
      if (c.attempt !== attempt) continue;
      const k = key(c.vertex, c.subtask);
      const state = this.subtasks.get(k)?.state;
      if (!final && state !== undefined && EXECUTION_STATES.isTerminal(state)) continue;
      const prev = this.throughput.get(k);
      const dt = prev ? (now - prev.at) / 1000 : 0;
      const rate = (cur: number, old: number | undefined) =>
        old !== undefined && dt > 0 ? Math.max(0, (cur - old) / dt) : 0;
      this.throughput.set(k, {
        recordsIn: c.recordsIn,
        recordsOut: c.recordsOut,
        bytesIn: c.bytesIn,
        backPressuredMs: c.backPressuredMs,
        busyMs: c.busyMs,
        recordsInPerSecond: rate(c.recordsIn, prev?.recordsIn),
        recordsOutPerSecond: rate(c.recordsOut, prev?.recordsOut),
        watermark: c.watermark,
        lateRecords: c.lateRecords,
        openWindows: c.openWindows,
        at: now,
      });
    }
  }

  metrics(vertex: string, subtask: number): Throughput | undefined {
    return this.throughput.get(key(vertex, subtask));
  }
}
