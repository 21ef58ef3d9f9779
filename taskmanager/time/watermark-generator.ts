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
  const v = typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[spec.field] : undefined;
  let ms: number | undefined;
  if (spec.unit === 'iso') ms = typeof v === 'string' ? Date.parse(v) : undefined;
  else if (typeof v === 'number') ms = spec.unit === 's' ? v * 1000 : v;
  else if (typeof v === 'string' && v.trim() !== '') ms = Number(v) * (spec.unit === 's' ? 1000 : 1);
  if (ms === undefined || !Number.isFinite(ms)) {
    const want = spec.unit === 'iso' ? 'an ISO-8601 date string' : `a number of ${spec.unit === 's' ? 'seconds' : 'ms'}`;
    throw new UserFunctionError(node, new TypeError(`field "${spec.field}" of ${JSON.stringify(record)} is not ${want}`));
  }
  return Math.floor(ms);
}

export class BoundedOutOfOrdernessWatermarks {
  /** Largest timestamp seen; part of the operator's snapshot so a restored subtask resumes its watermark. */
  maxTimestamp = -Infinity;
  private lastActivity: number;
  private idle = false;

  constructor(
    private readonly spec: TimestampsSpec,
    now: number,
  ) {
    this.lastActivity = now;
  }

  /** A record with `timestamp` passed; returns true if this subtask was idle and is active again. */
  onEvent(timestamp: number, now: number): boolean {
    if (timestamp > this.maxTimestamp) this.maxTimestamp = timestamp;
    this.lastActivity = now;
    const wasIdle = this.idle;
    this.idle = false;
    return wasIdle;
  }

  /** The periodic emit: the current watermark, or `idle` once no record came for `idleTimeout`. */
  onPeriodicEmit(now: number): { watermark: number } | 'idle' | undefined {
    const { idleTimeout } = this.spec;
    if (idleTimeout !== undefined && now - this.lastActivity >= idleTimeout) {
      if (this.idle) return undefined;
      this.idle = true;
      return 'idle';
    }
    if (this.idle) return undefined;
    return { watermark: this.maxTimestamp - this.spec.maxOutOfOrderness - 1 };
  }
}
