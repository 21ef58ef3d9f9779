/**
 * The `window` node (Flink's WindowOperator with the default event-time or processing-time
 * trigger). Per key it keeps the open windows with their accumulators, and timers: one at the
 * window's last timestamp that emits the result, and with allowed lateness one at last timestamp +
 * lateness that drops the window (Flink's cleanup time). A record for a window whose end the
 * watermark has passed, but not its lateness, emits the window's result at once, updated, and only
 * then; a record whose windows are all past the lateness goes to the side output `late`. Session
 * windows merge with every window of the key they overlap or touch.
 *
 * Window contents and timers are keyed state in key groups, so they are part of checkpoints.
 * A `windowJoin` is this operator with an accumulator that keeps both inputs' records and emits
 * their pairs (see aggregates.ts).
 */
import { keyField, LATE_OUTPUT, resultField, type NodeSpec } from '../../../common/jobfile';
import { keyOf } from '../../../common/key-groups';
import { KeyedState } from '../../state/keyed-state';
import type { Timer } from '../../time/timer-service';
import type { OperatorContext, Output } from '../output';
import { TimerOperator } from '../timer-operator';
import { createAggregate, type AggregateFunction } from './aggregates';
import {
  createAssigner,
  eventTimeOf,
  intersects,
  maxTimestamp,
  type TimeWindow,
  type WindowAssigner,
} from './assigners';

/** An open window of a key: [start, end, accumulator]. */
type WindowEntry = [start: number, end: number, acc: unknown];

const namespaceOf = (w: TimeWindow) => `${w.start}:${w.end}`;
const windowOf = (namespace: string): TimeWindow => {
  const [start, end] = namespace.split(':').map(Number);
  return { start, end };
};

export class WindowOperator extends TimerOperator {
  readonly contents: KeyedState<WindowEntry[]>;
  private readonly assigner: WindowAssigner;
  private readonly aggregate: AggregateFunction;
  private readonly eventTime: boolean;
  private readonly lateness: number;
  private readonly result: string;
  /** Windows held open across all keys, for the open-windows metric. */
  openWindows = 0;

  constructor(
    private readonly node: NodeSpec,
    private readonly ctx: OperatorContext,
    out: Output,
  ) {
    super(ctx, out);
    this.contents = new KeyedState(ctx.maxParallelism);
    this.assigner = createAssigner(node.window!);
    this.aggregate = createAggregate(node, ctx.fns);
    this.eventTime = node.time !== 'processing';
    this.lateness = this.eventTime ? (node.allowedLateness ?? 0) : 0;
    this.result = node.type === 'windowJoin' ? '' : resultField(node);
  }

  push(record: unknown, timestamp?: number, input?: string, keyGroup?: number): void {
    const t = this.eventTime ? eventTimeOf(this.node.id, 'window', record, timestamp) : this.ctx.time.now();
    const key = keyOf(record, keyField(this.node, input), this.node.id);
    const list = this.contents.get(key) ?? [];
    let taken = false;
    for (const w of this.assigner.assign(t)) {
      const entry = this.assigner.merging ? this.mergeSession(key, list, w) : this.windowFor(key, list, w);
      if (!entry) continue;
      taken = true;
      entry[2] = this.aggregate.add(entry[2], record, input);
      if (this.eventTime && maxTimestamp({ start: entry[0], end: entry[1] }) <= this.currentWatermark)
        this.emit(key, entry);
    }
    if (list.length > 0) this.contents.put(key, list, keyGroup);
    // As Flink's WindowOperator: a record no window took is late only if its own time is; one that
    // falls in a gap between sliding windows (size < slide) belongs to no window and is dropped.
    if (!taken && this.eventTime && t + this.lateness <= this.currentWatermark)
      this.ctx.side(LATE_OUTPUT, record, timestamp);
  }

  /** Past its last timestamp plus the lateness: the window has been dropped, records for it are late. */
  private isLate(w: TimeWindow): boolean {
    return this.eventTime && maxTimestamp(w) + this.lateness <= this.currentWatermark;
  }

  private windowFor(key: unknown, list: WindowEntry[], w: TimeWindow): WindowEntry | undefined {
    if (this.isLate(w)) return undefined;
    let entry = list.find((e) => e[0] === w.start && e[1] === w.end);
    if (!entry) {
      entry = [w.start, w.end, this.aggregate.create()];
      list.push(entry);
      this.openWindows++;
      this.registerTimers(key, w);
    }
    return entry;
  }

  /** The new session window `w` absorbs every window of the key it overlaps; returns the merged one. */
  private mergeSession(key: unknown, list: WindowEntry[], w: TimeWindow): WindowEntry | undefined {
    const overlapping = list.filter((e) => intersects(w, { start: e[0], end: e[1] }));
    const merged = {
      start: Math.min(w.start, ...overlapping.map((e) => e[0])),
      end: Math.max(w.end, ...overlapping.map((e) => e[1])),
    };
    if (this.isLate(merged)) return undefined;
    let acc = this.aggregate.create();
    for (const e of overlapping) {
      acc = this.aggregate.merge(acc, e[2]);
      list.splice(list.indexOf(e), 1);
      this.deleteTimers(key, { start: e[0], end: e[1] });
    }
    const entry: WindowEntry = [merged.start, merged.end, acc];
    list.push(entry);
    this.openWindows += 1 - overlapping.length;
    this.registerTimers(key, merged);
    return entry;
  }

  private registerTimers(key: unknown, w: TimeWindow): void {
    const ns = namespaceOf(w);
    if (!this.eventTime) return this.timers.registerProcessingTimeTimer(key, ns, maxTimestamp(w));
    // As Flink's EventTimeTrigger (onElement, onMerge): a window the watermark has passed fires on its
    // record (push), and a timer at its end, already due, would fire it again at the next watermark.
    if (maxTimestamp(w) > this.currentWatermark) this.timers.registerEventTimeTimer(key, ns, maxTimestamp(w));
    if (this.lateness > 0) this.timers.registerEventTimeTimer(key, ns, maxTimestamp(w) + this.lateness);
  }

  private deleteTimers(key: unknown, w: TimeWindow): void {
    const ns = namespaceOf(w);
    if (!this.eventTime) return this.timers.deleteProcessingTimeTimer(key, ns, maxTimestamp(w));
    this.timers.deleteEventTimeTimer(key, ns, maxTimestamp(w));
    if (this.lateness > 0) this.timers.deleteEventTimeTimer(key, ns, maxTimestamp(w) + this.lateness);
  }

  private entryOf(timer: Timer): { list: WindowEntry[]; entry: WindowEntry; w: TimeWindow } | undefined {
    const list = this.contents.get(timer.key);
    const w = windowOf(timer.namespace);
    const entry = list?.find((e) => e[0] === w.start && e[1] === w.end);
    return list && entry ? { list, entry, w } : undefined;
  }

  protected onEventTime(timer: Timer): void {
    const found = this.entryOf(timer);
    if (!found) return;
    const { list, entry, w } = found;
    if (timer.timestamp === maxTimestamp(w)) this.emit(timer.key, entry);
    if (timer.timestamp === maxTimestamp(w) + this.lateness) this.drop(timer.key, list, entry);
  }

  protected override onProcessingTime(timer: Timer): void {
    const found = this.entryOf(timer);
    if (!found) return;
    this.emit(timer.key, found.entry);
    this.drop(timer.key, found.list, found.entry);
  }

  private drop(key: unknown, list: WindowEntry[], entry: WindowEntry): void {
    list.splice(list.indexOf(entry), 1);
    this.openWindows--;
    if (list.length === 0) this.contents.remove(key);
  }

  /** A result carries the window's last timestamp as its event time, as in Flink. */
  private emit(key: unknown, [start, end, acc]: WindowEntry): void {
    if (this.node.type === 'windowJoin') {
      for (const pair of this.aggregate.result(acc) as object[])
        this.out.push({ windowStart: start, windowEnd: end, ...pair }, end - 1);
      return;
    }
    const record = {
      [keyField(this.node)]: key,
      windowStart: start,
      windowEnd: end,
      [this.result]: this.aggregate.result(acc),
    };
    this.out.push(record, end - 1);
  }

  /** After the window contents (keyed state) were restored. */
  override restore(state: unknown): void {
    super.restore(state);
    this.openWindows = 0;
    for (const [, entries] of this.contents.snapshot()) for (const [, list] of entries) this.openWindows += list.length;
  }
}
