/**
 * Our own thin interface to Kafka, so the client library (kafkajs 2.2.4 today) can be replaced in
 * this one file. The Kafka connectors use only what is exported here.
 *
 * Timeouts and retry limits are small on purpose: an unreachable broker or a dead one fails the
 * task with a ConnectorError within about 30 s instead of retrying for minutes.
 *
 * Three things kafkajs has no public API for are done with its internal Cluster/Broker classes
 * (kept to this file):
 *  - committing a group's offsets without being a member of it (OffsetCommit with generation -1
 *    and an empty member id, what Java's admin client and assign()-mode consumers do): the source
 *    commits its checkpointed offsets to the user's group for lag tools;
 *  - learning the producer id and epoch of a transactional producer (InitProducerId responses are
 *    recorded per transactional id), and
 *  - ending a transaction of a producer that no longer exists (EndTxn with the recorded id and
 *    epoch): a restored exactly-once sink commits the transactions its checkpoint lists as pending,
 *    whose commit may have been lost in the crash (what Flink's KafkaSink does with
 *    resumeTransaction).
 *
 * It also replaces kafkajs's filter of aborted transactions, which lets aborted records through
 * (see installReadCommittedFix).
 */
import type { Admin, Consumer, Kafka as KafkaType, LogEntry, PartitionAssigner, Producer, Transaction } from 'kafkajs';
import { ConnectorError } from '../../../common/errors';
import { Logger } from '../../../common/log';

const log = new Logger('kafka');

/* eslint-disable @typescript-eslint/no-require-imports */
installReadCommittedFix();
const { AssignerProtocol, Kafka, Partitioners, logLevel } = require('kafkajs') as typeof import('kafkajs');
const KafkajsCluster = require('kafkajs/src/cluster') as new (options: Record<string, unknown>) => InternalCluster;
const KafkajsBroker = require('kafkajs/src/broker') as { prototype: { initProducerId: (this: unknown, args: InitProducerIdArgs) => Promise<InitProducerIdResult> } };
const kafkajsSocketFactory = require('kafkajs/src/network/socketFactory') as () => unknown;
const COORDINATOR_TYPES = require('kafkajs/src/protocol/coordinatorTypes') as { GROUP: number; TRANSACTION: number };
/* eslint-enable @typescript-eslint/no-require-imports */

interface InitProducerIdArgs {
  transactionalId?: string;
  transactionTimeout?: number;
}
interface InitProducerIdResult {
  producerId: string;
  producerEpoch: number;
}
interface InternalBroker {
  offsetCommit(req: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[] }>;
  endTxn(req: { producerId: string; producerEpoch: number; transactionalId: string; transactionResult: boolean }): Promise<unknown>;
}
interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(req: { groupId: string; coordinatorType?: number }): Promise<InternalBroker>;
}

interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/**
 * kafkajs 2.2.4 leaks records of aborted transactions to read_committed consumers when a fetch
 * covers several aborted transactions (its filter activates at most one aborted transaction per
 * record, and expects the list sorted): with a few transactional producers writing to one
 * partition, as an exactly-once sink does, aborted records show up. This replaces its
 * filterAbortedMessages (before kafkajs loads it) with Kafka's own rule (Java Fetcher): a producer
 * is aborted from the first offset of each aborted transaction the broker lists until its abort
 * marker, and transactional records of aborted producers are skipped.
 */
function installReadCommittedFix(): void {
  const filterPath = require.resolve('kafkajs/src/consumer/filterAbortedMessages');
  const batchPath = require.resolve('kafkajs/src/consumer/batch');
  if (require.cache[batchPath]) {
    // Too late to replace: kafkajs's consumer already holds its filter. Warn if that is the faulty one.
    const inUse = require(filterPath) as (...args: unknown[]) => unknown;
    if (inUse !== filterAbortedMessages && String(inUse).includes('remainingAbortedTransactions[0]')) {
      log.warn('kafkajs was loaded before its read_committed filter could be replaced; aborted transactions may be visible to Kafka sources');
    }
    return;
  }
  const m = new (require('node:module') as typeof import('node:module'))(filterPath);
  m.filename = filterPath;
  m.loaded = true;
  m.exports = filterAbortedMessages;
  require.cache[filterPath] = m;
}

const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]); // control record key: version 0, type 0 (ABORT)

function filterAbortedMessages({
  messages,
  abortedTransactions,
}: {
  messages: FetchedMessage[];
  abortedTransactions?: { producerId: string; firstOffset: string }[];
}): FetchedMessage[] {
  if (!abortedTransactions || abortedTransactions.length === 0) return messages;
  const upcoming = [...abortedTransactions].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : 1));
  const aborted = new Set<string>();
  return messages.filter((m) => {
    const offset = BigInt(m.offset);
    while (upcoming.length > 0 && offset >= BigInt(upcoming[0].firstOffset)) aborted.add(String(upcoming.shift()!.producerId));
    const producerId = String(m.batchContext.producerId);
    if (m.isControlRecord) {
      if (m.key && Buffer.from(m.key).equals(ABORT_MARKER_KEY)) aborted.delete(producerId);
      return true; // control records are dropped by kafkajs afterwards
    }
    return !(m.batchContext.inTransaction && aborted.has(producerId));
  });
}

export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** About 10 s of back-off in all (300, 600, 1200, 2400, 4800 ms, ±20 %). */
const RETRY = { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 };

/** kafkajs logs every retriable error response at ERROR before retrying; these are expected. */
const EXPECTED_NOISE =
  /coordinator is not available|coordinator is loading|not the correct coordinator|concurrent operation on the same transaction|group is rebalancing|There is no leader for this topic-partition|Limiting retries for the idempotent producer/i;

const logCreator =
  () =>
  ({ level, log: entry }: LogEntry): void => {
    const { message, ...fields } = entry as { message: string } & Record<string, unknown>;
    delete fields.timestamp;
    delete fields.logger;
    delete fields.stack;
    const text = `${message} ${String(fields.error ?? '')}`;
    if (level <= logLevel.ERROR && !EXPECTED_NOISE.test(text)) log.warn(`kafkajs: ${message}`, fields);
    else if (level === logLevel.WARN && !EXPECTED_NOISE.test(text)) log.info(`kafkajs: ${message}`, fields);
    else log.debug(`kafkajs: ${message}`, fields);
  };

/** InitProducerId answers by transactional id, recorded as kafkajs's producers receive them. */
const producerIds = new Map<string, InitProducerIdResult>();
/**
 * Producers for one transactional id are initialized one at a time in this thread (a cancelled
 * attempt and its successor can share a worker), so the answer recorded is this producer's.
 */
const initializing = new Map<string, Promise<void>>();
const originalInitProducerId = KafkajsBroker.prototype.initProducerId;
KafkajsBroker.prototype.initProducerId = async function (this: unknown, args: InitProducerIdArgs) {
  const result = await originalInitProducerId.call(this, args);
  if (args?.transactionalId) producerIds.set(args.transactionalId, { producerId: String(result.producerId), producerEpoch: result.producerEpoch });
  return result;
};

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
  /** A private consumer group, unique per subtask and attempt (see PartitionFetcher). */
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

/** One transaction of its own producer (a producer runs exactly one transaction, then is retired). */
export interface KafkaTransaction {
  readonly transactionalId: string;
  readonly producerId: string;
  readonly producerEpoch: number;
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  commit(): Promise<void>;
  abort(): Promise<void>;
  close(): Promise<void>;
}

export interface OutgoingMessage {
  key: string | null;
  value: string;
}

export interface PlainProducer {
  send(topic: string, messages: OutgoingMessage[]): Promise<void>;
  close(): Promise<void>;
}

/** A kafkajs error as a one-line reason. */
export function reason(err: unknown): string {
  const e = err as { message?: string; type?: string; cause?: unknown; originalError?: { message?: string } };
  let text = e?.message ?? String(err);
  const inner = e?.originalError?.message ?? (e?.cause as { message?: string } | undefined)?.message;
  if (inner && !text.includes(inner)) text += ` (${inner})`;
  return text;
}

export class KafkaClient {
  private readonly kafka: KafkaType;
  private adminClient: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private cluster: Promise<InternalCluster> | undefined;
  private readonly closers = new Set<() => Promise<void>>();

  constructor(
    readonly brokers: string[],
    readonly clientId: string,
  ) {
    this.kafka = new Kafka({
      clientId,
      brokers,
      connectionTimeout: CONNECTION_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      retry: RETRY,
      logLevel: logLevel.WARN,
      logCreator,
    });
  }

  private get where(): string {
    return `Kafka at ${this.brokers.join(',')}`;
  }

  /** A failure talking to the brokers, as the ConnectorError a task reports. */
  fail(what: string, err: unknown): ConnectorError {
    if (err instanceof ConnectorError) return err;
    return new ConnectorError(`${what}: ${reason(err)} (${this.where})`, { cause: err });
  }

  private async admin(): Promise<Admin> {
    if (this.adminClient) return this.adminClient;
    this.adminConnecting ??= (async () => {
      const admin = this.kafka.admin({ retry: RETRY });
      try {
        await admin.connect();
      } catch (err) {
        this.adminConnecting = undefined;
        throw this.fail('cannot connect to the Kafka brokers', err);
      }
      this.adminClient = admin;
      return admin;
    })();
    return this.adminConnecting;
  }

  /** The topic's partition ids; a ConnectorError naming the topic if it does not exist. Never creates it. */
  async partitions(topic: string): Promise<number[]> {
    const admin = await this.admin();
    try {
      const topics = await admin.listTopics();
      if (!topics.includes(topic)) throw new ConnectorError(`Kafka topic "${topic}" does not exist (${this.where})`);
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      return md.topics[0].partitions.map((p) => p.partitionId).sort((a, b) => a - b);
    } catch (err) {
      throw this.fail(`cannot read the metadata of Kafka topic "${topic}"`, err);
    }
  }

  /** Earliest and end offsets per partition (the end is the last stable offset: read_committed). */
  async offsets(topic: string): Promise<Map<number, { low: number; high: number }>> {
    const admin = await this.admin();
    try {
      const offsets = await admin.fetchTopicOffsets(topic);
      return new Map(offsets.map((o) => [o.partition, { low: Number(o.low), high: Number(o.high) }]));
    } catch (err) {
      throw this.fail(`cannot read the offsets of Kafka topic "${topic}"`, err);
    }
  }

  /** Per partition, the first offset whose record is no older than `timestamp` (ms); absent: none (use the end). */
  async offsetsAt(topic: string, timestamp: number): Promise<Map<number, number>> {
    const admin = await this.admin();
    try {
      const offsets = await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
      return new Map(offsets.filter((o) => Number(o.offset) >= 0).map((o) => [o.partition, Number(o.offset)]));
    } catch (err) {
      throw this.fail(`cannot look up offsets by time in Kafka topic "${topic}"`, err);
    }
  }

  /** The offsets committed to `groupId` for the topic's partitions (absent: none committed). */
  async committed(groupId: string, topic: string): Promise<Map<number, number>> {
    const admin = await this.admin();
    try {
      const [t] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const out = new Map<number, number>();
      for (const p of t?.partitions ?? []) if (Number(p.offset) >= 0) out.set(p.partition, Number(p.offset));
      return out;
    } catch (err) {
      throw this.fail(`cannot read the offsets of group "${groupId}" for Kafka topic "${topic}"`, err);
    }
  }

  private internalCluster(): Promise<InternalCluster> {
    this.cluster ??= (async () => {
      const cluster = new KafkajsCluster({
        logger: this.kafka.logger(),
        socketFactory: kafkajsSocketFactory(),
        brokers: this.brokers,
        clientId: this.clientId,
        connectionTimeout: CONNECTION_TIMEOUT_MS,
        requestTimeout: REQUEST_TIMEOUT_MS,
        retry: RETRY,
        allowAutoTopicCreation: false,
      });
      try {
        await cluster.connect();
      } catch (err) {
        this.cluster = undefined;
        await cluster.disconnect().catch(() => undefined);
        throw err;
      }
      return cluster;
    })();
    return this.cluster;
  }

  /**
   * Commits offsets to a group that has no active members, without joining it. Lag tools
   * (`kafka-consumer-groups --describe`, admin fetchOffsets) see them.
   */
  async commitOffsets(groupId: string, topic: string, offsets: Map<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    try {
      const cluster = await this.internalCluster();
      const coordinator = await cluster.findGroupCoordinator({ groupId, coordinatorType: COORDINATOR_TYPES.GROUP });
      const partitions = [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) }));
      const res = await coordinator.offsetCommit({ groupId, groupGenerationId: -1, memberId: '', topics: [{ topic, partitions }] });
      const bad = res.responses.flatMap((r) => r.partitions).find((p) => p.errorCode !== 0);
      if (bad) throw new Error(`error code ${bad.errorCode} for partition ${bad.partition}`);
    } catch (err) {
      throw this.fail(`cannot commit offsets of Kafka topic "${topic}" to group "${groupId}"`, err);
    }
  }

  /**
   * Commits a transaction whose producer is gone, given its id and epoch. Returns false when the
   * coordinator no longer has it open under that epoch: it was committed already (or aborted, e.g.
   * by its timeout); nothing is left to do either way.
   */
  async commitTransaction(transactionalId: string, producerId: string, producerEpoch: number): Promise<boolean> {
    const deadline = Date.now() + 30_000;
    for (let delay = 100; ; delay = Math.min(delay * 2, 2_000)) {
      try {
        const cluster = await this.internalCluster();
        const coordinator = await cluster.findGroupCoordinator({ groupId: transactionalId, coordinatorType: COORDINATOR_TYPES.TRANSACTION });
        await coordinator.endTxn({ producerId, producerEpoch, transactionalId, transactionResult: true });
        return true;
      } catch (err) {
        const type = (err as { type?: string }).type;
        if (type === 'INVALID_PRODUCER_EPOCH' || type === 'PRODUCER_FENCED' || type === 'INVALID_TXN_STATE' || type === 'INVALID_PRODUCER_ID_MAPPING') {
          return false;
        }
        if (Date.now() + delay > deadline) throw this.fail(`cannot commit Kafka transaction "${transactionalId}"`, err);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  /**
   * Reads the partitions `select` picks, from the offsets `startOffset` gives, with read_committed
   * isolation. kafkajs consumers always belong to a group, so this one joins a private group of its
   * own (nobody else ever joins it, so a killed member blocks nothing) whose assignor hands the
   * single member exactly the selected partitions. The start offsets are applied with `seek` after
   * every assignment (the private group never commits offsets); partitions without one start at
   * the earliest offset.
   */
  async fetch(o: FetcherOptions): Promise<PartitionFetcher> {
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
          memberAssignment: AssignerProtocol.MemberAssignment.encode({ version: 0, assignment: { [topic]: mine }, userData: Buffer.alloc(0) }),
        }));
      },
      protocol({ topics }) {
        return { name: 'FlinkxStaticAssigner', metadata: AssignerProtocol.MemberMetadata.encode({ version: 0, topics, userData: Buffer.alloc(0) }) };
      },
    });
    const consumer: Consumer = this.kafka.consumer({
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
      if (!closed) o.onError(this.fail(`the consumer of Kafka topic "${topic}" failed`, payload.error));
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
          const records: KafkaRecord[] = batch.messages.map((m) => ({ offset: Number(m.offset), timestamp: Number(m.timestamp), key: m.key, value: m.value }));
          o.onBatch({ partition: batch.partition, records, next: Number(batch.lastOffset()) + 1 });
        },
      });
    } catch (err) {
      await close();
      throw this.fail(`cannot consume Kafka topic "${topic}"`, err);
    }
    this.closers.add(close);
    return {
      pause: (partitions) => {
        if (!closed && partitions.length > 0) consumer.pause([{ topic, partitions }]);
      },
      resume: (partitions) => {
        if (!closed && partitions.length > 0) consumer.resume([{ topic, partitions }]);
      },
      close: async () => {
        this.closers.delete(close);
        await close();
      },
    };
  }

  /** A producer for plain and at-least-once sinks: acks from all in-sync replicas, one request in flight (keeps order). */
  async producer(): Promise<PlainProducer> {
    const producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
      allowAutoTopicCreation: false,
      maxInFlightRequests: 1,
      retry: RETRY,
    });
    try {
      await producer.connect();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw this.fail('cannot connect a producer to the Kafka brokers', err);
    }
    const close = () => producer.disconnect().catch(() => undefined);
    this.closers.add(close);
    return {
      send: async (topic, messages) => {
        try {
          await producer.send({ topic, acks: -1, messages });
        } catch (err) {
          throw this.fail(`cannot write to Kafka topic "${topic}"`, err);
        }
      },
      close: async () => {
        this.closers.delete(close);
        await close();
      },
    };
  }

  /**
   * A new producer with this transactional id, with its transaction begun. Initializing it aborts
   * whatever transaction an earlier producer with the same id left open, and bumps the epoch, so
   * (id, producer id, epoch) names this one transaction.
   */
  async transaction(transactionalId: string, transactionTimeout: number): Promise<KafkaTransaction> {
    const producer: Producer = this.kafka.producer({
      createPartitioner: Partitioners.DefaultPartitioner,
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
      throw this.fail(`cannot start Kafka transaction "${transactionalId}"`, err);
    } finally {
      producerIds.delete(transactionalId);
      if (initializing.get(transactionalId) === mine) initializing.delete(transactionalId);
      done();
    }
    if (!ids) {
      await producer.disconnect().catch(() => undefined);
      throw new ConnectorError(`Kafka transaction "${transactionalId}": the producer id was not seen (kafkajs internals changed?)`);
    }
    const close = () => producer.disconnect().catch(() => undefined);
    this.closers.add(close);
    return {
      transactionalId,
      producerId: ids.producerId,
      producerEpoch: ids.producerEpoch,
      send: async (topic, messages) => {
        try {
          await tx.send({ topic, acks: -1, messages });
        } catch (err) {
          throw this.fail(`cannot write to Kafka topic "${topic}" in transaction "${transactionalId}"`, err);
        }
      },
      commit: async () => {
        try {
          await tx.commit();
        } catch (err) {
          throw this.fail(`cannot commit Kafka transaction "${transactionalId}"`, err);
        }
      },
      abort: async () => {
        try {
          if (tx.isActive()) await tx.abort();
        } catch (err) {
          throw this.fail(`cannot abort Kafka transaction "${transactionalId}"`, err);
        }
      },
      close: async () => {
        this.closers.delete(close);
        await close();
      },
    };
  }

  async close(): Promise<void> {
    const closers = [...this.closers];
    this.closers.clear();
    await Promise.all(closers.map((c) => c()));
    const admin = this.adminClient;
    this.adminClient = undefined;
    this.adminConnecting = undefined;
    await admin?.disconnect().catch(() => undefined);
    const cluster = this.cluster;
    this.cluster = undefined;
    await cluster?.then((c) => c.disconnect()).catch(() => undefined);
  }
}
