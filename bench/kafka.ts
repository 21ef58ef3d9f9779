/**
 * `node dist/bench/kafka.js` (after `npm run build`): copying a Kafka topic to another one, in the
 * same run and against the same broker:
 *
 *   (k) kafkajs alone, in this one process: a consumer reads topic A (eachBatch) and a producer
 *       writes each batch to a new topic (acks -1). Timed from connecting until the last message
 *       is acknowledged. Once as kafkajs does by default (one partition's batch at a time), once
 *       with partitionsConsumedConcurrently = the number of partitions.
 *   (f) flinkx on a real cluster (flinkx-jm + two flinkx-tm with one slot each): a bounded Kafka
 *       source → Kafka sink pass-through at parallelism 2 (chained into one task per subtask),
 *       submitted over REST. Timed from POST /jobs until the job is FINISHED (deployment, consumer
 *       group joins and producer start-up included). Three variants: no checkpointing,
 *       at-least-once and exactly-once (Kafka transactions), checkpoints every 1 s.
 *
 * Every run writes a fresh output topic whose message count is checked. Each variant runs
 * BENCH_RUNS times (default 3); the best run is used for the table, every run is printed, and the
 * table is appended to bench/RESULTS.md under "## Kafka".
 *
 * Broker: KAFKA_BROKERS (comma separated), else one started with deploy/kafka/start.sh on free
 * ports with a temp data dir (stopped at the end).
 *
 * Knobs (environment): BENCH_KAFKA_MESSAGES (default 1000000), BENCH_KAFKA_PARTITIONS (4),
 * BENCH_RUNS (3), BENCH_KAFKA_NO_RESULTS=1 does not touch bench/RESULTS.md.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, Partitioners, logLevel, type Admin } from 'kafkajs';
import { deferred, pollUntil } from '../common/async';
import { BIN, Cluster, freePort, intEnv, load, log, ROOT } from './processes';

const MESSAGES = intEnv('BENCH_KAFKA_MESSAGES', 1_000_000);
const PARTITIONS = intEnv('BENCH_KAFKA_PARTITIONS', 4);
const RUNS = intEnv('BENCH_RUNS', 3);
const PARALLELISM = 2;

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const rate = (ms: number) => `${Math.round(MESSAGES / (ms / 1000)).toLocaleString('en-US')} msg/s`;
const unique = (prefix: string) => `${prefix}-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;

function run(cmd: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((res, rej) =>
    execFile(cmd, args, { timeout: timeoutMs }, (err, stdout, stderr) =>
      err ? rej(new Error(`${cmd}: ${err.message}\n${stderr}`)) : res(stdout),
    ),
  );
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  everyMs = 50,
): Promise<T> {
  const v = await pollUntil(probe, timeoutMs, everyMs);
  if (v === undefined) throw new Error(`timed out waiting for ${what}`);
  return v;
}

/** Lines of text like the word-count inputs: 8 words of a 2000-word vocabulary, ~60 bytes. */
function line(i: number): string {
  let s = Math.imul(i + 1, 2654435761) >>> 0 || 1;
  const words: string[] = [];
  for (let w = 0; w < 8; w++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    words.push(`w${(s >>> 0) % 2000}`);
  }
  return words.join(' ');
}

async function createTopic(admin: Admin, topic: string): Promise<void> {
  await admin.createTopics({
    topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  await until(
    `leaders of ${topic}`,
    30_000,
    async () => {
      const md = await admin.fetchTopicMetadata({ topics: [topic] });
      const parts = md.topics[0]?.partitions ?? [];
      return parts.length === PARTITIONS && parts.every((p) => p.leader >= 0) ? true : undefined;
    },
    100,
  );
}

async function endOffsets(admin: Admin, topic: string): Promise<number> {
  return (await admin.fetchTopicOffsets(topic)).reduce((n, o) => n + Number(o.high), 0);
}

/** (k): the same copy with kafkajs alone, in this process. */
async function kafkajsCopy(kafka: Kafka, from: string, to: string, concurrently: number): Promise<number> {
  const consumer = kafka.consumer({ groupId: unique('bench-kafkajs') });
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  const t0 = performance.now();
  await Promise.all([consumer.connect(), producer.connect()]);
  let copied = 0;
  const finished = deferred();
  await consumer.subscribe({ topics: [from], fromBeginning: true });
  await consumer.run({
    partitionsConsumedConcurrently: concurrently,
    eachBatch: async ({ batch }) => {
      await producer.send({
        topic: to,
        acks: -1,
        messages: batch.messages.map((m) => ({ key: m.key, value: m.value })),
      });
      copied += batch.messages.length;
      if (copied >= MESSAGES) finished.resolve();
    },
  });
  await finished.promise;
  const ms = performance.now() - t0;
  await Promise.all([consumer.disconnect(), producer.disconnect()]);
  return ms;
}

type Mode = 'none' | 'at-least-once' | 'exactly-once';

function passThroughJob(brokers: string[], from: string, to: string, mode: Mode) {
  return {
    name: `bench-kafka-pass-through-${mode}`,
    parallelism: PARALLELISM,
    ...(mode === 'none' ? {} : { checkpointing: { interval: 1000, mode } }),
    nodes: [
      { id: 'in', type: 'source', connector: { kind: 'kafka', brokers, topic: from, bounded: true, format: 'string' } },
      { id: 'out', type: 'sink', inputs: ['in'], connector: { kind: 'kafka', brokers, topic: to, format: 'string' } },
    ],
  };
}

/** (f): submit over REST, time until FINISHED. */
async function flinkxCopy(base: string, job: unknown): Promise<{ ms: number; jobMs?: number; checkpoints?: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/jobs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ job }),
  });
  const body = (await res.json()) as { jobId?: string; error?: { message: string } };
  if (!res.ok || !body.jobId) throw new Error(`submit failed: ${res.status} ${JSON.stringify(body)}`);
  const id = body.jobId;
  const final = await until(
    `job ${id}`,
    600_000,
    async () => {
      const j = (await (await fetch(`${base}/jobs/${id}`)).json()) as {
        state: string;
        failure?: { message: string };
        duration?: number;
      };
      return ['FINISHED', 'FAILED', 'CANCELED'].includes(j.state) ? j : undefined;
    },
    20,
  );
  const ms = performance.now() - t0;
  if (final.state !== 'FINISHED') throw new Error(`job ${id} ${final.state}: ${final.failure?.message}`);
  const cps = (await (await fetch(`${base}/jobs/${id}/checkpoints`)).json().catch(() => undefined)) as
    { counts?: { completed?: number } } | undefined;
  return { ms, jobMs: final.duration, checkpoints: cps?.counts?.completed };
}

function appendResults(section: string): void {
  const path = join(ROOT, 'bench', 'RESULTS.md');
  const text = existsSync(path) ? readFileSync(path, 'utf8') : '# Benchmark results\n';
  const heading = /^## Kafka\s*$/m.exec(text);
  if (!heading) {
    writeFileSync(path, `${text.replace(/\n*$/, '\n')}\n## Kafka\n\n${section}`);
    return;
  }
  // Insert at the end of the Kafka section (before the next "## " heading), leaving others' sections as they are.
  const after = heading.index + heading[0].length;
  const next = text.slice(after).search(/^## /m);
  const at = next < 0 ? text.length : after + next;
  const before = text.slice(0, at).replace(/\n*$/, '\n\n');
  writeFileSync(path, before + section + (next < 0 ? '' : '\n' + text.slice(at)));
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flinkx-bench-kafka-'));
  const procs = new Cluster(dir);
  let ownBroker: string | undefined;
  let admin: Admin | undefined;
  const topics: string[] = [];
  try {
    let brokers = (process.env.KAFKA_BROKERS ?? '')
      .split(',')
      .map((b) => b.trim())
      .filter(Boolean);
    if (brokers.length === 0) {
      ownBroker = join(dir, 'kafka');
      const port = await freePort();
      let cport = await freePort();
      while (cport === port) cport = await freePort();
      log(`starting a Kafka broker on 127.0.0.1:${port} (deploy/kafka/start.sh)`);
      const out = await run(
        join(ROOT, 'deploy', 'kafka', 'start.sh'),
        ['--port', String(port), '--controller-port', String(cport), '--data-dir', ownBroker],
        240_000,
      );
      brokers = [out.trim().split('\n').pop()!.trim()];
    }
    log(
      `machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}; Kafka at ${brokers.join(',')}`,
    );
    // Errors reach us as rejections; kafkajs's own ERROR lines are its retries of retriable responses.
    const kafka = new Kafka({ clientId: 'flinkx-bench', brokers, logLevel: logLevel.NOTHING });
    admin = kafka.admin();
    await admin.connect();

    // Input ------------------------------------------------------------------------------------
    const input = unique('bench-in');
    await createTopic(admin, input);
    topics.push(input);
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const t0 = performance.now();
    let bytes = 0;
    for (let i = 0; i < MESSAGES; i += 10_000) {
      const messages = [];
      for (let j = i; j < Math.min(MESSAGES, i + 10_000); j++) {
        const value = line(j);
        bytes += value.length;
        messages.push({ value, partition: j % PARTITIONS });
      }
      await producer.send({ topic: input, acks: -1, messages });
    }
    await producer.disconnect();
    log(
      `input: ${MESSAGES} messages (${(bytes / 1e6).toFixed(1)} MB of values) in ${PARTITIONS} partitions of ${input}, produced in ${sec(performance.now() - t0)}`,
    );

    // (k) kafkajs alone ---------------------------------------------------------------------------
    const runs: Record<string, number[]> = {};
    const record = (key: string, ms: number) => (runs[key] ??= []).push(ms);
    const loads: number[] = [loadavg()[0]];
    for (const [key, concurrently] of [
      ['k', 1],
      ['k-concurrent', PARTITIONS],
    ] as const) {
      for (let i = 1; i <= RUNS; i++) {
        const out = unique('bench-k');
        await createTopic(admin, out);
        topics.push(out);
        const ms = await kafkajsCopy(kafka, input, out, concurrently);
        const n = await endOffsets(admin, out);
        if (n !== MESSAGES) throw new Error(`(k) wrote ${n} messages, expected ${MESSAGES}`);
        record(key, ms);
        loads.push(loadavg()[0]);
        log(
          `(k) kafkajs alone, partitionsConsumedConcurrently ${concurrently}, run ${i}/${RUNS}: ${sec(ms)}, ${rate(ms)} (${load()})`,
        );
      }
    }

    // (f) flinkx -------------------------------------------------------------------------------
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    procs.start('jobmanager', [
      BIN('flinkx-jm.js'),
      'start',
      '--port',
      String(port),
      '--data-dir',
      join(dir, 'jm'),
      '--log-level',
      'warn',
    ]);
    for (const n of [1, 2])
      procs.start(`taskmanager-${n}`, [
        BIN('flinkx-tm.js'),
        'start',
        '--slots',
        '1',
        '--jobmanager',
        `ws://127.0.0.1:${port}`,
        '--log-level',
        'warn',
      ]);
    await until(
      '2 TaskManagers',
      30_000,
      async () => {
        const tms = await fetch(`${base}/taskmanagers`).then(
          (r) => r.json() as Promise<unknown[]>,
          () => [],
        );
        return tms.length === 2 ? true : undefined;
      },
      100,
    );
    log(`cluster: JobManager on ${port}, two TaskManagers with 1 slot each`);
    const modes: Mode[] = ['none', 'at-least-once', 'exactly-once'];
    for (const mode of modes) {
      for (let i = 1; i <= RUNS; i++) {
        const out = unique('bench-f');
        await createTopic(admin, out);
        topics.push(out);
        const r = await flinkxCopy(base, passThroughJob(brokers, input, out, mode));
        const n = await endOffsets(admin, out);
        // Transaction markers take offsets too.
        if (mode === 'exactly-once' ? n < MESSAGES : n !== MESSAGES)
          throw new Error(`(f ${mode}) wrote ${n} offsets, expected ${MESSAGES}`);
        record(mode, r.ms);
        loads.push(loadavg()[0]);
        log(
          `(f) flinkx ${mode}, run ${i}/${RUNS}: ${sec(r.ms)} submit → FINISHED, ${rate(r.ms)}` +
            (r.jobMs !== undefined ? ` (job ${sec(r.jobMs)} as the JobManager reports)` : '') +
            (r.checkpoints !== undefined && mode !== 'none' ? `, ${r.checkpoints} checkpoints` : '') +
            ` (${load()})`,
        );
      }
    }

    // Table --------------------------------------------------------------------------------------
    const best = (k: string) => Math.min(...runs[k]);
    const kBest = best('k');
    const rows: [string, string][] = [
      ['k', 'kafkajs alone, one process (consumer eachBatch → producer.send, acks -1)'],
      ['k-concurrent', `kafkajs alone, one process, partitionsConsumedConcurrently ${PARTITIONS}`],
      ['none', `flinkx cluster, p=${PARALLELISM}, Kafka → Kafka pass-through, no checkpointing`],
      ['at-least-once', `flinkx cluster, p=${PARALLELISM}, pass-through, at-least-once, checkpoint every 1 s`],
      [
        'exactly-once',
        `flinkx cluster, p=${PARALLELISM}, pass-through, exactly-once (transactions), checkpoint every 1 s`,
      ],
    ];
    const table = [
      '| variant | best | throughput | vs kafkajs alone | all runs |',
      '| --- | ---: | ---: | ---: | --- |',
      ...rows.map(
        ([k, name]) =>
          `| ${name} | ${sec(best(k))} | ${rate(best(k))} | ${(kBest / best(k)).toFixed(2)}× | ${runs[k].map((ms) => (ms / 1000).toFixed(2)).join(', ')} s |`,
      ),
    ].join('\n');
    process.stdout.write(`\n${table}\n\n`);
    const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
    const section =
      `### ${date} UTC — \`node dist/bench/kafka.js\`\n\n` +
      `${MESSAGES.toLocaleString('en-US')} messages (~${Math.round(bytes / MESSAGES)} B text values) in ${PARTITIONS} partitions, copied to a new topic; ` +
      `best of ${RUNS} runs each. Machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}, ` +
      `one Kafka 3.9.2 broker (deploy/kafka) on the same machine${process.env.KAFKA_BROKERS ? ` (${process.env.KAFKA_BROKERS})` : ''}; ` +
      `1-minute load average ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)} during the runs (the bench itself adds about 2; the machine is shared). ` +
      `flinkx times run from POST /jobs to FINISHED (deployment and consumer-group joins included); kafkajs from connect to the last ack. ` +
      `"vs kafkajs alone" is throughput relative to the first row (above 1 = faster). ` +
      `The flinkx cluster runs its two subtasks in two TaskManager processes (kafkajs decoding and encoding on two cores), ` +
      `kafkajs alone in one process: this compares the setups, not the cost per core.\n\n${table}\n`;
    if (!process.env.BENCH_KAFKA_NO_RESULTS) {
      appendResults(section);
      log('appended to bench/RESULTS.md');
    }
  } catch (err) {
    log(`FAILED: ${(err as Error).message}`);
    if (procs.procs.length > 0) log(procs.logs());
    process.exitCode = 1;
  } finally {
    await procs.stop();
    if (admin) {
      await admin.deleteTopics({ topics }).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
    if (ownBroker) {
      await run(join(ROOT, 'deploy', 'kafka', 'stop.sh'), ['--data-dir', ownBroker], 60_000).catch(() => undefined);
    }
    rmSync(dir, { recursive: true, force: true });
  }
}

void main();
