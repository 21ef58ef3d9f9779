/**
 * Producers of the Kafka sinks: a plain one (plain and at-least-once sinks) and single-transaction
 * transactional ones (the exactly-once sink's pool, transactional-kafka-sink.ts).
 */
import type { Kafka, Producer, Transaction } from 'kafkajs';
import { ConnectorError } from '../../../common/errors';
import { kafkaErrorChain, RETRY } from './client-settings';
import { install, type InitProducerIdResult } from './kafkajs-workarounds';

type Fail = (what: string, err: unknown) => ConnectorError;

export interface OutgoingMessage {
  key: string | null;
  value: string;
}

export interface PlainProducer {
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** One transaction of its own producer (a producer runs exactly one transaction, then is retired). */
export interface KafkaTransaction {
  readonly transactionalId: string;
  readonly producerId: string;
  readonly producerEpoch: number;
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  /**
   * Commits, within the transaction, offset `checkpointId` of `topic` partition 0 to the group named
   * like the transactional id: visible once the transaction commits, never if it is aborted. A
   * restore reads it to tell a committed transaction from a lost one.
   */
  mark(topic: string, checkpointId: number): Promise<void>;
  abort(): Promise<void>;
  close(): Promise<void>;
}

/** Acks from all in-sync replicas, one request in flight (keeps order through retries). */
export async function openProducer(kafka: Kafka, fail: Fail): Promise<PlainProducer> {
  const producer = kafka.producer({
    createPartitioner: install().lib.Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    maxInFlightRequests: 1,
    retry: RETRY,
  });
  try {
    await producer.connect();
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    throw fail('cannot connect a producer to the Kafka brokers', err);
  }
  return {
    send: async (topic, messages) => {
      try {
        await producer.send({ topic, acks: -1, messages });
      } catch (err) {
        throw fail(`cannot write to Kafka topic "${topic}"`, err);
      }
    },
    close: () => producer.disconnect().catch(() => undefined),
  };
}

function isInvalidTimeout(err: unknown): boolean {
  for (const e of kafkaErrorChain(err)) if (e.type === 'INVALID_TRANSACTION_TIMEOUT') return true;
  return false;
}

/**
 * Producers for one transactional id are initialized one at a time in this thread (a cancelled
 * attempt and its successor can share a worker), so the InitProducerId answer recorded for the id
 * (kafkajs-workarounds.ts, item 2) is this producer's.
 */
const initializing = new Map<string, Promise<void>>();

/**
 * A new producer with this transactional id, with its transaction begun. Initializing it aborts
 * whatever transaction an earlier producer with the same id left open, and bumps the epoch, so
 * (id, producer id, epoch) names this one transaction.
 */
export async function openTransaction(
  kafka: Kafka,
  fail: Fail,
  transactionalId: string,
  transactionTimeout: number,
): Promise<KafkaTransaction> {
  const { lib, producerIds } = install();
  const producer: Producer = kafka.producer({
    createPartitioner: lib.Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    transactionalId,
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout,
    // Bounded, so a dead broker fails the task instead of retrying forever. A failed send fails
    // the task, and its transaction is aborted by the restarted attempt: nothing half-written
    // ever becomes visible.
    retry: { ...RETRY, retries: 8 },
  });
  let tx: Transaction;
  let ids: InitProducerIdResult | undefined;
  const before = initializing.get(transactionalId);
  let done!: () => void;
  const mine = new Promise<void>((r) => (done = r));
  initializing.set(transactionalId, mine);
  try {
    await before;
    producerIds.delete(transactionalId);
    await producer.connect();
    tx = await producer.transaction();
    ids = producerIds.get(transactionalId);
  } catch (err) {
    await producer.disconnect().catch(() => undefined);
    if (isInvalidTimeout(err)) {
      throw new ConnectorError(
        `cannot start Kafka transaction "${transactionalId}": transactionTimeout ${transactionTimeout} ms exceeds the broker's transaction.max.timeout.ms`,
        { cause: err },
      );
    }
    throw fail(`cannot start Kafka transaction "${transactionalId}"`, err);
  } finally {
    producerIds.delete(transactionalId);
    if (initializing.get(transactionalId) === mine) initializing.delete(transactionalId);
    done();
  }
  if (!ids) {
    await producer.disconnect().catch(() => undefined);
    throw new ConnectorError(
      `Kafka transaction "${transactionalId}": the producer id was not seen (kafkajs internals changed?)`,
    );
  }
  return {
    transactionalId,
    producerId: ids.producerId,
    producerEpoch: ids.producerEpoch,
    send: async (topic, messages) => {
      try {
        await tx.send({ topic, acks: -1, messages });
      } catch (err) {
        throw fail(`cannot write to Kafka topic "${topic}" in transaction "${transactionalId}"`, err);
      }
    },
    mark: async (topic, checkpointId) => {
      try {
        await tx.sendOffsets({
          consumerGroupId: transactionalId,
          topics: [{ topic, partitions: [{ partition: 0, offset: String(checkpointId) }] }],
        });
      } catch (err) {
        throw fail(`cannot mark Kafka transaction "${transactionalId}" with checkpoint ${checkpointId}`, err);
      }
    },
    abort: async () => {
      try {
        if (tx.isActive()) await tx.abort();
      } catch (err) {
        throw fail(`cannot abort Kafka transaction "${transactionalId}"`, err);
      }
    },
    close: () => producer.disconnect().catch(() => undefined),
  };
}
