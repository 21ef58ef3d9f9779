/**
 * Window assigners (Flink's TumblingEventTimeWindows, SlidingEventTimeWindows, EventTimeSessionWindows
 * and their processing-time twins): which windows a timestamp belongs to. A window is [start, end),
 * end exclusive; its last timestamp `end - 1` is when its trigger fires. Window starts are aligned to
 * the epoch plus the offset (either sign, |offset| < size or slide), as Flink's TimeWindow.getWindowStartWithOffset.
 */
import { UserFunctionError } from '../../../common/errors';
import type { WindowSpec } from '../../../common/jobfile';

export interface TimeWindow {
  start: number;
  end: number;
}

export const maxTimestamp = (w: TimeWindow): number => w.end - 1;

/**
 * A record's event time for a window or join `node`. Flink fails a record without one; so does this,
 * and one that is NaN, infinite or beyond ±2^53 ms, for which window bounds and timers would
 * silently come out NaN or rounded.
 */
export function eventTimeOf(
  node: string,
  kind: 'window' | 'join',
  record: unknown,
  timestamp: number | undefined,
): number {
  if (timestamp === undefined) {
    throw new UserFunctionError(
      node,
      new TypeError(`record ${JSON.stringify(record)} has no event time (no "timestamps" before this ${kind})`),
    );
  }
  if (!(Math.abs(timestamp) <= Number.MAX_SAFE_INTEGER)) {
    throw new UserFunctionError(
      node,
      new RangeError(
        `record ${JSON.stringify(record)} has event time ${timestamp}, not a number of ms within ±Number.MAX_SAFE_INTEGER`,
      ),
    );
  }
  return timestamp;
}

/** The start of the window of `size` (shifted by `offset`) that holds `timestamp`; exact for negatives too. */
export function windowStart(timestamp: number, offset: number, size: number): number {
  const remainder = (timestamp - offset) % size;
  return remainder < 0 ? timestamp - (remainder + size) : timestamp - remainder;
}

export interface WindowAssigner {
  /** Session windows merge: every element starts a window that merges with those it overlaps. */
  readonly merging: boolean;
  assign(timestamp: number): TimeWindow[];
}

export function createAssigner(spec: WindowSpec): WindowAssigner {
  switch (spec.kind) {
    case 'tumbling':
      return {
        merging: false,
        assign: (t) => {
          const start = windowStart(t, spec.offset, spec.size);
          return [{ start, end: start + spec.size }];
        },
      };
    case 'sliding':
      return {
        merging: false,
        assign: (t) => {
          const windows: TimeWindow[] = [];
          // The latest window holding t starts at the (offset) slide boundary at or before t; earlier ones step back by `slide`.
          for (let start = windowStart(t, spec.offset, spec.slide); start > t - spec.size; start -= spec.slide) {
            windows.push({ start, end: start + spec.size });
          }
          return windows;
        },
      };
    case 'session':
      return { merging: true, assign: (t) => [{ start: t, end: t + spec.gap }] };
  }
}

/** Flink's TimeWindow.intersects: windows that overlap or touch merge into one session. */
export function intersects(a: TimeWindow, b: TimeWindow): boolean {
  return a.start <= b.end && a.end >= b.start;
}
