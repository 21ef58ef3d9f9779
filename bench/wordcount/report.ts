/** The word count's tables: the variants against (a) and Flink, and the cost shape over parallelism. */
import { availableParallelism, loadavg } from 'node:os';
import { POLL_MS } from '../../bin/cli/submit';
import { table } from '../processes';
import type { Run } from './variants';

export interface Results {
  tokens: number;
  lines: number;
  distinct: number;
  bytes: number;
  runs: number;
  /** The parallelism (b), (c) and (d) are compared at. */
  p: number;
  a: Run[];
  embedded: Map<number, Run[]>;
  cluster: Map<number, Run[]>;
  /** (b') and (c') at p: the job with `miniBatch` (one update per word per bundle). */
  embeddedMiniBatch: Run[];
  clusterMiniBatch: Run[];
  flink?: Run[];
}

const best = (runs: Run[]): Run => runs.reduce((a, b) => (b.ms < a.ms ? b : a));
const sec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const optSec = (ms: number | undefined) => (ms === undefined ? '?' : sec(ms));
const perSec = (n: number, ms: number) => Math.round((n * 1000) / ms);
const fmtRate = (n: number) => n.toLocaleString('en-US');
const ratio = (x: number | undefined, y: number | undefined) =>
  x === undefined || y === undefined ? '?' : (x / y).toFixed(3);
const w = (text: string) => process.stdout.write(text + '\n');

export function printReport(r: Results): void {
  const a = best(r.a);
  const b = best(r.embedded.get(r.p)!);
  const c = best(r.cluster.get(r.p)!);
  const d = r.flink && best(r.flink);
  const row = (label: string, x: Run, runs: Run[]) => [
    label,
    sec(x.ms),
    fmtRate(perSec(r.tokens, x.ms)),
    (a.ms / x.ms).toFixed(3),
    optSec(x.cpuMs),
    x.cpuMs === undefined ? '?' : fmtRate(perSec(r.tokens, x.cpuMs)),
    runs.map((y) => sec(y.ms)).join(', '),
  ];
  w('');
  w(
    `Word count of ${r.tokens.toLocaleString('en-US')} words (${r.lines.toLocaleString('en-US')} lines, ${r.distinct} distinct, ${(r.bytes / 1e6).toFixed(1)} MB), ` +
      `${availableParallelism()} cores, node ${process.version}; best (shortest wall-clock) of ${r.runs} run(s) each.`,
  );
  w('');
  w(
    table(
      ['variant', 'wall-clock', 'words/s', 'ratio to (a)', 'CPU time', 'words per CPU-second', 'all runs (wall-clock)'],
      [
        row('(a) hand-written loop, 1 process', a, r.a),
        row(`(b) flinkx run, embedded, p=${r.p}`, b, r.embedded.get(r.p)!),
        row(`(c) cluster JM + 2 TM, p=${r.p}`, c, r.cluster.get(r.p)!),
        row(`(b') (b) with miniBatch`, best(r.embeddedMiniBatch), r.embeddedMiniBatch),
        row(`(c') (c) with miniBatch`, best(r.clusterMiniBatch), r.clusterMiniBatch),
        ...(d ? [row(`(d) Apache Flink MiniCluster, p=${r.p}`, d, r.flink!)] : []),
      ],
    ),
  );
  w('');
  w(
    `ratio b/a = ${(a.ms / b.ms).toFixed(3)}   c/a = ${(a.ms / c.ms).toFixed(3)}   b'/a = ${(a.ms / best(r.embeddedMiniBatch).ms).toFixed(3)}   c'/a = ${(a.ms / best(r.clusterMiniBatch).ms).toFixed(3)}   (words/s of the variant ÷ words/s of (a), wall-clock)`,
  );
  if (d) {
    w(
      `ratio b/d = ${(d.ms / b.ms).toFixed(3)}   c/d = ${(d.ms / c.ms).toFixed(3)}   (flinkx words/s ÷ Flink words/s, wall-clock, same run; above 1 = flinkx faster)`,
    );
    if (b.cpuMs !== undefined && d.cpuMs !== undefined)
      w(`CPU ratio b/d = ${(d.cpuMs / b.cpuMs).toFixed(3)}   (flinkx words per CPU-second ÷ Flink's)`);
  } else w('ratio to Flink: not measured (Flink skipped, see above)');
  printCostShape(r);
  printNotes(r, [
    ['(b)', b, r.embedded.get(r.p)!],
    ['(c)', c, r.cluster.get(r.p)!],
    ...(d ? [['(d)', d, r.flink!] as [string, Run, Run[]]] : []),
  ]);
}

/** What a million words cost in CPU and memory at each parallelism, embedded and as a cluster. */
function printCostShape(r: Results): void {
  const millions = r.tokens / 1e6;
  const perM = (v: number | undefined, scale: number) => (v === undefined ? '?' : (v / scale / millions).toFixed(2));
  const rows: string[][] = [];
  const a = best(r.a);
  rows.push([
    '(a) hand-written loop',
    '1',
    sec(a.ms),
    fmtRate(perSec(r.tokens, a.ms)),
    perM(a.cpuMs, 1000),
    a.rssKb === undefined ? '?' : (a.rssKb / 1024).toFixed(0),
    perM(a.rssKb, 1024),
  ]);
  for (const [mode, byP] of [
    ['(b) embedded', r.embedded],
    ['(c) cluster JM + 2 TM', r.cluster],
  ] as const) {
    for (const [p, runs] of byP) {
      const x = best(runs);
      rows.push([
        mode,
        String(p),
        sec(x.ms),
        fmtRate(perSec(r.tokens, x.ms)),
        perM(x.cpuMs, 1000),
        x.rssKb === undefined ? '?' : (x.rssKb / 1024).toFixed(0),
        perM(x.rssKb, 1024),
      ]);
    }
  }
  w('');
  w(`Cost shape (best run of each; ${millions.toFixed(2)} M words):`);
  w('');
  w(
    table(
      ['variant', 'p', 'wall-clock', 'words/s', 'CPU-s per M words', 'peak RSS MB', 'peak RSS MB per M words'],
      rows,
    ),
  );
  w('');
  const ps = [...r.embedded.keys()];
  const first = ps[0];
  // With one parallelism there is nothing to scale against.
  if (ps.length > 1)
    for (const [label, byP] of [
      ['embedded', r.embedded],
      ['cluster', r.cluster],
    ] as const) {
      const base = best(byP.get(first)!);
      const parts = ps.slice(1).map((p) => {
        const x = best(byP.get(p)!);
        return `p=${p}/p=${first}: words/s ${ratio(base.ms, x.ms)}, CPU per word ${ratio(x.cpuMs, base.cpuMs)}, peak RSS ${ratio(x.rssKb, base.rssKb)}`;
      });
      w(`${label.padEnd(8)} ${parts.join('   ')}`);
    }
  w(
    `cluster ÷ embedded at the same p (CPU per word; peak RSS): ` +
      ps
        .map((p) => {
          const [e, c] = [best(r.embedded.get(p)!), best(r.cluster.get(p)!)];
          return `p=${p}: ${ratio(c.cpuMs, e.cpuMs)}; ${ratio(c.rssKb, e.rssKb)}`;
        })
        .join('   '),
  );
}

function printNotes(r: Results, reported: [string, Run, Run[]][]): void {
  w('');
  w('What each time covers:');
  w('  (a) read the file, tokenize, count in a Map, write the counts as JSON lines; in this process, no start-up.');
  w("      Its peak RSS is the bench process's (input generation included): an upper bound.");
  w('  (b) wall-clock of the whole `node bin/flinkx.js run` child process: node start-up, embedded JobManager and');
  w(
    '      TaskManager (one slot worker thread per subtask) start-up, job, teardown. CPU and peak RSS: that process, all threads.',
  );
  w(
    '  (c) wall-clock of `node bin/flinkx.js submit --wait` against an already running cluster (two TaskManagers with ⌈p/2⌉',
  );
  w(
    `      slots each): client start-up, submission, deployment, job, and until the client's status poll (every ${POLL_MS} ms) sees FINISHED.`,
  );
  w(
    '      CPU: JobManager + both TaskManagers over that interval (from /proc) + the submit client. Peak RSS: the sum of',
  );
  w("      each process's peak over the run (VmHWM, reset before it) + the client's.");
  w('  (d) wall-clock of the whole `java flinkx.peer.Main wordcount` JVM: JVM and MiniCluster start-up, job, exit.');
  w('      CPU: that JVM, all threads, as it reports at its end.');
  w('  (b), (c) and (d) write one changelog record per word occurrence (the keyed sum emits every update); (a)');
  w('      writes only the final counts. All of them are checked to give identical final counts.');
  w(
    "  (b') and (c') run (b)'s and (c)'s job with miniBatch {latency 100 ms, size 2000}: one update per word per bundle.",
  );
  w(
    "For reference, the job duration each engine reports (flinkx: deployment → job FINISHED; Flink: the job's net runtime), best run:",
  );
  for (const [label, x, runs] of reported) {
    w(
      `  ${label} ${x.jobMs === undefined ? '?' : `${sec(x.jobMs)} = ${fmtRate(perSec(r.tokens, x.jobMs))} words/s`}` +
        `  (all runs: ${runs.map((y) => optSec(y.jobMs)).join(', ')})`,
    );
  }
  w(
    `1-minute load average at the end: ${loadavg()[0].toFixed(2)} on ${availableParallelism()} cores (the bench itself adds up to ~2; more is other work competing).`,
  );
}
