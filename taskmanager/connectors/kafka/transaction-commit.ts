/**
 * Committing an exactly-once sink's transaction (EndTxn by transactional id, producer id and epoch)
 * and what its errors mean, as Flink's KafkaCommitter tells them apart:
 *  - transient: the coordinator moved or is loading, a request timed out, the connection broke, the
 *    transaction is still being completed (CONCURRENT_TRANSACTIONS), or the coordinator failed on a
 *    race of its own (UNKNOWN_SERVER_ERROR): retried with back-off until a deadline;
 *  - gone: the coordinator no longer has the transaction open under that epoch (Flink's
 *    ProducerFencedException / InvalidTxnStateException): it was committed already and its id used
 *    again, or it was aborted (expired by the broker, or fenced). The sink tells which by its marker;
 *  - anything else fails the task.
 */
import { delay } from '../../../common/async';
import { ConnectorError } from '../../../common/errors';
import { kafkaErrorChain } from './client-settings';

export type CommitErrorKind = 'transient' | 'gone' | 'fatal';

/** EndTxn errors that mean the transaction is no longer open under that epoch (kafkajs's names). */
const GONE = new Set(['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED', 'INVALID_TXN_STATE', 'INVALID_PRODUCER_ID_MAPPING']);

/**
 * UNKNOWN_SERVER_ERROR: what a coordinator answers an EndTxn that meets its own abort of the
 * expired transaction (seen on resuming a paused broker); a retry gets the real answer.
 */
const TRANSIENT_TYPES = new Set(['UNKNOWN']); // kafkajs's name for UNKNOWN_SERVER_ERROR (-1)

/** Errors kafkajs marks not retriable, though the broker expects a retry or another coordinator may answer. */
const TRANSIENT_NAMES = new Set([
  'KafkaJSConnectionError',
  'KafkaJSConnectionClosedError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSBrokerNotFound',
  'KafkaJSGroupCoordinatorNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSMetadataNotLoaded',
  'KafkaJSNoBrokerAvailableError',
  'KafkaJSTimeout',
]);

/** The kind of a commit error, looking through kafkajs's wrappers (retries exceeded, our ConnectorError). */
export function classifyCommitError(err: unknown): CommitErrorKind {
  for (const e of kafkaErrorChain(err)) {
    if (e.type && GONE.has(e.type)) return 'gone';
    if (e.retriable === true || (e.type && TRANSIENT_TYPES.has(e.type)) || (e.name && TRANSIENT_NAMES.has(e.name))) {
      return 'transient';
    }
    // kafkajs's Broker, asked for a request while its connection is down (a plain Error).
    if (e.message === 'Broker not connected') return 'transient';
  }
  return 'fatal';
}

/** Time as the commit's retries see it; injected so unit tests drive it by hand. */
export interface RetryTime {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const systemRetryTime: RetryTime = {
  now: () => Date.now(),
  sleep: delay,
};

export const FIRST_RETRY_MS = 100;
export const MAX_RETRY_MS = 2_000;

/**
 * Runs `attempt` until it succeeds; retries transient errors with back-off (100 ms, doubling, at most
 * 2 s) while the next try would start before `deadline` and `stopped()` is false. A gone or fatal
 * error, or a transient one past the deadline, is thrown as it is.
 */
export async function retryTransient<T>(
  attempt: () => Promise<T>,
  o: { deadline: number; time: RetryTime; stopped?: () => boolean },
): Promise<T> {
  for (let delay = FIRST_RETRY_MS; ; delay = Math.min(delay * 2, MAX_RETRY_MS)) {
    try {
      return await attempt();
    } catch (err) {
      if (classifyCommitError(err) !== 'transient' || o.time.now() + delay > o.deadline || o.stopped?.()) throw err;
    }
    await o.time.sleep(delay);
    if (o.stopped?.()) throw new ConnectorError('the Kafka client was closed while retrying a commit');
  }
}
