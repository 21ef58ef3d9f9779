/**
 * `npm run bench`, Nexmark part: q0 (pass-through), q1 (currency conversion), q2 (selection), q5 (hot
 * items: sliding window), q7 (highest bid: tumbling window) and q8 (new users: window join) from
 * jobs/nexmark, run by `flinkx run` and by Apache Flink 1.20 in a local MiniCluster
 * (bench/peers/flink) at the same parallelism, over the same generated events (both generators draw
 * event n from (seed, n) alike), in one run of this script.
 *
 *   check:  each query once per engine over NEXMARK_CHECK_EVENTS events into JSON-lines files; the two
 *           outputs must hold the same rows (as a multiset, numbers compared as parsed), else the
 *           bench fails. Row count and an order-independent checksum are printed.
 *   timing: each query BENCH_RUNS times per engine over NEXMARK_EVENTS events into a discarding sink,
 *           the engines alternating. Wall-clock and CPU (all threads) of the whole process, start-up
 *           included, and the job time each engine reports. Events/s per core = events ÷ CPU-seconds;
 *           "above start-up" subtracts the CPU of the same process over 50 events (start-up, teardown).
 *
 * Knobs (environment): NEXMARK_EVENTS (default 1000000), NEXMARK_CHECK_EVENTS (300000), BENCH_RUNS (3),
 * BENCH_KEEP=1 keeps the temp dir. Event time advances 1 s per 10,000 events (the generator's
 * default), so the check's 300,000 events span 30 s: three tumbling windows of q7 and q8, 19 of q5's
 * sliding ones.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildFlinkPeer, flinkMissing, runFlink } from './flink';
import { BenchFailure, BIN, intEnv, load, log, mustSucceed, parseSeconds, ROOT, runNode, table } from './processes';

const EVENTS = intEnv('NEXMARK_EVENTS', 1_000_000);
const CHECK_EVENTS = intEnv('NEXMARK_CHECK_EVENTS', 300_000);
const RUNS = intEnv('BENCH_RUNS', 3);
const STARTUP_EVENTS = 50;
const PARALLELISM = 2;
const SEED = 1;
const QUERIES = ['q0', 'q1', 'q2', 'q5', 'q7', 'q8'] as const;
type Query = (typeof QUERIES)[number];
type Engine = 'flinkx' | 'flink';

interface Run {
  ms: number;
  cpuMs: number;
  jobMs?: number;
}

const sec = (ms: number | undefined) => (ms === undefined ? '?' : `${(ms / 1000).toFixed(2)} s`);
const rate = (events: number, ms: number | undefined) =>
  ms === undefined || ms <= 0 ? undefined : (events * 1000) / ms;
const fmt = (x: number | undefined) => (x === undefined ? '?' : Math.round(x).toLocaleString('en-US'));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '?' : `${(a / b).toFixed(2)}×`;
const best = (runs: Run[]) => runs.reduce((a, b) => (b.ms < a.ms ? b : a));

/** jobs/nexmark/<query>.json with this run's event count, seed and sink (a folder of JSON lines, or discard). */
function writeFlinkxJob(dir: string, query: Query, count: number, out?: string): string {
  const spec = JSON.parse(readFileSync(join(ROOT, 'jobs', 'nexmark', `${query}.json`), 'utf8')) as {
    parallelism: number;
    functions: string;
    nodes: { type: string; connector?: Record<string, unknown> }[];
  };
  spec.parallelism = PARALLELISM;
  spec.functions = join(ROOT, 'jobs', 'nexmark', spec.functions);
  for (const n of spec.nodes) {
    if (n.type === 'source') n.connector = { ...n.connector, count, seed: SEED };
    if (n.type === 'sink') n.connector = out === undefined ? { kind: 'discard' } : { kind: 'file', path: out };
  }
  const path = join(dir, `${query}-${count}-${out === undefined ? 'discard' : 'file'}.json`);
  writeFileSync(path, JSON.stringify(spec, null, 2));
  return path;
}

let runNumber = 0;
async function run(engine: Engine, dir: string, query: Query, count: number, out?: string): Promise<Run> {
  if (engine === 'flink') {
    const args = [
      'nexmark',
      String(PARALLELISM),
      query,
      String(count),
      String(SEED),
      ...(out === undefined ? [] : [out]),
    ];
    return runFlink(args, 600_000);
  }
  const job = writeFlinkxJob(dir, query, count, out);
  const r = await runNode([BIN('flinkx.js'), 'run', job], 600_000, join(dir, `cpu-${++runNumber}.json`));
  mustSucceed(`flinkx run ${query}`, r);
  if (r.cpuMs === undefined) throw new BenchFailure(`flinkx run ${query}: no CPU report`);
  return { ms: r.ms, cpuMs: r.cpuMs, jobMs: parseSeconds(r.stdout) };
}

/** The rows of a sink folder as canonical JSON (keys sorted, numbers as parsed) → how often each occurs. */
function readRows(dir: string): { rows: Map<string, number>; count: number; checksum: number } {
  const rows = new Map<string, number>();
  let count = 0;
  let checksum = 0;
  for (const part of readdirSync(dir).filter((f) => f.endsWith('.jsonl'))) {
    for (const line of readFileSync(join(dir, part), 'utf8').split('\n')) {
      if (!line) continue;
      const value = JSON.parse(line) as Record<string, unknown>;
      const key = JSON.stringify(value, Object.keys(value).sort());
      rows.set(key, (rows.get(key) ?? 0) + 1);
      count++;
      checksum = (checksum + fnv1a(key)) >>> 0; // a sum: independent of the order rows arrive in
    }
  }
  return { rows, count, checksum };
}

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function compareRows(query: Query, flinkx: Map<string, number>, flink: Map<string, number>): void {
  const problems: string[] = [];
  for (const [row, n] of flinkx)
    if (flink.get(row) !== n) problems.push(`${row}: flinkx ${n}×, Flink ${flink.get(row) ?? 0}×`);
  for (const [row, n] of flink) if (!flinkx.has(row)) problems.push(`${row}: flinkx 0×, Flink ${n}×`);
  if (problems.length > 0)
    throw new BenchFailure(
      `${query}: flinkx and Flink disagree on ${problems.length} row(s):\n  ${problems.slice(0, 10).join('\n  ')}`,
    );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flinkx-nexmark-'));
  let ok = false;
  try {
    log(
      `Nexmark: machine ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}; temp dir ${dir}; ${load()}`,
    );
    const missing = flinkMissing();
    const engines: Engine[] = missing ? ['flinkx'] : ['flinkx', 'flink'];
    if (missing) log(`Nexmark: Apache Flink skipped (${missing}); flinkx alone, no ratios`);
    else {
      const built = buildFlinkPeer();
      log(`Nexmark: built bench/peers/flink (${built.offline ? 'offline' : 'online'}) in ${sec(built.ms)}`);
    }

    // Check: the same rows from both engines ------------------------------------------------------
    for (const query of QUERIES) {
      const outputs = new Map<Engine, ReturnType<typeof readRows>>();
      for (const engine of engines) {
        const out = join(dir, `check-${query}-${engine}`);
        await run(engine, dir, query, CHECK_EVENTS, out);
        outputs.set(engine, readRows(out));
        rmSync(out, { recursive: true, force: true });
      }
      const x = outputs.get('flinkx')!;
      if (x.count === 0)
        throw new BenchFailure(
          `${query}: no rows out of ${CHECK_EVENTS} events (too few to check; raise NEXMARK_CHECK_EVENTS)`,
        );
      const f = outputs.get('flink');
      if (f) compareRows(query, x.rows, f.rows);
      log(
        `${query} check over ${CHECK_EVENTS} events: ${x.count} rows, checksum ${x.checksum.toString(16)}` +
          (f ? `; Flink: ${f.count} rows, checksum ${f.checksum.toString(16)}: the same rows` : ''),
      );
    }

    // Start-up: the same processes over 50 events -------------------------------------------------
    const startupCpu = new Map<Engine, number>();
    for (const engine of engines) {
      const runs: Run[] = [];
      for (let i = 0; i < RUNS; i++) runs.push(await run(engine, dir, 'q0', STARTUP_EVENTS));
      startupCpu.set(engine, Math.min(...runs.map((r) => r.cpuMs)));
      log(
        `start-up of ${engine} (q0 over ${STARTUP_EVENTS} events): CPU ${runs.map((r) => sec(r.cpuMs)).join(', ')}; wall-clock ${runs.map((r) => sec(r.ms)).join(', ')}`,
      );
    }

    // Timing --------------------------------------------------------------------------------------
    const runs = new Map<string, Run[]>();
    for (let i = 1; i <= RUNS; i++) {
      for (const query of QUERIES) {
        for (const engine of engines) {
          const r = await run(engine, dir, query, EVENTS);
          runs.set(`${query}/${engine}`, [...(runs.get(`${query}/${engine}`) ?? []), r]);
          log(
            `${query} ${engine} run ${i}/${RUNS}: ${sec(r.ms)} wall-clock, CPU ${sec(r.cpuMs)}, job ${sec(r.jobMs)} (${load()})`,
          );
        }
      }
    }

    // Report --------------------------------------------------------------------------------------
    const rows: string[][] = [];
    const ratios: string[] = [];
    for (const query of QUERIES) {
      const figures = new Map<Engine, { wall?: number; job?: number; perCore?: number; aboveStartup?: number }>();
      for (const engine of engines) {
        const all = runs.get(`${query}/${engine}`)!;
        const b = best(all);
        const marginal = b.cpuMs - startupCpu.get(engine)!;
        const f = {
          wall: rate(EVENTS, b.ms),
          job: rate(EVENTS, b.jobMs),
          perCore: rate(EVENTS, b.cpuMs),
          aboveStartup: rate(EVENTS, marginal),
        };
        figures.set(engine, f);
        rows.push([
          `${query} ${engine === 'flink' ? 'Apache Flink MiniCluster' : 'flinkx run'}`,
          sec(b.ms),
          fmt(f.wall),
          sec(b.jobMs),
          fmt(f.job),
          sec(b.cpuMs),
          fmt(f.perCore),
          fmt(f.aboveStartup),
          all.map((r) => sec(r.ms)).join(', '),
        ]);
      }
      const [x, f] = [figures.get('flinkx')!, figures.get('flink')];
      if (f) {
        ratios.push(
          `${query} flinkx ÷ Flink: events/s ${ratio(x.wall, f.wall)} (process), ${ratio(x.job, f.job)} (job time); ` +
            `events/s per core ${ratio(x.perCore, f.perCore)} (whole process), ${ratio(x.aboveStartup, f.aboveStartup)} (above start-up)`,
        );
      }
    }
    const w = (text: string) => process.stdout.write(text + '\n');
    w('');
    w(
      `Nexmark q0–q2, q5, q7, q8 over ${EVENTS.toLocaleString('en-US')} events (seed ${SEED}), parallelism ${PARALLELISM}, ${availableParallelism()} cores, ` +
        `node ${process.version}; best (shortest wall-clock) of ${RUNS} run(s) each.`,
    );
    w('');
    w(
      table(
        [
          'query, engine',
          'wall-clock',
          'events/s',
          'job time',
          'events/s (job)',
          'CPU',
          'events per CPU-s',
          'above start-up',
          'all runs',
        ],
        rows,
      ),
    );
    w('');
    for (const r of ratios) w(r);
    if (ratios.length === 0) w('ratios to Flink: not measured (Flink skipped, see above)');
    w('');
    w('wall-clock and CPU: the whole process (flinkx run: node, embedded JobManager and TaskManager; Flink: the JVM');
    w('and its MiniCluster), start-up included. Job time: as each engine reports it (flinkx: 0.1 s resolution).');
    w(`"above start-up": events ÷ (CPU − the least CPU of the same process over ${STARTUP_EVENTS} events).`);
    w(
      `1-minute load average at the end: ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores (the bench adds up to ~2; more is other work).`,
    );
    ok = true;
  } catch (err) {
    process.stderr.write(
      `\n[bench] FAILED: ${err instanceof BenchFailure ? err.message : ((err as Error).stack ?? String(err))}\n`,
    );
    process.exitCode = 1;
  } finally {
    if (ok && process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

if (require.main === module) void main();
