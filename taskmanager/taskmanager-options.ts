/** The TaskManager's options, with their defaults; see common/options.ts for how they are parsed. */
import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { intOption } from '../common/options';
import { DEFAULT_NETWORK } from './network/channels';

export const TASKMANAGER_DEFAULTS = {
  jobmanager: 'ws://127.0.0.1:8081',
  host: '127.0.0.1',
  dataPort: 0,
  metricsPort: 0,
  batchRecords: DEFAULT_NETWORK.batchRecords,
  flushInterval: DEFAULT_NETWORK.flushMs,
  creditsPerChannel: DEFAULT_NETWORK.credits,
  taskCancellationTimeout: 180_000,
} as const;

export const TaskManagerOptionsSchema = z.object({
  /** Slots, one worker thread each. @default the number of CPU cores */
  slots: intOption(1, 1024).default(() => availableParallelism()),
  /**
   * The JobManager, as ws:// (an http:// address is taken to mean the same host and port); a
   * comma-separated list (active and standby JobManagers) is tried in turn. @default "ws://127.0.0.1:8081"
   */
  jobmanager: z
    .string()
    .regex(
      /^(ws|http)s?:\/\/[^,]+(,(ws|http)s?:\/\/[^,]+)*$/,
      'must be a ws:// or http:// address, or a comma-separated list of them',
    )
    .default(TASKMANAGER_DEFAULTS.jobmanager)
    .transform((urls) => urls.replace(/(^|,)http(s?):/g, '$1ws$2:')),
  /** Address of the data and metrics ports. @default "127.0.0.1" */
  host: z.string().min(1, 'must not be empty').default(TASKMANAGER_DEFAULTS.host),
  /** Port for data from other TaskManagers; 0: any free port. @default 0 */
  dataPort: intOption(0, 65535).default(TASKMANAGER_DEFAULTS.dataPort),
  /** Port of the Prometheus endpoint (`/metrics`); 0: any free port. @default 0 */
  metricsPort: intOption(0, 65535).default(TASKMANAGER_DEFAULTS.metricsPort),
  /** Records per batch before a channel sends it. @default 512 */
  batchRecords: intOption(1, 1 << 20).default(TASKMANAGER_DEFAULTS.batchRecords),
  /** A partly filled batch is sent after this many ms (Flink's execution.buffer-timeout). @default 5 */
  flushInterval: intOption(0, 60_000).default(TASKMANAGER_DEFAULTS.flushInterval),
  /** Batches a producer may have in flight per channel (Flink's buffers-per-channel). @default 4 */
  creditsPerChannel: intOption(1, 1024).default(TASKMANAGER_DEFAULTS.creditsPerChannel),
  /**
   * ms a cancelled task may take to end before its slot's worker is terminated and replaced
   * (Flink's task.cancellation.timeout); 0: never. @default 180000
   */
  taskCancellationTimeout: intOption(0).default(TASKMANAGER_DEFAULTS.taskCancellationTimeout),
});

export type TaskManagerConfig = z.output<typeof TaskManagerOptionsSchema>;
