/**
 * `npm run bench`: word count over one generated text, three ways, all in this one run.
 *
 *   (a) a hand-written single-process loop: read the file, tokenize exactly like the built-in
 *       `tokenize` (lowercase, split on /[^\p{L}\p{N}]+/u, drop empty), count in a Map, write the
 *       final counts as JSON lines. Timed from start of read to end of write.
 *   (b) `flinkx run <job.json>` (embedded JobManager + TaskManager) in a child process at
 *       parallelism 2. Timed as the wall-clock of the whole child process, start-up included.
 *   (c) a real cluster (flinkx-jm + two flinkx-tm with one slot each), started before timing;
 *       `flinkx submit <job.json> --wait` at parallelism 2. Timed from spawning the submit client
 *       until it exits after seeing FINISHED (client start-up and its 500 ms status poll included).
 *   (d) Apache Flink 1.20 (bench/peers/flink) running the same job on the same file at the same
 *       parallelism in a local MiniCluster, in a JVM of its own. Timed as the wall-clock of the whole
 *       JVM, start-up included, as (b). Skipped with a note when `java` or `mvn` is missing.
 *
 * CPU time is reported beside wall-clock, as it is far less sensitive to other work on the machine:
 * (a) this process; (b) the child, all threads (via bench/cpu-report.ts preloaded); (c) JobManager +
 * TaskManagers over the run (from /proc/<pid>/stat) plus the submit client; (d) the JVM, all threads.
 *
 * (b), (c) and (d) must produce exactly the counts of (a) (last record per word across part-*.jsonl);
 * any difference fails the bench. Each variant runs BENCH_RUNS times (default 3); the best run is
 * used for the table, and every run is printed.
 *
 * Knobs (environment): BENCH_LINES (default 500000), BENCH_WORDS_PER_LINE (10),
 * BENCH_VOCABULARY (10000), BENCH_RUNS (3), BENCH_KEEP=1 keeps the temp dir.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildFlinkPeer, flinkMissing, runFlink } from './flink';

const ROOT = resolve(__dirname, '..', '..');
const BIN = (name: string) => join(ROOT, 'bin', name);

const LINES = intEnv('BENCH_LINES', 500_000);
const WORDS_PER_LINE = intEnv('BENCH_WORDS_PER_LINE', 10);
const VOCABULARY = intEnv('BENCH_VOCABULARY', 10_000);
const RUNS = intEnv('BENCH_RUNS', 3);
const PARALLELISM = 2;

function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}

function log(line: string): void {
  process.stdout.write(`[bench] ${line}\n`);
}

/** The 1-minute load average: other work on the machine skews every figure, so it is printed with each run. */
function load(): string {
  return `load ${loadavg()[0].toFixed(2)}`;
}

class BenchFailure extends Error {}

// ---------------------------------------------------------------------------------------------
// Input: deterministic, Zipf-distributed words with capitals, punctuation, digits and non-ASCII.
// ---------------------------------------------------------------------------------------------

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ne', 'ru', 'sa', 'ti', 'vo', 'ze', 'pu', 'da', 'fe', 'go', 'hi', 'ju', 'be', 'str', 'an', 'or', 'el'];
const ACCENTED = ['é', 'ü', 'ñ', 'ø', 'å', 'ç'];
const CJK = ['数', '据', '流', '处', '理', '词', '频', '计'];
const PUNCT = [',', '.', ';', ':', '!', '?', ' -', ' —', ')', '"'];

/** Distinct words, each exactly one token under the built-in tokenizer (letters/digits only). */
function vocabulary(n: number, rnd: () => number): string[] {
  const seen = new Set<string>();
  const words: string[] = [];
  while (words.length < n) {
    const r = rnd();
    let w: string;
    if (r < 0.02) {
      w = '';
      for (let i = 1 + Math.floor(rnd() * 3); i >= 0; i--) w += CJK[Math.floor(rnd() * CJK.length)];
    } else if (r < 0.04) {
      w = String(Math.floor(rnd() * 100_000)); // \p{N}: numbers are words too
    } else {
      w = '';
      for (let i = 1 + Math.floor(rnd() * 3); i >= 0; i--) w += SYLLABLES[Math.floor(rnd() * SYLLABLES.length)];
      if (r < 0.1) {
        const at = Math.floor(rnd() * w.length);
        w = w.slice(0, at) + ACCENTED[Math.floor(rnd() * ACCENTED.length)] + w.slice(at);
      }
    }
    if (!seen.has(w)) {
      seen.add(w);
      words.push(w);
    }
  }
  return words;
}

function capitalize(w: string): string {
  return w.charAt(0).toUpperCase() + w.slice(1);
}

/** Writes the input file; returns how many vocabulary words it contains (= tokens). */
function generateInput(path: string): number {
  const rnd = prng(20240611);
  const vocab = vocabulary(VOCABULARY, rnd);
  // Zipf (s = 1): P(rank k) ∝ 1/k. Sample by binary search over the cumulative weights.
  const cdf = new Float64Array(vocab.length);
  let total = 0;
  for (let k = 0; k < vocab.length; k++) cdf[k] = total += 1 / (k + 1);
  const pick = (): string => {
    const u = rnd() * total;
    let lo = 0;
    let hi = cdf.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return vocab[lo];
  };
  const fd = openSync(path, 'w');
  let words = 0;
  let chunk = '';
  for (let line = 0; line < LINES; line++) {
    let text = rnd() < 0.05 ? '  ' : ''; // a leading separator gives an empty first token
    for (let i = 0; i < WORDS_PER_LINE; i++) {
      let w = pick();
      if (i === 0 || rnd() < 0.03) w = capitalize(w);
      else if (rnd() < 0.01) w = w.toUpperCase();
      text += (i === 0 ? '' : ' ') + w;
      if (rnd() < 0.08) text += PUNCT[Math.floor(rnd() * PUNCT.length)];
      words++;
    }
    chunk += text + (rnd() < 0.5 ? '.' : '') + (line % 97 === 0 ? '\r\n' : '\n');
    if (chunk.length > 1 << 20) {
      writeFileSync(fd, chunk);
      chunk = '';
    }
  }
  writeFileSync(fd, chunk);
  closeSync(fd);
  return words;
}

// ---------------------------------------------------------------------------------------------
// (a) the hand-written loop
// ---------------------------------------------------------------------------------------------

const WORD_SPLIT = /[^\p{L}\p{N}]+/u;

function handWritten(input: string, output: string): { counts: Map<string, number>; tokens: number } {
  // Decode line by line from the bytes, as the file source does. (Slicing lines out of one decoded
  // string is ~2x slower to tokenize here: the non-Latin-1 text makes the whole string, and so
  // every slice of it, two-byte, which takes V8 off its one-byte toLowerCase/regexp fast paths.)
  const bytes = readFileSync(input);
  const counts = new Map<string, number>();
  let tokens = 0;
  let start = 0;
  while (start < bytes.length) {
    let nl = bytes.indexOf(0x0a, start);
    if (nl < 0) nl = bytes.length;
    const end = nl > start && bytes[nl - 1] === 0x0d ? nl - 1 : nl; // drop a CR, as the file source does
    const line = bytes.toString('utf8', start, end);
    start = nl + 1;
    for (const word of line.toLowerCase().split(WORD_SPLIT)) {
      if (!word) continue;
      counts.set(word, (counts.get(word) ?? 0) + 1);
      tokens++;
    }
  }
  let out = '';
  for (const [word, count] of counts) out += JSON.stringify({ word, count }) + '\n';
  writeFileSync(output, out);
  return { counts, tokens };
}

// ---------------------------------------------------------------------------------------------
// Child processes
// ---------------------------------------------------------------------------------------------

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  cpuMs?: number;
}

/** Run a node script to completion, timing it from spawn to exit; `cpuMs` is its own CPU time (all threads). */
function runNode(args: string[], timeoutMs: number, cpuFile: string): Promise<Exited> {
  return new Promise((resolvePromise, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, ['--require', join(__dirname, 'cpu-report.js'), ...args], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, FLINKX_BENCH_CPU_FILE: cpuFile },
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGTERM');
      reject(new BenchFailure(`timed out after ${timeoutMs} ms: node ${args.join(' ')}\n${stdout}${stderr}`));
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const ms = performance.now() - t0;
      let cpuMs: number | undefined;
      try {
        const u = JSON.parse(readFileSync(cpuFile, 'utf8')) as { userMs: number; systemMs: number };
        cpuMs = u.userMs + u.systemMs;
      } catch {
        // the process did not get to write it
      }
      resolvePromise({ code, signal, stdout, stderr, ms, cpuMs });
    });
  });
}

function mustSucceed(what: string, r: Exited): void {
  if (r.code !== 0) {
    throw new BenchFailure(`${what} exited with ${r.code ?? r.signal}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`);
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolvePromise(port));
    });
  });
}

/** Long-running cluster processes; their output goes to log files in the temp dir. */
class Cluster {
  readonly procs: { name: string; child: ChildProcess; log: string }[] = [];
  constructor(private readonly dir: string) {}

  start(name: string, args: string[]): void {
    const log = join(this.dir, `${name}.log`);
    const fd = openSync(log, 'w');
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', fd, fd] });
    closeSync(fd);
    this.procs.push({ name, child, log });
  }

  /** A process that died early, if any. */
  dead(): { name: string; code: number | null; log: string } | undefined {
    const p = this.procs.find((p) => p.child.exitCode !== null || p.child.signalCode !== null);
    return p && { name: p.name, code: p.child.exitCode, log: p.log };
  }

  /** CPU time (user + system, all threads) the cluster processes have used so far; undefined off Linux. */
  cpuMs(): number | undefined {
    let total = 0;
    for (const { child } of this.procs) {
      const t = procCpuMs(child.pid);
      if (t === undefined) return undefined;
      total += t;
    }
    return total;
  }

  logs(): string {
    return this.procs.map((p) => `--- ${p.name} (${p.log})\n${tail(p.log, 30)}`).join('\n');
  }

  /** SIGTERM every process we started; SIGKILL the ones that have not exited after 5 s. */
  async stop(): Promise<void> {
    await Promise.all(
      this.procs.map(({ child }) => {
        if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        return new Promise<void>((res) => {
          const kill = setTimeout(() => child.kill('SIGKILL'), 5000);
          child.once('exit', () => {
            clearTimeout(kill);
            res();
          });
          child.kill('SIGTERM');
        });
      }),
    );
  }
}

/** utime + stime of a live process from /proc/<pid>/stat (Linux), in ms; clock ticks assumed 100/s. */
function procCpuMs(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from #3 (state) on
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

function tail(path: string, lines: number): string {
  try {
    return readFileSync(path, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitForTaskManagers(base: string, n: number, cluster: Cluster, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let seen = -1;
  while (Date.now() < deadline) {
    const dead = cluster.dead();
    if (dead) throw new BenchFailure(`${dead.name} exited with ${dead.code} before the cluster was up\n${cluster.logs()}`);
    try {
      const res = await fetch(`${base}/taskmanagers`, { signal: AbortSignal.timeout(2000) });
      if (res.ok) {
        const tms = (await res.json()) as unknown[];
        if (tms.length !== seen) log(`(c) cluster: ${tms.length}/${n} TaskManagers registered`);
        seen = tms.length;
        if (tms.length >= n) return;
      }
    } catch {
      // the JobManager is not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new BenchFailure(`the cluster did not come up within ${timeoutMs} ms\n${cluster.logs()}`);
}

// ---------------------------------------------------------------------------------------------
// Jobs and results
// ---------------------------------------------------------------------------------------------

function writeJob(path: string, name: string, input: string, out: string): void {
  const job = {
    name,
    parallelism: PARALLELISM,
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'file', path: input } },
      { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
      { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
      { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: out } },
    ],
  };
  writeFileSync(path, JSON.stringify(job, null, 2) + '\n');
}

/** Final count per word: the last record per word across the part files (a key must stay in one). */
function readFinalCounts(dir: string): { counts: Map<string, number>; records: number; parts: number } {
  const parts = readdirSync(dir).filter((f) => /^part-\d+\.jsonl$/.test(f)).sort();
  if (parts.length === 0) throw new BenchFailure(`no part-*.jsonl in ${dir}`);
  const counts = new Map<string, number>();
  const partOf = new Map<string, string>();
  let records = 0;
  for (const part of parts) {
    const text = readFileSync(join(dir, part), 'utf8');
    let start = 0;
    while (start < text.length) {
      let nl = text.indexOf('\n', start);
      if (nl < 0) nl = text.length;
      if (nl > start) {
        const r = JSON.parse(text.slice(start, nl)) as { word: unknown; count: unknown };
        if (typeof r.word !== 'string' || typeof r.count !== 'number') throw new BenchFailure(`${part}: unexpected record ${text.slice(start, nl)}`);
        const owner = partOf.get(r.word);
        if (owner !== undefined && owner !== part) throw new BenchFailure(`word ${JSON.stringify(r.word)} appears in ${owner} and ${part}: keyBy did not keep it in one subtask`);
        partOf.set(r.word, part);
        counts.set(r.word, r.count);
        records++;
      }
      start = nl + 1;
    }
  }
  return { counts, records, parts: parts.length };
}

function compareCounts(what: string, expected: Map<string, number>, actual: Map<string, number>): void {
  const problems: string[] = [];
  for (const [w, n] of expected) {
    const m = actual.get(w);
    if (m !== n) problems.push(`${JSON.stringify(w)}: expected ${n}, got ${m ?? 'nothing'}`);
  }
  for (const [w, m] of actual) if (!expected.has(w)) problems.push(`${JSON.stringify(w)}: unexpected word with count ${m}`);
  if (problems.length > 0) {
    throw new BenchFailure(
      `${what} does not match the hand-written loop: ${problems.length} word(s) differ (expected ${expected.size} words, got ${actual.size})\n  ` +
        problems.slice(0, 20).join('\n  '),
    );
  }
}

function verify(what: string, out: string, expected: Map<string, number>, tokens: number): void {
  const { counts, records, parts } = readFinalCounts(out);
  compareCounts(what, expected, counts);
  // `sum` emits the running total for every input record: one output record per word occurrence.
  if (records !== tokens) throw new BenchFailure(`${what}: ${records} output records, expected one per word (${tokens})`);
  log(`${what}: counts match (a): ${counts.size} distinct words, ${records} changelog records in ${parts} part files`);
}

interface JobDetailsLite {
  state: string;
  duration: number;
  vertices?: {
    id: string;
    name: string;
    subtasks?: { index: number; tm?: string; metrics?: { recordsIn?: number; busyMs?: number; backPressuredMs?: number } }[];
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
      lines.push(`${v.name}[${st.index}] on ${st.tm ?? '?'}: ${m.recordsIn ?? '?'} records in, busy ${f(m.busyMs)}, back-pressured ${f(m.backPressuredMs)}`);
    }
  }
  return lines;
}

/** "FINISHED in 4.2s" (embedded) or the JobManager's job duration, in ms. */
function parseSeconds(text: string): number | undefined {
  const m = /FINISHED in ([\d.]+)s/.exec(text);
  return m ? Number(m[1]) * 1000 : undefined;
}

// ---------------------------------------------------------------------------------------------

interface Run {
  /** Wall-clock of what the variant times (see the header of this file). */
  ms: number;
  /** CPU time (user + system, all threads) of the processes doing the work, when known. */
  cpuMs?: number;
  /** Job duration as the JobManager reports it (deployment → FINISHED), when known. */
  jobMs?: number;
}

const best = (runs: Run[]): Run => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const optSec = (ms: number | undefined) => (ms === undefined ? '?' : sec(ms));
const perSec = (n: number, ms: number) => Math.round((n * 1000) / ms);
const fmtRate = (n: number) => n.toLocaleString('en-US');

function table(header: string[], rows: string[][]): string {
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  return [line(header), '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|', ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flinkx-bench-'));
  const cluster = new Cluster(dir);
  const onSignal = (sig: NodeJS.Signals) => {
    void cluster.stop().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let ok = false;
  try {
    log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`);
    log(`temp dir ${dir}; ${load()} before start`);

    // Input --------------------------------------------------------------------------------
    const input = join(dir, 'input.txt');
    let t0 = performance.now();
    const generated = generateInput(input);
    const bytes = statSync(input).size;
    log(`generated ${LINES} lines × ${WORDS_PER_LINE} words (vocabulary ${VOCABULARY}, Zipf s=1): ${generated} words, ${(bytes / 1e6).toFixed(1)} MB in ${sec(performance.now() - t0)}`);

    // (a) ----------------------------------------------------------------------------------
    const aRuns: Run[] = [];
    let expected = new Map<string, number>();
    let tokens = 0;
    for (let i = 1; i <= RUNS; i++) {
      const cpu0 = process.cpuUsage();
      t0 = performance.now();
      const r = handWritten(input, join(dir, 'a-counts.jsonl'));
      const ms = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const cpuMs = (cpu.user + cpu.system) / 1000;
      aRuns.push({ ms, cpuMs });
      expected = r.counts;
      tokens = r.tokens;
      log(`(a) hand-written loop, run ${i}/${RUNS}: ${sec(ms)}, CPU ${sec(cpuMs)} (${r.tokens} words, ${r.counts.size} distinct; ${load()})`);
    }
    if (tokens !== generated) throw new BenchFailure(`(a) counted ${tokens} words but the generator wrote ${generated}`);

    // (b) ----------------------------------------------------------------------------------
    const bRuns: Run[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const out = join(dir, `b-out-${i}`);
      const job = join(dir, `b-job-${i}.json`);
      writeJob(job, 'bench-wordcount-embedded', input, out);
      log(`(b) flinkx run (embedded, parallelism ${PARALLELISM}), run ${i}/${RUNS} ... (${load()})`);
      const r = await runNode([BIN('flinkx.js'), 'run', job], 600_000, join(dir, `b-cpu-${i}.json`));
      mustSucceed('(b) flinkx run', r);
      const jobMs = parseSeconds(r.stdout);
      bRuns.push({ ms: r.ms, cpuMs: r.cpuMs, jobMs });
      log(`(b) run ${i}/${RUNS}: ${sec(r.ms)} wall-clock of the process, CPU ${optSec(r.cpuMs)} (job itself ${optSec(jobMs)} as it reports)`);
      verify(`(b) run ${i}`, out, expected, tokens);
      rmSync(out, { recursive: true, force: true });
    }

    // (c) ----------------------------------------------------------------------------------
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const jmData = join(dir, 'jm-data');
    mkdirSync(jmData);
    log(`(c) starting a JobManager on port ${port} and two TaskManagers with 1 slot each`);
    cluster.start('jobmanager', [BIN('flinkx-jm.js'), 'start', '--port', String(port), '--data-dir', jmData, '--log-level', 'warn']);
    for (const n of [1, 2]) {
      cluster.start(`taskmanager-${n}`, [BIN('flinkx-tm.js'), 'start', '--slots', '1', '--jobmanager', `ws://127.0.0.1:${port}`, '--log-level', 'warn']);
    }
    await waitForTaskManagers(base, 2, cluster, 30_000);
    const cRuns: Run[] = [];
    for (let i = 1; i <= RUNS; i++) {
      const out = join(dir, `c-out-${i}`);
      const job = join(dir, `c-job-${i}.json`);
      writeJob(job, 'bench-wordcount-cluster', input, out);
      log(`(c) flinkx submit --wait (cluster, parallelism ${PARALLELISM}), run ${i}/${RUNS} ... (${load()})`);
      const clusterCpu0 = cluster.cpuMs();
      const r = await runNode([BIN('flinkx.js'), 'submit', job, '--jobmanager', base, '--wait'], 600_000, join(dir, `c-cpu-${i}.json`));
      const clusterCpu1 = cluster.cpuMs();
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
      cRuns.push({ ms: r.ms, cpuMs, jobMs });
      log(`(c) run ${i}/${RUNS}: ${sec(r.ms)} from submit to FINISHED, CPU ${optSec(cpuMs)} = JM + TMs ${optSec(clusterCpu)} + client ${optSec(r.cpuMs)} (job ${jobId}: ${optSec(jobMs)} as the JobManager reports)`);
      for (const l of taskLines) log(`(c) run ${i}:   ${l}`);
      verify(`(c) run ${i}`, out, expected, tokens);
      rmSync(out, { recursive: true, force: true });
      const dead = cluster.dead();
      if (dead) throw new BenchFailure(`${dead.name} exited with ${dead.code} during the bench\n${cluster.logs()}`);
    }
    log('(c) stopping the cluster (SIGTERM)');
    await cluster.stop();

    // (d) ----------------------------------------------------------------------------------
    const dRuns: Run[] = [];
    const missing = flinkMissing();
    if (missing) log(`(d) Apache Flink skipped: ${missing}`);
    else {
      const built = buildFlinkPeer();
      log(`(d) built bench/peers/flink (${built.offline ? 'offline' : 'online'}) in ${sec(built.ms)}`);
      for (let i = 1; i <= RUNS; i++) {
        const out = join(dir, `d-out-${i}`);
        log(`(d) Apache Flink MiniCluster, parallelism ${PARALLELISM}, run ${i}/${RUNS} ... (${load()})`);
        const r = await runFlink(['wordcount', String(PARALLELISM), input, out], 600_000);
        dRuns.push(r);
        log(`(d) run ${i}/${RUNS}: ${sec(r.ms)} wall-clock of the JVM, CPU ${sec(r.cpuMs)} (job itself ${sec(r.jobMs)} as Flink reports)`);
        verify(`(d) run ${i}`, out, expected, tokens);
        rmSync(out, { recursive: true, force: true });
      }
    }

    // Table --------------------------------------------------------------------------------
    const a = best(aRuns);
    const b = best(bRuns);
    const c = best(cRuns);
    const d = dRuns.length > 0 ? best(dRuns) : undefined;
    const row = (label: string, r: Run, runs: Run[]) => [
      label,
      sec(r.ms),
      fmtRate(perSec(tokens, r.ms)),
      (a.ms / r.ms).toFixed(3),
      optSec(r.cpuMs),
      r.cpuMs === undefined ? '?' : fmtRate(perSec(tokens, r.cpuMs)),
      runs.map((x) => sec(x.ms)).join(', '),
    ];
    const rows = [
      row('(a) hand-written loop, 1 process', a, aRuns),
      row(`(b) flinkx run, embedded, p=${PARALLELISM}`, b, bRuns),
      row(`(c) cluster JM + 2 TM, p=${PARALLELISM}`, c, cRuns),
      ...(d ? [row(`(d) Apache Flink MiniCluster, p=${PARALLELISM}`, d, dRuns)] : []),
    ];
    const w = (text: string) => process.stdout.write(text + '\n');
    w('');
    w(`Word count of ${tokens.toLocaleString('en-US')} words (${LINES.toLocaleString('en-US')} lines, ${expected.size} distinct, ${(bytes / 1e6).toFixed(1)} MB), ` +
      `${availableParallelism()} cores, node ${process.version}; best (shortest wall-clock) of ${RUNS} run(s) each.`);
    w('');
    w(table(['variant', 'wall-clock', 'words/s', 'ratio to (a)', 'CPU time', 'words per CPU-second', 'all runs (wall-clock)'], rows));
    w('');
    w(`ratio b/a = ${(a.ms / b.ms).toFixed(3)}   c/a = ${(a.ms / c.ms).toFixed(3)}   (words/s of the variant ÷ words/s of (a), wall-clock)`);
    if (d) {
      w(`ratio b/d = ${(d.ms / b.ms).toFixed(3)}   c/d = ${(d.ms / c.ms).toFixed(3)}   (flinkx words/s ÷ Flink words/s, wall-clock, same run; above 1 = flinkx faster)`);
      if (b.cpuMs !== undefined && d.cpuMs !== undefined) w(`CPU ratio b/d = ${(d.cpuMs / b.cpuMs).toFixed(3)}   (flinkx words per CPU-second ÷ Flink's)`);
    } else w('ratio to Flink: not measured (Flink skipped, see above)');
    w('');
    w('What each time covers:');
    w('  (a) read the file, tokenize, count in a Map, write the counts as JSON lines; in this process, no start-up.');
    w('  (b) wall-clock of the whole `node bin/flinkx.js run` child process: node start-up, embedded JobManager and');
    w('      TaskManager (2 slot worker threads) start-up, job, teardown. CPU: that process, all threads.');
    w('  (c) wall-clock of `node bin/flinkx.js submit --wait` against the already running cluster: client start-up,');
    w("      submission, deployment, job, and until the client's status poll (every 500 ms) sees FINISHED.");
    w('      CPU: JobManager + both TaskManagers over that interval (from /proc) + the submit client.');
    w('  (d) wall-clock of the whole `java flinkx.peer.Main wordcount` JVM: JVM and MiniCluster start-up, job, exit.');
    w('      CPU: that JVM, all threads, as it reports at its end.');
    w('  (b), (c) and (d) write one changelog record per word occurrence (the keyed sum emits every update); (a)');
    w('      writes only the final counts. All of them are checked to give identical final counts.');
    w("For reference, the job duration each engine reports (flinkx: deployment → job FINISHED; Flink: the job's net runtime), best run:");
    for (const [label, r, runs] of [['(b)', b, bRuns], ['(c)', c, cRuns], ...(d ? [['(d)', d, dRuns] as const] : [])] as const) {
      w(`  ${label} ${r.jobMs === undefined ? '?' : `${sec(r.jobMs)} = ${fmtRate(perSec(tokens, r.jobMs))} words/s`}` +
        `  (all runs: ${runs.map((x) => optSec(x.jobMs)).join(', ')})`);
    }
    w(`1-minute load average at the end: ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores (the bench itself adds up to ~2; more is other work competing).`);
    ok = true;
  } catch (err) {
    process.stderr.write(`\n[bench] FAILED: ${err instanceof BenchFailure ? err.message : ((err as Error).stack ?? String(err))}\n`);
    process.exitCode = 1;
  } finally {
    await cluster.stop();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    if (ok && process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

export { compareCounts, readFinalCounts, verify, BenchFailure, Cluster, freePort, generateInput, waitForTaskManagers, intEnv, log, load, ROOT, BIN, runNode, mustSucceed, parseSeconds, table };

if (require.main === module) void main();
