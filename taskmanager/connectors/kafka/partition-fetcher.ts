/**
 * Reading chosen partitions of one topic with read_committed isolation, with kafkajs's consumer.
 * kafkajs consumers always belong to a group, so each fetcher joins a private group of its own
 * (nobody else ever joins it, so a killed member blocks nothing) whose assignor hands the single
 * member exactly the selected partitions: the runtime, not group rebalancing, assigns splits.
 */
import type { Consumer, Kafka, PartitionAssigner } from 'kafkajs';
import type { ConnectorError } from '../../../common/errors';
import { RETRY } from './client-settings';
import { install } from './kafkajs-workarounds';

/** A message as the connectors see it. */
export interface KafkaRecord {
  offset: number;
  /** The record's timestamp (ms): create or log-append time, as the topic is configured. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
}

/** What one fetch of one partition delivered. */
export interface FetchedBatch {
  partition: number;
  records: KafkaRecord[];
  /** Offset after everything this fetch covered (control records and aborted records included). */
  next: number;
}

export interface FetcherOptions {
  topic: string;
  /** A private consumer group, unique per subtask and attempt. */
  groupId: string;
  /** Which of the topic's current partitions to read; called at every (re)assignment. */
  select(partitions: number[]): number[];
  /** Where to continue a partition; undefined: from its earliest offset. */
  startOffset(partition: number): number | undefined;
  onBatch(batch: FetchedBatch): void;
  onAssigned(partitions: number[]): void;
  onError(err: Error): void;
  /** How often the partition list is refreshed; new partitions are then assigned. */
  metadataMaxAge: number;
}

/** Reads chosen partitions of one topic; see `KafkaClient.fetch`. */
export interface PartitionFetcher {
  pause(partitions: number[]): void;
  resume(partitions: number[]): void;
  close(): Promise<void>;
}

/**
 * Starts a fetcher. The start offsets are applied with `seek` after every assignment (the private
 * group never commits offsets); partitions without one start at the earliest offset.
 */
export async function openFetcher(
  kafka: Kafka,
  fail: (what: string, err: unknown) => ConnectorError,
  o: FetcherOptions,
): Promise<PartitionFetcher> {
  const { AssignerProtocol } = install().lib;
  const { topic } = o;
  const selectiveAssigner: PartitionAssigner = ({ cluster }) => ({
    name: 'FlinkxStaticAssigner',
    version: 0,
    async assign({ members }) {
      const all = cluster.findTopicPartitionMetadata(topic).map((m) => m.partitionId);
      const mine = o.select(all);
      // The group is private: there is exactly one member.
      return members.map(({ memberId }) => ({
        memberId,
        memberAssignment: AssignerProtocol.MemberAssignment.encode({
          version: 0,
          assignment: { [topic]: mine },
          userData: Buffer.alloc(0),
        }),
      }));
    },
    protocol({ topics }) {
      return {
        name: 'FlinkxStaticAssigner',
        metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }),
      };
    },
  });
  const consumer: Consumer = kafka.consumer({
    groupId: o.groupId,
    partitionAssigners: [selectiveAssigner],
    metadataMaxAge: o.metadataMaxAge,
    sessionTimeout: 30_000,
    heartbeatInterval: 3_000,
    maxWaitTimeInMs: 250,
    maxBytes: 4 * 1024 * 1024,
    maxBytesPerPartition: 1024 * 1024,
    allowAutoTopicCreation: false,
    readUncommitted: false,
    retry: { ...RETRY, restartOnFailure: async () => false },
  });
  let closed = false;
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    if (!closed) o.onError(fail(`the consumer of Kafka topic "${topic}" failed`, payload.error));
  });
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    const assigned = (payload.memberAssignment[topic] ?? []) as number[];
    for (const partition of assigned) {
      const offset = o.startOffset(partition);
      if (offset !== undefined) consumer.seek({ topic, partition, offset: String(offset) });
    }
    o.onAssigned(assigned);
  });
  // A fetch whose records were all filtered out (a transaction marker, aborted records) does not
  // reach eachBatch; its end still moves the partition's position.
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    if (payload.batchSize === 0 && payload.topic === topic) {
      o.onBatch({ partition: payload.partition, records: [], next: Number(payload.lastOffset) + 1 });
    }
  });
  const close = async () => {
    if (closed) return;
    closed = true;
    await consumer.disconnect().catch(() => undefined);
  };
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [topic], fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: true,
      eachBatch: async ({ batch }) => {
        const records: KafkaRecord[] = batch.messages.map((m) => ({
          offset: Number(m.offset),
          timestamp: Number(m.timestamp),
          key: m.key,
          value: m.value,
        }));
        o.onBatch({ partition: batch.partition, records, next: Number(batch.lastOffset()) + 1 });
      },
    });
  } catch (err) {
    await close();
    throw fail(`cannot consume Kafka topic "${topic}"`, err);
  }
  return {
    pause: (partitions) => {
      if (!closed && partitions.length > 0) consumer.pause([{ topic, partitions }]);
    },
    resume: (partitions) => {
      if (!closed && partitions.length > 0) consumer.resume([{ topic, partitions }]);
    },
    close,
  };
}
