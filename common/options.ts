/**
 * Building blocks of the processes' option schemas (jobmanager/jobmanager-options.ts,
 * taskmanager/taskmanager-options.ts), parsed once at the command-line edge (bin/cli/options.ts).
 */
import { z } from 'zod';

/** An integer option, from a number or a command-line string. */
export function intOption(min: number, max = Number.MAX_SAFE_INTEGER) {
  return z.coerce
    .number({ error: 'must be a number' })
    .int('must be an integer')
    .min(min, `must be ≥ ${min}`)
    .max(max, `must be ≤ ${max}`);
}
