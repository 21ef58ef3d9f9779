/**
 * The Kafka connector's options in a job file (`connector: {kind: "kafka", ...}`), with their
 * defaults; one schema serves the source (kafka-source.ts) and the sinks (kafka-sink.ts).
 */
import { z } from 'zod';
import { durationSchema } from '../../../common/duration';
import { strict } from '../../../common/jobfile/messages';

export const KAFKA_DEFAULTS = { startFrom: 'earliest', format: 'string', bounded: false } as const;

const nonEmpty = z.string().min(1);

export const KafkaConnectorSchema = strict({
  kind: z.literal('kafka'),
  /** Bootstrap brokers, `host:port`. */
  brokers: z.array(nonEmpty).min(1),
  topic: nonEmpty,
  /** Source without restored state: earliest, latest, or the offsets committed to `groupId`. @default "earliest" */
  startFrom: z.enum(['earliest', 'latest', 'committed']).default(KAFKA_DEFAULTS.startFrom),
  /** `string`: the value as UTF-8 text (a sink writes non-string records as JSON); `json`: as JSON. @default "string" */
  format: z.enum(['string', 'json']).default(KAFKA_DEFAULTS.format),
  /** Source: read up to the end offsets seen at the start, then finish. @default false */
  bounded: z.boolean().default(KAFKA_DEFAULTS.bounded),
  /** Source: the group that completed checkpoints commit their offsets to; absent: none. */
  groupId: nonEmpty.optional(),
  /** Sink: the record field whose value becomes the message key; absent: no key. */
  key: nonEmpty.optional(),
  /**
   * Exactly-once sink: the transaction timeout (Flink's `transaction.timeout.ms`), at most the
   * broker's `transaction.max.timeout.ms`. Absent: derived from the checkpoint timeout and the restart
   * strategy's longest delay (transaction-timeout.ts); either way it must cover those two.
   */
  transactionTimeout: durationSchema({ min: 1 }).optional(),
});

export type KafkaConnector = z.infer<typeof KafkaConnectorSchema>;
