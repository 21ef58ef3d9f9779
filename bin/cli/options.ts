/**
 * The command-line edge of the processes' options: flags become the option schema's input, parsed
 * once (undefined flags take the schema's defaults), so the rest of the code gets one complete config.
 */
import type { z } from 'zod';
import { InvalidOptionsError } from '../../common/errors';

/** `heartbeatTimeoutMs` → `--heartbeat-timeout`: flags give durations in ms without the suffix. */
export function flagOf(key: string): string {
  return `--${key.replace(/Ms$/, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Throws InvalidOptionsError naming each problem by its flag. */
export function parseOptions<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.output<S> {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const result = schema.safeParse(defined);
  if (result.success) return result.data;
  throw new InvalidOptionsError(result.error.issues.map((iss) => ({ path: iss.path.map((k) => flagOf(String(k))).join(' '), message: iss.message })));
}
