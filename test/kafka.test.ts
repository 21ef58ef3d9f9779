/**
 * The Kafka connectors against a real broker, with a real cluster (JM + 2 TMs × 2 slots):
 * Kafka → word count → Kafka at parallelism 4, a TaskManager SIGKILLed after a completed
 * checkpoint, and the output read back by an independent read_committed consumer.
 *
 * Uses the broker(s) named by KAFKA_BROKERS (comma separated); when unset, starts its own with
 * deploy/kafka/start.sh on free ports and a temp data dir, and stops it afterwards.
 *
 *   npx tsc -p tsconfig.json && npx jest test/kafka.test.ts
 *
 * Over 300 lines because its cases share one broker and one cluster (started once, in beforeAll);
 * a second file would start them again.
 */
import { execFile } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import type { FetchBuffer } from '../taskmanager/connectors/kafka/fetch-buffer';
import { KafkaSource } from '../taskmanager/connectors/kafka/kafka-source';
import { TransactionalKafkaSink } from '../taskmanager/connectors/kafka/transactional-kafka-sink';
import type { SubtaskInfo } from '../taskmanager/connectors/types';
import { Cluster, ROOT, freePort, tempDir, waitFor, writePacedJob } from './harness';
import { logCreator, produceText, readCommitted, unique } from './kafka-io';

jest.setTimeout(600_000);

const KAFKA_DIR = join(ROOT, 'deploy', 'kafka');
let brokers: string[] = [];
let ownDataDir: string | undefined;
let kafka: Kafka;
let admin: Admin;
let cluster: Cluster;

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

beforeAll(async () => {
  const fromEnv = process.env.KAFKA_BROKERS?.trim();
  if (fromEnv) {
    brokers = fromEnv
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
  } else {
    ownDataDir = tempDir('flinkx-kafka-');
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const out = await run(
      join(KAFKA_DIR, 'start.sh'),
      ['--port', String(port), '--controller-port', String(controllerPort), '--data-dir', ownDataDir],
      175_000,
    );
    brokers = [out.trim().split('\n').pop()!.trim()];
  }
  kafka = new Kafka({ clientId: 'flinkx-kafka-test', brokers, logLevel: logLevel.WARN, logCreator });
  admin = kafka.admin();
  await admin.connect();
  cluster = await Cluster.start([2, 2], ['--heartbeat-timeout', '3000']);
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  await admin?.disconnect().catch(() => undefined);
  if (ownDataDir) {
    await run(join(KAFKA_DIR, 'stop.sh'), ['--data-dir', ownDataDir], 60_000).catch(() => undefined);
    rmSync(ownDataDir, { recursive: true, force: true });
  }
}, 90_000);

async function createTopic(topic: string, numPartitions: number): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions, replicationFactor: 1 }], waitForLeaders: true });
  await waitFor(
    `leaders of ${topic}`,
    async () => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = md.topics[0]?.partitions ?? [];
      return parts.length === numPartitions && parts.every((p) => p.leader >= 0) ? true : undefined;
    },
    60_000,
  );
}

/** Milliseconds each source subtask blocks per line until the kill (test/harness.ts's paceModule). */
const PACE_MS = 1;

/** The word count; `paced` (pace.js beside the job file) slows the sources until it is released. */
function wordcountJob(input: string, output: string, groupId: string, mode: 'exactly-once' | 'at-least-once') {
  return {
    name: `kafka-wordcount-${mode}`,
    parallelism: 4,
    functions: 'pace.js',
    checkpointing: { interval: 200, mode },
    restart: { attempts: 5, delay: 200 },
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'kafka', brokers, topic: input, bounded: true, groupId } },
      { id: 'paced', type: 'map', inputs: ['lines'], fn: 'pace' },
      { id: 'words', type: 'flatMap', inputs: ['paced'], fn: 'tokenize' },
      { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
      {
        id: 'out',
        type: 'sink',
        inputs: ['counts'],
        connector: { kind: 'kafka', brokers, topic: output, format: 'json', key: 'word' },
      },
    ],
  };
}

function writeJob(job: unknown): string {
  const path = join(tempDir(), 'job.json');
  writeFileSync(path, JSON.stringify(job, null, 2));
  return path;
}

/** Once a checkpoint of the running job has completed, SIGKILL a TaskManager and start a new one. */
async function killTaskManagerAfterCheckpoint(jobId: string): Promise<void> {
  await waitFor(
    'a completed checkpoint',
    async () => {
      const job = await cluster.get(`/jobs/${jobId}`);
      if (job.state !== 'RUNNING') throw new Error(`job is ${job.state} before any checkpoint completed`);
      const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
      return cps.history?.some((c: { status: string }) => c.status === 'COMPLETED') ? true : undefined;
    },
    120_000,
  );
  const victim = cluster.procs.slice(1).find((p) => p.alive)!;
  victim.kill('SIGKILL');
  cluster.startTaskManager(2);
}

async function runWordcount(mode: 'exactly-once' | 'at-least-once', lines: number, seed: number) {
  const input = unique('lines');
  const output = unique('word-counts');
  const groupId = unique('flinkx-wc');
  await createTopic(input, 4);
  await createTopic(output, 4);
  const expected = await produceText(kafka, input, lines, seed, 4);

  // Paced until the kill, so that it surely lands mid-job; then the rest runs at full speed.
  const { jobFile, release } = writePacedJob(tempDir(), wordcountJob(input, output, groupId, mode), PACE_MS);
  const jobId = await cluster.submit(jobFile);
  await killTaskManagerAfterCheckpoint(jobId);
  release();
  const job = await cluster.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 400_000);
  if (job.state !== 'FINISHED') throw new Error(`job ${job.state}: ${JSON.stringify(job.failure ?? job.exceptions)}`);
  expect(job.restarts).toBeGreaterThanOrEqual(1);
  await cluster.waitForTaskManagers(2);
  if (process.env.KAFKA_TEST_DEBUG) {
    const cps = await cluster.get(`/jobs/${jobId}/checkpoints`);
    console.log(
      JSON.stringify({
        exceptions: job.exceptions,
        history: cps.history
          .slice(-200)
          .map((c: any) => `${c.id}:${c.attempt}:${c.status}`)
          .join(' '),
      }),
    );
    console.log(
      cluster.procs
        .map((p) =>
          p.output
            .split('\n')
            .filter((l) => /restor|lost|kafka/i.test(l))
            .join('\n'),
        )
        .join('\n----\n'),
    );
  }

  // The source committed its offsets to the group: the end of the input topic.
  const [committed] = await admin.fetchOffsets({ groupId, topics: [input] });
  const ends = await admin.fetchTopicOffsets(input);
  expect(Object.fromEntries(committed.partitions.map((p) => [p.partition, p.offset]))).toEqual(
    Object.fromEntries(ends.map((o) => [o.partition, o.high])),
  );
  const { byKey, misKeyed } = await readCommitted(kafka, admin, output, 180_000);
  expect(misKeyed).toEqual([]);
  return { expected, output: byKey };
}

test('exactly-once: Kafka → word count → Kafka with a TaskManager killed; each count is written once, in order', async () => {
  // 12 500 lines per source subtask: ≈ 12 s of pacing at least, for one checkpoint and the kill.
  const { expected, output } = await runWordcount('exactly-once', 50_000, 7);
  expect(output.size).toBe(expected.size);
  const wrong: string[] = [];
  for (const [word, n] of expected) {
    const values = output.get(word) ?? [];
    const inOrder = values.length === n && values.every((v, i) => v === i + 1);
    if (!inOrder && wrong.length < 10)
      wrong.push(`${word}: expected 1..${n}, got ${values.length} values, last ${values[values.length - 1]}`);
  }
  expect(wrong).toEqual([]);
});

test('at-least-once: no word is missing and no count is below the truth', async () => {
  const { expected, output } = await runWordcount('at-least-once', 50_000, 8);
  const wrong: string[] = [];
  for (const [word, n] of expected) {
    const values = output.get(word);
    const last = values?.[values.length - 1];
    if ((last === undefined || last < n) && wrong.length < 10) wrong.push(`${word}: expected ≥ ${n}, got ${last}`);
  }
  expect(wrong).toEqual([]);
  expect([...output.keys()].filter((w) => !expected.has(w))).toEqual([]);
});

test('a topic that does not exist fails the job with a message naming the topic', async () => {
  const missing = unique('no-such-topic');
  const output = unique('unused');
  await createTopic(output, 1);
  const job = {
    name: 'missing-topic',
    parallelism: 2,
    restart: { attempts: 0 },
    nodes: [
      { id: 'in', type: 'source', connector: { kind: 'kafka', brokers, topic: missing, bounded: true } },
      { id: 'out', type: 'sink', inputs: ['in'], connector: { kind: 'kafka', brokers, topic: output } },
    ],
  };
  const t0 = Date.now();
  const jobId = await cluster.submit(writeJob(job));
  const failed = await cluster.waitForState(jobId, ['FAILED', 'FINISHED'], 60_000);
  expect(failed.state).toBe('FAILED');
  expect(failed.failure.message).toContain(`Kafka topic "${missing}" does not exist`);
  expect(Date.now() - t0).toBeLessThan(30_000);
  // Not created as a side effect.
  expect(await admin.listTopics()).not.toContain(missing);
  expect(cluster.cli(['status', jobId]).stdout).toContain(missing);
});

test('an unreachable broker fails the job within 30 s with a clear error', async () => {
  const dead = `127.0.0.1:${await freePort()}`;
  const job = {
    name: 'dead-broker',
    parallelism: 1,
    restart: { attempts: 0 },
    nodes: [
      { id: 'in', type: 'source', connector: { kind: 'generator', count: 10 } },
      { id: 'out', type: 'sink', inputs: ['in'], connector: { kind: 'kafka', brokers: [dead], topic: 'anything' } },
    ],
  };
  const t0 = Date.now();
  const jobId = await cluster.submit(writeJob(job));
  const failed = await cluster.waitForState(jobId, ['FAILED', 'FINISHED'], 60_000);
  expect(failed.state).toBe('FAILED');
  expect(failed.failure.message).toContain(`Kafka at ${dead}`);
  expect(Date.now() - t0).toBeLessThan(30_000);
});

describe('the Kafka source on its own', () => {
  const task = (over: Partial<SubtaskInfo> = {}): SubtaskInfo => ({
    jobId: unique('job'),
    node: 'src',
    subtask: 0,
    parallelism: 1,
    attempt: 0,
    mode: undefined,
    ...over,
  });
  const source = (topic: string, over: Record<string, unknown> = {}, t = task()) =>
    new KafkaSource(
      { kind: 'kafka', brokers, topic, startFrom: 'earliest', format: 'string', bounded: true, ...over } as never,
      t,
    );

  async function drain(s: KafkaSource, max = 1_000): Promise<unknown[]> {
    const out: unknown[] = [];
    for (;;) {
      const batch = await s.read(max);
      if (batch === null) return out;
      out.push(...batch);
    }
  }

  test('a value that is not JSON fails with topic, partition and offset', async () => {
    const topic = unique('bad-json');
    await createTopic(topic, 1);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    await producer.send({ topic, messages: [{ value: '{"ok":1}' }, { value: 'not json' }] });
    await producer.disconnect();
    const s = source(topic, { format: 'json' });
    try {
      await expect(drain(s)).rejects.toThrow(
        `Kafka topic "${topic}" partition 0 offset 1: the message value is not valid JSON`,
      );
    } finally {
      await s.close();
    }
  });

  test('bounded: reads to the end seen at start, in order, buffering a bounded number of records; position and restore', async () => {
    const topic = unique('bounded');
    await createTopic(topic, 1);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const N = 60_000;
    for (let i = 0; i < N; i += 2_000) {
      // ~200 B each, 12 MB in all: several fetches' worth.
      await producer.send({
        topic,
        acks: -1,
        messages: Array.from({ length: 2_000 }, (_, j) => ({ value: String(i + j).padEnd(200, '.') })),
      });
    }
    const s = source(topic);
    try {
      const first = await waitFor(
        'the first records',
        async () => {
          const r = await s.read(100);
          return r && r.length > 0 ? r : undefined;
        },
        60_000,
      );
      expect(first[0]).toBe('0'.padEnd(200, '.'));
      // Nobody reads for a while: the consumer is paused instead of buffering the whole topic.
      await new Promise((r) => setTimeout(r, 2_000));
      expect((s as unknown as { buffer: FetchBuffer }).buffer.buffered).toBeLessThan(45_000);
      const rest = await drain(s);
      await producer.send({ topic, messages: [{ value: 'after the end' }] });
      expect([...first, ...rest]).toEqual(Array.from({ length: N }, (_, i) => String(i).padEnd(200, '.')));
      expect(s.position(1)).toEqual({ offsets: { 0: N }, ends: { 0: N } });
    } finally {
      await s.close();
      await producer.disconnect();
    }
    // A restored source continues from the position, here past the old end.
    const again = source(topic, { bounded: false });
    again.restore({ offsets: { 0: N } });
    try {
      expect(
        await waitFor(
          'the record after the end',
          async () => {
            const r = await again.read(10);
            return r && r.length > 0 ? r : undefined;
          },
          60_000,
        ),
      ).toEqual(['after the end']);
    } finally {
      await again.close();
    }
  });

  test('unbounded: partitions added to the topic are picked up', async () => {
    const topic = unique('grow');
    await createTopic(topic, 1);
    const s = source(topic, { bounded: false, startFrom: 'latest' });
    let producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      expect(await s.read(10)).toEqual([]);
      await producer.send({ topic, messages: [{ value: 'p0', partition: 0 }] });
      expect(await waitFor('p0', async () => ((await s.read(10))?.length ? ['p0'] : undefined), 60_000)).toEqual([
        'p0',
      ]);
      await admin.createPartitions({ topicPartitions: [{ topic, count: 3 }] });
      await waitFor(
        '3 partitions with leaders',
        async () => {
          const md = await admin.fetchTopicMetadata({ topics: [topic] });
          return md.topics[0].partitions.length === 3 && md.topics[0].partitions.every((p) => p.leader >= 0)
            ? true
            : undefined;
        },
        60_000,
      );
      // A kafkajs producer silently drops messages for partitions its metadata does not know yet.
      await producer.disconnect();
      producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
      await producer.connect();
      await producer.send({ topic, messages: [{ value: 'p2', partition: 2 }] });
      const got: unknown[] = [];
      await waitFor(
        'the record in the new partition',
        async () => {
          got.push(...((await s.read(10)) ?? []));
          return got.includes('p2') ? true : undefined;
        },
        30_000,
      );
      // Partition 1 has no position yet: a restore would start it at its earliest offset.
      expect(s.position()).toEqual({ offsets: { 0: 1, 2: 1 } });
    } finally {
      await producer.disconnect();
      await s.close();
    }
  });
});

describe('the exactly-once Kafka sink on its own', () => {
  /** `p`'s value if it settles within `ms`, else 'timed out'. */
  async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timed out'> {
    let timer: NodeJS.Timeout | undefined;
    try {
      return await Promise.race([p, new Promise<'timed out'>((r) => (timer = setTimeout(() => r('timed out'), ms)))]);
    } finally {
      clearTimeout(timer);
    }
  }

  test('close() with a commit under way and transactions open ends without waiting for kafkajs retries or timeouts', async () => {
    const topic = unique('sink-close');
    await createTopic(topic, 1);
    const task: SubtaskInfo = {
      jobId: unique('job'),
      node: 'out',
      subtask: 0,
      parallelism: 1,
      attempt: 0,
      mode: undefined,
    };
    const s = new TransactionalKafkaSink(
      {
        kind: 'kafka',
        brokers,
        topic,
        startFrom: 'earliest',
        format: 'string',
        bounded: false,
        transactionTimeout: 60_000,
      },
      task,
    );
    await s.write(['a']);
    await s.snapshot(1);
    await s.write(['b']);
    // Checkpoint 1 completes just before the task fails: its commit is connecting to the coordinator when close() severs the client.
    const commit = s.commit(1).catch((err: Error) => err);
    const client = (s as unknown as { client: { cluster?: Promise<unknown> } }).client;
    // close() as soon as the commit starts connecting (polling at intervals would let it finish).
    for (const deadline = Date.now() + 10_000; !client.cluster;) {
      if (Date.now() > deadline) throw new Error('the commit did not start connecting');
      await new Promise((r) => setImmediate(r));
    }
    // Waiting for kafkajs takes 4 to 10 s: a request's timeout, or its connection retries against refused sockets.
    expect(await within(s.close(), 2_000)).not.toBe('timed out');
    await commit;
  });
});
