/**
 * Everything the Kafka connector does with kafkajs's internals (kafkajs 2.2.4), in one place.
 * `install()` is called by KafkaClient before it creates a client; it is idempotent, and it may
 * run after kafkajs is loaded (it patches prototypes, not the module cache). Each item names the
 * kafkajs bug or missing API it works around and the internals it relies on;
 * kafkajs-workarounds.test.ts checks those internals against the installed kafkajs, so an
 * upgrade that changes them fails there rather than in production.
 *
 * 1. Aborted records visible to read_committed consumers. kafkajs's filterAbortedMessages
 *    (src/consumer/filterAbortedMessages.js) activates at most one aborted transaction per record
 *    and expects the broker's list sorted: when one fetch covers several aborted transactions (a
 *    few transactional producers on one partition, as an exactly-once sink has), aborted records
 *    get through. Relies on: `Broker.prototype.fetch({ isolationLevel, ... })` (src/broker)
 *    resolving to `{ responses: [{ partitions: [{ abortedTransactions, messages }] }] }`, whose
 *    messages have `offset`, `key`, `isControlRecord` and `batchContext.{producerId,
 *    inTransaction}`; the consumer building a `Batch` from each partition, which passes
 *    `abortedTransactions` to that filter and then drops control records while keeping them in
 *    `messagesWithinOffset` (so its lastOffset still moves past them). The fix decides with
 *    read-committed-filter.ts, flags the aborted records as control records (so Batch drops them)
 *    and empties the list (so kafkajs's filter drops nothing on its own).
 * 2. No API for a transactional producer's id and epoch, which the exactly-once sink's checkpoint
 *    must hold to commit the transaction after a crash. Relies on: the producer's eosManager
 *    calling `Broker.prototype.initProducerId({ transactionalId, transactionTimeout })`, which
 *    resolves to `{ producerId, producerEpoch }`; the answers are recorded per transactional id.
 * 3. No API to commit a group's offsets without being a member of it (OffsetCommit with
 *    generation -1 and an empty member id, as Java's admin client does), nor to end a transaction
 *    of a producer that no longer exists (EndTxn with a recorded id and epoch, as Flink's KafkaSink
 *    does with resumeTransaction). Relies on: `src/cluster` (constructor options, `connect`,
 *    `disconnect`, `findGroupCoordinator({ groupId, coordinatorType })`),
 *    `src/network/socketFactory`, `src/protocol/coordinatorTypes` (GROUP, TRANSACTION) and
 *    `Broker.prototype.offsetCommit` / `endTxn`. Nothing is patched for this one.
 */
/* eslint-disable @typescript-eslint/no-require-imports */
import { ConnectorError } from '../../../common/errors';
import { abortedRecords, type AbortedTransaction, type FetchedMessage } from './read-committed-filter';

export interface InitProducerIdResult {
  producerId: string;
  producerEpoch: number;
}

export interface InternalBroker {
  offsetCommit(req: {
    groupId: string;
    groupGenerationId: number;
    memberId: string;
    topics: { topic: string; partitions: { partition: number; offset: string }[] }[];
  }): Promise<{ responses: { topic: string; partitions: { partition: number; errorCode: number }[] }[] }>;
  endTxn(req: {
    producerId: string;
    producerEpoch: number;
    transactionalId: string;
    transactionResult: boolean;
  }): Promise<unknown>;
}

export interface InternalCluster {
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  findGroupCoordinator(req: { groupId: string; coordinatorType?: number }): Promise<InternalBroker>;
}

/** A fetch response as kafkajs's Fetch decoders (v4 and later) give it. */
export interface FetchResponse {
  responses: {
    topicName: string;
    partitions: { partition: number; abortedTransactions?: AbortedTransaction[]; messages: FetchedMessage[] }[];
  }[];
}

/** kafkajs, with the workarounds installed, and the internals item 3 uses. */
export interface Kafkajs {
  lib: typeof import('kafkajs');
  Cluster: new (options: Record<string, unknown>) => InternalCluster;
  socketFactory: () => unknown;
  coordinatorTypes: { GROUP: number; TRANSACTION: number };
  /** Item 2: the latest InitProducerId answer per transactional id (the caller deletes what it took). */
  producerIds: Map<string, InitProducerIdResult>;
}

interface BrokerPrototype {
  fetch(this: unknown, args: { isolationLevel?: number }): Promise<FetchResponse>;
  initProducerId(
    this: unknown,
    args: { transactionalId?: string; transactionTimeout?: number },
  ): Promise<InitProducerIdResult>;
  offsetCommit?: unknown;
  endTxn?: unknown;
}

const READ_COMMITTED = 1; // src/protocol/isolationLevel
const INSTALLED = Symbol.for('flinkx.kafkajs-workarounds');

let installed: Kafkajs | undefined;

export function install(): Kafkajs {
  if (installed) return installed;
  const lib = require('kafkajs') as typeof import('kafkajs');
  const Broker = require('kafkajs/src/broker') as {
    prototype: BrokerPrototype & { [INSTALLED]?: Map<string, InitProducerIdResult> };
  };
  const proto = Broker.prototype;
  for (const name of ['fetch', 'initProducerId', 'offsetCommit', 'endTxn'] as const) {
    if (typeof proto[name] !== 'function')
      throw new ConnectorError(`kafkajs internals changed: Broker.prototype.${name} is not a function`);
  }
  // Another copy of this module (e.g. a test's) may have installed them on the same kafkajs already.
  let producerIds = proto[INSTALLED];
  if (!producerIds) {
    const ids = (producerIds = new Map<string, InitProducerIdResult>());
    // Item 1.
    const originalFetch = proto.fetch;
    proto.fetch = async function (this: unknown, args) {
      const response = await originalFetch.call(this, args);
      if (args?.isolationLevel === READ_COMMITTED) dropAbortedRecords(response);
      return response;
    };
    // Item 2.
    const originalInitProducerId = proto.initProducerId;
    proto.initProducerId = async function (this: unknown, args) {
      const result = await originalInitProducerId.call(this, args);
      if (args?.transactionalId)
        ids.set(args.transactionalId, { producerId: String(result.producerId), producerEpoch: result.producerEpoch });
      return result;
    };
    Object.defineProperty(proto, INSTALLED, { value: ids });
  }
  installed = {
    lib,
    Cluster: require('kafkajs/src/cluster') as Kafkajs['Cluster'],
    socketFactory: require('kafkajs/src/network/socketFactory') as Kafkajs['socketFactory'],
    coordinatorTypes: require('kafkajs/src/protocol/coordinatorTypes') as Kafkajs['coordinatorTypes'],
    producerIds,
  };
  return installed;
}

/** Item 1, on one fetch response (in place). */
export function dropAbortedRecords(response: FetchResponse): void {
  for (const topic of response?.responses ?? []) {
    for (const p of topic.partitions) {
      if (!p.abortedTransactions || p.abortedTransactions.length === 0) continue;
      for (const m of abortedRecords(p.messages, p.abortedTransactions)) m.isControlRecord = true;
      p.abortedTransactions = [];
    }
  }
}
