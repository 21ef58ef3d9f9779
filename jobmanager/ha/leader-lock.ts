/**
 * One active JobManager per data dir (Flink's leader election, for JobManagers on one host):
 * `<data-dir>/jm.lock` holds the active one's `{pid, host, port}`. A JobManager that finds the
 * lock held by a live process is a standby: it polls until the holder is gone, then takes over.
 *
 * Liveness is `kill(pid, 0)`, so holder and standbys must run on the same host (a pid means nothing
 * elsewhere). A stale lock is taken over by renaming it to a name of our own and checking that the
 * renamed file is still the stale one: of two standbys racing for it, the one that renamed a fresh
 * lock (its rival's) puts it back and keeps waiting.
 *
 * A full disk stops no JobManager: a standby that cannot write the lock keeps waiting, and the
 * holder that cannot record its port in it keeps leading and retries (`updateFailure`, in GET /health).
 */
import { closeSync, openSync, readFileSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { FlinkxError } from '../../common/errors';
import { Logger } from '../../common/log';
import { systemClock, systemTimers, type Clock, type Timers } from '../clock';
import { writeAtomicallySync } from '../../common/durable-file';
import { isDiskFull } from './job-store';
import { RetriedWrite, type WriteFailure } from './retried-write';

const log = new Logger('leader-lock');
export const LOCK_FILE = 'jm.lock';
export const POLL_MS = 500;

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
  private holder: LockHolder | undefined;
  private readonly update$: RetriedWrite<LockHolder>;

  /** `write`: injected by tests, to fail as a full disk does. */
  constructor(
    dataDir: string,
    private readonly timers: Timers = systemTimers,
    clock: Clock = systemClock,
    private readonly write: (path: string, data: string) => void = writeAtomicallySync,
  ) {
    this.path = join(dataDir, LOCK_FILE);
    this.update$ = new RetriedWrite(
      () => this.holder!,
      (me) => {
        try {
          this.write(this.path, JSON.stringify(me));
        } catch (err) {
          throw new FlinkxError(
            'LEADER_LOCK',
            `cannot record this JobManager in ${this.path}: ${(err as Error).message}`,
            { retriable: isDiskFull(err), cause: err },
          );
        }
      },
      timers,
      () => clock.now(),
      {
        failed: (f, first) =>
          first &&
          log.warn('the lock keeps the holder it has; retrying the write with back-off', {
            lock: this.path,
            error: f.error.message,
          }),
        recovered: () => log.info('the lock records this JobManager again', { lock: this.path }),
      },
    );
  }

  /** Why the holder's latest details (its port) are not in the lock yet; undefined when they are. */
  get updateFailure(): WriteFailure | undefined {
    return this.update$.failure;
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
    let fd: number;
    try {
      fd = openSync(this.path, 'wx');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      return this.tryTakeOver(me);
    }
    try {
      writeSync(fd, JSON.stringify(me));
    } catch (err) {
      // An empty lock would read as torn, free for anyone: this process does not hold it.
      rmSync(this.path, { force: true });
      throw err;
    } finally {
      closeSync(fd);
    }
    this.held = true;
    this.holder = me;
    return true;
  }

  private tryTakeOver(me: LockHolder): boolean {
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

  /** Waits until this process holds the lock; while the disk is full, a standby keeps waiting. */
  async acquire(me: LockHolder): Promise<void> {
    let said = false;
    let full = false;
    for (;;) {
      try {
        if (this.tryAcquire(me)) return;
        full = false;
      } catch (err) {
        if (!isDiskFull(err)) throw err;
        if (!full)
          log.warn('cannot write the lock: the disk is full; waiting for space', {
            lock: this.path,
            error: (err as Error).message,
          });
        full = true;
      }
      if (!said && !full) {
        log.info('standby: another JobManager holds the data dir; waiting for it to go', {
          lock: this.path,
          holder: this.read()?.raw ?? '',
        });
        said = true;
      }
      await new Promise<void>((r) => this.timers.schedule(r, POLL_MS));
    }
  }

  /** Records the port this JobManager listens on (known only after listen when --port is 0); retried while the disk is full. */
  update(me: LockHolder): void {
    if (!this.held) return;
    this.holder = me;
    this.update$.save();
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    this.update$.close();
    rmSync(this.path, { force: true });
  }
}
