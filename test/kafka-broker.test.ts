/**
 * Proves the dev Kafka broker from deploy/kafka works with the client we use (kafkajs 2.2.4):
 * plain produce/consume on a 4-partition topic, and transactions (commit, abort, read_committed).
 *
 * Uses the broker(s) named by KAFKA_BROKERS (comma separated). When unset, starts its own broker with
 * deploy/kafka/start.sh on free ports with a temp data dir, and stops it afterwards.
 *
 *   npx jest test/kafka-broker.test.ts
 *   KAFKA_BROKERS=$(deploy/kafka/start.sh) npx jest test/kafka-broker.test.ts
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import { waitFor } from './harness';

const KAFKA_DIR = resolve(__dirname, '..', 'deploy', 'kafka');
const START_TIMEOUT_MS = 180_000;

let brokers: string[] = [];
let ownDataDir: string | undefined;
let kafka: Kafka;
let admin: Admin;
const producers: Producer[] = [];
const consumers: Consumer[] = [];

function run(cmd: string, args: string[], timeoutMs: number): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolvePromise({ stdout, stderr });
    });
  });
}

/** A port nobody listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (addr && typeof addr === 'object' ? resolvePromise(addr.port) : reject(new Error('no port'))));
    });
  });
}

function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;
}

/** Creates a topic and waits out the short window in which its partitions have no leader yet. */
async function createTopic(topic: string, numPartitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  await waitFor(
    `leaders for all partitions of ${topic}`,
    async () => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = md.topics[0]?.partitions ?? [];
      return parts.length === numPartitions && parts.every((p) => p.leader >= 0 && p.partitionErrorCode === 0)
        ? true
        : undefined;
    },
    30_000,
  );
}

/** Starts a consumer from the beginning of `topic` and collects every message value it sees. */
async function collect(
  topic: string,
  opts: { readUncommitted: boolean },
): Promise<{ consumer: Consumer; seen: Array<{ value: string; partition: number }> }> {
  const consumer = kafka.consumer({
    groupId: uniqueName('kbt-group'),
    readUncommitted: opts.readUncommitted,
    maxWaitTimeInMs: 200,
  });
  consumers.push(consumer);
  const seen: Array<{ value: string; partition: number }> = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ partition, message }) => {
      seen.push({ value: message.value?.toString() ?? '', partition });
    },
  });
  return { consumer, seen };
}

/**
 * kafkajs logs at ERROR every retriable error response it then retries. A few are expected here and
 * dropped: on a fresh broker the first FindCoordinator/InitProducerId create and load the internal
 * __consumer_offsets / __transaction_state topics (COORDINATOR_NOT_AVAILABLE,
 * COORDINATOR_LOAD_IN_PROGRESS, NOT_COORDINATOR), and an AddPartitionsToTxn right after a commit/abort meets the
 * coordinator still writing that transaction's markers (CONCURRENT_TRANSACTIONS). If a retry never
 * succeeds, the kafkajs call throws and the test fails anyway. Everything else is printed.
 */
const EXPECTED_RETRIABLE =
  /coordinator is not available|coordinator is loading|not the correct coordinator|concurrent operation on the same transaction/;
const LEVEL_NAMES: Record<number, string> = { 1: 'ERROR', 2: 'WARN', 4: 'INFO', 5: 'DEBUG' };
const logCreator =
  () =>
  ({ level, log }: LogEntry): void => {
    const text = `${log.message} ${(log as { error?: string }).error ?? ''}`;
    if (EXPECTED_RETRIABLE.test(text)) return;
    const line = JSON.stringify({ level: LEVEL_NAMES[level] ?? level, ...log });
    if (level <= logLevel.ERROR) console.error(line);
    else console.warn(line);
  };

beforeAll(async () => {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    brokers = fromEnv
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
  } else {
    ownDataDir = mkdtempSync(join(tmpdir(), 'flinkx-kafka-test-'));
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const { stdout } = await run(
      join(KAFKA_DIR, 'start.sh'),
      ['--port', String(port), '--controller-port', String(controllerPort), '--data-dir', ownDataDir],
      START_TIMEOUT_MS - 5_000,
    );
    const lines = stdout.trim().split('\n');
    brokers = [lines[lines.length - 1]!.trim()];
    expect(brokers[0]).toBe(`127.0.0.1:${port}`);
  }
  kafka = new Kafka({ clientId: 'flinkx-kafka-broker-test', brokers, logLevel: logLevel.WARN, logCreator });
  admin = kafka.admin();
  await admin.connect();
}, START_TIMEOUT_MS);

afterAll(async () => {
  for (const c of consumers) await c.disconnect().catch(() => undefined);
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  if (ownDataDir) {
    await run(join(KAFKA_DIR, 'stop.sh'), ['--data-dir', ownDataDir], 60_000);
    rmSync(ownDataDir, { recursive: true, force: true });
  }
}, 90_000);

test('produces 1000 messages to a 4-partition topic and consumes them all back', async () => {
  const topic = uniqueName('kbt-plain');
  await createTopic(topic, 4);

  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  producers.push(producer);
  await producer.connect();
  const N = 1000;
  for (let start = 0; start < N; start += 100) {
    const messages = [];
    for (let i = start; i < start + 100; i++) messages.push({ key: `k${i}`, value: `m${i}` });
    await producer.send({ topic, acks: -1, messages });
  }

  const offsets = await admin.fetchTopicOffsets(topic);
  expect(offsets).toHaveLength(4);
  expect(offsets.reduce((sum, o) => sum + Number(o.high), 0)).toBe(N);
  // Keyed messages spread over every partition.
  expect(offsets.every((o) => Number(o.high) > 0)).toBe(true);

  const { consumer, seen } = await collect(topic, { readUncommitted: false });
  await waitFor(`${N} messages`, async () => (seen.length >= N ? true : undefined), 60_000);
  await consumer.stop();

  const values = new Set(seen.map((m) => m.value));
  expect(seen).toHaveLength(N); // no duplicates
  for (let i = 0; i < N; i++) expect(values.has(`m${i}`)).toBe(true);
  expect(new Set(seen.map((m) => m.partition)).size).toBe(4);
}, 120_000);

test('transactions: committed messages are visible to read_committed consumers, aborted ones are not', async () => {
  const topic = uniqueName('kbt-tx');
  const P = 4;
  await createTopic(topic, P);

  const producer = kafka.producer({
    transactionalId: uniqueName('kbt-txid'),
    idempotent: true,
    maxInFlightRequests: 1,
    transactionTimeout: 10_000,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  producers.push(producer);
  await producer.connect();

  // Every transaction writes 5 messages to every partition, so in each partition the aborted batch
  // sits between two committed ones: seeing the last committed batch means the aborted one was passed.
  const batch = (tag: string) =>
    Array.from({ length: P }, (_, partition) =>
      Array.from({ length: 5 }, (_, i) => ({
        partition,
        key: `${tag}-${partition}-${i}`,
        value: `${tag}-${partition}-${i}`,
      })),
    ).flat();

  const tx1 = await producer.transaction();
  await tx1.send({ topic, messages: batch('c1') });
  await tx1.commit();

  const tx2 = await producer.transaction();
  await tx2.send({ topic, messages: batch('ab') });
  await tx2.abort();

  // The last transaction also commits consumer-group offsets atomically (AddOffsetsToTxn +
  // TxnOffsetCommit), as an exactly-once read-process-write loop would.
  const offsetsGroup = uniqueName('kbt-txgroup');
  const tx3 = await producer.transaction();
  await tx3.send({ topic, messages: batch('c3') });
  await tx3.sendOffsets({
    consumerGroupId: offsetsGroup,
    topics: [{ topic, partitions: [{ partition: 0, offset: '42' }] }],
  });
  await tx3.commit();

  const groupOffsets = await waitFor(
    'the transactionally committed group offset',
    async () => {
      const [t] = await admin.fetchOffsets({ groupId: offsetsGroup, topics: [topic] });
      const p0 = t?.partitions.find((p) => p.partition === 0);
      return p0 && p0.offset !== '-1' ? p0.offset : undefined;
    },
    30_000,
  );
  expect(groupOffsets).toBe('42');

  const committed = [...batch('c1'), ...batch('c3')].map((m) => m.value);
  const aborted = batch('ab').map((m) => m.value);

  const rc = await collect(topic, { readUncommitted: false });
  await waitFor(
    'all committed messages (read_committed)',
    async () => {
      const got = new Set(rc.seen.map((m) => m.value));
      return committed.every((v) => got.has(v)) ? true : undefined;
    },
    60_000,
  );
  await rc.consumer.stop();
  const rcValues = rc.seen.map((m) => m.value);
  expect(rcValues.filter((v) => v.startsWith('ab-'))).toEqual([]);
  expect(rcValues.sort()).toEqual([...committed].sort());

  // Sanity check that the aborted records really were written: a read_uncommitted consumer sees them.
  const ru = await collect(topic, { readUncommitted: true });
  await waitFor(
    'all messages (read_uncommitted)',
    async () => {
      const got = new Set(ru.seen.map((m) => m.value));
      return [...committed, ...aborted].every((v) => got.has(v)) ? true : undefined;
    },
    60_000,
  );
  await ru.consumer.stop();
}, 120_000);
