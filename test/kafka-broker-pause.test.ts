/**
 * A Kafka broker paused (SIGSTOP) between a checkpoint's completion and the exactly-once sink's
 * commit of it (issue 32, fault 1).
 *
 * Kafka (2 partitions) → tokenize → sum by word → Kafka (exactly-once, parallelism 2), and beside it
 * a slow branch (a paced map into a discard sink, parallelism 1) whose barrier comes late: while the
 * Kafka sinks have snapshotted checkpoint n (their transactions flushed and pending for n) and only
 * the slow branch has yet to acknowledge, the broker is paused. The slow branch needs no broker, so
 * n completes during the pause and the sinks' commits of n meet a broker that answers nothing.
 *
 *  - A pause shorter than the transaction timeout: the commit is retried until the broker is back;
 *    the job FINISHES and a read_committed reader sees every word's changelog exactly as 1..n.
 *  - A pause longer than the transaction timeout (a short one given to the sink): the broker aborts
 *    the transaction of the completed checkpoint as soon as it runs again, and its records are lost
 *    (the checkpoint's source offsets are past them). The job must FAIL at once, naming the
 *    transaction and the checkpoint, instead of finishing with counts missing.
 *  - Without a job: what the broker answers a restore's commit of a transaction it expired, and of
 *    one committed before whose id was initialized again (both INVALID_PRODUCER_EPOCH), and that
 *    the sink's mark tells them apart.
 *
 * Starts its OWN broker (kafka-io.ts OwnBroker): it pauses it.
 *
 *   npm run build && npx jest --selectProjects cluster test/kafka-broker-pause.test.ts
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin } from 'kafkajs';
import { Cluster, tempDir, waitFor } from './harness';
import { logCreator, OwnBroker, produceText, readCommitted, unique } from './kafka-io';
import { KafkaClient } from '../taskmanager/connectors/kafka/kafka-client';
import type { KafkaTransaction } from '../taskmanager/connectors/kafka/producers';
import { systemRetryTime } from '../taskmanager/connectors/kafka/transaction-commit';
import { commitPending } from '../taskmanager/connectors/kafka/transactional-kafka-sink';

const LINES = 20_000;
const PARTITIONS = 2;
/** The Kafka branch's delay per line until released (ms), so it still runs when the broker is paused. */
const SLOW_MS = 2;
/**
 * The side branch: a slow generator (18 s), so its channel never fills while it is held, and the job
 * takes checkpoints while the broker is paused (a job with a finished task takes none, README).
 */
const SIDE_RECORDS = 360;
const SIDE_RATE = 20;
/** Subtasks of the held branch: held → side (2), and its source, whose channel fills: it cannot send the barrier. */
const HELD_TASKS = 3;
/** How long after a Kafka broker stops answering the pause is held in the first test. */
const SHORT_PAUSE_MS = 12_000;
/** The broker looks for expired transactions every 10 s (transaction.abort.timed.out.transaction.cleanup.interval.ms). */
const ABORT_CHECK_MS = 10_000;

let broker: OwnBroker | undefined;
let cluster: Cluster | undefined;

beforeAll(async () => {
  broker = await OwnBroker.start();
  cluster = await Cluster.start([2]);
}, 240_000);

afterAll(async () => {
  await cluster?.stop();
  await broker?.stop();
}, 90_000);

function kafka(): Kafka {
  return new Kafka({
    clientId: 'flinkx-kafka-pause-test',
    brokers: broker!.brokers,
    logLevel: logLevel.WARN,
    logCreator,
  });
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

async function topics(): Promise<{ input: string; output: string; expected: Map<string, number> }> {
  const input = unique('pause-lines');
  const output = unique('pause-counts');
  await withAdmin((admin) =>
    admin.createTopics({
      topics: [input, output].map((topic) => ({ topic, numPartitions: PARTITIONS, replicationFactor: 1 })),
      waitForLeaders: true,
    }),
  );
  return { input, output, expected: await produceText(kafka(), input, LINES, 5, PARTITIONS) };
}

/**
 * The job, and its functions beside it, both async so that they block no thread (a slot's thread
 * also runs other tasks' barriers): `slow` delays each line until released, so the Kafka branch still
 * runs when the broker is paused; `hold` keeps the side branch's record in flight while the hold file
 * exists, and with capacity 1 that branch takes no more input, its barrier included: a checkpoint
 * stays open with only the held tasks missing.
 */
function writeJob(
  name: string,
  input: string,
  output: string,
  o: { checkpointTimeout: number; restartDelay: number; transactionTimeout?: number },
) {
  const brokers = broker!.brokers;
  const dir = tempDir();
  const holdFile = join(dir, 'hold');
  const releasedFile = join(dir, 'released');
  const job = {
    name,
    parallelism: 2,
    functions: 'functions.js',
    checkpointing: { interval: 100, mode: 'exactly-once', timeout: o.checkpointTimeout },
    restart: { strategy: 'fixed-delay', attempts: 20, delay: o.restartDelay },
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'kafka', brokers, topic: input, bounded: true } },
      { id: 'slowed', type: 'asyncMap', inputs: ['lines'], fn: 'slow', async: { capacity: 1, timeout: 60_000 } },
      { id: 'words', type: 'flatMap', inputs: ['slowed'], fn: 'tokenize' },
      { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
      {
        id: 'out',
        type: 'sink',
        inputs: ['counts'],
        connector: {
          kind: 'kafka',
          brokers,
          topic: output,
          format: 'json',
          key: 'word',
          ...(o.transactionTimeout && { transactionTimeout: o.transactionTimeout }),
        },
      },
      {
        id: 'ticks',
        type: 'source',
        parallelism: 1,
        connector: { kind: 'generator', format: 'sequence', count: SIDE_RECORDS, rate: SIDE_RATE },
      },
      // Parallelism 2, so not chained to its source: a source's trigger does not wait for input.
      { id: 'held', type: 'asyncMap', inputs: ['ticks'], fn: 'hold', async: { capacity: 1, timeout: 60_000 } },
      { id: 'side', type: 'sink', inputs: ['held'], connector: { kind: 'discard' } },
    ],
  };
  const jobFile = join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify(job));
  writeFileSync(
    join(dir, 'functions.js'),
    `const { existsSync } = require('node:fs');\n` +
      `const later = (ms) => new Promise((t) => setTimeout(t, ms));\n` +
      `exports.slow = async (r) => { if (!existsSync(${JSON.stringify(releasedFile)})) await later(${SLOW_MS}); return r; };\n` +
      `exports.hold = async (r) => { while (existsSync(${JSON.stringify(holdFile)})) await later(20); return r; };\n`,
  );
  return {
    jobFile,
    release: () => writeFileSync(releasedFile, ''),
    hold: () => writeFileSync(holdFile, ''),
    unhold: () => rmSync(holdFile, { force: true }),
  };
}

interface CheckpointEntry {
  id: number;
  triggerTime: number;
  duration: number;
  failureReason?: string;
  status: string;
  acknowledged: number;
  total: number;
  size: number;
}

/**
 * Holds the side branch until a checkpoint is acknowledged by every task but it (the Kafka sinks
 * have snapshotted it: their transactions are flushed and pending for it), pauses the broker, lets
 * the side branch go and waits for that checkpoint to complete: its commit is then under way
 * against a paused broker. Returns the checkpoint's id and when the broker was paused.
 */
async function pauseBeforeCommit(
  c: Cluster,
  jobId: string,
  j: { hold(): void; unhold(): void },
): Promise<{ checkpoint: number; pausedAt: number }> {
  const history = async () => (await c.get<{ history: CheckpointEntry[] }>(`/jobs/${jobId}/checkpoints`)).history;
  await waitFor(
    'a completed checkpoint',
    async () => {
      const job = await c.get(`/jobs/${jobId}`);
      if (job.state !== 'RUNNING' && job.state !== 'CREATED')
        throw new Error(`job ${job.state}: ${JSON.stringify(job.exceptions ?? job.failure)}`);
      return job.checkpoints?.completed >= 1 ? true : undefined;
    },
    30_000,
  );
  j.hold();
  // Triggered once a record of the side branch is surely held (one every 50 ms), and stuck for a while
  // with only the held tasks missing, not a Kafka sink merely slow to acknowledge.
  const heldFrom = Date.now() + 300;
  const checkpoint = await waitFor(
    'a checkpoint that every task but the held ones has acknowledged',
    async () => {
      const h = await history();
      return h.find(
        (e) =>
          e.status === 'IN_PROGRESS' &&
          e.triggerTime >= heldFrom &&
          e.duration >= 500 &&
          e.acknowledged === e.total - HELD_TASKS,
      )?.id;
    },
    30_000,
  );
  broker!.pause();
  const pausedAt = Date.now();
  j.unhold();
  const status = await waitFor(
    `checkpoint ${checkpoint} to end`,
    async () => {
      const cp = (await history()).find((e) => e.id === checkpoint);
      return cp && cp.status !== 'IN_PROGRESS'
        ? `${cp.status}${cp.failureReason ? `: ${cp.failureReason}` : ''}`
        : undefined;
    },
    30_000,
  );
  expect(status).toBe('COMPLETED');
  return { checkpoint, pausedAt };
}

function changelogProblems(expected: Map<string, number>, got: Map<string, number[]>): string[] {
  const wrong: string[] = [];
  for (const [word, n] of expected) {
    const values = got.get(word) ?? [];
    if (!(values.length === n && values.every((v, i) => v === i + 1)) && wrong.length < 10) {
      wrong.push(`${word}: expected 1..${n}, got ${values.length} values, last ${values[values.length - 1]}`);
    }
  }
  for (const w of got.keys()) if (!expected.has(w) && wrong.length < 10) wrong.push(`${w}: not in the input`);
  return wrong;
}

test('a broker paused while a completed checkpoint is being committed: the commit waits for it, the job finishes, every count once', async () => {
  const c = cluster!;
  const { input, output, expected } = await topics();
  // A transaction timeout far beyond the pause, so only the pause is tested, however slow a loaded machine runs the job.
  const j = writeJob('kafka-pause-short', input, output, {
    checkpointTimeout: 10_000,
    restartDelay: 1_000,
    transactionTimeout: 300_000,
  });
  const { jobFile, release } = j;
  const jobId = await c.submit(jobFile);
  let checkpoint: number;
  try {
    const paused = await pauseBeforeCommit(c, jobId, j);
    checkpoint = paused.checkpoint;
    await waitFor(
      'the pause to last',
      async () => (Date.now() - paused.pausedAt >= SHORT_PAUSE_MS ? true : undefined),
      SHORT_PAUSE_MS + 5_000,
    );
  } finally {
    broker!.resume();
  }
  release();
  const job = await c.waitForState(jobId, ['FINISHED'], 60_000);
  expect(job.checkpoints.latestCompleted).toBeGreaterThanOrEqual(checkpoint!);
  const { byKey, misKeyed } = await withAdmin((admin) => readCommitted(kafka(), admin, output, 30_000));
  expect(misKeyed).toEqual([]);
  expect(changelogProblems(expected, byKey)).toEqual([]);
}, 120_000);

test('a broker paused past the transaction timeout: the transaction of the completed checkpoint is lost, and the job fails saying so', async () => {
  const c = cluster!;
  const { input, output, expected } = await topics();
  // 12 s covers a checkpoint (10 s) and a restart delay (2 s), so the job is accepted; the pause outlasts it.
  const transactionTimeout = 12_000;
  const j = writeJob('kafka-pause-expired', input, output, {
    checkpointTimeout: 10_000,
    restartDelay: 2_000,
    transactionTimeout,
  });
  const { jobFile } = j;
  const jobId = await c.submit(jobFile);
  let checkpoint: number;
  try {
    const paused = await pauseBeforeCommit(c, jobId, j);
    checkpoint = paused.checkpoint;
    // Resumed, the broker aborts at once every transaction older than its timeout.
    const expired = Math.max(transactionTimeout, ABORT_CHECK_MS) + 1_000;
    await waitFor(
      'the pending transactions to outlive their timeout',
      async () => (Date.now() - paused.pausedAt >= expired ? true : undefined),
      expired + 5_000,
    );
  } finally {
    broker!.resume();
  }
  j.release();
  // Resumed, the broker runs what it was sent while paused, and its abort of the expired
  // transactions; which comes first is its own affair: the sink's commit, sent before, may win
  // (seldom: the abort did in each of our runs but one). Right or loud: the job fails naming the
  // lost transaction and its checkpoint, or it finishes with nothing lost; never with counts missing.
  const job = await c.waitForState(jobId, ['FAILED', 'FINISHED'], 60_000);
  if (job.state === 'FINISHED') {
    const { byKey } = await withAdmin((admin) => readCommitted(kafka(), admin, output, 30_000));
    expect(changelogProblems(expected, byKey)).toEqual([]);
    return;
  }
  expect(job.failure.code).toBe('KAFKA_TRANSACTION_LOST');
  const named = new RegExp(
    `transaction "flinkx-${jobId}-out-[01]-\\d" \\(producer id \\d+, epoch \\d+\\) of completed checkpoint (\\d+) was aborted by the broker`,
  );
  expect(job.failure.message).toMatch(named);
  expect(Number(named.exec(job.failure.message)![1])).toBeLessThanOrEqual(checkpoint!);
}, 120_000);

test('what the broker answers a restore: a transaction it expired is lost (the job must fail), one committed before is recognised by its mark', async () => {
  const client = new KafkaClient(broker!.brokers, 'flinkx-kafka-pause-test');
  const topic = unique('pause-marks');
  await withAdmin((admin) =>
    admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true }),
  );
  const o = { topic, transactionTimeout: 3_000, time: systemRetryTime };
  const pendingOf = (tx: KafkaTransaction, checkpointId: number) => ({
    checkpointId,
    transactionalId: tx.transactionalId,
    producerId: tx.producerId,
    producerEpoch: tx.producerEpoch,
  });
  try {
    // Committed for checkpoint 7, then its id initialized again (the epoch moves on, as the sink's
    // pool does): EndTxn answers INVALID_PRODUCER_EPOCH, the mark says committed.
    const id = unique('pause-tx');
    const first = await client.transaction(id, 3_000);
    await first.send(topic, [{ key: null, value: 'committed' }]);
    await first.mark(topic, 7);
    await expect(commitPending(client, pendingOf(first, 7), o)).resolves.toBe('committed');
    await expect(commitPending(client, pendingOf(first, 7), o)).resolves.toBe('committed');
    await first.close();
    // The next transaction on that id, for checkpoint 9, left open: the broker aborts it after 3 s
    // (found within its 10 s check), and the partition's stable end passes its abort marker.
    const second = await client.transaction(id, 3_000);
    await expect(commitPending(client, pendingOf(first, 7), o)).resolves.toBe('committed before');
    await second.send(topic, [{ key: null, value: 'expired' }]);
    await second.mark(topic, 9);
    await waitFor(
      'the broker to abort the expired transaction',
      async () => ((await client.offsets(topic)).get(0)!.high >= 3 ? true : undefined),
      30_000,
    );
    const lost = await commitPending(client, pendingOf(second, 9), o).catch((e: unknown) => e);
    expect((lost as { code?: string }).code).toBe('KAFKA_TRANSACTION_LOST');
    expect((lost as Error).message).toContain(
      `transaction "${id}" (producer id ${second.producerId}, epoch ${second.producerEpoch}) of completed checkpoint 9 was aborted`,
    );
    await second.close();
  } finally {
    await client.close();
  }
}, 60_000);
