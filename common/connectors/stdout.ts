/** The stdout sink in a job file (`connector: {kind: "stdout"}`): it has no options. */
import { z } from 'zod';
import { strict } from '../jobfile/messages';

export const StdoutConnectorSchema = strict({ kind: z.literal('stdout') });

export type StdoutConnector = z.infer<typeof StdoutConnectorSchema>;
