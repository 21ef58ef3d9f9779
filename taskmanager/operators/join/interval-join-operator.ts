/**
 * The `intervalJoin` node (Flink's IntervalJoinOperator): a record b of the second input joins a
 * record a of the first with the same key when a.time + lower <= b.time <= a.time + upper
 * (`between: [lower, upper]`). Each side keeps its records per key until the watermark passes the
 * last time a partner could have (a's time + upper, b's time - lower), by an event-time timer.
 * Records behind the watermark are late and dropped, as in Flink. A pair is
 * `{<first input>: a, <second input>: b}` (copies) with the later of the two times as its event time.
 */
import { keyField, type NodeSpec } from '../../../common/jobfile';
import { keyOf } from '../../../common/key-groups';
import { KeyedState } from '../../state/keyed-state';
import type { Timer } from '../../time/timer-service';
import { copyRecord } from '../copy-record';
import type { OperatorContext, Output } from '../output';
import { TimerOperator } from '../timer-operator';
import { eventTimeOf } from '../window/assigners';

/**
 * A pair of copies: its records stay buffered and join again, so a chained operator after the join
 * that changes its input must change no buffered record and no other pair (Flink: object reuse off).
 */
const pair = (first: string, a: unknown, second: string, b: unknown) => ({
  [first]: copyRecord(a),
  [second]: copyRecord(b),
});

/** A key's buffered records per side: [time, record]. */
type Buffers = [first: [number, unknown][], second: [number, unknown][]];

export class IntervalJoinOperator extends TimerOperator {
  readonly buffers: KeyedState<Buffers>;
  private readonly lower: number;
  private readonly upper: number;

  constructor(
    private readonly node: NodeSpec,
    ctx: OperatorContext,
    out: Output,
  ) {
    super(ctx, out);
    [this.lower, this.upper] = node.between!;
    this.buffers = new KeyedState(ctx.maxParallelism);
  }

  push(record: unknown, timestamp?: number, input?: string, keyGroup?: number): void {
    timestamp = eventTimeOf(this.node.id, 'join', record, timestamp);
    if (timestamp < this.timers.currentWatermark) return;
    const side = input === this.node.inputs[0] ? 0 : 1;
    const key = keyOf(record, keyField(this.node, input), this.node.id);
    const buffers = this.buffers.get(key) ?? [[], []];
    buffers[side].push([timestamp, record]);
    this.buffers.put(key, buffers, keyGroup);
    const [first, second] = this.node.inputs;
    if (side === 0) {
      for (const [t, other] of buffers[1]) {
        if (timestamp + this.lower <= t && t <= timestamp + this.upper)
          this.out.push(pair(first, record, second, other), Math.max(timestamp, t));
      }
      this.timers.registerEventTimeTimer(key, 'first', timestamp + Math.max(this.upper, 0));
    } else {
      for (const [t, other] of buffers[0]) {
        if (t + this.lower <= timestamp && timestamp <= t + this.upper)
          this.out.push(pair(first, other, second, record), Math.max(timestamp, t));
      }
      this.timers.registerEventTimeTimer(key, 'second', timestamp + Math.max(-this.lower, 0));
    }
  }

  /** No later record can join those of this side and time any more: drop them. */
  protected onEventTime(timer: Timer): void {
    const buffers = this.buffers.get(timer.key);
    if (!buffers) return;
    const side = timer.namespace === 'first' ? 0 : 1;
    const time = side === 0 ? timer.timestamp - Math.max(this.upper, 0) : timer.timestamp - Math.max(-this.lower, 0);
    buffers[side] = buffers[side].filter(([t]) => t !== time);
    if (buffers[0].length === 0 && buffers[1].length === 0) this.buffers.remove(timer.key);
  }
}
