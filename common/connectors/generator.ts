/** The generator source's options in a job file (`connector: {kind: "generator", ...}`), with their defaults. */
import { z } from 'zod';
import { strict } from '../jobfile/messages';

export const GENERATOR_DEFAULTS = { seed: 0, format: 'text', wordsPerLine: 8, vocabulary: 1000 } as const;

const int = z.number().int();

export const GeneratorConnectorSchema = strict({
  kind: z.literal('generator'),
  /** Records of the whole source; absent: unbounded. */
  count: int.min(0).optional(),
  /** Records per second over all subtasks; absent: as fast as the job takes them. */
  rate: z.number().positive().optional(),
  /** Record n is a function of (seed, n), so runs are repeatable. @default 0 */
  seed: int.default(GENERATOR_DEFAULTS.seed),
  /** `text`: lines of words; `sequence`: the numbers 0, 1, 2, ... @default "text" */
  format: z.enum(['text', 'sequence']).default(GENERATOR_DEFAULTS.format),
  /** @default 8 */
  wordsPerLine: int.min(1).max(1000).default(GENERATOR_DEFAULTS.wordsPerLine),
  /** Distinct words the lines are drawn from. @default 1000 */
  vocabulary: int.min(1).default(GENERATOR_DEFAULTS.vocabulary),
});

export type GeneratorConnector = z.infer<typeof GeneratorConnectorSchema>;
