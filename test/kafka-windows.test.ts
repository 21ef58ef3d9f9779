/**
 * Event time with a real Kafka broker, jobs run with `flinkx run`: windows over Kafka record
 * timestamps with per-partition watermarks; and the seed's DAG file, whose `word,seconds` messages
 * produced into topic `test` give exactly the word_count and word_freq rows, each once, for every
 * window the watermark has closed. Expectations are computed here.
 *
 * Uses the broker named by KAFKA_BROKERS; when unset, starts its own with deploy/kafka/start.sh.
 */
import { execFile, spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel, Partitioners, type Admin } from 'kafkajs';
import { freePort, Proc, ROOT, tempDir, waitFor } from './harness';
import { logCreator } from './kafka-io';

jest.setTimeout(400_000);

const KAFKA_DIR = join(ROOT, 'deploy', 'kafka');
let brokers = '';
let ownDataDir: string | undefined;
let kafka: Kafka;
let admin: Admin;

const sh = (cmd: string, args: string[]) =>
  new Promise<string>((resolve, reject) =>
    execFile(cmd, args, { timeout: 175_000 }, (err, out, errOut) =>
      err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out),
    ),
  );

beforeAll(async () => {
  brokers = process.env.KAFKA_BROKERS?.split(',')[0]?.trim() ?? '';
  if (!brokers) {
    ownDataDir = tempDir('flinkx-kafka-');
    const port = await freePort();
    let controller = await freePort();
    while (controller === port) controller = await freePort();
    brokers = (
      await sh(join(KAFKA_DIR, 'start.sh'), [
        '--port',
        String(port),
        '--controller-port',
        String(controller),
        '--data-dir',
        ownDataDir,
      ])
    )
      .trim()
      .split('\n')
      .pop()!;
  }
  kafka = new Kafka({ clientId: 'flinkx-seed-dag-test', brokers: [brokers], logLevel: logLevel.WARN, logCreator });
  admin = kafka.admin();
  await admin.connect();
}, 240_000);

afterAll(async () => {
  await admin?.disconnect().catch(() => undefined);
  if (ownDataDir) {
    await sh(join(KAFKA_DIR, 'stop.sh'), ['--data-dir', ownDataDir]).catch(() => undefined);
    rmSync(ownDataDir, { recursive: true, force: true });
  }
}, 90_000);

type Row = { table: string; windowStart: number; windowEnd: number; key: unknown; value: number };

function sinkRows(folder: string): Record<string, unknown>[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((n) => /^part-\d+\.jsonl$/.test(n))
    .flatMap((n) =>
      readFileSync(join(folder, n), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
}

test('windows over Kafka record timestamps: per-partition watermarks, exact counts, nothing late', async () => {
  // Two partitions, each in time order, read by one source subtask in whatever interleaving its
  // fetches give: the watermark is the smaller of the two partitions' (per-partition watermarks are
  // unit-tested in taskmanager/time/time.test.ts), so no record is late and every count is exact.
  const topic = `events-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 2, replicationFactor: 1 }], waitForLeaders: true });
  const t0 = 1_767_225_600_000;
  const events = [0, 1].flatMap((partition) =>
    Array.from({ length: 2000 }, (_, i) => ({ partition, key: `k${(i * 7 + partition) % 5}`, t: t0 + i * 50 })),
  );
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (const partition of [0, 1]) {
    const messages = events
      .filter((e) => e.partition === partition)
      .map((e) => ({ partition, timestamp: String(e.t), value: JSON.stringify({ key: e.key }) }));
    await producer.send({ topic, acks: -1, messages });
  }
  await producer.disconnect();

  const dir = tempDir();
  writeFileSync(
    join(dir, 'job.json'),
    JSON.stringify({
      name: 'kafka-event-time',
      parallelism: 1,
      nodes: [
        {
          id: 'events',
          type: 'source',
          connector: { kind: 'kafka', brokers: [brokers], topic, format: 'json', bounded: true },
          timestamps: { from: 'kafka' },
        },
        {
          id: 'w',
          type: 'window',
          inputs: ['events'],
          keyBy: 'key',
          parallelism: 2,
          window: { kind: 'tumbling', size: '1s' },
          aggregate: 'count',
        },
        { id: 'out', type: 'sink', inputs: ['w'], connector: { kind: 'file', path: join(dir, 'out') } },
        { id: 'late', type: 'sink', inputs: ['w.late'], connector: { kind: 'file', path: join(dir, 'late') } },
      ],
    }),
  );
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'flinkx.js'), 'run', join(dir, 'job.json')], {
    encoding: 'utf8',
    timeout: 120_000,
  });
  expect({ status: r.status, stderr: r.status === 0 ? '' : r.stderr }).toEqual({ status: 0, stderr: '' });
  const expected = new Map<string, number>();
  for (const e of events) {
    const id = JSON.stringify({
      key: e.key,
      windowStart: Math.floor(e.t / 1000) * 1000,
      windowEnd: Math.floor(e.t / 1000) * 1000 + 1000,
    });
    expected.set(id, (expected.get(id) ?? 0) + 1);
  }
  const rows = sinkRows(join(dir, 'out'))
    .map((x) => JSON.stringify(x))
    .sort();
  expect(rows).toEqual([...expected].map(([id, count]) => JSON.stringify({ ...JSON.parse(id), count })).sort());
  expect(sinkRows(join(dir, 'late'))).toEqual([]);
});

test('flinkx run of the seed DAG prints the right word_count and word_freq rows for every closed window', async () => {
  // A topic of its own (via the optional `source.topic`); reading from the earliest offset so that
  // what was produced before the job started is read too.
  const topic = `test-${Date.now()}`;
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
  const dir = tempDir();
  const dag = readFileSync(join(ROOT, 'jobs', 'seed-dag', 'DAG.yml'), 'utf8')
    .replace('127.0.0.1:9092', brokers)
    .replace('  data-from:', `  topic: ${topic}\n  start: earliest\n  data-from:`);
  writeFileSync(join(dir, 'DAG.yml'), dag);

  // 3000 messages, one every 100 ms of event time over 300 s, from 8 words; then one at +400 s whose
  // watermark (400 s - 5 s out-of-orderness) closes every 30 s window before it.
  const words = ['apple', 'banana', 'cherry', 'date', 'elder', 'fig', 'grape', 'kiwi'];
  const t0 = 1_700_000_000;
  let s = 7;
  const messages = Array.from({ length: 3000 }, (_, i) => ({
    word: words[((s = (Math.imul(s, 1103515245) + 12345) >>> 0) >>> 8) % (1 + (i % 8))],
    t: t0 + Math.floor(i / 10),
  }));
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: messages.map((m) => ({ value: `${m.word},${m.t}` })) });
  await producer.send({ topic, acks: -1, messages: [{ value: `zzz,${t0 + 400}` }] });
  await producer.disconnect();

  const expected: Row[] = [];
  const counts = new Map<string, number>();
  for (const m of messages) {
    const start = Math.floor((m.t * 1000) / 30_000) * 30_000;
    counts.set(`${start}/${m.word}`, (counts.get(`${start}/${m.word}`) ?? 0) + 1);
  }
  const freq = new Map<string, number>();
  for (const [id, n] of counts) {
    const [start, word] = id.split('/');
    const w = { windowStart: Number(start), windowEnd: Number(start) + 30_000 };
    expected.push({ table: 'word_count', ...w, key: word, value: n });
    freq.set(`${start}/${n}`, (freq.get(`${start}/${n}`) ?? 0) + 1);
  }
  for (const [id, n] of freq) {
    const [start, value] = id.split('/').map(Number);
    expected.push({ table: 'word_freq', windowStart: start, windowEnd: start + 30_000, key: value, value: n });
  }

  const run = new Proc(
    spawn(process.execPath, [join(ROOT, 'bin', 'flinkx.js'), 'run', join(dir, 'DAG.yml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
    'flinkx run',
  );
  const rows = () =>
    run.output
      .split('\n')
      .filter((l) => l.startsWith('{"table"'))
      .map((l) => JSON.parse(l) as Row);
  try {
    await waitFor(
      "every closed window's rows",
      () => (rows().length >= expected.length ? true : undefined),
      180_000,
      () => run.output.slice(-3000),
    );
    const key = (r: Row) => JSON.stringify([r.table, r.windowStart, r.key, r.value]);
    expect(rows().map(key).sort()).toEqual(expected.map(key).sort());
  } finally {
    await run.stop();
  }
});
