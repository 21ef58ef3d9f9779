/**
 * The chaos run's Kafka side: its own broker (deploy/kafka/start.sh on free ports and its own data
 * dir, so a paused broker pauses nobody else), the seeded input producer, a read_committed tail of
 * the output that watches each word's changelog as it is committed, and the input read back (the
 * truth is what the input topic holds, not what the producer meant to send).
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type LogEntry, type Producer } from 'kafkajs';
import { mulberry32 } from '../../common/prng';
import { install as installKafkajsWorkarounds } from '../../taskmanager/connectors/kafka/kafkajs-workarounds';
import { logCreator, unique } from '../../test/kafka-io';
import { expectedCounts } from '../../test/wordcount';
import { freePort, ROOT } from '../processes';
import { ChangelogWatch } from './check';

const KAFKA_DIR = join(ROOT, 'deploy', 'kafka');
export const PARTITIONS = 4;

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout),
    ),
  );
}

export class Broker {
  private constructor(
    readonly address: string,
    readonly dataDir: string,
  ) {}

  static async start(dataDir: string): Promise<Broker> {
    const port = await freePort();
    let controllerPort = await freePort();
    while (controllerPort === port) controllerPort = await freePort();
    const out = await run(
      join(KAFKA_DIR, 'start.sh'),
      ['--port', String(port), '--controller-port', String(controllerPort), '--data-dir', dataDir],
      180_000,
    );
    return new Broker(out.trim().split('\n').pop()!.trim(), dataDir);
  }

  /** The broker's JVM, from start.sh's pid file. */
  get pid(): number {
    return Number(readFileSync(join(this.dataDir, 'kafka.pid'), 'utf8').trim());
  }

  async stop(): Promise<void> {
    try {
      process.kill(this.pid, 'SIGCONT'); // a paused broker would not stop
    } catch {
      // already gone
    }
    await run(join(KAFKA_DIR, 'stop.sh'), ['--data-dir', this.dataDir], 60_000);
  }
}

/** test/kafka-io.ts's, without the errors of createTopic's metadata polls while a new topic is not known yet. */
const chaosLogCreator = () => {
  const print = logCreator();
  return (entry: LogEntry) => {
    if (/does not host this topic-partition/.test((entry.log as { error?: string }).error ?? '')) return;
    print(entry);
  };
};

export function client(brokers: string[]): Kafka {
  return new Kafka({ clientId: 'flinkx-chaos', brokers, logLevel: logLevel.WARN, logCreator: chaosLogCreator });
}

export async function createTopic(admin: Admin, topic: string): Promise<void> {
  // Not kafkajs's waitForLeaders: its metadata poll gives up on a topic the broker does not know yet.
  await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    waitForLeaders: false,
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    let error = '';
    try {
      const parts = (await admin.fetchTopicMetadata({ topics: [topic] })).topics[0]?.partitions ?? [];
      if (parts.length === PARTITIONS && parts.every((p) => p.leader >= 0)) return;
    } catch (err) {
      error = `: ${(err as Error).message}`; // a fresh topic may be unknown to the metadata for a moment
    }
    if (Date.now() > deadline) throw new Error(`no leaders for ${topic} after 30 s${error}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Lines of text from a seeded generator: Unicode words, digits and punctuation runs, as test/wordcount.ts writeText. */
export function lineGenerator(seed: number): () => string {
  const vocab = ['alpha', 'Beta', 'γάμμα', 'Straße', '東京', 'naïve', 'x1', '42', 'flink', 'STREAM', 'über', 'ok'];
  for (let i = 0; i < 300; i++) vocab.push(`w${i}`);
  const seps = [' ', ', ', ' -- ', '!?', '\t', "'", '. '];
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
  return () => {
    let line = '';
    for (let w = 1 + Math.floor(rand() * 10); w > 0; w--) line += pick(vocab) + pick(seps);
    return line;
  };
}

/** Produces `linesPerSecond` seeded lines in ticks of 100 ms until stopped; a tick is skipped while the last send is still waiting (a paused broker). */
export class InputProducer {
  lines = 0;
  failedSends = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private readonly producer: Producer;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly linesPerSecond: number,
    seed: number,
    private readonly say: (line: string) => void,
  ) {
    this.producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.next = lineGenerator(seed);
  }
  private readonly next: () => string;

  async start(): Promise<void> {
    await this.producer.connect();
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const perTick = Math.max(1, Math.round(this.linesPerSecond / 10));
    let p = 0;
    while (!this.stopped) {
      const t0 = Date.now();
      const messages = Array.from({ length: perTick }, () => ({ value: this.next(), partition: p++ % PARTITIONS }));
      try {
        await this.producer.send({ topic: this.topic, acks: -1, messages });
        this.lines += perTick;
      } catch (err) {
        // Whether these reached the topic is unknown; the check's truth is the topic read back.
        this.failedSends++;
        this.say(
          `input: a send of ${perTick} lines failed (${(err as Error).message}); the check reads the input topic back`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 100 - (Date.now() - t0))));
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.producer.disconnect();
  }

  async disconnect(): Promise<void> {
    this.stopped = true;
    await this.producer.disconnect().catch(() => undefined);
  }
}

/** A read_committed consumer of the output from its beginning: each committed update goes through a ChangelogWatch. */
export class OutputTail {
  readonly watch = new ChangelogWatch();
  lastOutputAt = 0;
  /** Per partition, the next offset to look at: a consumer kafkajs restarts reads from the start again. */
  private readonly nextOffset = new Map<number, number>();
  /** What was out of step, when it arrived. */
  readonly anomalies: { at: number; what: string }[] = [];
  private consumer: Consumer | undefined;

  constructor(
    private readonly kafka: Kafka,
    private readonly topic: string,
    private readonly say: (line: string) => void,
  ) {}

  async start(): Promise<void> {
    installKafkajsWorkarounds(); // kafkajs's own read_committed filter lets aborted records through
    const consumer = this.kafka.consumer({
      groupId: unique('flinkx-chaos-tail'),
      readUncommitted: false,
      maxWaitTimeInMs: 200,
    });
    this.consumer = consumer;
    await consumer.connect();
    await consumer.subscribe({ topics: [this.topic], fromBeginning: true });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      this.say(
        `output tail: consumer crashed (${payload.error.message}); ${payload.restart ? 'kafkajs restarts it' : 'starting a new one'}`,
      );
      if (!payload.restart) {
        void consumer
          .disconnect()
          .catch(() => undefined)
          .then(() => this.start())
          .catch((err) => this.say(`output tail: restart failed: ${(err as Error).message}`));
      }
    });
    await consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const m of batch.messages) {
          if (Number(m.offset) < (this.nextOffset.get(batch.partition) ?? 0)) continue;
          this.nextOffset.set(batch.partition, Number(m.offset) + 1);
          const { word, count } = JSON.parse(m.value!.toString()) as { word: string; count: number };
          const wrong = this.watch.add(word, count);
          if (wrong && this.anomalies.length < 1000)
            this.anomalies.push({ at: Date.now(), what: `${wrong} (partition ${batch.partition} offset ${m.offset})` });
        }
        if (batch.messages.length > 0) this.lastOutputAt = Date.now();
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect().catch(() => undefined);
  }
}

/** Every line of the input topic up to its end offsets (a plain consumer: the producer is not transactional). */
export async function readInputCounts(
  kafka: Kafka,
  admin: Admin,
  topic: string,
  timeoutMs: number,
): Promise<{ counts: Map<string, number>; lines: number }> {
  const ends = new Map((await admin.fetchTopicOffsets(topic)).map((o) => [o.partition, Number(o.high)]));
  const reached = new Map<number, number>();
  const chunks: string[] = [];
  const consumer = kafka.consumer({ groupId: unique('flinkx-chaos-input'), maxWaitTimeInMs: 200 });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages)
        if (Number(m.offset) < (ends.get(batch.partition) ?? 0)) chunks.push(m.value!.toString());
      reached.set(batch.partition, Math.max(reached.get(batch.partition) ?? 0, Number(batch.lastOffset()) + 1));
    },
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (![...ends].every(([p, end]) => end === 0 || (reached.get(p) ?? 0) >= end)) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms reading the input topic back`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await consumer.disconnect();
  }
  return { counts: expectedCounts(chunks.join('\n')), lines: chunks.length };
}
