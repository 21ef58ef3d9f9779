/**
 * A job's restart strategy as its job file sets it (the strategies themselves:
 * jobmanager/failover/restart-strategy.ts). Defaults as Flink 1.20's: without a `restart` block, a
 * job with checkpointing restarts with exponential delay, a job without checkpointing does not.
 */
// From schema, not the jobfile index: the job-file checks use maxRestartDelay (Kafka transaction timeouts).
import { RestartSchema, type JobSpec, type RestartSpec } from './schema';

/** The job's `restart` block, or Flink's default for it: exponential delay with checkpointing, none without. */
export function effectiveRestart(spec: Pick<JobSpec, 'restart' | 'checkpointing'>): RestartSpec {
  if (spec.restart) return spec.restart;
  return RestartSchema.parse({ strategy: spec.checkpointing ? 'exponential-delay' : 'none' });
}

/** The longest wait before a restart the strategy can ask for (ms); 0 for `none`. */
export function maxRestartDelay(spec: RestartSpec): number {
  switch (spec.strategy) {
    case 'none':
      return 0;
    case 'fixed-delay':
    case 'failure-rate':
      return spec.delay;
    case 'exponential-delay':
      return spec.maxBackoff;
  }
}
