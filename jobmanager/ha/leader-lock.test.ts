import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureLogging } from '../../common/log';
import { isAlive, LeaderLock } from './leader-lock';

configureLogging('error', 'text');

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
    expect(JSON.parse(readFileSync(join(dir, 'jm.lock'), 'utf8'))).toEqual({ pid: process.pid, host: '127.0.0.1', port: 1 });
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
    let acquired = false;
    const standby = new LeaderLock(dir).acquire({ pid: process.pid, host: '127.0.0.1', port: 2 }).then(() => (acquired = true));
    await new Promise((r) => setImmediate(r));
    expect(acquired).toBe(false);
    a.release();
    await standby;
    expect(JSON.parse(readFileSync(join(dir, 'jm.lock'), 'utf8')).port).toBe(2);
  });
});
