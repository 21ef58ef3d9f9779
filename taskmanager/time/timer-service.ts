/**
 * Timers of a keyed operator (Flink's InternalTimerService): event-time timers fire when the
 * watermark passes them, processing-time timers when the wall clock does. A timer is (key,
 * namespace, timestamp) and is kept once however often it is registered. Timers are keyed state:
 * a snapshot holds them per key group, with the operator's current watermark.
 */
import { NonRetriableError } from '../../common/errors';
import { keyGroupFor } from '../../common/key-groups';
import { stateKey } from '../state/keyed-state';

/** The task's clock and its way of running a callback later, between two batches (the task's mailbox). */
export interface ProcessingTimeService {
  now(): number;
  schedule(at: number, callback: () => void): void;
}

export interface Timer {
  key: unknown;
  namespace: string;
  timestamp: number;
}

/**
 * A timer at a time that is no number (NaN, undefined: e.g. `ctx.timestamp + 60000` on a record
 * without event time) would never fire, and the job would end as if nothing were due. A restart
 * cannot fix the function, so the job fails at once. In Flink a time is a long and cannot be NaN.
 */
export class InvalidTimerError extends NonRetriableError {
  constructor(domain: 'event' | 'processing', timestamp: unknown) {
    const hint =
      domain === 'event'
        ? 'ctx.timestamp is undefined for a record without event time: give the stream event time with ' +
          'assignTimestampsAndWatermarks(...) in a job module, or "timestamps" on a node before this one in a job file'
        : 'processing time is a number of epoch ms, e.g. ctx.currentProcessingTime() + 60000';
    const shown = typeof timestamp === 'string' ? JSON.stringify(timestamp) : String(timestamp);
    super(`${domain}-time timer at ${shown}: a timer's time must be a number of ms (${hint})`, {
      code: 'INVALID_TIMER',
    });
  }
}

/** -Infinity and Infinity are the ends of time, as the watermark's: a timer there fires at the next watermark, or at the end of input. */
function checkTime(domain: 'event' | 'processing', timestamp: number): void {
  if (typeof timestamp !== 'number' || Number.isNaN(timestamp)) throw new InvalidTimerError(domain, timestamp);
}

type TimerList = [keyGroup: number, timers: [key: unknown, namespace: string, timestamp: number][]][];

export interface TimerSnapshot {
  watermark: number;
  event: TimerList;
  processing: TimerList;
}

/** A min-heap of timers by timestamp; deleted timers leave the heap lazily. */
class TimerQueue {
  private readonly live = new Map<string, Timer>();
  private heap: Timer[] = [];

  private static id(t: Timer): string {
    // The time outside the JSON, which writes both infinities as null; the key as keyed state tells
    // keys apart, so {a, b} and {b, a} are one key's timer.
    return `${t.timestamp} ${JSON.stringify([stateKey(t.key), t.namespace])}`;
  }

  add(t: Timer): boolean {
    const id = TimerQueue.id(t);
    if (this.live.has(id)) return false;
    this.live.set(id, t);
    this.heap.push(t);
    this.up(this.heap.length - 1);
    return true;
  }

  delete(t: Timer): void {
    this.live.delete(TimerQueue.id(t));
  }

  /** The earliest live timer. */
  peek(): Timer | undefined {
    while (this.heap.length > 0 && this.live.get(TimerQueue.id(this.heap[0])) !== this.heap[0]) this.pop();
    return this.heap[0];
  }

  /** Removes and returns the earliest live timer if it is due at `time`. */
  takeDue(time: number): Timer | undefined {
    const t = this.peek();
    if (!t || t.timestamp > time) return undefined;
    this.pop();
    this.live.delete(TimerQueue.id(t));
    return t;
  }

  snapshot(maxParallelism: number): TimerList {
    const groups = new Map<number, [unknown, string, number][]>();
    for (const t of this.live.values()) {
      const kg = keyGroupFor(t.key, maxParallelism);
      let list = groups.get(kg);
      if (!list) groups.set(kg, (list = []));
      list.push([t.key, t.namespace, t.timestamp]);
    }
    return [...groups];
  }

  private pop(): void {
    const last = this.heap.pop()!;
    if (this.heap.length === 0) return;
    this.heap[0] = last;
    this.down(0);
  }

  private up(i: number): void {
    const h = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent].timestamp <= h[i].timestamp) return;
      [h[parent], h[i]] = [h[i], h[parent]];
      i = parent;
    }
  }

  private down(i: number): void {
    const h = this.heap;
    for (;;) {
      const [l, r] = [2 * i + 1, 2 * i + 2];
      let m = i;
      if (l < h.length && h[l].timestamp < h[m].timestamp) m = l;
      if (r < h.length && h[r].timestamp < h[m].timestamp) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i], h[m]];
      i = m;
    }
  }
}

export class InternalTimerService {
  private readonly eventTimers = new TimerQueue();
  private readonly processingTimers = new TimerQueue();
  /** Earliest wake-up asked of the processing-time service and not yet run. */
  private wakeAt: number | undefined;
  currentWatermark = -Infinity;

  constructor(
    private readonly maxParallelism: number,
    private readonly time: ProcessingTimeService,
    private readonly onEventTime: (timer: Timer) => void,
    private readonly onProcessingTime: (timer: Timer) => void,
  ) {}

  registerEventTimeTimer(key: unknown, namespace: string, timestamp: number): void {
    checkTime('event', timestamp);
    this.eventTimers.add({ key, namespace, timestamp });
  }

  deleteEventTimeTimer(key: unknown, namespace: string, timestamp: number): void {
    checkTime('event', timestamp);
    this.eventTimers.delete({ key, namespace, timestamp });
  }

  registerProcessingTimeTimer(key: unknown, namespace: string, timestamp: number): void {
    checkTime('processing', timestamp);
    if (this.processingTimers.add({ key, namespace, timestamp })) this.scheduleWake();
  }

  deleteProcessingTimeTimer(key: unknown, namespace: string, timestamp: number): void {
    checkTime('processing', timestamp);
    this.processingTimers.delete({ key, namespace, timestamp });
  }

  /** Fire, in timestamp order, every event-time timer at or before `watermark`. */
  advanceWatermark(watermark: number): void {
    this.currentWatermark = watermark;
    for (let t = this.eventTimers.takeDue(watermark); t; t = this.eventTimers.takeDue(watermark)) this.onEventTime(t);
  }

  private scheduleWake(): void {
    const next = this.processingTimers.peek();
    if (!next || (this.wakeAt !== undefined && this.wakeAt <= next.timestamp)) return;
    const at = next.timestamp;
    this.wakeAt = at;
    this.time.schedule(at, () => {
      if (this.wakeAt === at) this.wakeAt = undefined;
      const now = this.time.now();
      for (let t = this.processingTimers.takeDue(now); t; t = this.processingTimers.takeDue(now))
        this.onProcessingTime(t);
      this.scheduleWake();
    });
  }

  snapshot(): TimerSnapshot {
    return {
      watermark: this.currentWatermark,
      event: this.eventTimers.snapshot(this.maxParallelism),
      processing: this.processingTimers.snapshot(this.maxParallelism),
    };
  }

  restore(s: TimerSnapshot): void {
    this.currentWatermark = s.watermark;
    for (const [, timers] of s.event)
      for (const [key, namespace, timestamp] of timers) this.registerEventTimeTimer(key, namespace, timestamp);
    for (const [, timers] of s.processing)
      for (const [key, namespace, timestamp] of timers) this.registerProcessingTimeTimer(key, namespace, timestamp);
  }
}
