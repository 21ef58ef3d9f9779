/**
 * The kafkajs internals kafkajs-workarounds.ts relies on, checked against the installed kafkajs:
 * an upgrade that renames, reshapes or fixes them fails here (then revisit that workaround).
 */
import { readFileSync } from 'node:fs';
import { dropAbortedRecords, install, type FetchResponse } from './kafkajs-workarounds';
import type { FetchedMessage } from './read-committed-filter';

const source = (path: string) => readFileSync(require.resolve(`kafkajs/src/${path}`), 'utf8');
const Encoder = require('kafkajs/src/protocol/encoder');
const Long = require('kafkajs/src/utils/long');
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0');
const Record = require('kafkajs/src/protocol/recordBatch/record/v0');
const Batch = require('kafkajs/src/consumer/batch') as new (
  topic: string,
  fetchedOffset: string,
  partitionData: unknown,
) => {
  messages: { offset: string }[];
  isEmpty(): boolean;
  lastOffset(): string;
};

/** A record batch of `count` records from `firstOffset`, as a broker sends it. */
async function recordBatch(
  firstOffset: number,
  count: number,
  producerId: number,
  transactional: boolean,
): Promise<Buffer> {
  const records = Array.from({ length: count }, (_, i) =>
    Record({ offsetDelta: i, key: null, value: Buffer.from(`v${firstOffset + i}`) }),
  );
  const encoder = await RecordBatch({
    firstOffset: Long.fromValue(firstOffset),
    lastOffsetDelta: count - 1,
    transactional,
    producerId: Long.fromValue(producerId),
    records,
  });
  return encoder.buffer;
}

/** A Fetch v11 response (the version kafkajs uses with current brokers) for one partition. */
function fetchV11Response(
  topic: string,
  aborted: { producerId: number; firstOffset: number }[],
  records: Buffer,
  highWatermark: number,
): Buffer {
  const e = new Encoder().writeInt32(0).writeInt16(0).writeInt32(0);
  e.writeInt32(1).writeString(topic);
  e.writeInt32(1).writeInt32(0).writeInt16(0).writeInt64(highWatermark).writeInt64(highWatermark).writeInt64(0);
  e.writeInt32(aborted.length);
  for (const a of aborted) e.writeInt64(a.producerId).writeInt64(a.firstOffset);
  e.writeInt32(-1).writeBytes(records);
  return e.buffer;
}

const tx = (offset: number, producerId: string): FetchedMessage => ({
  offset: String(offset),
  key: null,
  batchContext: { producerId, inTransaction: true },
});
const abortMarker = (offset: number, producerId: string): FetchedMessage => ({
  ...tx(offset, producerId),
  key: Buffer.from([0, 0, 0, 0]),
  isControlRecord: true,
});

describe('install', () => {
  // First in this file: nothing has installed the workarounds in this module registry yet.
  test('wraps Broker.prototype.fetch and initProducerId once, however often it is called', () => {
    const Broker = require('kafkajs/src/broker') as { prototype: Record<string, unknown> };
    const original = { fetch: Broker.prototype.fetch, initProducerId: Broker.prototype.initProducerId };
    const first = install();
    const wrapped = { fetch: Broker.prototype.fetch, initProducerId: Broker.prototype.initProducerId };
    expect(wrapped.fetch).not.toBe(original.fetch);
    expect(wrapped.initProducerId).not.toBe(original.initProducerId);
    expect(install()).toBe(first);
    expect(Broker.prototype.fetch).toBe(wrapped.fetch);
    expect(Broker.prototype.initProducerId).toBe(wrapped.initProducerId);
    expect(first.lib).toBe(require('kafkajs'));
  });
});

describe('kafkajs workaround 1: read_committed filter', () => {
  test('a real Fetch response decodes to the shape the fix reads, and Batch then hides exactly the aborted records', async () => {
    install();
    const records = Buffer.concat([
      await recordBatch(0, 2, 7, true),
      await recordBatch(2, 2, 8, true),
      await recordBatch(4, 1, -1, false),
    ]);
    const { decode, parse } = require('kafkajs/src/protocol/requests/fetch/v11/response');
    const response = (await parse(
      await decode(fetchV11Response('t', [{ producerId: 7, firstOffset: 0 }], records, 5)),
    )) as FetchResponse;
    const partition = response.responses[0].partitions[0];
    expect(partition.abortedTransactions).toEqual([{ producerId: '7', firstOffset: '0' }]);
    expect(
      partition.messages.map((m) => [
        m.offset,
        m.batchContext.producerId,
        m.batchContext.inTransaction,
        m.isControlRecord,
      ]),
    ).toEqual([
      ['0', '7', true, false],
      ['1', '7', true, false],
      ['2', '8', true, false],
      ['3', '8', true, false],
      ['4', '-1', false, false],
    ]);
    dropAbortedRecords(response);
    expect(partition.abortedTransactions).toEqual([]);
    const batch = new Batch('t', '0', partition);
    expect(batch.messages.map((m) => m.offset)).toEqual(['2', '3', '4']);
    expect(batch.lastOffset()).toBe('4');
  });

  test('a fetch of nothing but aborted records is empty and still moves the position past them', () => {
    const response: FetchResponse = {
      responses: [
        {
          topicName: 't',
          partitions: [
            {
              partition: 0,
              abortedTransactions: [{ producerId: '1', firstOffset: '3' }],
              messages: [tx(3, '1'), tx(4, '1'), abortMarker(5, '1')],
            },
          ],
        },
      ],
    };
    dropAbortedRecords(response);
    const batch = new Batch('t', '3', response.responses[0].partitions[0]);
    expect(batch.isEmpty()).toBe(true);
    expect(batch.lastOffset()).toBe('5');
  });

  test("kafkajs's own filter still leaks records of aborted transactions (else the workaround can go)", () => {
    const own = require('kafkajs/src/consumer/filterAbortedMessages') as (a: {
      messages: FetchedMessage[];
      abortedTransactions: unknown[];
    }) => FetchedMessage[];
    // Three producers' aborted transactions are open at the first record of the fetch.
    const messages = [
      tx(10, '3'),
      tx(11, '1'),
      tx(12, '2'),
      abortMarker(13, '1'),
      abortMarker(14, '2'),
      abortMarker(15, '3'),
    ];
    const abortedTransactions = [
      { producerId: '1', firstOffset: '2' },
      { producerId: '2', firstOffset: '5' },
      { producerId: '3', firstOffset: '7' },
    ];
    expect(
      own({ messages, abortedTransactions })
        .filter((m) => !m.isControlRecord)
        .map((m) => m.offset),
    ).toEqual(['10']);
  });

  test('the consumer builds each Batch from broker.fetch partitions, and Batch passes abortedTransactions to the filter, then drops control records', () => {
    const group = source('consumer/consumerGroup.js');
    expect(group).toMatch(/await broker\.fetch\(\{[\s\S]*?isolationLevel: this\.isolationLevel/);
    expect(group).toContain('new Batch(topicName, fetchedOffset, partitionData)');
    const batch = source('consumer/batch.js');
    expect(batch).toContain('const { abortedTransactions, messages } = partitionData');
    expect(batch).toMatch(
      /filterAbortedMessages\(\{\s*messages: this\.messagesWithinOffset,\s*abortedTransactions,\s*\}\)\.filter\(message => !message\.isControlRecord\)/,
    );
    expect(require('kafkajs/src/protocol/isolationLevel')).toEqual({ READ_UNCOMMITTED: 0, READ_COMMITTED: 1 });
  });
});

describe('kafkajs workaround 2: producer id and epoch of a transactional producer', () => {
  test('the eosManager asks a broker with initProducerId({ transactionalId, transactionTimeout }) and keeps its producerId and producerEpoch', () => {
    const eos = source('producer/eosManager/index.js');
    expect(eos).toMatch(
      /await broker\.initProducerId\(\{\s*transactionalId: transactional \? transactionalId : undefined,\s*transactionTimeout,\s*\}\)/,
    );
    expect(eos).toMatch(/producerId = result\.producerId\s*producerEpoch = result\.producerEpoch/);
    expect(source('broker/index.js')).toContain('async initProducerId({ transactionalId, transactionTimeout }) {');
  });

  test('an InitProducerId response decodes to { producerId, producerEpoch }', async () => {
    const { decode } = require('kafkajs/src/protocol/requests/initProducerId/v0/response');
    const raw = new Encoder().writeInt32(0).writeInt16(0).writeInt64(4242).writeInt16(3).buffer;
    expect(await decode(raw)).toEqual({ throttleTime: 0, errorCode: 0, producerId: '4242', producerEpoch: 3 });
  });
});

describe('kafkajs workaround 3: OffsetCommit and EndTxn through the internal Cluster', () => {
  test('Cluster, its coordinator lookup and the Broker requests have the shapes KafkaClient uses', () => {
    const { Cluster, socketFactory, coordinatorTypes } = install();
    for (const m of ['connect', 'disconnect', 'findGroupCoordinator'])
      expect(typeof (Cluster.prototype as unknown as Record<string, unknown>)[m]).toBe('function');
    const cluster = source('cluster/index.js');
    expect(cluster).toContain('async findGroupCoordinator({ groupId, coordinatorType = COORDINATOR_TYPES.GROUP }) {');
    const options = /constructor\(\{([\s\S]*?)\}\) \{/.exec(cluster)![1];
    for (const o of [
      'logger',
      'socketFactory',
      'brokers',
      'clientId',
      'connectionTimeout',
      'requestTimeout',
      'retry',
      'allowAutoTopicCreation',
    ])
      expect(options).toMatch(new RegExp(`\\b${o}\\b`));
    expect(typeof socketFactory()).toBe('function');
    expect(coordinatorTypes).toEqual({ GROUP: 0, TRANSACTION: 1 });
    const broker = source('broker/index.js');
    expect(broker).toContain('async offsetCommit({ groupId, groupGenerationId, memberId, retentionTime, topics }) {');
    expect(broker).toContain('async endTxn({ transactionalId, producerId, producerEpoch, transactionResult }) {');
  });
});
