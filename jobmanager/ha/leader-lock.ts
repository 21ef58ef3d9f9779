/**
 * One active JobManager per data dir (Flink's leader election, for JobManagers on one host):
 * `<data-dir>/jm.lock` holds the active one's `{pid, host, port}`. A JobManager that finds the
 * lock held by a live process is a standby: it polls until the holder is gone, then takes over.
 *
 * Liveness is `kill(pid, 0)`, so holder and standbys must run on the same host (a pid means nothing
 * elsewhere). A stale lock is taken over by renaming it to a name of our own and checking that the
 * renamed file is still the stale one: of two standbys racing for it, the one that renamed a fresh
 * lock (its rival's) puts it back and keeps waiting.
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { Logger } from '../../common/log';
import { writeAtomically } from './job-store';

const log = new Logger('leader-lock');
export const LOCK_FILE = 'jm.lock';
const POLL_MS = 500;

export interface LockHolder {
  pid: number;
  host: string;
  port: number;
}

/** Whether process `pid` exists on this host (EPERM: it exists, owned by someone else). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class LeaderLock {
  readonly path: string;
  private held = false;

  constructor(dataDir: string) {
    this.path = join(dataDir, LOCK_FILE);
  }

  private read(path = this.path): { raw: string; holder: LockHolder | undefined } | undefined {
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    try {
      return { raw, holder: JSON.parse(raw) as LockHolder };
    } catch {
      return { raw, holder: undefined }; // torn by a crash mid-write: nobody holds it
    }
  }

  /** One try: true if this process now holds the lock. */
  tryAcquire(me: LockHolder): boolean {
    try {
      const fd = openSync(this.path, 'wx');
      try {
        writeSync(fd, JSON.stringify(me));
      } finally {
        closeSync(fd);
      }
      this.held = true;
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const current = this.read();
    if (!current) return this.tryAcquire(me); // released meanwhile
    if (current.holder && isAlive(current.holder.pid)) return false;
    const mine = `${this.path}.stale-${process.pid}`;
    try {
      renameSync(this.path, mine);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false; // another standby took it
      throw err;
    }
    if (this.read(mine)?.raw !== current.raw) {
      renameSync(mine, this.path); // a rival's fresh lock: give it back
      return false;
    }
    rmSync(mine, { force: true });
    log.info('took over a stale lock', { lock: this.path, previous: current.raw });
    return this.tryAcquire(me);
  }

  /** Waits until this process holds the lock. */
  async acquire(me: LockHolder): Promise<void> {
    let said = false;
    while (!this.tryAcquire(me)) {
      if (!said) {
        log.info('standby: another JobManager holds the data dir; waiting for it to go', { lock: this.path, holder: this.read()?.raw ?? '' });
        said = true;
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  /** Records the port this JobManager listens on (known only after listen when --port is 0). */
  update(me: LockHolder): void {
    if (this.held) writeAtomically(this.path, JSON.stringify(me));
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    rmSync(this.path, { force: true });
  }
}
