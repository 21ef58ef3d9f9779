/**
 * Durations in job files: a number of milliseconds, or a string of a number and a unit
 * ("500ms", "30s", "5m", "1h", "1.5s"). One parser, so every duration in a file reads the same way.
 * `signed` also takes a leading "+" or "-" (interval-join bounds).
 */
import { z } from 'zod';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const PATTERN = /^\s*([+-]?)(\d+(?:\.\d+)?)\s*(ms|s|m|h)\s*$/;

export const DURATION_HINT = 'must be a number of ms or a string like "500ms", "30s", "5m", "1h"';

/** Milliseconds of a duration, or undefined if `value` is not one. */
export function parseDuration(value: unknown, signed = false): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && (signed || value >= 0) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const m = PATTERN.exec(value);
  if (!m || (m[1] && !signed)) return undefined;
  const ms = Number(m[2]) * UNIT_MS[m[3]];
  return m[1] === '-' ? -ms : ms;
}

/** A zod schema for a duration field; parses to whole milliseconds. */
export function durationSchema(options: { min?: number; signed?: boolean } = {}) {
  const { signed = false, min = signed ? -Infinity : 0 } = options;
  return z.unknown().transform((value, ctx) => {
    const ms = parseDuration(value, signed);
    if (ms === undefined) {
      ctx.addIssue({ code: 'custom', message: value === undefined ? 'required' : DURATION_HINT });
      return z.NEVER;
    }
    if (ms < min) {
      ctx.addIssue({ code: 'custom', message: `must be >= ${min}` });
      return z.NEVER;
    }
    return Math.round(ms);
  });
}
