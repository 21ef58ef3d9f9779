/**
 * A Kafka broker stopped and restarted in the middle of a job: the job fails, restarts (from its
 * latest completed checkpoint) until the broker is back, and then FINISHES with nothing lost.
 *
 * Kafka (4-partition topic, 100 000 lines) → paced tokenize → sum by word → Kafka, parallelism 4,
 * on a real cluster (JM + 2 TMs × 2 slots), exactly-once checkpoints every 200 ms. Once a
 * checkpoint covering 10 % of the input has completed, the broker is stopped (deploy/kafka/stop.sh);
 * when the job has failed with a Kafka error, and an attempt restarted while the broker is away has
 * failed too, the broker is started again on the same port and data dir. The job must FINISH, and
 * an independent read_committed consumer of the output topic must see every word's counts exactly
 * as 1..n (the truth computed here from the input text).
 *
 * Always starts its OWN broker (on a free port pair below the ephemeral port range, and a temp
 * data dir), never the one KAFKA_BROKERS names: it stops the broker mid-test.
 *
 *   npx tsc -p tsconfig.json && npx jest test/kafka-restart.test.ts
 */
import { execFile } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Cluster, ROOT, StopWaiting, freePort, tempDir, waitFor, writePacedJob } from './harness';
import { logCreator, produceText, readCommitted, unique } from './kafka-io';

const KAFKA_DIR = join(ROOT, 'deploy', 'kafka');
const LINES = 100_000;
const PARTITIONS = 4;
/** Milliseconds each source subtask blocks per line until the broker is back: 25 000 lines per subtask ≈ 15 s of work at least. */
const PACE_MS = 0.6;
/** The checks below are exactly-once's: every word's changelog is exactly 1..n. */
const MODE = 'exactly-once' as const;
/** Lines the sources must have read before the checkpoint after which the broker stops (10 %). */
const MIN_READ = LINES / 10;

let dataDir: string | undefined;
let port = 0;
let brokers: string[] = [];
let cluster: Cluster | undefined;

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${stderr}`)) : resolve(stdout),
    );
  });
}

function canListen(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(p, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A port P with P+1 (the controller port) free too. Below the kernel's ephemeral range when there is
 * room: while the broker is down, clients keep reconnecting to P, and a port in the ephemeral range
 * could be taken meanwhile by one of their outgoing sockets (or a TCP self-connect), so the broker
 * could not get it back.
 */
async function freePortPair(): Promise<number> {
  let low = 32768;
  try {
    low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]) || low;
  } catch {
    // not Linux: use the default
  }
  const from = Math.max(10_000, low - 12_000);
  if (low - 2 > from) {
    for (let i = 0; i < 200; i++) {
      const p = from + Math.floor(Math.random() * (low - 2 - from));
      if ((await canListen(p)) && (await canListen(p + 1))) return p;
    }
  }
  for (;;) {
    const p = await freePort();
    if (p < 65535 && (await canListen(p + 1))) return p;
  }
}

/** A task failure caused by the broker, as the Kafka connectors word it. */
const KAFKA_ERROR = /kafka|broker/i;

async function startBroker(): Promise<void> {
  const out = await run(join(KAFKA_DIR, 'start.sh'), ['--port', String(port), '--data-dir', dataDir!], 175_000);
  const addr = out.trim().split('\n').pop()!.trim();
  expect(addr).toBe(`127.0.0.1:${port}`);
  brokers = [addr];
}

async function stopBroker(): Promise<void> {
  await run(join(KAFKA_DIR, 'stop.sh'), ['--data-dir', dataDir!], 60_000);
}

/** A kafkajs client of the test's own broker; used only while the broker is up. */
function kafka(): Kafka {
  return new Kafka({ clientId: 'flinkx-kafka-restart-test', brokers, logLevel: logLevel.WARN, logCreator });
}

async function withAdmin<T>(f: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = kafka().admin();
  await admin.connect();
  try {
    return await f(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

beforeAll(async () => {
  dataDir = tempDir('flinkx-kafka-restart-');
  port = await freePortPair();
  await startBroker();
  cluster = await Cluster.start([2, 2]);
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  if (dataDir) {
    await stopBroker().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 90_000);

async function createTopic(admin: Admin, topic: string, numPartitions: number): Promise<void> {
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

/** The job, its paced functions module beside it; the job file's path, and the function that ends the pacing. */
function writeJob(input: string, output: string): { jobFile: string; release: () => void } {
  const dir = tempDir();
  // Blocks the source's slot thread PACE_MS per line until released, so the job surely still runs when the broker stops.
  const job = {
    name: `kafka-broker-restart-${MODE}`,
    parallelism: 4,
    functions: 'pace.js',
    checkpointing: { interval: 200, mode: MODE },
    restart: { attempts: 30, delay: 1000 },
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'kafka', brokers, topic: input, bounded: true } },
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
  return writePacedJob(dir, job, PACE_MS);
}

test(`${MODE}: a broker stopped and restarted mid-job; the job restarts, finishes, and every count is written once, in order`, async () => {
  const c = cluster!;
  const input = unique('restart-lines');
  const output = unique('restart-counts');
  await withAdmin(async (admin) => {
    await createTopic(admin, input, PARTITIONS);
    await createTopic(admin, output, PARTITIONS);
  });
  const expected = await produceText(kafka(), input, LINES, 11, PARTITIONS);

  const { jobFile, release } = writeJob(input, output);
  const jobId = await c.submit(jobFile);
  const jobPoll = async () => {
    const job = await c.get(`/jobs/${jobId}`);
    if (['FINISHED', 'FAILED', 'CANCELED'].includes(job.state)) {
      throw new StopWaiting(
        `job ${job.state} before the broker was back: ${JSON.stringify(job.failure ?? job.exceptions)}`,
      );
    }
    return job;
  };

  // Stop the broker only once a checkpoint that covers real progress has completed: one triggered
  // after the sources had read MIN_READ lines (counters only lag), so the restart restores offsets,
  // keyed state and pending transactions rather than starting over.
  const lastIdThen = await waitFor(
    `the sources to read ${MIN_READ} lines`,
    async () => {
      const job = await jobPoll();
      const source = job.vertices.find((v: { nodes: { id: string }[] }) => v.nodes.some((n) => n.id === 'lines'));
      if (!(source?.recordsIn >= MIN_READ)) return undefined;
      const cps = await c.get(`/jobs/${jobId}/checkpoints`);
      return Math.max(0, ...(cps.history ?? []).map((cp: { id: number }) => cp.id));
    },
    60_000,
  );
  await waitFor(
    'a completed checkpoint after that',
    async () => {
      await jobPoll();
      const cps = await c.get(`/jobs/${jobId}/checkpoints`);
      return cps.history?.some((cp: { id: number; status: string }) => cp.id > lastIdThen && cp.status === 'COMPLETED')
        ? true
        : undefined;
    },
    60_000,
  );
  const before = await c.get(`/jobs/${jobId}`);
  expect(before.state).toBe('RUNNING');
  expect(before.restarts).toBe(0);

  await stopBroker();

  // The running attempt fails with a Kafka error and the job restarts; the attempt restarted while
  // the broker is still down fails with a Kafka error too (no hang). The job must not end meanwhile.
  const failures = await waitFor(
    'the job to fail over the stopped broker, and to fail again after a restart while it is down',
    async () => {
      const job = await jobPoll();
      if (job.restarts < 1) return undefined;
      const exceptions = await c.get<{ attempt: number; message: string }[]>(`/jobs/${jobId}/exceptions`);
      return exceptions.some((e) => e.attempt >= 1 && KAFKA_ERROR.test(e.message)) ? exceptions : undefined;
    },
    90_000,
  );
  expect(failures.find((e) => e.attempt === 0)?.message).toMatch(KAFKA_ERROR);

  await startBroker();
  // The broker is back: the rest of the input may run at full speed.
  release();

  const job = await c.waitForState(jobId, ['FINISHED', 'FAILED', 'CANCELED'], 120_000);
  if (job.state !== 'FINISHED') throw new Error(`job ${job.state}: ${JSON.stringify(job.failure ?? job.exceptions)}`);
  expect(job.restarts).toBeGreaterThanOrEqual(2);
  // Every failure was the broker's absence, nothing else.
  expect((job.exceptions as { message: string }[]).filter((e) => !KAFKA_ERROR.test(e.message))).toEqual([]);

  const { byKey: got, misKeyed } = await withAdmin((admin) => readCommitted(kafka(), admin, output, 60_000));
  expect(misKeyed).toEqual([]);
  // Exactly-once: each word's changelog is 1, 2, …, n — nothing missing, nothing twice, in order.
  const wrong: string[] = [];
  for (const [word, n] of expected) {
    const values = got.get(word) ?? [];
    const inOrder = values.length === n && values.every((v, i) => v === i + 1);
    if (!inOrder && wrong.length < 10) {
      wrong.push(`${word}: expected 1..${n}, got ${values.length} values, last ${values[values.length - 1]}`);
    }
  }
  expect(wrong).toEqual([]);
  expect([...got.keys()].filter((w) => !expected.has(w))).toEqual([]);
  expect(got.size).toBe(expected.size);
}, 170_000);
