/** The JobManager's options, with their defaults; see common/options.ts for how they are parsed. */
import { z } from 'zod';
import { intOption } from '../common/options';

export const JOBMANAGER_DEFAULTS = {
  host: '127.0.0.1',
  port: 8081,
  dataDir: '.flinkx/jm',
  // Flink's are 10 s and 50 s; ours detect a lost TaskManager sooner, for clusters on one network.
  heartbeatIntervalMs: 1000,
  heartbeatTimeoutMs: 5000,
} as const;

/** How many heartbeat intervals a timeout should span at least, so one late heartbeat loses nothing. */
export const HEARTBEATS_PER_TIMEOUT = 3;

export const JobManagerOptionsSchema = z
  .object({
    /** Address to listen on. @default "127.0.0.1" */
    host: z.string().min(1, 'must not be empty').default(JOBMANAGER_DEFAULTS.host),
    /** Port of REST, the dashboard and the TaskManager endpoint; 0: any free port. @default 8081 */
    port: intOption(0, 65535).default(JOBMANAGER_DEFAULTS.port),
    /** Where checkpoints and job data are kept. @default ".flinkx/jm" */
    dataDir: z.string().min(1, 'must not be empty').default(JOBMANAGER_DEFAULTS.dataDir),
    /** Where savepoints go when the request names no directory (Flink's state.savepoints.dir). @default "<dataDir>/savepoints" */
    savepointDir: z.string().min(1, 'must not be empty').optional(),
    /** How often TaskManagers send heartbeats (ms); the JM tells them at registration. @default 1000 */
    heartbeatIntervalMs: intOption(10).default(JOBMANAGER_DEFAULTS.heartbeatIntervalMs),
    /** A TaskManager silent this long (ms) is lost. @default 5000 */
    heartbeatTimeoutMs: intOption(10).default(JOBMANAGER_DEFAULTS.heartbeatTimeoutMs),
  })
  .refine((o) => o.heartbeatTimeoutMs > o.heartbeatIntervalMs, {
    path: ['heartbeatTimeoutMs'],
    error: (iss) => {
      const o = iss.input as { heartbeatIntervalMs: number; heartbeatTimeoutMs: number };
      return (
        `${o.heartbeatTimeoutMs} ms is not longer than the heartbeat interval (${o.heartbeatIntervalMs} ms): every TaskManager ` +
        `would be lost between two heartbeats; use at least ${HEARTBEATS_PER_TIMEOUT * o.heartbeatIntervalMs} or lower --heartbeat-interval`
      );
    },
  });

export type JobManagerConfig = z.output<typeof JobManagerOptionsSchema>;

/** Settings that work but are likely a mistake, as sentences to log at start. */
export function jobManagerAdvice(c: JobManagerConfig): string[] {
  const advice: string[] = [];
  if (c.heartbeatTimeoutMs < HEARTBEATS_PER_TIMEOUT * c.heartbeatIntervalMs) {
    advice.push(
      `--heartbeat-timeout ${c.heartbeatTimeoutMs} ms spans fewer than ${HEARTBEATS_PER_TIMEOUT} heartbeat intervals of ` +
        `${c.heartbeatIntervalMs} ms: one late heartbeat can make a healthy TaskManager count as lost`,
    );
  }
  return advice;
}
