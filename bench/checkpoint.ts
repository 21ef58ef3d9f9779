/**
 * `npm run bench` part 2: what checkpoints cost and how fast a job recovers, on one real cluster
 * (flinkx-jm + three flinkx-tm with one slot each; the job uses two, the third is the standby a
 * restarted job moves to).
 *
 *   overhead: the word-count job (the same generated text as bench/run.ts) at parallelism 2 with no
 *             checkpoints and with exactly-once checkpoints every 1 s, alternating, BENCH_RUNS times;
 *             throughput from the job duration the JobManager reports (deployment → FINISHED).
 *   recovery: an unbounded generator → word count → at-least-once file sink; once a checkpoint has
 *             completed, SIGKILL a TaskManager running it and time until the killed sink subtask's
 *             file grows again (records flowing through the restarted job). Repeated BENCH_RUNS times.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { pollUntil } from '../common/async';
import { BenchFailure, BIN, Cluster, freePort, intEnv, load, log, waitForTaskManagers } from './processes';
import { generateInput } from './wordcount/input';

const RUNS = intEnv('BENCH_RUNS', 3);

interface JobView {
  state: string;
  attempt: number;
  restarts: number;
  startTime?: number;
  endTime?: number;
  vertices: { subtasks: { tm?: string }[] }[];
}

async function get<T>(url: string): Promise<T> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return (await res.json()) as T;
}

/** A probe that fails (the JobManager restarting) counts as not yet. */
async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs = 300_000,
  everyMs = 20,
): Promise<T> {
  const v = await pollUntil(() => probe().catch(() => undefined), timeoutMs, everyMs);
  if (v === undefined) throw new BenchFailure(`timed out waiting for ${what}`);
  return v;
}

function submit(base: string, job: unknown, dir: string, name: string): string {
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(job));
  const r = spawnSync(process.execPath, [BIN('flinkx.js'), 'submit', file, '--jobmanager', base], { encoding: 'utf8' });
  if (r.status !== 0) throw new BenchFailure(`submit ${name} failed: ${r.stderr}`);
  return r.stdout.trim();
}

function wordcount(name: string, input: string, out: string, checkpointing?: unknown) {
  return {
    name,
    parallelism: 2,
    ...(checkpointing ? { checkpointing } : {}),
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'file', path: input } },
      { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
      { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
      { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: out } },
    ],
  };
}

function fileBytes(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

async function overhead(base: string, dir: string, input: string, words: number): Promise<[number, number]> {
  const best = { off: Infinity, on: Infinity };
  for (let run = 1; run <= RUNS; run++) {
    for (const mode of ['off', 'on'] as const) {
      const cp = mode === 'on' ? { interval: 1000, mode: 'exactly-once' } : undefined;
      const id = submit(
        base,
        wordcount(`bench-cp-${mode}`, input, join(dir, `out-${mode}-${run}`), cp),
        dir,
        `cp-${mode}`,
      );
      const job = await until(
        `job ${id}`,
        async () => {
          const j = await get<JobView>(`${base}/jobs/${id}`);
          return ['FINISHED', 'FAILED', 'CANCELED'].includes(j.state) ? j : undefined;
        },
        600_000,
        100,
      );
      if (job.state !== 'FINISHED') throw new BenchFailure(`job ${id} ended ${job.state}`);
      const ms = job.endTime! - job.startTime!;
      best[mode] = Math.min(best[mode], ms);
      log(
        `overhead run ${run}: checkpoints ${mode}: ${(ms / 1000).toFixed(2)} s = ${Math.round((words / ms) * 1000)} words/s (${load()})`,
      );
    }
  }
  return [(words / best.off) * 1000, (words / best.on) * 1000];
}

async function recovery(base: string, dir: string, cluster: Cluster): Promise<number[]> {
  const out = join(dir, 'recovery-out');
  const job = {
    name: 'bench-recovery',
    parallelism: 2,
    checkpointing: { interval: 500, mode: 'at-least-once' },
    restart: { attempts: 100, delay: 0 },
    nodes: [
      { id: 'gen', type: 'source', connector: { kind: 'generator', rate: 50_000 } },
      { id: 'words', type: 'flatMap', inputs: ['gen'], fn: 'tokenize' },
      { id: 'counts', type: 'count', inputs: ['words'], keyBy: 'word' },
      { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: out } },
    ],
  };
  const id = submit(base, job, dir, 'recovery');
  const times: number[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const running = await until('a running attempt with a completed checkpoint', async () => {
      const j = await get<JobView>(`${base}/jobs/${id}`);
      const cps = await get<{ history: { status: string; attempt: number }[] }>(`${base}/jobs/${id}/checkpoints`);
      return j.state === 'RUNNING' &&
        j.restarts === run - 1 &&
        cps.history.some((c) => c.status === 'COMPLETED' && c.attempt === j.attempt)
        ? j
        : undefined;
    });
    const tm = running.vertices[0].subtasks[0].tm!;
    const victim = cluster.procs.find(
      (p) =>
        p.name.startsWith('tm') &&
        p.child.exitCode === null &&
        p.child.signalCode === null &&
        readFileSync(p.log, 'utf8').includes(`tm=${tm} `),
    );
    if (!victim) throw new BenchFailure(`no process for ${tm}`);
    const killedAt = performance.now();
    victim.child.kill('SIGKILL');
    cluster.start(`tm-spare-${run}`, [
      BIN('flinkx-tm.js'),
      'start',
      '--slots',
      '1',
      '--jobmanager',
      base.replace('http', 'ws'),
    ]);
    await until('the restarted attempt to run', async () => {
      const j = await get<JobView>(`${base}/jobs/${id}`);
      return j.state === 'RUNNING' && j.restarts === run ? j : undefined;
    });
    // Subtask 0 of every vertex ran on the killed TM (slot sharing), so only the restarted attempt
    // can grow the part file of sink subtask 0.
    const part0 = join(out, 'part-0.jsonl');
    const before = fileBytes(part0);
    await until('records flowing again', async () => (fileBytes(part0) > before ? true : undefined), 60_000, 5);
    const ms = performance.now() - killedAt;
    times.push(ms);
    log(`recovery run ${run}: SIGKILL of ${tm} → records flowing again in ${ms.toFixed(0)} ms (${load()})`);
  }
  await fetch(`${base}/jobs/${id}/cancel`, { method: 'POST' });
  return times;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'flinkx-bench-cp-'));
  const cluster = new Cluster(dir);
  try {
    const input = join(dir, 'input.txt');
    const words = generateInput(input);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    cluster.start('jm', [BIN('flinkx-jm.js'), 'start', '--port', String(port), '--data-dir', join(dir, 'jm')]);
    for (let i = 1; i <= 3; i++)
      cluster.start(`tm${i}`, [BIN('flinkx-tm.js'), 'start', '--slots', '1', '--jobmanager', `ws://127.0.0.1:${port}`]);
    await waitForTaskManagers(base, 3, cluster, 60_000);

    const [off, on] = await overhead(base, dir, input, words);
    const recoveries = await recovery(base, dir, cluster);
    const median = [...recoveries].sort((a, b) => a - b)[Math.floor(recoveries.length / 2)];
    const w = (s: string) => process.stdout.write(s + '\n');
    w('');
    w(
      `Checkpoint overhead, word count of ${words} words, JM + 2 TM slots in use, p=2, best of ${RUNS} (job duration from the JobManager):`,
    );
    w(`  without checkpoints            ${Math.round(off)} words/s`);
    w(`  exactly-once, every 1 s        ${Math.round(on)} words/s`);
    w(`  ratio with ÷ without           ${(on / off).toFixed(3)}`);
    w(`Recovery, SIGKILL of a TaskManager → records reach the sink again (standby TM, restart delay 0):`);
    w(`  runs ${recoveries.map((t) => `${t.toFixed(0)} ms`).join(', ')}; median ${median.toFixed(0)} ms`);
    rmSync(dir, { recursive: true, force: true });
  } catch (err) {
    process.stderr.write(
      `[bench] FAILED: ${err instanceof BenchFailure ? err.message : ((err as Error).stack ?? String(err))}\n${cluster.logs()}\n`,
    );
    process.exitCode = 1;
  } finally {
    await cluster.stop();
  }
}

void main();
