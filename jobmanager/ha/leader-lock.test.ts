import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureLogging } from '../../common/log';
import { writeAtomicallySync } from '../../common/durable-file';
import { ManualClock } from '../testing/manual-clock';
import { isAlive, LeaderLock, POLL_MS } from './leader-lock';
import { WRITE_RETRY } from './retried-write';

configureLogging('error', 'text');
// It spawns processes (node, mount) on a loaded machine: jest's 5 s default is too short.
jest.setTimeout(60_000);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flinkx-lock-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

/** The pid of a process that has exited. */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

describe('LeaderLock', () => {
  it('the first JobManager holds it; a second one waits while the holder lives', () => {
    const a = new LeaderLock(dir);
    expect(a.tryAcquire({ pid: process.pid, host: '127.0.0.1', port: 1 })).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'jm.lock'), 'utf8'))).toEqual({
      pid: process.pid,
      host: '127.0.0.1',
      port: 1,
    });
    expect(new LeaderLock(dir).tryAcquire({ pid: process.pid, host: '127.0.0.1', port: 2 })).toBe(false);
    a.update({ pid: process.pid, host: '127.0.0.1', port: 3 });
    expect(JSON.parse(readFileSync(join(dir, 'jm.lock'), 'utf8')).port).toBe(3);
    a.release();
    expect(existsSync(join(dir, 'jm.lock'))).toBe(false);
  });

  it('a lock whose holder is dead, or torn, is taken over', async () => {
    const pid = deadPid();
    expect(isAlive(pid)).toBe(false);
    expect(isAlive(process.pid)).toBe(true);
    writeFileSync(join(dir, 'jm.lock'), JSON.stringify({ pid, host: '127.0.0.1', port: 1 }));
    const b = new LeaderLock(dir);
    await b.acquire({ pid: process.pid, host: '127.0.0.1', port: 2 });
    expect(JSON.parse(readFileSync(join(dir, 'jm.lock'), 'utf8')).port).toBe(2);
    b.release();
    writeFileSync(join(dir, 'jm.lock'), '{"pid": 1');
    expect(new LeaderLock(dir).tryAcquire({ pid: process.pid, host: '127.0.0.1', port: 4 })).toBe(true);
  });

  it('a standby waits and takes over once the holder is gone', async () => {
    const a = new LeaderLock(dir);
    a.tryAcquire({ pid: process.pid, host: '127.0.0.1', port: 1 });
    const clock = new ManualClock();
    let acquired = false;
    const standby = new LeaderLock(dir, clock, clock)
      .acquire({ pid: process.pid, host: '127.0.0.1', port: 2 })
      .then(() => (acquired = true));
    clock.advance(10 * POLL_MS);
    await new Promise((r) => setImmediate(r));
    expect(acquired).toBe(false);
    a.release();
    clock.advance(POLL_MS); // its next poll
    await standby;
    expect(JSON.parse(readFileSync(join(dir, 'jm.lock'), 'utf8')).port).toBe(2);
  });

  it('a holder that cannot record its port (a full disk) keeps the lock and leading, says why, and retries until the write succeeds', () => {
    const clock = new ManualClock();
    let full = false;
    const lock = new LeaderLock(dir, clock, clock, (path, data) => {
      if (full) throw Object.assign(new Error('ENOSPC: no space left on device, open'), { code: 'ENOSPC' });
      writeAtomicallySync(path, data);
    });
    expect(lock.tryAcquire({ pid: process.pid, host: '127.0.0.1', port: 0 })).toBe(true);
    full = true;
    lock.update({ pid: process.pid, host: '127.0.0.1', port: 5 });
    expect(lock.updateFailure).toMatchObject({ since: clock.now(), retryInMs: WRITE_RETRY.initialMs });
    expect(lock.updateFailure!.error.message).toBe(
      `cannot record this JobManager in ${join(dir, 'jm.lock')}: ENOSPC: no space left on device, open`,
    );
    clock.advance(60_000);
    // still this process's lock: a standby keeps waiting
    expect(JSON.parse(readFileSync(join(dir, 'jm.lock'), 'utf8'))).toEqual({
      pid: process.pid,
      host: '127.0.0.1',
      port: 0,
    });
    expect(new LeaderLock(dir).tryAcquire({ pid: process.pid, host: '127.0.0.1', port: 6 })).toBe(false);
    full = false;
    clock.advance(WRITE_RETRY.maxMs);
    expect(lock.updateFailure).toBeUndefined();
    expect(JSON.parse(readFileSync(join(dir, 'jm.lock'), 'utf8')).port).toBe(5);
    lock.release();
  });
});

/** A tmpfs of `size` mounted on a new directory (we run as root in CI), or undefined where mounting is not permitted. */
function mountTmpfs(size: string): string | undefined {
  const mnt = mkdtempSync(join(tmpdir(), 'flinkx-full-'));
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', mnt], { encoding: 'utf8' });
  if (r.status === 0) return mnt;
  rmSync(mnt, { recursive: true, force: true });
  console.warn(
    `skipping the full-disk lock test: cannot mount a tmpfs (${(r.stderr || r.error?.message || '').trim()}); it needs root`,
  );
  return undefined;
}

/** Appends to `file` until the filesystem is full. */
function fill(file: string): void {
  const chunk = Buffer.alloc(4096, 1);
  for (;;) {
    try {
      appendFileSync(file, chunk);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return;
      throw err;
    }
  }
}

describe('LeaderLock on a full disk (a tmpfs)', () => {
  let mnt: string | undefined;
  beforeAll(() => {
    mnt = mountTmpfs('64k');
  });
  afterAll(() => {
    if (!mnt) return;
    spawnSync('umount', [mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });

  it('a JobManager that cannot write the lock holds nothing (no empty lock left for others to take) and keeps waiting until space is freed', async () => {
    if (!mnt) return;
    const data = join(mnt, 'data');
    mkdirSync(data);
    fill(join(mnt, 'filler'));
    const me = { pid: process.pid, host: '127.0.0.1', port: 1 };
    const lock = new LeaderLock(data);
    expect(() => lock.tryAcquire(me)).toThrow(/ENOSPC/);
    expect(readdirSync(data)).toEqual([]);
    const waiting = lock.acquire(me); // its first try, on the full disk, is made before it returns
    expect(readdirSync(data)).toEqual([]);
    rmSync(join(mnt, 'filler'));
    await waiting;
    expect(JSON.parse(readFileSync(join(data, 'jm.lock'), 'utf8'))).toEqual(me);
    lock.release();
  });
});
