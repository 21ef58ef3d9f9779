/**
 * What every bench needs: its knobs from the environment, child processes timed with their CPU time
 * and peak memory, a cluster of flinkx processes, and a markdown table.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { pollUntil } from '../common/async';

export const ROOT = resolve(__dirname, '..', '..');
export const BIN = (name: string) => join(ROOT, 'bin', name);

export function intEnv(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  return n;
}

export function log(line: string): void {
  process.stdout.write(`[bench] ${line}\n`);
}

/** The 1-minute load average: other work on the machine skews every figure, so it is printed with each run. */
export function load(): string {
  return `load ${loadavg()[0].toFixed(2)}`;
}

export class BenchFailure extends Error {}

export interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
  cpuMs?: number;
  /** Peak resident memory of the process (ru_maxrss), in KiB. */
  maxRssKb?: number;
}

/** Run a node script to completion, timing it from spawn to exit; `cpuMs` is its own CPU time (all threads), `maxRssKb` its peak RSS. */
export function runNode(args: string[], timeoutMs: number, cpuFile: string): Promise<Exited> {
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
      let maxRssKb: number | undefined;
      try {
        const u = JSON.parse(readFileSync(cpuFile, 'utf8')) as { userMs: number; systemMs: number; maxRssKb: number };
        cpuMs = u.userMs + u.systemMs;
        maxRssKb = u.maxRssKb;
      } catch {
        // the process did not get to write it
      }
      resolvePromise({ code, signal, stdout, stderr, ms, cpuMs, maxRssKb });
    });
  });
}

export function mustSucceed(what: string, r: Exited): void {
  if (r.code !== 0) {
    throw new BenchFailure(`${what} exited with ${r.code ?? r.signal}\n--- stdout\n${r.stdout}--- stderr\n${r.stderr}`);
  }
}

export async function freePort(): Promise<number> {
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
export class Cluster {
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

  /**
   * Forget the processes' peak RSS (Linux: writing 5 to /proc/<pid>/clear_refs resets VmHWM), so that
   * `peakRssKb` covers what follows; false where that is not possible (the peak is then since start).
   */
  resetPeakRss(): boolean {
    try {
      for (const { child } of this.procs) writeFileSync(`/proc/${child.pid}/clear_refs`, '5');
      return true;
    } catch {
      return false;
    }
  }

  /** Sum over the processes of their peak RSS (VmHWM, all threads), in KiB; undefined off Linux. */
  peakRssKb(): number | undefined {
    let total = 0;
    for (const { child } of this.procs) {
      const hwm = /^VmHWM:\s+(\d+) kB$/m.exec(readOr(`/proc/${child.pid}/status`, ''));
      if (!hwm) return undefined;
      total += Number(hwm[1]);
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

function readOr(path: string, otherwise: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return otherwise;
  }
}

function tail(path: string, lines: number): string {
  return readOr(path, '(no log)').split('\n').slice(-lines).join('\n');
}

export async function waitForTaskManagers(base: string, n: number, cluster: Cluster, timeoutMs: number): Promise<void> {
  let seen = -1;
  const up = await pollUntil(
    async () => {
      const dead = cluster.dead();
      if (dead)
        throw new BenchFailure(`${dead.name} exited with ${dead.code} before the cluster was up\n${cluster.logs()}`);
      try {
        const res = await fetch(`${base}/taskmanagers`, { signal: AbortSignal.timeout(2000) });
        if (!res.ok) return undefined;
        const tms = (await res.json()) as unknown[];
        if (tms.length !== seen) log(`(c) cluster: ${tms.length}/${n} TaskManagers registered`);
        seen = tms.length;
        return tms.length >= n || undefined;
      } catch {
        return undefined; // the JobManager is not listening yet
      }
    },
    timeoutMs,
    100,
  );
  if (!up) throw new BenchFailure(`the cluster did not come up within ${timeoutMs} ms\n${cluster.logs()}`);
}

/** "FINISHED in 4.2s" (embedded) or the JobManager's job duration, in ms. */
export function parseSeconds(text: string): number | undefined {
  const m = /FINISHED in ([\d.]+)s/.exec(text);
  return m ? Number(m[1]) * 1000 : undefined;
}

export function table(header: string[], rows: string[][]): string {
  const cells = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) =>
    '| ' + r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ') + ' |';
  return [
    line(header),
    '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : '-'.repeat(w + 1) + ':')).join('|') + '|',
    ...rows.map(line),
  ].join('\n');
}
