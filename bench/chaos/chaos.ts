/**
 * `npm run test:chaos` (= build, then `node dist/bench/chaos/chaos.js`): an exactly-once Kafka word
 * count (Kafka source → tokenize → keyBy/sum → transactional Kafka sink, p=4, checkpoints every
 * 700 ms) on two JobManagers sharing one data dir and three TaskManagers of 2 slots, while seeded
 * input is produced and random faults hit the cluster one at a time:
 *
 *   tm-kill       SIGKILL a TaskManager (a new one is started)
 *   jm-kill       SIGKILL the active JobManager (the standby takes over; a new standby is started)
 *   pause         SIGSTOP a TaskManager or the active JobManager for 1–6 s, then SIGCONT
 *   cut           abort the TCP connections into one TaskManager's data port (ss -K, root)
 *   broker-pause  SIGSTOP the run's own Kafka broker for 2–8 s
 *   disk-full     fill the JobManagers' data dir (a 64 MiB tmpfs, root) for 2–8 s; with jm-kill
 *                 enabled, half of the time the active JobManager is killed while it is full
 *
 * After each fault the run waits for recovery: a checkpoint triggered after the fault's end has
 * completed with the job RUNNING (timed from that end). When the time is up, faults stop, the
 * producer stops, and the job must commit all input; then the output topic is read read_committed
 * and every word's changelog must be exactly 1, 2, …, N (N: its count in the input topic).
 *
 * Fails (exit 1), naming the fault before it, on: no recovery within CHAOS_STALL_S, no JobManager
 * answering for that long, the job ending, a committed update out of step, the output not caught up
 * within CHAOS_CATCHUP_S, or the final check. Everything it started is stopped and the tmpfs
 * unmounted at exit, also on Ctrl-C.
 *
 * Knobs (environment): CHAOS_SEED (1), CHAOS_MINUTES (3, of faults), CHAOS_FAULTS (all:
 * tm-kill,jm-kill,pause,cut,broker-pause,disk-full), CHAOS_RATE (input lines/s, 200), CHAOS_STALL_S
 * (60), CHAOS_CATCHUP_S (120), CHAOS_KEEP=1 keeps the logs (kept anyway when the run fails).
 * The seed fixes the input and the sequence of choices; when each fault lands in the job's life
 * depends on the machine. Root is needed for `cut` (ss -K) and `disk-full` (mount).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Admin, Kafka } from 'kafkajs';
import { mulberry32 } from '../../common/prng';
import { readCommitted, unique } from '../../test/kafka-io';
import { BIN, freePort, intEnv } from '../processes';
import { checkChangelogs, type CheckResult } from './check';
import { ChaosCluster, Tmpfs } from './cluster';
import { FAULT_KINDS, inject, type Fault, type FaultKind } from './faults';
import { Broker, client, createTopic, InputProducer, OutputTail, readInputCounts } from './kafka';
import { JobMonitor } from './monitor';

const SEED = intEnv('CHAOS_SEED', 1);
const MINUTES = intEnv('CHAOS_MINUTES', 3);
const RATE = intEnv('CHAOS_RATE', 200);
const STALL_MS = intEnv('CHAOS_STALL_S', 60) * 1000;
const CATCHUP_MS = intEnv('CHAOS_CATCHUP_S', 120) * 1000;
const KINDS = faultKinds(process.env.CHAOS_FAULTS);
const KEEP = process.env.CHAOS_KEEP === '1';
const PARALLELISM = 4;
const TASK_MANAGERS = 3;
const CHECKPOINT_MS = 700;
const TMPFS_MB = 64;

function faultKinds(v: string | undefined): Set<FaultKind> {
  if (v === undefined || v.trim() === '') return new Set(FAULT_KINDS);
  const kinds = v
    .split(',')
    .map((k) => k.trim())
    .filter(Boolean);
  const wrong = kinds.filter((k) => !(FAULT_KINDS as readonly string[]).includes(k));
  if (wrong.length > 0 || kinds.length === 0)
    throw new Error(`CHAOS_FAULTS: unknown kind(s) ${wrong.join(', ')}; known: ${FAULT_KINDS.join(',')}`);
  return new Set(kinds as FaultKind[]);
}

const t0 = Date.now();
const say = (line: string) => process.stdout.write(`[chaos +${((Date.now() - t0) / 1000).toFixed(1)}s] ${line}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Failure {
  what: string;
  /** The fault before it, if any. */
  after?: Fault;
}

/** Everything to stop at exit, filled in as it is started. */
const running: {
  dir?: string;
  broker?: Broker;
  tmpfs?: Tmpfs;
  cluster?: ChaosCluster;
  producer?: InputProducer;
  tail?: OutputTail;
  admin?: Admin;
  monitor?: JobMonitor;
} = {};

/** Set on Ctrl-C: what the run sees after that (its processes going) is not a finding. */
let interrupted = false;
let cleaning: Promise<void> | undefined;
function cleanup(keepDir: boolean): Promise<void> {
  cleaning ??= (async () => {
    const step = async (what: string, f: () => Promise<void> | void) => {
      try {
        await Promise.race([f(), sleep(30_000).then(() => Promise.reject(new Error('took over 30 s')))]);
      } catch (err) {
        say(`cleanup: ${what}: ${(err as Error).message}`);
      }
    };
    const { broker, tmpfs, cluster, producer, tail, admin, monitor, dir } = running;
    if (broker) await step('resume the broker', () => void process.kill(broker.pid, 'SIGCONT'));
    await step('monitor', async () => monitor?.stop());
    await step('producer', async () => producer?.disconnect());
    await step('output tail', async () => tail?.stop());
    await step('admin', async () => admin?.disconnect());
    await step('cluster', async () => cluster?.stop());
    await step('broker', async () => broker?.stop());
    await step('tmpfs', () => tmpfs?.unmount());
    if (dir && !keepDir) rmSync(dir, { recursive: true, force: true });
    else if (dir) say(`logs kept in ${dir}`);
  })();
  return cleaning;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    say(`${signal}: stopping everything`);
    interrupted = true;
    running.cluster?.closing();
    void cleanup(KEEP).finally(() => process.exit(130));
  });
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(200);
  }
}

function jobSpec(brokers: string[], input: string, output: string) {
  return {
    name: 'chaos-wordcount',
    parallelism: PARALLELISM,
    checkpointing: { interval: CHECKPOINT_MS, mode: 'exactly-once' },
    // Every fault may fail the job: restart it as often as it takes, quickly.
    restart: { strategy: 'fixed-delay', attempts: 100_000, delay: 500 },
    nodes: [
      {
        id: 'lines',
        type: 'source',
        connector: { kind: 'kafka', brokers, topic: input, groupId: unique('flinkx-chaos') },
      },
      { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
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

const ms = (n: number) => `${Math.round(n)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The fault last started at or before `at`. */
function faultBefore(faults: Fault[], at: number): Fault | undefined {
  return [...faults].reverse().find((f) => f.start <= at);
}

const describe = (f: Fault | undefined) =>
  f ? `after fault #${f.n} ${f.kind} (${f.detail}) at +${((f.start - t0) / 1000).toFixed(1)}s` : 'before any fault';

async function main(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'flinkx-chaos-'));
  running.dir = dir;
  say(
    `seed ${SEED}, ${MINUTES} min of faults: ${[...KINDS].join(',')}; input ${RATE} lines/s; p=${PARALLELISM} on ${TASK_MANAGERS} TMs x 2 slots, 2 JMs; checkpoints every ${CHECKPOINT_MS} ms; dir ${dir}`,
  );
  if (KINDS.has('cut')) execFileSync('ss', ['-V'], { stdio: 'pipe' }); // ss -K needs iproute2 (and root, checked by the first cut)

  running.broker = await Broker.start(join(dir, 'kafka'));
  const broker = running.broker;
  say(`Kafka broker ${broker.address} (pid ${broker.pid})`);
  const dataDir = join(dir, 'jm-data');
  if (KINDS.has('disk-full')) {
    running.tmpfs = Tmpfs.mount(dataDir, TMPFS_MB);
    say(`JobManager data dir: a ${TMPFS_MB} MiB tmpfs at ${dataDir}`);
  } else {
    mkdirSync(dataDir);
  }
  const cluster = new ChaosCluster(dir, dataDir, [await freePort(), await freePort()], say);
  running.cluster = cluster;
  cluster.startJobManager(cluster.jmPorts[0]);
  const first = await until('the first JobManager', 60_000, () => cluster.active());
  cluster.startJobManager(cluster.jmPorts[1]);
  for (let i = 0; i < TASK_MANAGERS; i++) await cluster.startTaskManager();
  await until(`${TASK_MANAGERS} TaskManagers`, 60_000, async () => {
    const res = await fetch(`${first.url}/taskmanagers`);
    return ((await res.json()) as unknown[]).length === TASK_MANAGERS ? true : undefined;
  });
  say(
    `cluster up: ${cluster.jobManagers.map((m) => m.name).join(', ')} (active ${first.member.name}); ${cluster.taskManagers.map((m) => m.name).join(', ')}`,
  );

  const kafka: Kafka = client([broker.address]);
  running.admin = kafka.admin();
  const admin = running.admin;
  await admin.connect();
  const input = unique('chaos-in');
  const output = unique('chaos-out');
  await createTopic(admin, input);
  await createTopic(admin, output);
  running.tail = new OutputTail(kafka, output, say);
  const tail = running.tail;
  await tail.start();
  running.producer = new InputProducer(kafka, input, RATE, SEED, say);
  const producer = running.producer;
  await producer.start();

  const jobFile = join(dir, 'job.json');
  writeFileSync(jobFile, JSON.stringify(jobSpec([broker.address], input, output), null, 2));
  const jobId = execFileSync(process.execPath, [BIN('flinkx.js'), 'submit', jobFile, '--jobmanager', first.url], {
    encoding: 'utf8',
  }).trim();
  say(`submitted job ${jobId}`);
  const faults: Fault[] = [];
  let injecting: { n: number; kind: FaultKind } | undefined;
  /** What a job state change follows: the fault being injected, or the last one. */
  const context = (): string => {
    if (injecting) return `during fault #${injecting.n} ${injecting.kind}`;
    const f = faults[faults.length - 1];
    return f ? `${((Date.now() - f.end) / 1000).toFixed(1)} s after fault #${f.n} ${f.kind} ended` : 'before any fault';
  };
  running.monitor = new JobMonitor(cluster, jobId, say, context);
  const monitor = running.monitor;
  monitor.start();
  await until('the job RUNNING with a completed checkpoint', 120_000, () => monitor.recoveredAt(0));

  const rand = mulberry32(SEED);
  const recoveries: { fault: Fault; ms: number }[] = [];
  const failures: Failure[] = [];
  let anomaliesSeen = 0;
  let lastProgress = 0;

  const fail = (f: Failure) => {
    if (interrupted || failures.some((g) => g.what === f.what)) return;
    failures.push(f);
    say(`FAILURE: ${f.what}; ${describe(f.after)}`);
  };
  /** Whether the run has failed: records what happened since the last look, and prints progress every 10 s. */
  const lookForFailure = (): boolean => {
    for (const a of tail.anomalies.slice(anomaliesSeen))
      fail({ what: `committed output out of step: ${a.what}`, after: faultBefore(faults, a.at) });
    anomaliesSeen = tail.anomalies.length;
    if (monitor.terminal)
      fail({
        what: `job ${monitor.status!.state}: ${monitor.status!.failure ?? ''}`,
        after: faults[faults.length - 1],
      });
    const since = monitor.noJobManagerSince;
    if (cluster.liveJobManagers().length === 0)
      fail({ what: 'no JobManager process left', after: faults[faults.length - 1] });
    else if (since !== undefined && Date.now() - since > STALL_MS)
      fail({ what: `no JobManager answered for over ${STALL_MS / 1000} s`, after: faultBefore(faults, since) });
    if (Date.now() - lastProgress >= 10_000) {
      lastProgress = Date.now();
      const s = monitor.status;
      say(
        `progress: job ${s?.state} attempt ${s?.attempt} restarts ${s?.restarts} checkpoints ${s?.completed} (via ${s?.jmName}) | input ${producer.lines} lines | ` +
          `output ${tail.watch.records} updates, last ${tail.lastOutputAt ? ms(Date.now() - tail.lastOutputAt) : 'never'} ago | load ${loadavg()[0].toFixed(2)}`,
      );
    }
    return failures.length > 0;
  };

  const faultsUntil = Date.now() + MINUTES * 60_000;
  say(`faults start; they stop at +${((faultsUntil - t0) / 1000).toFixed(0)}s`);
  while (Date.now() < faultsUntil && !lookForFailure()) {
    const pauseUntil = Date.now() + 2000 + Math.floor(rand() * 4000);
    while (Date.now() < pauseUntil && !lookForFailure()) await sleep(200);
    if (failures.length > 0 || Date.now() >= faultsUntil) break;
    const kind = [...KINDS][Math.floor(rand() * KINDS.size)];
    injecting = { n: faults.length + 1, kind };
    say(`fault #${injecting.n} ${kind} begins`);
    const fault: Fault = {
      n: injecting.n,
      ...(await inject(kind, { cluster, broker, tmpfs: running.tmpfs, rand, kinds: KINDS, say })),
    };
    faults.push(fault);
    injecting = undefined;
    say(`fault #${fault.n} ${kind} ended: ${fault.detail}`);
    const deadline = fault.end + STALL_MS;
    let recovered: number | undefined;
    while (!(recovered = monitor.recoveredAt(fault.end)) && Date.now() < deadline && !lookForFailure())
      await sleep(100);
    if (recovered) {
      recoveries.push({ fault, ms: recovered - fault.end });
      say(
        `fault #${fault.n} ${kind}: recovered in ${ms(recovered - fault.end)} (checkpoint ${monitor.status?.latest?.id} completed)`,
      );
    } else if (Date.now() >= deadline) {
      fail({
        what: `stall: no checkpoint completed with the job RUNNING within ${STALL_MS / 1000} s (job ${monitor.status?.state}, attempt ${monitor.status?.attempt})`,
        after: fault,
      });
    }
  }

  say(`faults stopped (${faults.length}); stopping the input`);
  await producer.stop();
  const truth = await readInputCounts(kafka, admin, input, 120_000);
  say(
    `input: ${truth.lines} lines (${producer.lines} acknowledged to the producer, ${producer.failedSends} failed sends), ${truth.counts.size} distinct words`,
  );
  // Also after a stall: whether the job comes back late is worth knowing.
  const hopeless = () => monitor.terminal || cluster.liveJobManagers().length === 0;
  let caughtUp = false;
  if (!hopeless()) {
    const caughtUpBy = Date.now() + CATCHUP_MS;
    while (tail.watch.behind(truth.counts) > 0 && Date.now() < caughtUpBy && !hopeless()) {
      lookForFailure();
      await sleep(250);
    }
    const behind = tail.watch.behind(truth.counts);
    if (behind > 0) {
      fail({
        what: `not caught up within ${CATCHUP_MS / 1000} s: ${behind} of ${truth.counts.size} words below their input count (last output ${tail.lastOutputAt ? ms(Date.now() - tail.lastOutputAt) : 'never'} ago; job ${monitor.status?.state})`,
        after: faults[faults.length - 1],
      });
    } else {
      caughtUp = true;
      say('output caught up with the input');
    }
  }
  lookForFailure();
  await monitor.stop();
  let check: CheckResult | undefined;
  try {
    const out = await readCommitted(kafka, admin, output, 120_000);
    check = checkChangelogs(truth.counts, out.byKey, out.misKeyed);
    const onlyShort = Object.keys(check.counts).join() === 'short';
    const why = onlyShort && !caughtUp ? ' (only short changelogs: the job did not catch up, see above)' : '';
    if (!check.ok)
      fail({
        what: `final check${why}: ${JSON.stringify(check.counts)}; ${check.examples.slice(0, 5).join('; ')}`,
        after: faults[faults.length - 1],
      });
  } catch (err) {
    fail({ what: `final read of the output failed: ${(err as Error).message}` });
  }

  report(faults, recoveries, failures, monitor, cluster, check, truth.lines);
  return failures.length > 0 ? 1 : 0;
}

function report(
  faults: Fault[],
  recoveries: { fault: Fault; ms: number }[],
  failures: Failure[],
  monitor: JobMonitor,
  cluster: ChaosCluster,
  check: CheckResult | undefined,
  lines: number,
): void {
  const out: string[] = ['', '=== chaos summary ==='];
  out.push(
    `seed ${SEED}, ${MINUTES} min of faults (${[...KINDS].join(',')}), input ${RATE} lines/s, p=${PARALLELISM}, ${TASK_MANAGERS} TMs x 2 slots, 2 JMs, checkpoints every ${CHECKPOINT_MS} ms`,
  );
  out.push(
    "faults by kind (recovery: from the fault's end until a checkpoint triggered after it completed, the job RUNNING):",
  );
  out.push('| kind | faults | recovered | recovery min | median | max |');
  out.push('|---|---:|---:|---:|---:|---:|');
  for (const kind of KINDS) {
    const n = faults.filter((f) => f.kind === kind).length;
    const r = recoveries.filter((x) => x.fault.kind === kind).map((x) => x.ms);
    const fig = (v: number | undefined) => (v === undefined ? '-' : ms(v));
    out.push(
      `| ${kind} | ${n} | ${r.length} | ${fig(r.length ? Math.min(...r) : undefined)} | ${fig(r.length ? median(r) : undefined)} | ${fig(r.length ? Math.max(...r) : undefined)} |`,
    );
  }
  const s = monitor.status;
  const seen = s ? ` (last seen at +${((s.at - t0) / 1000).toFixed(1)}s)` : '';
  out.push(
    `job: ${s?.state ?? 'unknown'}${seen}, restarts ${s?.restarts ?? '?'} and attempt ${s?.attempt ?? '?'} (REST, ${s?.jmName ?? 'no JM'}), ${s?.completed ?? '?'} checkpoints completed under the last JM, ${monitor.takeovers} JobManager takeovers seen`,
  );
  if (cluster.exits.length > 0)
    out.push(
      `processes that exited by themselves: ${cluster.exits
        .map(
          (e) =>
            `${e.name} (${e.how}) at +${((e.at - t0) / 1000).toFixed(1)}s: ${
              e.lastLines
                .split('\n')
                .reverse()
                .find((l) => /error/i.test(l)) ?? e.lastLines.split('\n').pop()
            }`,
        )
        .join('; ')}`,
    );
  if (check) {
    out.push(
      `check: ${check.ok ? 'EXACT' : 'WRONG'}: ${lines} input lines, ${check.words} words, ${check.expectedRecords} updates expected, ${check.records} committed${check.ok ? '' : `; ${JSON.stringify(check.counts)}`}`,
    );
    for (const e of check.examples) out.push(`  ${e}`);
  }
  if (failures.length === 0) out.push('result: PASS');
  else {
    out.push(`result: FAIL (${failures.length})`);
    for (const f of failures.slice(0, 20)) out.push(`  - ${f.what}; ${describe(f.after)}`);
  }
  process.stdout.write(out.join('\n') + '\n');
}

main()
  .then(async (code) => {
    await cleanup(KEEP || code !== 0);
    process.exit(code);
  })
  .catch(async (err: Error) => {
    say(`error: ${err.stack ?? err.message}`);
    if (running.cluster) process.stdout.write(running.cluster.logs() + '\n');
    await cleanup(true);
    process.exit(1);
  });
