/**
 * The exactly-once Kafka sink's transaction timeout. A transaction is committed when the checkpoint
 * it belongs to completes, or, if that commit is lost in a failure, by the restored attempt after
 * the restart delay. The broker aborts a transaction older than its timeout, and by then the
 * completed checkpoint's source positions are past its records: they are lost. So, as Flink says
 * of `transaction.timeout.ms`, the timeout must exceed the longest checkpoint plus the longest
 * downtime: here the checkpoint timeout plus the restart strategy's longest delay. A job whose
 * timeout cannot cover that is refused when it is submitted; a longer downtime (a broker away for
 * long) is found on restore and fails the job (transactional-kafka-sink.ts), never passes silently.
 */
import type { Problem } from '../errors';
import type { JobSpec } from '../jobfile/schema';
import { effectiveRestart, maxRestartDelay } from '../jobfile/restart';

/** The broker's default `transaction.max.timeout.ms` (15 min): InitProducerId refuses longer timeouts. */
export const BROKER_MAX_TRANSACTION_TIMEOUT_MS = 900_000;
/** The Kafka producer's default `transaction.timeout.ms`: the least a derived timeout is. */
export const MIN_DERIVED_TRANSACTION_TIMEOUT_MS = 60_000;

type Job = Pick<JobSpec, 'checkpointing' | 'restart'>;

/** What the timeout must cover: the checkpoint timeout plus the longest restart delay (ms). */
export function requiredTransactionTimeout(job: Job): number {
  return (job.checkpointing?.timeout ?? 0) + maxRestartDelay(effectiveRestart(job));
}

/**
 * The timeout when the sink names none: twice what it must cover (a restart also takes time to
 * deploy and restore), at least the producer's default, at most the broker's default maximum.
 */
export function derivedTransactionTimeout(job: Job): number {
  return Math.min(
    BROKER_MAX_TRANSACTION_TIMEOUT_MS,
    Math.max(MIN_DERIVED_TRANSACTION_TIMEOUT_MS, 2 * requiredTransactionTimeout(job)),
  );
}

const exactlyOnce = (job: Job) => job.checkpointing?.mode === 'exactly-once';

/** Each exactly-once Kafka sink whose transaction timeout cannot cover a checkpoint and a restart. */
export function transactionTimeoutProblems(job: JobSpec): Problem[] {
  if (!exactlyOnce(job)) return [];
  const required = requiredTransactionTimeout(job);
  const why = `checkpointing.timeout ${job.checkpointing!.timeout} ms + the restart strategy's longest delay ${required - job.checkpointing!.timeout} ms`;
  const problems: Problem[] = [];
  job.nodes.forEach((n, i) => {
    if (n.type !== 'sink' || n.connector?.kind !== 'kafka') return;
    const explicit = n.connector.transactionTimeout;
    if (explicit !== undefined && explicit < required) {
      problems.push({
        path: `nodes[${i}].connector.transactionTimeout`,
        message:
          `${explicit} ms cannot cover ${why} = ${required} ms: a transaction of a completed checkpoint could be aborted ` +
          `by the broker before a restarted job commits it, and its records lost`,
      });
    } else if (explicit === undefined && required > BROKER_MAX_TRANSACTION_TIMEOUT_MS) {
      problems.push({
        path: `nodes[${i}].connector`,
        message:
          `exactly-once Kafka transactions must outlive ${why} = ${required} ms, more than the broker's default ` +
          `transaction.max.timeout.ms (${BROKER_MAX_TRANSACTION_TIMEOUT_MS} ms): shorten those, or raise the broker's ` +
          `maximum and set transactionTimeout`,
      });
    }
  });
  return problems;
}

/** The job with each exactly-once Kafka sink's transaction timeout filled in (derived where absent). */
export function withTransactionTimeouts(job: JobSpec): JobSpec {
  if (!exactlyOnce(job)) return job;
  const timeout = derivedTransactionTimeout(job);
  return {
    ...job,
    nodes: job.nodes.map((n) =>
      n.type === 'sink' && n.connector?.kind === 'kafka' && n.connector.transactionTimeout === undefined
        ? { ...n, connector: { ...n.connector, transactionTimeout: timeout } }
        : n,
    ),
  };
}
