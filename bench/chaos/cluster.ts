/**
 * The chaos run's cluster: two JobManagers on one data dir (one active, one standby waiting on the
 * lock, as test/jm-failover.test.ts starts them) and TaskManagers that know both, each on a data
 * port of its own so a fault can cut the connections to it. Processes that exit without being
 * killed by the run are reported; a TaskManager is then started again, a JobManager is not (a
 * JobManager that dies by itself is what the run is looking for). The data dir may be a small
 * tmpfs, for the disk-full fault.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, Cluster, freePort } from '../processes';

export interface Member {
  name: string;
  pid: number;
  /** The JobManager's REST port, or the TaskManager's data port. */
  port: number;
  log: string;
  alive: () => boolean;
  kill: (signal: NodeJS.Signals) => void;
}

export interface Exit {
  at: number;
  name: string;
  how: string;
  lastLines: string;
}

export class ChaosCluster {
  readonly jobManagers: Member[] = [];
  readonly taskManagers: Member[] = [];
  /** Processes that exited without being killed by the run. */
  readonly exits: Exit[] = [];
  private readonly procs: Cluster;
  private readonly killed = new Set<number>();
  private readonly paused = new Set<number>();
  private stopping = false;
  private counter = 0;

  constructor(
    readonly dir: string,
    readonly dataDir: string,
    readonly jmPorts: [number, number],
    private readonly say: (line: string) => void,
  ) {
    this.procs = new Cluster(dir);
  }

  get jobmanagerList(): string {
    return this.jmPorts.map((p) => `ws://127.0.0.1:${p}`).join(',');
  }

  startJobManager(port: number): Member {
    return this.start(
      'jm',
      port,
      [BIN('flinkx-jm.js'), 'start', '--port', String(port), '--data-dir', this.dataDir],
      this.jobManagers,
    );
  }

  async startTaskManager(): Promise<Member> {
    return this.startTaskManagerOn(await freePort());
  }

  private startTaskManagerOn(port: number): Member {
    return this.start(
      'tm',
      port,
      [BIN('flinkx-tm.js'), 'start', '--slots', '2', '--jobmanager', this.jobmanagerList, '--data-port', String(port)],
      this.taskManagers,
    );
  }

  private start(kind: 'jm' | 'tm', port: number, args: string[], into: Member[]): Member {
    // A fault still under way when the run stops must not leave a process behind.
    if (this.stopping) throw new Error('the run is stopping');
    const name = `${kind}${++this.counter}:${port}`;
    this.procs.start(name, args);
    const p = this.procs.procs[this.procs.procs.length - 1];
    const alive = () => p.child.exitCode === null && p.child.signalCode === null;
    const member: Member = {
      name,
      pid: p.child.pid!,
      port,
      log: p.log,
      alive,
      kill: (signal) => alive() && p.child.kill(signal),
    };
    into.push(member);
    p.child.once('exit', (code, signal) => {
      this.paused.delete(member.pid);
      if (this.stopping || this.killed.has(member.pid)) return;
      const lastLines = lastMessages(p.log);
      this.exits.push({ at: Date.now(), name, how: signal ?? `code ${code}`, lastLines });
      this.say(`!! ${name} exited by itself (${signal ?? `code ${code}`}); its last lines:\n${lastLines}`);
      if (kind === 'tm') void this.replaceTaskManager(name);
    });
    return member;
  }

  private async replaceTaskManager(name: string): Promise<void> {
    const port = await freePort();
    if (this.stopping) return;
    this.say(`started ${this.startTaskManagerOn(port).name} in place of ${name}`);
  }

  /**
   * From now on no exit is reported or replaced. Called first thing on Ctrl-C: the terminal sends
   * SIGINT to the processes of the run too, and those exits are not findings.
   */
  closing(): void {
    this.stopping = true;
  }

  liveJobManagers(): Member[] {
    return this.jobManagers.filter((m) => m.alive());
  }

  liveTaskManagers(): Member[] {
    return this.taskManagers.filter((m) => m.alive());
  }

  /** The JobManager that answers REST (a standby serves nothing), with its URL. */
  async active(): Promise<{ member: Member; url: string } | undefined> {
    for (const member of this.liveJobManagers()) {
      if (this.paused.has(member.pid)) continue;
      const url = `http://127.0.0.1:${member.port}`;
      try {
        const res = await fetch(`${url}/jobs`, { signal: AbortSignal.timeout(1500) });
        if (res.ok) return { member, url };
      } catch {
        // a standby, or not up yet
      }
    }
    return undefined;
  }

  async killHard(m: Member): Promise<void> {
    this.killed.add(m.pid);
    m.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (m.alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  }

  pause(pid: number): void {
    this.paused.add(pid);
    process.kill(pid, 'SIGSTOP');
  }

  resume(pid: number): void {
    this.paused.delete(pid);
    try {
      process.kill(pid, 'SIGCONT');
    } catch {
      // it died while paused (a SIGKILL works on a stopped process)
    }
  }

  /** Every process of the run: resumed, then SIGTERM, SIGKILL after 5 s. */
  async stop(): Promise<void> {
    this.closing();
    for (const pid of this.paused) this.resume(pid);
    await this.procs.stop();
  }

  logs(): string {
    return this.procs.logs();
  }
}

/** A small tmpfs for the data dir, which the disk-full fault fills with a filler file and frees again. */
export class Tmpfs {
  private filler: string | undefined;

  private constructor(readonly dir: string) {}

  /** Needs root; says so if the mount fails. */
  static mount(dir: string, sizeMb: number): Tmpfs {
    mkdirSync(dir, { recursive: true });
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMb}m`, 'tmpfs', dir], { stdio: 'pipe' });
    } catch (err) {
      throw new Error(`the disk-full fault needs a tmpfs (mount -t tmpfs, as root): ${(err as Error).message}`);
    }
    return new Tmpfs(dir);
  }

  /** Writes a filler file until the tmpfs has no byte left; its size. */
  fill(): number {
    const path = join(this.dir, 'chaos-filler');
    const fd = openSync(path, 'w');
    this.filler = path;
    let bytes = 0;
    try {
      for (const chunk of [Buffer.alloc(1 << 20), Buffer.alloc(4096), Buffer.alloc(1)]) {
        for (;;) {
          try {
            bytes += writeSync(fd, chunk);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
            throw err;
          }
        }
      }
    } finally {
      closeSync(fd);
    }
    return bytes;
  }

  free(): void {
    if (this.filler) unlinkSync(this.filler);
    this.filler = undefined;
  }

  /** After every process using it has gone; lazily if something still holds it. */
  unmount(): void {
    try {
      execFileSync('umount', [this.dir], { stdio: 'pipe' });
    } catch {
      execFileSync('umount', ['-l', this.dir], { stdio: 'pipe' });
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** The last log lines of a process, without the stack frames of an error it printed. */
function lastMessages(path: string): string {
  try {
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n').slice(-40);
    return lines
      .filter((l) => !/^\s+at /.test(l))
      .slice(-4)
      .join('\n');
  } catch {
    return '(no log)';
  }
}
