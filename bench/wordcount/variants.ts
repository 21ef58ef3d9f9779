/**
 * The word count's variants, each run `runs` times on the same input and checked against (a):
 * (a) the hand-written loop, (b) `flinkx run` embedded, (c) a cluster of a JobManager and two
 * TaskManagers, (d) Apache Flink's MiniCluster. See bench/run.ts for what each time covers.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { buildFlinkPeer, flinkMissing, runFlink } from '../flink';
import {
  BenchFailure,
  BIN,
  type Cluster,
  freePort,
  load,
  log,
  mustSucceed,
  parseSeconds,
  runNode,
  waitForTaskManagers,
} from '../processes';
import { handWritten } from './input';
import { BENCH_MINI_BATCH, verify, writeJob } from './verify';

export interface Run {
  /** Wall-clock of what the variant times (see the header of bench/run.ts). */
  ms: number;
  /** CPU time (user + system, all threads) of the processes doing the work, when known. */
  cpuMs?: number;
  /** Peak RSS of those processes (summed over processes), KiB, when known. */
  rssKb?: number;
  /** Job duration as the engine reports it (deployment → FINISHED), when known. */
  jobMs?: number;
}

/** What every variant must reproduce: (a)'s final counts, and one changelog record per word. */
export interface Expected {
  counts: Map<string, number>;
  tokens: number;
}

const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const optSec = (ms: number | undefined) => (ms === undefined ? '?' : sec(ms));
const mb = (kb: number | undefined) => (kb === undefined ? '?' : `${(kb / 1024).toFixed(0)} MB`);

export function runHandWritten(input: string, dir: string, runs: number): { runs: Run[]; expected: Expected } {
  const out: Run[] = [];
  let expected: Expected = { counts: new Map(), tokens: 0 };
  for (let i = 1; i <= runs; i++) {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const r = handWritten(input, join(dir, 'a-counts.jsonl'));
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    // ru_maxrss of this process: the bench's own memory too, so an upper bound
    out.push({ ms, cpuMs, rssKb: process.resourceUsage().maxRSS });
    expected = { counts: r.counts, tokens: r.tokens };
    log(
      `(a) hand-written loop, run ${i}/${runs}: ${sec(ms)}, CPU ${sec(cpuMs)} (${r.tokens} words, ${r.counts.size} distinct; ${load()})`,
    );
  }
  return { runs: out, expected };
}

/** (b), or with `miniBatch` (b'): the job with the bench's mini-batch. */
export async function runEmbedded(
  input: string,
  dir: string,
  p: number,
  runs: number,
  expected: Expected,
  miniBatch = false,
): Promise<Run[]> {
  const out: Run[] = [];
  const v = miniBatch ? `(b') miniBatch` : '(b)';
  for (let i = 1; i <= runs; i++) {
    const tag = `b${miniBatch ? 'mb' : ''}-p${p}`;
    const outDir = join(dir, `${tag}-out-${i}`);
    const job = join(dir, `${tag}-job-${i}.json`);
    writeJob(job, 'bench-wordcount-embedded', input, outDir, p, miniBatch ? BENCH_MINI_BATCH : undefined);
    log(`${v} flinkx run (embedded, parallelism ${p}), run ${i}/${runs} ... (${load()})`);
    const r = await runNode([BIN('flinkx.js'), 'run', job], 600_000, join(dir, `${tag}-cpu-${i}.json`));
    mustSucceed(`${v} flinkx run`, r);
    const jobMs = parseSeconds(r.stdout);
    out.push({ ms: r.ms, cpuMs: r.cpuMs, rssKb: r.maxRssKb, jobMs });
    log(
      `${v} p=${p} run ${i}/${runs}: ${sec(r.ms)} wall-clock of the process, CPU ${optSec(r.cpuMs)}, peak RSS ${mb(r.maxRssKb)} (job itself ${optSec(jobMs)} as it reports)`,
    );
    verify(`${v} p=${p} run ${i}`, outDir, expected.counts, expected.tokens, miniBatch);
    rmSync(outDir, { recursive: true, force: true });
  }
  return out;
}

interface JobDetailsLite {
  state: string;
  duration: number;
  vertices?: {
    id: string;
    name: string;
    subtasks?: {
      index: number;
      tm?: string;
      metrics?: { recordsIn?: number; busyMs?: number; backPressuredMs?: number };
    }[];
  }[];
}

/** Per subtask: busy and back-pressured time as the tasks count them (evidence of where the time goes). */
function taskTimes(d: JobDetailsLite): string[] {
  const lines: string[] = [];
  for (const v of d.vertices ?? []) {
    for (const st of v.subtasks ?? []) {
      const m = st.metrics;
      if (!m) continue;
      const f = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(2)} s`);
      lines.push(
        `${v.name}[${st.index}] on ${st.tm ?? '?'}: ${m.recordsIn ?? '?'} records in, busy ${f(m.busyMs)}, back-pressured ${f(m.backPressuredMs)}`,
      );
    }
  }
  return lines;
}

/**
 * `cluster` is empty and started here: a JobManager and two TaskManagers with ⌈p/2⌉ slots each; stopped
 * at the end. (c), or with `miniBatch` (c'): the job with the bench's mini-batch.
 */
export async function runCluster(
  cluster: Cluster,
  input: string,
  dir: string,
  p: number,
  runs: number,
  expected: Expected,
  miniBatch = false,
): Promise<Run[]> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const v = miniBatch ? `(c') miniBatch` : '(c)';
  const jmData = join(dir, `jm-data-p${p}${miniBatch ? '-mb' : ''}`);
  mkdirSync(jmData);
  const slots = Math.ceil(p / 2);
  log(`(c) starting a JobManager on port ${port} and two TaskManagers with ${slots} slot(s) each`);
  cluster.start(`jobmanager-p${p}`, [
    BIN('flinkx-jm.js'),
    'start',
    '--port',
    String(port),
    '--data-dir',
    jmData,
    '--log-level',
    'warn',
  ]);
  for (const n of [1, 2]) {
    cluster.start(`taskmanager-${n}-p${p}`, [
      BIN('flinkx-tm.js'),
      'start',
      '--slots',
      String(slots),
      '--jobmanager',
      `ws://127.0.0.1:${port}`,
      '--log-level',
      'warn',
    ]);
  }
  await waitForTaskManagers(base, 2, cluster, 30_000);
  const out: Run[] = [];
  for (let i = 1; i <= runs; i++) {
    const tag = `c${miniBatch ? 'mb' : ''}-p${p}`;
    const outDir = join(dir, `${tag}-out-${i}`);
    const job = join(dir, `${tag}-job-${i}.json`);
    writeJob(job, 'bench-wordcount-cluster', input, outDir, p, miniBatch ? BENCH_MINI_BATCH : undefined);
    log(`${v} flinkx submit --wait (cluster, parallelism ${p}), run ${i}/${runs} ... (${load()})`);
    const rssReset = cluster.resetPeakRss();
    const clusterCpu0 = cluster.cpuMs();
    const r = await runNode(
      [BIN('flinkx.js'), 'submit', job, '--jobmanager', base, '--wait'],
      600_000,
      join(dir, `${tag}-cpu-${i}.json`),
    );
    const clusterCpu1 = cluster.cpuMs();
    const clusterRss = cluster.peakRssKb();
    mustSucceed('(c) flinkx submit --wait', r);
    const jobId = r.stdout.trim().split('\n')[0];
    let jobMs: number | undefined;
    let taskLines: string[] = [];
    try {
      const details = (await (await fetch(`${base}/jobs/${encodeURIComponent(jobId)}`)).json()) as JobDetailsLite;
      if (details.state !== 'FINISHED') throw new BenchFailure(`(c) job ${jobId} is ${details.state}`);
      jobMs = details.duration;
      taskLines = taskTimes(details);
    } catch (err) {
      if (err instanceof BenchFailure) throw err;
    }
    const clusterCpu = clusterCpu0 !== undefined && clusterCpu1 !== undefined ? clusterCpu1 - clusterCpu0 : undefined;
    const cpuMs = clusterCpu !== undefined && r.cpuMs !== undefined ? clusterCpu + r.cpuMs : undefined;
    const rssKb = clusterRss !== undefined && r.maxRssKb !== undefined ? clusterRss + r.maxRssKb : undefined;
    out.push({ ms: r.ms, cpuMs, rssKb, jobMs });
    log(
      `${v} p=${p} run ${i}/${runs}: ${sec(r.ms)} from submit to FINISHED, CPU ${optSec(cpuMs)} = JM + TMs ${optSec(clusterCpu)} + client ${optSec(r.cpuMs)}, ` +
        `peak RSS ${mb(rssKb)} = JM + TMs ${mb(clusterRss)}${rssReset ? '' : ' (since they started)'} + client ${mb(r.maxRssKb)} (job ${jobId}: ${optSec(jobMs)} as the JobManager reports)`,
    );
    for (const l of taskLines) log(`${v} p=${p} run ${i}:   ${l}`);
    verify(`${v} p=${p} run ${i}`, outDir, expected.counts, expected.tokens, miniBatch);
    rmSync(outDir, { recursive: true, force: true });
    const dead = cluster.dead();
    if (dead) throw new BenchFailure(`${dead.name} exited with ${dead.code} during the bench\n${cluster.logs()}`);
  }
  log('(c) stopping the cluster (SIGTERM)');
  await cluster.stop();
  return out;
}

/** Undefined (with a note) when `java` or `mvn` is missing. */
export async function runFlinkVariant(
  input: string,
  dir: string,
  p: number,
  runs: number,
  expected: Expected,
): Promise<Run[] | undefined> {
  const missing = flinkMissing();
  if (missing) {
    log(`(d) Apache Flink skipped: ${missing}`);
    return undefined;
  }
  const built = buildFlinkPeer();
  log(`(d) built bench/peers/flink (${built.offline ? 'offline' : 'online'}) in ${sec(built.ms)}`);
  const out: Run[] = [];
  for (let i = 1; i <= runs; i++) {
    const outDir = join(dir, `d-out-${i}`);
    log(`(d) Apache Flink MiniCluster, parallelism ${p}, run ${i}/${runs} ... (${load()})`);
    const r = await runFlink(['wordcount', String(p), input, outDir], 600_000);
    out.push(r);
    log(
      `(d) run ${i}/${runs}: ${sec(r.ms)} wall-clock of the JVM, CPU ${sec(r.cpuMs)} (job itself ${sec(r.jobMs)} as Flink reports)`,
    );
    verify(`(d) run ${i}`, outDir, expected.counts, expected.tokens);
    rmSync(outDir, { recursive: true, force: true });
  }
  return out;
}
