/**
 * Real processes for cluster tests: a JobManager and TaskManagers started from the built dist/,
 * on loopback and free ports, killed when the test is done. Waits poll a condition with a deadline.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request as httpsRequest } from 'node:https';
import { readFileSync } from 'node:fs';
import { pollUntil } from '../common/async';
import { ClusterSecret } from '../common/net/cluster-secret';

export const ROOT = join(__dirname, '..');
const bin = (name: string) => join(ROOT, 'bin', `${name}.js`);

export function tempDir(prefix = 'flinkx-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/**
 * A job's functions module (write it beside the job file): `pace` blocks its slot's thread `ms`
 * per record (Atomics.wait, no busy loop), for a job that must still run when a test acts on it or
 * a deliberately slow consumer; `pass` hands records on, for the same job without the pacing.
 *
 * With `until`, a file path, `pace` stops blocking once that file exists (looked for at most every
 * 50 ms): a test paces its job until it has done what must land mid-job (kills, cuts), then
 * `release`s it to run the rest of its input at full speed.
 */
export function paceModule(ms: number, until?: string): string {
  const cell = 'const cell = new Int32Array(new SharedArrayBuffer(4));\n';
  const pass = 'exports.pass = (r) => r;\n';
  if (until === undefined)
    return cell + `exports.pace = (r) => { Atomics.wait(cell, 0, 0, ${ms}); return r; };\n` + pass;
  return (
    cell +
    `const { existsSync } = require('node:fs');\n` +
    'let released = false;\n' +
    'let lastLook = 0;\n' +
    'exports.pace = (r) => {\n' +
    '  if (released) return r;\n' +
    '  const now = Date.now();\n' +
    `  if (now - lastLook >= 50) { lastLook = now; released = existsSync(${JSON.stringify(until)}); }\n` +
    `  if (!released) Atomics.wait(cell, 0, 0, ${ms});\n` +
    '  return r;\n' +
    '};\n' +
    pass
  );
}

/** Ends the pacing of every job whose `paceModule` waits `until` this file. */
export function release(until: string): void {
  writeFileSync(until, '');
}

/**
 * Writes `spec` as `dir`/job.json and beside it pace.js, a paceModule of `ms` per record that paces
 * until `release()` is called: the job file and that function.
 */
export function writePacedJob(dir: string, spec: object, ms: number): { jobFile: string; release: () => void } {
  const jobFile = join(dir, 'job.json');
  const until = join(dir, 'pace-released');
  writeFileSync(jobFile, JSON.stringify(spec));
  writeFileSync(join(dir, 'pace.js'), paceModule(ms, until));
  return { jobFile, release: () => release(until) };
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Thrown by a waitFor probe whose verdict no later poll can change: the wait fails at once with it. */
export class StopWaiting extends Error {}

/**
 * Polls `probe` until it gives a value (not undefined or false), failing after `timeoutMs` with
 * `what` it waited for. A probe that throws is polled again (a process still starting) and its
 * last error is in the timeout's message, except StopWaiting. `context` is appended to the
 * timeout error, e.g. the processes' log tails.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs: number,
  context: () => string = () => '',
): Promise<T> {
  let lastError: unknown;
  const value = await pollUntil(
    async () => {
      try {
        const v = await probe();
        return v === false ? undefined : v;
      } catch (err) {
        if (err instanceof StopWaiting) throw err;
        lastError = err;
        return undefined;
      }
    },
    timeoutMs,
    100,
  );
  if (value === undefined) {
    throw new Error(
      `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${(lastError as Error).message}` : ''}${context()}`,
    );
  }
  return value;
}

export class Proc {
  output = '';
  constructor(
    readonly child: ChildProcess,
    readonly name = 'process',
  ) {
    child.stdout?.on('data', (d) => (this.output += d));
    child.stderr?.on('data', (d) => (this.output += d));
  }
  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.alive) this.child.kill(signal);
  }
  async exited(): Promise<void> {
    if (!this.alive) return;
    await new Promise((r) => this.child.once('exit', r));
  }
  /** SIGTERM, then SIGKILL if it has not exited after `graceMs`. */
  async stop(graceMs = 5_000): Promise<void> {
    const exited = this.exited();
    this.kill('SIGTERM');
    const timer = setTimeout(() => this.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}

const TERMINAL = ['FAILED', 'CANCELED', 'FINISHED'];

export interface ClusterOptions {
  /** The cluster secret: every process gets it in a --secret-file, REST calls the bearer token. */
  secret?: string;
  /** PEM files: every process serves https/wss with cert and key and trusts the CA. */
  tls?: { cert: string; key: string; ca: string };
  jmArgs?: string[];
}

/** Writes `secret` to a file of its own; the flags that give it to a process. */
export function secretArgs(secret: string): string[] {
  const file = join(tempDir('flinkx-secret-'), 'secret');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return ['--secret-file', file];
}

export class Cluster {
  readonly procs: Proc[] = [];
  readonly taskManagers: Proc[] = [];
  readonly url: string;
  /** The JobManagers started, latest last. */
  readonly jobManagers: Proc[] = [];
  readonly dataDir = tempDir();
  /** Flags every process of this cluster gets (the secret). */
  readonly securityArgs: string[];
  /** The same for `flinkx`, which serves no port: the secret and the CA. */
  private readonly cliSecurityArgs: string[];
  private readonly token: string | undefined;
  private readonly ca: Buffer | undefined;
  private readonly jmArgs: string[];
  private constructor(
    readonly port: number,
    options: ClusterOptions,
  ) {
    const { tls } = options;
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    this.ca = tls && readFileSync(tls.ca);
    const secret = options.secret === undefined ? [] : secretArgs(options.secret);
    this.securityArgs = [...secret, ...(tls ? ['--tls-cert', tls.cert, '--tls-key', tls.key, '--tls-ca', tls.ca] : [])];
    this.cliSecurityArgs = [...secret, ...(tls ? ['--tls-ca', tls.ca] : [])];
    this.token = options.secret === undefined ? undefined : new ClusterSecret(options.secret).restToken;
    this.jmArgs = options.jmArgs ?? [];
  }

  /** `options` may be just the JobManager's extra flags. */
  static async start(taskManagers: number[], options: string[] | ClusterOptions = []): Promise<Cluster> {
    const o = Array.isArray(options) ? { jmArgs: options } : options;
    const c = new Cluster(await freePort(), o);
    c.startJobManager();
    await waitFor('the JobManager', () => c.get('/taskmanagers'), 60_000, c.logs);
    for (const slots of taskManagers) c.startTaskManager(slots);
    await c.waitForTaskManagers(taskManagers.length);
    return c;
  }

  spawn(name: string, args: string[]): Proc {
    const p = new Proc(spawn(process.execPath, [bin(name), ...args], { stdio: ['ignore', 'pipe', 'pipe'] }), name);
    this.procs.push(p);
    return p;
  }

  /** A JobManager on this cluster's data dir, on `port` (default the cluster's); it waits as a standby while another holds the dir. */
  startJobManager(port = this.port): Proc {
    const jm = this.spawn('flinkx-jm', [
      'start',
      '--port',
      String(port),
      '--data-dir',
      this.dataDir,
      ...this.securityArgs,
      ...this.jmArgs,
    ]);
    this.jobManagers.push(jm);
    return jm;
  }

  /** `jobmanager`: another address or a list; `securityArgs`: another secret or none; `extraArgs`: more flags. */
  startTaskManager(
    slots: number,
    { jobmanager = this.url.replace(/^http/, 'ws'), securityArgs = this.securityArgs, extraArgs = [] as string[] } = {},
  ): Proc {
    const tm = this.spawn('flinkx-tm', [
      'start',
      '--slots',
      String(slots),
      '--jobmanager',
      jobmanager,
      ...securityArgs,
      ...extraArgs,
    ]);
    this.taskManagers.push(tm);
    return tm;
  }

  /** The process of a TaskManager by its id (from its start-up log line). */
  taskManager(tmId: string): Proc | undefined {
    return this.taskManagers.find((p) => p.alive && p.output.includes(`tm=${tmId} `));
  }

  async waitForTaskManagers(n: number): Promise<void> {
    await waitFor(
      `${n} TaskManagers`,
      async () => ((await this.get<unknown[]>('/taskmanagers')).length === n ? true : undefined),
      60_000,
      this.logs,
    );
  }

  /** The last lines of every process's output, for failure messages. */
  readonly logs = (tailChars = 3000): string =>
    this.procs
      .map(
        (p) =>
          `\n--- ${p.name} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'}) ---\n${p.output.slice(-tailChars)}`,
      )
      .join('');

  /** The bearer token header, if the cluster has a secret. */
  get authHeaders(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  async get<T = any>(path: string): Promise<T> {
    return (await this.request('GET', path)).body as T;
  }

  async post<T = any>(path: string, body?: unknown): Promise<{ status: number; body: T }> {
    return this.request('POST', path, body);
  }

  /** A REST call with the token and, over TLS, the cluster's CA (fetch cannot take one). */
  async request(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
    const headers = { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...this.authHeaders };
    if (!this.ca) {
      const res = await fetch(this.url + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, body: await res.json() };
    }
    return new Promise((resolve, reject) => {
      const req = httpsRequest(this.url + path, { method, headers, ca: this.ca }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
          } catch (err) {
            reject(err);
          }
        });
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /** `flinkx <args>` against this cluster, run to completion. */
  cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
    const r = spawnSync(process.execPath, [bin('flinkx'), ...args, '--jobmanager', this.url, ...this.cliSecurityArgs], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  async submit(jobFile: string): Promise<string> {
    const r = this.cli(['submit', jobFile]);
    if (r.status !== 0) throw new Error(`submit failed: ${r.stderr}`);
    return r.stdout.trim();
  }

  async waitForState(jobId: string, states: string[], timeoutMs = 120_000): Promise<any> {
    return waitFor(
      `job ${jobId} in ${states.join('/')}`,
      async () => {
        const job = await this.get(`/jobs/${jobId}`);
        if (TERMINAL.includes(job.state) && !states.includes(job.state))
          throw new Error(`job ended ${job.state}: ${job.failure?.message ?? job.reason ?? ''}`);
        return states.includes(job.state) ? job : undefined;
      },
      timeoutMs,
    );
  }

  /** Kills every process, or with `graceMs` stops each with SIGTERM first. */
  async stop(graceMs?: number): Promise<void> {
    if (graceMs !== undefined) {
      await Promise.all(this.procs.map((p) => p.stop(graceMs)));
      return;
    }
    for (const p of this.procs) p.kill('SIGKILL');
    await Promise.all(this.procs.map((p) => p.exited()));
  }
}
