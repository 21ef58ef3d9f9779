/**
 * Our own thin interface to Kafka, so the client library (kafkajs 2.2.4 today) can be replaced in
 * this folder. The Kafka connectors use only KafkaClient: metadata and offsets (the admin client),
 * fetchers (partition-fetcher.ts), producers (producers.ts), and two requests kafkajs has no public
 * API for, sent with its internal Cluster (kafkajs-workarounds.ts, item 3):
 *  - committing a group's offsets without being a member of it: the source commits its
 *    checkpointed offsets to the user's group for lag tools;
 *  - ending a transaction of a producer that no longer exists: a restored exactly-once sink
 *    commits the transactions its checkpoint lists as pending, whose commit may have been lost in
 *    the crash (what Flink's KafkaSink does with resumeTransaction).
 */
import { Socket } from 'node:net';
import type { Admin, ISocketFactory, Kafka } from 'kafkajs';
import { ConnectorError } from '../../../common/errors';
import { CONNECTION_TIMEOUT_MS, REQUEST_TIMEOUT_MS, RETRY, logCreator, reason } from './client-settings';
import { install, type InternalCluster } from './kafkajs-workarounds';
import { openFetcher, type FetcherOptions, type PartitionFetcher } from './partition-fetcher';
import { openProducer, openTransaction, type KafkaTransaction, type PlainProducer } from './producers';
import { classifyCommitError, retryTransient, type RetryTime } from './transaction-commit';

export class KafkaClient {
  private readonly kafka: Kafka;
  private adminClient: Admin | undefined;
  private adminConnecting: Promise<Admin> | undefined;
  private cluster: Promise<InternalCluster> | undefined;
  private readonly closers = new Set<() => Promise<void>>();
  /** The sockets of every producer, consumer and admin of this client, until they close. */
  private readonly sockets = new Set<Socket>();
  private severed = false;
  /** kafkajs's own socket factory, except that a severed client opens no socket. */
  private readonly socketFactory: ISocketFactory;

  constructor(
    readonly brokers: string[],
    readonly clientId: string,
  ) {
    const { lib, socketFactory } = install();
    const { Kafka, logLevel } = lib;
    const open = socketFactory() as ISocketFactory;
    this.socketFactory = (args) => {
      if (this.severed) {
        const refused = new Socket();
        process.nextTick(() => refused.destroy(new Error(`Kafka client ${clientId} is closed`)));
        return refused;
      }
      const socket = open(args) as Socket;
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
      return socket;
    };
    this.kafka = new Kafka({
      clientId,
      brokers,
      socketFactory: this.socketFactory,
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
  readonly fail = (what: string, err: unknown): ConnectorError => {
    if (err instanceof ConnectorError) return err;
    return new ConnectorError(`${what}: ${reason(err)} (${this.where})`, { cause: err });
  };

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
      const { Cluster } = install();
      const cluster = new Cluster({
        logger: this.kafka.logger(),
        socketFactory: this.socketFactory,
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
   * Commits offsets to a group that has no active members, without joining it (OffsetCommit with
   * generation -1 and an empty member id, as Java's admin client does). Lag tools
   * (`kafka-consumer-groups --describe`, admin fetchOffsets) see them.
   */
  async commitOffsets(groupId: string, topic: string, offsets: Map<number, number>): Promise<void> {
    if (offsets.size === 0) return;
    try {
      const cluster = await this.internalCluster();
      const coordinator = await cluster.findGroupCoordinator({
        groupId,
        coordinatorType: install().coordinatorTypes.GROUP,
      });
      const partitions = [...offsets].map(([partition, offset]) => ({ partition, offset: String(offset) }));
      const res = await coordinator.offsetCommit({
        groupId,
        groupGenerationId: -1,
        memberId: '',
        topics: [{ topic, partitions }],
      });
      const bad = res.responses.flatMap((r) => r.partitions).find((p) => p.errorCode !== 0);
      if (bad) throw new Error(`error code ${bad.errorCode} for partition ${bad.partition}`);
    } catch (err) {
      throw this.fail(`cannot commit offsets of Kafka topic "${topic}" to group "${groupId}"`, err);
    }
  }

  /**
   * Commits a transaction given its id, producer id and epoch (EndTxn), retrying transient errors
   * until `deadline` (transaction-commit.ts). EndTxn(commit) is idempotent: a transaction committed
   * already under that epoch answers success. "gone": the coordinator no longer has it under that
   * epoch, committed and its id used again, or aborted; the caller tells which.
   */
  async commitTransaction(
    transactionalId: string,
    producerId: string,
    producerEpoch: number,
    deadline: number,
    time: RetryTime,
  ): Promise<'committed' | 'gone'> {
    try {
      await retryTransient(
        async () => {
          const cluster = await this.internalCluster();
          const coordinator = await cluster.findGroupCoordinator({
            groupId: transactionalId,
            coordinatorType: install().coordinatorTypes.TRANSACTION,
          });
          await coordinator.endTxn({ producerId, producerEpoch, transactionalId, transactionResult: true });
        },
        { deadline, time, stopped: () => this.severed },
      );
      return 'committed';
    } catch (err) {
      if (classifyCommitError(err) === 'gone') return 'gone';
      throw this.fail(`cannot commit Kafka transaction "${transactionalId}"`, err);
    }
  }

  /** Reads the partitions `select` picks, from the offsets `startOffset` gives, with read_committed isolation. */
  async fetch(o: FetcherOptions): Promise<PartitionFetcher> {
    return this.tracked(await openFetcher(this.kafka, this.fail, o));
  }

  /** A producer for plain and at-least-once sinks. */
  async producer(): Promise<PlainProducer> {
    return this.tracked(await openProducer(this.kafka, this.fail));
  }

  /** A new producer with this transactional id, with its transaction begun (see producers.ts). */
  async transaction(transactionalId: string, transactionTimeout: number): Promise<KafkaTransaction> {
    return this.tracked(await openTransaction(this.kafka, this.fail, transactionalId, transactionTimeout));
  }

  /** Closed with the client unless closed before. */
  private tracked<T extends { close(): Promise<void> }>(resource: T): T {
    const close = resource.close.bind(resource);
    this.closers.add(close);
    return Object.assign(resource, {
      close: async () => {
        this.closers.delete(close);
        await close();
      },
    });
  }

  /**
   * From now on nothing of this client reaches a broker: its sockets are destroyed and no new one
   * is opened, so a request still being retried (against a broker that is away, say) fails instead
   * of landing later. What was in flight on a socket has an unknown outcome.
   */
  sever(): void {
    this.severed = true;
    // With an error: kafkajs rejects a socket's requests in flight on 'error' only. A socket
    // destroyed without one leaves them until their request timeout (10 s), and every disconnect
    // (so close()) waits for them.
    for (const socket of this.sockets) socket.destroy(new Error(`Kafka client ${this.clientId} is closed`));
    this.sockets.clear();
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
    const disconnected = cluster?.then((c) => c.disconnect()).catch(() => undefined);
    // Severed, it reaches no broker either way, and one still connecting fails only after kafkajs's
    // retries against refused sockets (seconds): not waited for.
    if (!this.severed) await disconnected;
  }
}
