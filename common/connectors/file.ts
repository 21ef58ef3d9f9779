/** The file connector's options in a job file (`connector: {kind: "file", path}`); it has no defaults. */
import { z } from 'zod';
import { strict } from '../jobfile/messages';

export const FileConnectorSchema = strict({
  kind: z.literal('file'),
  /** A file or folder; relative paths are taken against the job file's folder. */
  path: z.string().min(1),
});

export type FileConnector = z.infer<typeof FileConnectorSchema>;
