/**
 * Kafka input and output for the Kafka tests, done with kafkajs directly (not our connectors): the
 * test's own producer fills the input, and a read_committed consumer reads the output back.
 * readCommitted installs the connector's kafkajs workarounds first: kafkajs's own read_committed
 * filter lets aborted records through (taskmanager/connectors/kafka/kafkajs-workarounds.ts).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { logLevel, Partitioners, type Admin, type Kafka, type LogEntry } from 'kafkajs';
import { install as installKafkajsWorkarounds } from '../taskmanager/connectors/kafka/kafkajs-workarounds';
import { freePort, ROOT, tempDir, waitFor } from './harness';
import { expectedCounts, writeText } from './wordcount';

/** kafkajs's ERROR lines for retriable responses it then retries are expected; the rest is printed. */
const EXPECTED_RETRIABLE =
  /coordinator is not available|coordinator is loading|not the correct coordinator|concurrent operation|no leader/i;
export const logCreator =
  () =>
  ({ level, log }: LogEntry): void => {
    if (EXPECTED_RETRIABLE.test(`${log.message} ${(log as { error?: string }).error ?? ''}`)) return;
    if (level <= logLevel.WARN) console.warn(JSON.stringify({ level, ...log }));
  };

export const unique = (prefix: string) => `${prefix}-${Date.now()}-${randomBytes(3).toString('hex')}`;

/** `lines` lines of text (test/wordcount.ts writeText) produced round-robin over the partitions; the expected counts. */
export async function produceText(
  kafka: Kafka,
  topic: string,
  lines: number,
  seed: number,
  partitions: number,
): Promise<Map<string, number>> {
  const file = join(tempDir(), 'input.txt');
  writeText(file, lines, seed);
  const text = readFileSync(file, 'utf8');
  const all = text.split('\n');
  all.pop(); // after the last newline
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let i = 0; i < all.length; i += 5_000) {
      const messages = all.slice(i, i + 5_000).map((value, j) => ({ value, partition: (i + j) % partitions }));
      await producer.send({ topic, acks: -1, messages });
    }
  } finally {
    await producer.disconnect();
  }
  // The truth, computed here: lowercase, split on runs of non-letters/digits, empty pieces dropped.
  return expectedCounts(text);
}

/**
 * Every `{word, count}` message of `topic` a read_committed consumer sees, counts per word in offset
 * order, read until each partition is consumed up to its end offset (transaction markers included);
 * and messages whose key is not their word.
 */
export async function readCommitted(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  timeoutMs: number,
): Promise<{ byKey: Map<string, number[]>; misKeyed: string[] }> {
  installKafkajsWorkarounds();
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  const reached = new Map<number, number>();
  const byKey = new Map<string, number[]>();
  const misKeyed: string[] = [];
  const consumer = kafka.consumer({
    groupId: unique('flinkx-test-reader'),
    readUncommitted: false,
    maxWaitTimeInMs: 200,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
    reached.set(payload.partition, Math.max(reached.get(payload.partition) ?? 0, Number(payload.lastOffset) + 1));
  });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const key = m.key?.toString() ?? '';
        const value = JSON.parse(m.value!.toString()) as { word: string; count: number };
        if (value.word !== key && misKeyed.length < 10) misKeyed.push(`key ${key} holds ${m.value!.toString()}`);
        let list = byKey.get(value.word);
        if (!list) byKey.set(value.word, (list = []));
        list.push(value.count);
      }
    },
  });
  try {
    await waitFor(
      `the whole of ${topic}`,
      () => ([...ends].every(([p, end]) => end === 0 || (reached.get(p) ?? 0) >= end) ? true : undefined),
      timeoutMs,
    );
  } finally {
    await consumer.disconnect();
  }
  return { byKey, misKeyed };
}

/**
 * A test's OWN single-node broker (deploy/kafka/start.sh on a free port pair, a temp data dir), for
 * tests that stop or pause it: never the shared one KAFKA_BROKERS names.
 */
export class OwnBroker {
  private constructor(
    readonly dataDir: string,
    readonly address: string,
  ) {}

  static async start(): Promise<OwnBroker> {
    const dataDir = tempDir('flinkx-own-kafka-');
    const port = await freePort();
    let controller = await freePort();
    while (controller === port) controller = await freePort();
    const out = await runScript(
      'start.sh',
      ['--port', String(port), '--controller-port', String(controller), '--data-dir', dataDir],
      175_000,
    );
    return new OwnBroker(dataDir, out.trim().split('\n').pop()!.trim());
  }

  get brokers(): string[] {
    return [this.address];
  }

  private pid(): number {
    return Number(readFileSync(join(this.dataDir, 'kafka.pid'), 'utf8').trim());
  }

  /** SIGSTOP: the broker holds its connections and answers nothing until resumed. */
  pause(): void {
    process.kill(this.pid(), 'SIGSTOP');
  }

  resume(): void {
    process.kill(this.pid(), 'SIGCONT');
  }

  async stop(): Promise<void> {
    try {
      this.resume();
    } catch {
      // not running
    }
    await runScript('stop.sh', ['--data-dir', this.dataDir], 60_000);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

function runScript(script: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(join(ROOT, 'deploy', 'kafka', script), args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${script} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}
