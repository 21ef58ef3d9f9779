/** The Nexmark source's options in a job file (`connector: {kind: "nexmark", ...}`), with their defaults. */
import { z } from 'zod';
import { strict } from '../jobfile/messages';

export const NEXMARK_DEFAULTS = { seed: 0, eventsPerSecond: 10000, baseTime: Date.UTC(2026, 0, 1) } as const;

const int = z.number().int();

/** Nexmark's persons, auctions and bids; event n is a function of (seed, n). */
export const NexmarkConnectorSchema = strict({
  kind: z.literal('nexmark'),
  /** Events of the whole source; absent: unbounded. */
  count: int.min(0).optional(),
  /** Events per second over all subtasks; absent: as fast as the job takes them. */
  rate: z.number().positive().optional(),
  /** @default 0 */
  seed: int.default(NEXMARK_DEFAULTS.seed),
  /** Event time advances 1/eventsPerSecond per event (Nexmark's first-event.rate). @default 10000 */
  eventsPerSecond: int.min(1).default(NEXMARK_DEFAULTS.eventsPerSecond),
  /** Event time of event 0, epoch ms: fixed (Nexmark takes the wall clock) so that runs are repeatable. @default 2026-01-01T00:00:00Z */
  baseTime: int.min(0).default(NEXMARK_DEFAULTS.baseTime),
});

export type NexmarkConnector = z.infer<typeof NexmarkConnectorSchema>;
