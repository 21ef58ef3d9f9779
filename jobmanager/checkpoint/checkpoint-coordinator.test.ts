import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configureLogging } from '../../common/log';
import { CheckpointCoordinator, type CheckpointEntry, type CheckpointTarget } from './checkpoint-coordinator';
import { CheckpointStorage } from './checkpoint-storage';
import { ManualClock } from '../testing/manual-clock';
import { snapshotPath, writeSnapshotFile } from '../../taskmanager/checkpoint/state-files';

configureLogging('error', 'text');

type Sent = Parameters<CheckpointTarget['broadcast']>[0];

/** The job as the coordinator sees it: tests set its attempt and whether every task runs. */
class TestingJob implements CheckpointTarget {
  readonly jobId = 'job1';
  current = 0;
  running = true;
  readonly sent: Sent[] = [];
  constructor(
    private readonly subtasks = [
      { vertex: 'src', subtask: 0 },
      { vertex: 'src', subtask: 1 },
      { vertex: 'sink', subtask: 0 },
    ],
  ) {}
  attempt = () => this.current;
  allTasksRunning = () => this.running;
  tasks = () => this.subtasks;
  broadcast(frame: Sent): void {
    this.sent.push(frame);
  }
  sentOf(t: Sent['t']): Sent[] {
    return this.sent.filter((f) => f.t === t);
  }
}

let root: string;
let coordinators: CheckpointCoordinator[] = [];
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'flinkx-coord-'));
});
afterEach(async () => {
  for (const c of coordinators) c.stop('test over');
  // Files of a stopped checkpoint may still be landing or being discarded: wait until settled.
  await Promise.all(coordinators.map((c) => c.latestForRestore().catch(() => undefined)));
  coordinators = [];
  rmSync(root, { recursive: true, force: true, maxRetries: 10, retryDelay: 20 });
});

function setup(opts: { interval?: number; timeout?: number } = {}) {
  const job = new TestingJob();
  const storage = new CheckpointStorage(join(root, job.jobId));
  const config = { interval: opts.interval ?? 10_000, mode: 'exactly-once' as const, timeout: opts.timeout ?? 60_000 };
  const clock = new ManualClock();
  const coord = new CheckpointCoordinator(job, config, storage, { clock, timers: clock });
  coordinators.push(coord);
  return { job, storage, coord, clock };
}

/** The handle a task would acknowledge with (the coordinator never reads the file). */
const handle = (storage: CheckpointStorage, id: number, vertex: string, subtask: number, size: number) => ({
  path: join(storage.dir, `chk-${id}`, `${vertex}-${subtask}.bin`),
  size,
  sha256: 'a'.repeat(64),
});
const entry = (coord: CheckpointCoordinator, id: number): CheckpointEntry | undefined =>
  coord.snapshot().history.find((e) => e.id === id);
const ackAll = (
  coord: CheckpointCoordinator,
  job: TestingJob,
  storage: CheckpointStorage,
  id: number,
  attempt = job.current,
) => {
  for (const t of job.tasks())
    coord.acknowledge(attempt, id, t.vertex, t.subtask, handle(storage, id, t.vertex, t.subtask, 10 * id + t.subtask));
};

describe('CheckpointCoordinator', () => {
  it('triggers only while every task runs, at every TM, one checkpoint at a time', async () => {
    const { job, coord, clock } = setup({ interval: 10 });
    job.running = false;
    expect(coord.tick()).toBeUndefined();
    coord.start();
    clock.advance(10);
    expect(job.sentOf('trigger-checkpoint')).toHaveLength(0);
    job.running = true;
    clock.advance(10);
    expect(job.sentOf('trigger-checkpoint')).toEqual([
      expect.objectContaining({
        t: 'trigger-checkpoint',
        jobId: 'job1',
        attempt: 0,
        checkpointId: 1,
        timestamp: clock.now(),
      }),
    ]);
    // Many intervals pass without acks: still the one checkpoint, and tick() refuses another.
    expect(coord.tick()).toBeUndefined();
    clock.advance(100);
    expect(job.sentOf('trigger-checkpoint')).toHaveLength(1);
    expect(coord.snapshot().counts).toEqual({ completed: 0, failed: 0, inProgress: 1 });
  });

  it('completes when every task acked and the files are written, then tells the TMs', async () => {
    const { job, coord, storage } = setup();
    const { id } = coord.tick()!;
    const [last, ...others] = [...job.tasks()].reverse();
    for (const t of others) coord.acknowledge(0, id, t.vertex, t.subtask, handle(storage, id, t.vertex, t.subtask, 2));
    coord.acknowledge(
      0,
      id,
      others[0].vertex,
      others[0].subtask,
      handle(storage, id, others[0].vertex, others[0].subtask, 2),
    ); // duplicate: ignored
    expect(entry(coord, id)).toMatchObject({ status: 'IN_PROGRESS', acknowledged: 2, total: 3, size: 4 });
    expect(job.sentOf('checkpoint-complete')).toHaveLength(0);

    coord.acknowledge(0, id, last.vertex, last.subtask, handle(storage, id, last.vertex, last.subtask, 1));
    await coord.latestForRestore(); // the metadata is written
    expect(entry(coord, id)).toMatchObject({ status: 'COMPLETED', acknowledged: 3, total: 3, size: 5 });
    expect(job.sentOf('checkpoint-complete')).toEqual([
      { t: 'checkpoint-complete', jobId: 'job1', attempt: 0, checkpointId: id },
    ]);
    expect(existsSync(join(storage.dir, `chk-${id}`, '_metadata.json'))).toBe(true);
    expect(coord.snapshot()).toMatchObject({
      counts: { completed: 1, failed: 0, inProgress: 0 },
      latest: { id, status: 'COMPLETED' },
    });
    expect(coord.summary()).toMatchObject({ latestCompleted: id, completed: 1, latestCompletedSize: 5 });
    expect(coord.tick()?.id).toBe(id + 1);
  });

  it('a decline fails the checkpoint (not the job) and deletes its files', async () => {
    const { job, coord, storage } = setup();
    const { id } = coord.tick()!;
    coord.acknowledge(0, id, 'src', 0, handle(storage, id, 'src', 0, 1));
    coord.decline(0, id, 'sink', 0, 'disk full');
    const e = entry(coord, id)!;
    expect(e.status).toBe('FAILED');
    expect(e.failureReason).toMatch(/sink\[0\] declined: disk full/);
    await coord.latestForRestore(); // the files are deleted
    expect(existsSync(join(storage.dir, `chk-${id}`))).toBe(false);
    expect(job.sentOf('checkpoint-complete')).toHaveLength(0);
    expect(coord.snapshot().counts).toEqual({ completed: 0, failed: 1, inProgress: 0 });
  });

  it('a declined checkpoint written into late: each late answer deletes the folder again, so the last one leaves nothing behind', async () => {
    const { coord, storage } = setup();
    const { id } = coord.tick()!;
    const chk = join(storage.dir, `chk-${id}`);
    // src[0] wrote its snapshot in time; src[1] and sink[0] still write when the checkpoint fails.
    const early = await writeSnapshotFile(snapshotPath(storage.dir, id, 'src', 0), new Uint8Array([1]));
    coord.acknowledge(0, id, 'src', 0, early);
    coord.decline(0, id, 'sink', 0, 'disk full');
    await coord.latestForRestore(); // the folder is deleted
    expect(existsSync(chk)).toBe(false);

    // A writer that was still at work recreates the folder and acknowledges late.
    coord.acknowledge(
      0,
      id,
      'src',
      1,
      await writeSnapshotFile(snapshotPath(storage.dir, id, 'src', 1), new Uint8Array([2])),
    );
    await coord.latestForRestore();
    expect(existsSync(chk)).toBe(false);
    expect(entry(coord, id)).toMatchObject({ status: 'FAILED', acknowledged: 1 });
  });

  it("late answers count only for a failed checkpoint's tasks that had not answered: a completed checkpoint's files stay", async () => {
    const { job, coord, storage } = setup();
    const { id } = coord.tick()!;
    for (const t of job.tasks())
      coord.acknowledge(
        0,
        id,
        t.vertex,
        t.subtask,
        await writeSnapshotFile(snapshotPath(storage.dir, id, t.vertex, t.subtask), new Uint8Array([3])),
      );
    await coord.latestForRestore();
    expect(entry(coord, id)?.status).toBe('COMPLETED');
    coord.acknowledge(0, id, 'src', 0, handle(storage, id, 'src', 0, 1)); // a duplicate
    coord.decline(0, id, 'sink', 0, 'late');
    await coord.latestForRestore();
    expect((await storage.latest())?.metadata.checkpointId).toBe(id);
    expect(existsSync(snapshotPath(storage.dir, id, 'src', 0))).toBe(true);
  });

  it('a timeout fails the checkpoint and the next one can trigger', async () => {
    const { coord, clock } = setup({ timeout: 30 });
    const { id } = coord.tick()!;
    clock.advance(29);
    expect(entry(coord, id)?.status).toBe('IN_PROGRESS');
    clock.advance(1);
    expect(entry(coord, id)).toMatchObject({ status: 'FAILED', duration: 30, failureReason: 'timed out after 30 ms' });
    expect(coord.tick()?.id).toBe(id + 1);
  });

  it('ignores acks of another attempt and of unknown ids; ids keep increasing across attempts', async () => {
    const { job, coord, storage } = setup();
    const first = coord.tick()!;
    coord.abort('job RESTARTING');
    expect(entry(coord, first.id)).toMatchObject({ status: 'FAILED', failureReason: 'job RESTARTING' });
    job.current = 1;
    const second = coord.tick()!;
    expect(second).toMatchObject({ id: first.id + 1, attempt: 1 });

    ackAll(coord, job, storage, second.id, 0); // the old attempt
    ackAll(coord, job, storage, first.id, 1); // an id no longer in progress
    ackAll(coord, job, storage, 99, 1);
    coord.decline(0, second.id, 'src', 0, 'old attempt');
    expect(entry(coord, second.id)).toMatchObject({ status: 'IN_PROGRESS', acknowledged: 0 });

    ackAll(coord, job, storage, second.id, 1);
    await coord.latestForRestore();
    expect(entry(coord, second.id)?.status).toBe('COMPLETED');
    expect(job.sentOf('checkpoint-complete')).toEqual([
      { t: 'checkpoint-complete', jobId: 'job1', attempt: 1, checkpointId: second.id },
    ]);
  });

  it('a restart while the last files are written fails the checkpoint; restore gets the previous one', async () => {
    const { job, coord, storage } = setup();
    const c1 = coord.tick()!;
    ackAll(coord, job, storage, c1.id);
    await coord.latestForRestore();
    expect(entry(coord, c1.id)?.status).toBe('COMPLETED');
    const c2 = coord.tick()!;
    ackAll(coord, job, storage, c2.id);
    coord.abort('job RESTARTING'); // before the metadata write resolves
    const latest = await coord.latestForRestore();
    expect(entry(coord, c2.id)?.status).toBe('FAILED');
    expect(latest?.metadata.checkpointId).toBe(c1.id);
    expect(latest!.handles().get('sink/0')).toEqual(handle(storage, c1.id, 'sink', 0, 10 * c1.id));
    expect(job.sentOf('checkpoint-complete')).toHaveLength(1);
  });

  it('a handle outside the checkpoint folder fails the checkpoint', () => {
    const { coord, storage } = setup();
    const { id } = coord.tick()!;
    coord.acknowledge(0, id, 'src', 0, { ...handle(storage, id, 'src', 0, 1), path: '/etc/passwd' });
    expect(entry(coord, id)).toMatchObject({
      status: 'FAILED',
      failureReason: expect.stringMatching(/outside .*chk-1: \/etc\/passwd/),
    });
  });

  it('a checkpoint found corrupt is set aside: the next restore takes the one before it', async () => {
    const { job, coord, storage } = setup();
    for (let i = 0; i < 2; i++) {
      const { id } = coord.tick()!;
      ackAll(coord, job, storage, id);
      await coord.latestForRestore();
      expect(entry(coord, id)?.status).toBe('COMPLETED');
    }
    expect((await coord.latestForRestore())?.metadata.checkpointId).toBe(2);
    coord.invalidate(2);
    expect((await coord.latestForRestore())?.metadata.checkpointId).toBe(1);
    expect(existsSync(join(storage.dir, 'chk-2', '_metadata.corrupt.json'))).toBe(true);
    expect(await storage.completed()).toEqual([1]);
  });

  it('lists history newest first', async () => {
    const { job, coord, storage } = setup();
    for (let i = 0; i < 3; i++) {
      const { id } = coord.tick()!;
      ackAll(coord, job, storage, id);
      await coord.latestForRestore();
      expect(entry(coord, id)?.status).toBe('COMPLETED');
    }
    expect(coord.snapshot().history.map((e) => e.id)).toEqual([3, 2, 1]);
  });
});
