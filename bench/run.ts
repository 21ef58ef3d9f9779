/**
 * `npm run bench`: word count over one generated text, three ways, all in this one run.
 *
 *   (a) a hand-written single-process loop: read the file, tokenize exactly like the built-in
 *       `tokenize` (lowercase, split on /[^\p{L}\p{N}]+/u, drop empty), count in a Map, write the
 *       final counts as JSON lines. Timed from start of read to end of write.
 *   (b) `flinkx run <job.json>` (embedded JobManager + TaskManager) in a child process, at each
 *       parallelism of BENCH_PARALLELISMS. Timed as the wall-clock of the whole child process, start-up included.
 *   (c) a real cluster (flinkx-jm + two flinkx-tm with ⌈p/2⌉ slots each, started anew for each
 *       parallelism p, before timing); `flinkx submit <job.json> --wait`. Timed from spawning the submit
 *       client until it exits after seeing FINISHED (client start-up and its 500 ms status poll included).
 *   (d) Apache Flink 1.20 (bench/peers/flink) running the same job on the same file at the same
 *       parallelism in a local MiniCluster, in a JVM of its own. Timed as the wall-clock of the whole
 *       JVM, start-up included, as (b). Skipped with a note when `java` or `mvn` is missing.
 *
 * CPU time is reported beside wall-clock, as it is far less sensitive to other work on the machine:
 * (a) this process; (b) the child, all threads (via bench/cpu-report.ts preloaded); (c) JobManager +
 * TaskManagers over the run (from /proc/<pid>/stat) plus the submit client; (d) the JVM, all threads.
 * Peak RSS likewise: (b) the child's ru_maxrss; (c) the sum of the processes' VmHWM (reset before each
 * run) plus the client's. The cost-shape table gives both per million words at every parallelism.
 * The comparison with (a) and (d) is at parallelism 2.
 *
 * (b), (c) and (d) must produce exactly the counts of (a) (last record per word across part-*.jsonl);
 * any difference fails the bench. Each variant runs BENCH_RUNS times (default 3); the best run is
 * used for the table, and every run is printed.
 *
 * Knobs (environment): BENCH_LINES (default 500000), BENCH_WORDS_PER_LINE (10),
 * BENCH_VOCABULARY (10000), BENCH_RUNS (3), BENCH_PARALLELISMS (1,2,4; 2 is always run),
 * BENCH_KEEP=1 keeps the temp dir.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BenchFailure, Cluster, intEnv, load, log } from './processes';
import { generateInput, LINES, VOCABULARY, WORDS_PER_LINE } from './wordcount/input';
import { printReport } from './wordcount/report';
import { runCluster, runEmbedded, runFlinkVariant, runHandWritten, type Run } from './wordcount/variants';

const RUNS = intEnv('BENCH_RUNS', 3);
/** The parallelism (b), (c) and (d) are compared at. */
const PARALLELISM = 2;

function parallelisms(): number[] {
  const text = process.env.BENCH_PARALLELISMS ?? '1,2,4';
  const ps = text.split(',').map((s) => Number(s.trim()));
  if (ps.some((p) => !Number.isInteger(p) || p < 1))
    throw new Error(`BENCH_PARALLELISMS must be positive integers separated by commas, got ${text}`);
  return [...new Set([...ps, PARALLELISM])].sort((x, y) => x - y);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flinkx-bench-'));
  const clusters: Cluster[] = [];
  const stopAll = () => Promise.all(clusters.map((c) => c.stop()));
  const onSignal = (sig: NodeJS.Signals) => {
    void stopAll().then(() => process.exit(sig === 'SIGINT' ? 130 : 143));
  };
  process.once('SIGINT', onSignal).once('SIGTERM', onSignal);
  let ok = false;
  try {
    const ps = parallelisms();
    log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), node ${process.version}`);
    log(`temp dir ${dir}; ${load()} before start; parallelisms ${ps.join(', ')}`);

    const input = join(dir, 'input.txt');
    const t0 = performance.now();
    const generated = generateInput(input);
    const bytes = statSync(input).size;
    log(
      `generated ${LINES} lines × ${WORDS_PER_LINE} words (vocabulary ${VOCABULARY}, Zipf s=1): ${generated} words, ${(bytes / 1e6).toFixed(1)} MB in ${((performance.now() - t0) / 1000).toFixed(2)} s`,
    );

    const a = runHandWritten(input, dir, RUNS);
    if (a.expected.tokens !== generated)
      throw new BenchFailure(`(a) counted ${a.expected.tokens} words but the generator wrote ${generated}`);
    const embedded = new Map<number, Run[]>();
    const cluster = new Map<number, Run[]>();
    for (const p of ps) embedded.set(p, await runEmbedded(input, dir, p, RUNS, a.expected));
    for (const p of ps) {
      const c = new Cluster(dir);
      clusters.push(c);
      cluster.set(p, await runCluster(c, input, dir, p, RUNS, a.expected));
    }
    const embeddedMiniBatch = await runEmbedded(input, dir, PARALLELISM, RUNS, a.expected, true);
    const c = new Cluster(dir);
    clusters.push(c);
    const clusterMiniBatch = await runCluster(c, input, dir, PARALLELISM, RUNS, a.expected, true);
    const flink = await runFlinkVariant(input, dir, PARALLELISM, RUNS, a.expected);

    printReport({
      tokens: a.expected.tokens,
      lines: LINES,
      distinct: a.expected.counts.size,
      bytes,
      runs: RUNS,
      p: PARALLELISM,
      a: a.runs,
      embedded,
      cluster,
      embeddedMiniBatch,
      clusterMiniBatch,
      flink,
    });
    ok = true;
  } catch (err) {
    process.stderr.write(
      `\n[bench] FAILED: ${err instanceof BenchFailure ? err.message : ((err as Error).stack ?? String(err))}\n`,
    );
    process.exitCode = 1;
  } finally {
    await stopAll();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    if (ok && process.env.BENCH_KEEP !== '1') rmSync(dir, { recursive: true, force: true });
    else log(`kept ${dir}`);
  }
}

if (require.main === module) void main();
