/** The discarding sink in a job file (`connector: {kind: "discard"}`): it has no options. */
import { z } from 'zod';
import { strict } from '../jobfile/messages';

/** Drops every record (Flink's DiscardingSink, Nexmark's blackhole). */
export const DiscardConnectorSchema = strict({ kind: z.literal('discard') });

export type DiscardConnector = z.infer<typeof DiscardConnectorSchema>;
