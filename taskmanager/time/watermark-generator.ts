/**
 * Event time of records and the watermarks a `timestamps` node generates from it (Flink's
 * TimestampAssigner and WatermarkGenerator). Bounded out-of-orderness: after seeing timestamps up to
 * `max`, the generator promises no record older than `max - maxOutOfOrderness` will follow, so it
 * emits watermark `max - maxOutOfOrderness - 1` (Flink's BoundedOutOfOrdernessWatermarks). It emits
 * periodically, not per record; a subtask that sees no records for `idleTimeout` declares itself
 * idle so that consumers stop waiting for its watermark (Flink's WatermarksWithIdleness).
 */
import { UserFunctionError } from '../../common/errors';
import type { TimestampsSpec } from '../../common/jobfile';

/** How often a subtask emits its watermark; Flink's default `pipeline.auto-watermark-interval`. */
export const WATERMARK_INTERVAL_MS = 200;

/** The record's event time in epoch ms; throws naming the node if the field is not a timestamp. */
export function extractTimestamp(node: string, spec: TimestampsSpec, record: unknown): number {
  const v =
    typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[spec.field!] : undefined;
  let ms: number | undefined;
  if (spec.unit === 'iso') ms = typeof v === 'string' ? Date.parse(v) : undefined;
  else if (typeof v === 'number') ms = spec.unit === 's' ? v * 1000 : v;
  else if (typeof v === 'string' && v.trim() !== '') ms = Number(v) * (spec.unit === 's' ? 1000 : 1);
  if (ms === undefined || !Number.isFinite(ms)) {
    const want =
      spec.unit === 'iso' ? 'an ISO-8601 date string' : `a number of ${spec.unit === 's' ? 'seconds' : 'ms'}`;
    throw new UserFunctionError(
      node,
      new TypeError(`field "${spec.field}" of ${JSON.stringify(record)} is not ${want}`),
    );
  }
  return Math.floor(ms);
}

/**
 * Kept per split (a Kafka partition; a single one for a `field`): the watermark is the smallest of the
 * active splits' (Flink's per-split watermarks), a split without records for `idleTimeout` no longer
 * holds it back, and when none is active the subtask is idle.
 */
export class BoundedOutOfOrdernessWatermarks {
  private readonly splits = new Map<string, { max: number; last: number }>();
  private idle = false;

  constructor(
    private readonly spec: TimestampsSpec,
    private readonly started: number,
  ) {}

  /** Splits this subtask reads, before their first record: they hold the watermark back until then (or until idle). */
  declareSplits(splits: Iterable<string>, now: number): void {
    for (const s of splits) if (!this.splits.has(s)) this.splits.set(s, { max: -Infinity, last: now });
  }

  /** A record with `timestamp` passed; returns true if this subtask was idle and is active again. */
  onEvent(timestamp: number, now: number, split = ''): boolean {
    const s = this.splits.get(split);
    if (!s) this.splits.set(split, { max: timestamp, last: now });
    else [s.max, s.last] = [Math.max(s.max, timestamp), now];
    const wasIdle = this.idle;
    this.idle = false;
    return wasIdle;
  }

  /** The periodic emit: the current watermark, or `idle` once no split has had a record for `idleTimeout`. */
  onPeriodicEmit(now: number): { watermark: number } | 'idle' | undefined {
    const { idleTimeout, maxOutOfOrderness } = this.spec;
    const active = [...this.splits.values()].filter((s) => idleTimeout === undefined || now - s.last < idleTimeout);
    if (active.length > 0)
      return this.idle ? undefined : { watermark: Math.min(...active.map((s) => s.max)) - maxOutOfOrderness - 1 };
    if (idleTimeout === undefined || (this.splits.size === 0 && now - this.started < idleTimeout))
      return { watermark: -Infinity };
    if (this.idle) return undefined;
    this.idle = true;
    return 'idle';
  }

  /** Largest timestamp per split, so that a restored subtask resumes its watermark. */
  snapshot(): [split: string, max: number][] {
    return [...this.splits].map(([split, s]) => [split, s.max]);
  }

  restore(maxima: [string, number][], now: number): void {
    for (const [split, max] of maxima) this.splits.set(split, { max, last: now });
  }
}
