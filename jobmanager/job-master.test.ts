import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pollUntil } from '../common/async';
import { configureLogging } from '../common/log';
import { parseJobSpec } from '../common/jobfile';
import { CheckpointStorage } from './checkpoint/checkpoint-storage';
import { JobStoreError } from './ha/job-store';
import { WRITE_RETRY } from './ha/retried-write';
import type { StatusToWrite } from './ha/status-writer';
import { CANCEL_TIMEOUT_MS, EXCEPTION_HISTORY_SIZE, JobMaster } from './job-master';
import { jobDetails } from './rest/job-views';
import { IllegalStateTransitionError } from './state-machine';
import { ManualClock } from './testing/manual-clock';
import { TestingResourceManager } from './testing/testing-gateways';

configureLogging('error', 'text');

/** Two vertices of parallelism 2: src[0..1] → cnt[0..1] (slot i hosts subtask i of both). */
function spec(extra: Record<string, unknown> = {}) {
  return parseJobSpec({
    name: 't',
    parallelism: 2,
    ...extra,
    nodes: [
      { id: 'src', type: 'source', connector: { kind: 'generator', count: 10 } },
      { id: 'cnt', type: 'count', inputs: ['src'], keyBy: 'word' },
      { id: 'out', type: 'sink', inputs: ['cnt'], connector: { kind: 'stdout' } },
    ],
  });
}

function setup(extra: Record<string, unknown> = {}, storage?: CheckpointStorage) {
  const clock = new ManualClock();
  const rm = new TestingResourceManager();
  const job = new JobMaster('j1', spec(extra), undefined, {
    resourceManager: rm,
    clock,
    timers: clock,
    checkpointStorage: storage,
  });
  return { clock, rm, job };
}

/** Every subtask of the current attempt reports `state` from the TM that runs it. */
function reportAll(job: JobMaster, state: 'RUNNING' | 'FINISHED' | 'CANCELED') {
  for (const t of job.tasks.list())
    job.updateTaskExecutionState(t.slot!.tm, { attempt: job.attempt, vertex: t.vertex, subtask: t.subtask, state });
}

describe('JobMaster', () => {
  it('waits for slots with the reason, then deploys each TaskManager its subtasks', () => {
    const { rm, job } = setup();
    job.start();
    expect(job.state).toBe('CREATED');
    expect(job.reason).toBe('waiting for 2 free slots (0 free of 0)');
    const tm1 = rm.addTaskManager('tm1', 1);
    expect(job.reason).toBe('waiting for 2 free slots (1 free of 1)');
    const tm2 = rm.addTaskManager('tm2', 1);
    expect(job.state).toBe('RUNNING');
    const [d1] = tm1.callsOf('submitTasks');
    const [d2] = tm2.callsOf('submitTasks');
    expect(d1.tasks.map((t) => `${t.vertex}[${t.subtask}]`)).toEqual(['src[0]', 'cnt[0]']);
    expect(d2.tasks.map((t) => `${t.vertex}[${t.subtask}]`)).toEqual(['src[1]', 'cnt[1]']);
    expect(d1.plan.peers).toEqual({ tm1: tm1.dataAddress, tm2: tm2.dataAddress });
    expect(job.allTasksRunning()).toBe(false);
    reportAll(job, 'RUNNING');
    expect(job.allTasksRunning()).toBe(true);
    reportAll(job, 'FINISHED');
    expect(job.state).toBe('FINISHED');
    expect(rm.pending.size).toBe(0);
  });

  it('restarts a failed attempt after the fixed delay once its tasks have ended, ignoring reports of the old attempt after that', () => {
    const { clock, rm, job } = setup({ restart: { attempts: 1, delay: 500 } });
    const tm = rm.addTaskManager('tm1', 2);
    job.start();
    reportAll(job, 'RUNNING');
    job.updateTaskExecutionState('tm1', {
      attempt: 0,
      vertex: 'cnt',
      subtask: 1,
      state: 'FAILED',
      error: { message: 'boom' },
    });
    expect(job.state).toBe('RESTARTING');
    expect(tm.callsOf('cancelJob')).toHaveLength(1);
    expect(
      job.tasks
        .list()
        .map((t) => t.state)
        .sort(),
    ).toEqual(['FAILED', 'RUNNING', 'RUNNING', 'RUNNING']);
    clock.advance(500);
    // the backoff has passed, but three tasks of the failed attempt still run (closing their sinks, say)
    expect(job.state).toBe('RESTARTING');
    job.updateTaskExecutionState('tm1', { attempt: 0, vertex: 'src', subtask: 0, state: 'CANCELED' });
    job.updateTaskExecutionState('tm1', {
      attempt: 0,
      vertex: 'src',
      subtask: 1,
      state: 'FAILED',
      error: { message: 'also' },
    });
    expect(job.state).toBe('RESTARTING');
    job.updateTaskExecutionState('tm1', { attempt: 0, vertex: 'cnt', subtask: 0, state: 'CANCELED' });
    expect(job.state).toBe('RUNNING');
    expect(job.attempt).toBe(1);
    expect(job.restarts).toBe(1);
    expect(tm.callsOf('submitTasks').map((c) => c.plan.attempt)).toEqual([0, 1]);
    // late reports of the attempt that is over change nothing
    job.updateTaskExecutionState('tm1', { attempt: 0, vertex: 'src', subtask: 0, state: 'FAILED' });
    expect(job.tasks.list().map((t) => t.state)).toEqual(['SCHEDULED', 'SCHEDULED', 'SCHEDULED', 'SCHEDULED']);
    reportAll(job, 'RUNNING');
    job.updateTaskExecutionState('tm1', {
      attempt: 1,
      vertex: 'src',
      subtask: 0,
      state: 'FAILED',
      error: { message: 'again' },
    });
    expect(job.state).toBe('FAILED');
    expect(job.failure).toEqual({ message: 'again' });
    expect(job.exceptions.map((e) => [e.attempt, e.task, e.message])).toEqual([
      [0, 'cnt[1]', 'boom'],
      [1, 'src[0]', 'again'],
    ]);
  });

  it("a restart waits for the failed attempt's tasks at most the cancel timeout, or until their TaskManager is lost", () => {
    const silent = setup({ restart: { attempts: 1, delay: 500 } });
    silent.rm.addTaskManager('tm1', 2);
    silent.job.start();
    reportAll(silent.job, 'RUNNING');
    silent.job.updateTaskExecutionState('tm1', {
      attempt: 0,
      vertex: 'cnt',
      subtask: 1,
      state: 'FAILED',
      error: { message: 'boom' },
    });
    silent.clock.advance(CANCEL_TIMEOUT_MS - 1);
    expect(silent.job.state).toBe('RESTARTING');
    silent.clock.advance(1);
    expect(silent.job.state).toBe('RUNNING');
    expect(silent.job.attempt).toBe(1);

    const lost = setup({ restart: { attempts: 1, delay: 500 } });
    lost.rm.addTaskManager('tm1', 2);
    lost.job.start();
    reportAll(lost.job, 'RUNNING');
    lost.job.updateTaskExecutionState('tm1', {
      attempt: 0,
      vertex: 'cnt',
      subtask: 1,
      state: 'FAILED',
      error: { message: 'boom' },
    });
    lost.clock.advance(500);
    expect(lost.job.state).toBe('RESTARTING');
    lost.job.taskManagerLost('tm1', 'connection closed');
    expect(lost.job.state).toBe('RUNNING');
  });

  it("a restart waits only for the live TaskManagers' tasks: those on a TaskManager lost before or after the failure count as ended", () => {
    for (const lostFirst of [true, false]) {
      const { clock, rm, job } = setup({ restart: { attempts: 1, delay: 500 } });
      rm.addTaskManager('tm1', 1);
      rm.addTaskManager('tm2', 1);
      job.start();
      reportAll(job, 'RUNNING');
      const lose = () => job.taskManagerLost('tm2', 'connection closed');
      if (lostFirst) lose();
      // a task on tm1 loses its data connection with tm2 (or, tm2 lost first, is cancelled)
      job.updateTaskExecutionState('tm1', {
        attempt: 0,
        vertex: 'cnt',
        subtask: 0,
        state: 'FAILED',
        error: { message: 'data connection lost' },
      });
      if (!lostFirst) lose();
      job.updateTaskExecutionState('tm1', { attempt: 0, vertex: 'src', subtask: 0, state: 'CANCELED' });
      expect(job.tasks.list().every((t) => ['FAILED', 'CANCELED'].includes(t.state))).toBe(true);
      clock.advance(500);
      expect([lostFirst, job.state, job.attempt]).toEqual([lostFirst, 'RUNNING', 1]);
    }
  });

  it('without checkpointing or a restart block, the first failure fails the job', () => {
    const { rm, job } = setup();
    rm.addTaskManager('tm1', 2);
    job.start();
    expect(job.restart).toEqual({ strategy: 'none' });
    reportAll(job, 'RUNNING');
    job.updateTaskExecutionState('tm1', {
      attempt: 0,
      vertex: 'src',
      subtask: 0,
      state: 'FAILED',
      error: { message: 'boom' },
    });
    expect(job.state).toBe('FAILED');
  });

  it('with checkpointing and no restart block, restarts with exponential delay from 1 s', () => {
    const { clock, rm, job } = setup({ checkpointing: { interval: 1000 } });
    rm.addTaskManager('tm1', 2);
    job.start();
    for (let attempt = 0; attempt < 3; attempt++) {
      reportAll(job, 'RUNNING');
      job.taskManagerLost('tm1', 'connection closed');
      expect(job.state).toBe('RESTARTING');
      clock.advance(899); // the first backoff is 1 s, -10 % jitter at most
      expect(job.state).toBe('RESTARTING');
      clock.advance(10_000);
      // the TM lost its slots in a real ResourceManager; this fake keeps serving them
      expect(job.state).toBe('RUNNING');
    }
    expect(job.restarts).toBe(3);
  });

  it('a non-retriable failure fails the job at once, restarts to spare', () => {
    const { rm, job } = setup({ restart: { attempts: 10, delay: 0 } });
    rm.addTaskManager('tm1', 2);
    job.start();
    const error = { message: 'function "nope" is not a built-in', nonRetriable: true };
    job.updateTaskExecutionState('tm1', { attempt: 0, vertex: 'src', subtask: 1, state: 'FAILED', error });
    expect(job.state).toBe('FAILED');
    expect(job.restarts).toBe(0);
    expect(job.failure).toEqual(error);
  });

  it('cancel: CANCELLING until every task confirms, or until the cancel timeout', () => {
    const { rm, job } = setup();
    const tm = rm.addTaskManager('tm1', 2);
    job.start();
    reportAll(job, 'RUNNING');
    job.cancel();
    expect(job.state).toBe('CANCELLING');
    expect(tm.callsOf('cancelJob')).toEqual([{ t: 'cancelJob', jobId: 'j1' }]);
    reportAll(job, 'CANCELED');
    expect(job.state).toBe('CANCELED');

    const stuck = setup();
    stuck.rm.addTaskManager('tm1', 2);
    stuck.job.start();
    stuck.job.cancel();
    stuck.clock.advance(CANCEL_TIMEOUT_MS - 1);
    expect(stuck.job.state).toBe('CANCELLING');
    stuck.clock.advance(1);
    expect(stuck.job.state).toBe('CANCELED');
  });

  it('a job waiting for slots, or restarting, is cancelled at once and gives up its request', () => {
    const { rm, job } = setup({ restart: { attempts: 1, delay: 100 } });
    job.start();
    job.cancel();
    expect(job.state).toBe('CANCELED');
    expect(rm.pending.size).toBe(0);

    const r = setup({ restart: { attempts: 1, delay: 100 } });
    r.rm.addTaskManager('tm1', 2);
    r.job.start();
    r.job.taskManagerLost('tm1', 'gone');
    r.job.cancel();
    expect(r.job.state).toBe('CANCELED');
    r.clock.advance(1000);
    expect(r.job.state).toBe('CANCELED');
  });

  it('an impossible task transition is an error; a report from a TM that does not run the task is ignored', () => {
    const { rm, job } = setup();
    rm.addTaskManager('tm1', 2);
    rm.addTaskManager('tm2', 2);
    job.start();
    const [t] = job.tasks.list();
    job.updateTaskExecutionState(t.slot!.tm, { attempt: 0, vertex: t.vertex, subtask: t.subtask, state: 'RUNNING' });
    job.updateTaskExecutionState(t.slot!.tm, { attempt: 0, vertex: t.vertex, subtask: t.subtask, state: 'FINISHED' });
    expect(() =>
      job.updateTaskExecutionState(t.slot!.tm, { attempt: 0, vertex: t.vertex, subtask: t.subtask, state: 'RUNNING' }),
    ).toThrow(IllegalStateTransitionError);
    const other = job.tasks.list()[1];
    const stranger = other.slot!.tm === 'tm1' ? 'tm2' : 'tm1';
    job.updateTaskExecutionState(stranger, {
      attempt: 0,
      vertex: other.vertex,
      subtask: other.subtask,
      state: 'FAILED',
    });
    expect(job.state).toBe('RUNNING');
  });
});

describe('JobMaster with checkpoints', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'flinkx-jobmaster-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  /** Waits for the JobMaster's file writes (checkpoint metadata) to land, polling with a deadline. */
  async function eventually<T>(what: string, fn: () => T | undefined | false, timeoutMs = 10_000): Promise<T> {
    const v = await pollUntil(
      async () => {
        const got = fn();
        return got === false ? undefined : got;
      },
      timeoutMs,
      5,
    );
    if (v === undefined) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    return v;
  }

  it('a restarted attempt is deployed from the latest completed checkpoint, each task with its handle', async () => {
    // an interval the test never reaches: checkpoints are triggered by hand
    const { clock, rm, job } = setup(
      { checkpointing: { interval: 100_000_000 } },
      new CheckpointStorage(join(root, 'j1')),
    );
    const tm = rm.addTaskManager('tm1', 2);
    job.start();
    reportAll(job, 'RUNNING');
    const cp = job.checkpoints!.tick()!;
    expect(tm.callsOf('triggerCheckpoint')).toEqual([
      { t: 'triggerCheckpoint', jobId: 'j1', attempt: 0, checkpointId: cp.id },
    ]);
    const dir = job.checkpointDir!;
    job.tasks.list().forEach((t, i) =>
      job.acknowledgeCheckpoint('tm1', 0, cp.id, t.vertex, t.subtask, {
        path: join(dir, `chk-${cp.id}`, `${t.vertex}-${t.subtask}.bin`),
        size: i,
        sha256: 'b'.repeat(64),
      }),
    );
    await eventually('the checkpoint to complete', () => tm.callsOf('notifyCheckpointComplete').length === 1);

    job.taskManagerLost('tm1', 'connection closed');
    clock.advance(2000);
    const deploys = await eventually('the restored attempt', () =>
      tm.callsOf('submitTasks').length === 2 ? tm.callsOf('submitTasks') : undefined,
    );
    const { plan, tasks } = deploys[1];
    expect(plan.attempt).toBe(1);
    expect(plan.restoredCheckpoint).toBe(cp.id);
    expect(plan.checkpointDir).toBe(join(root, 'j1'));
    expect(tasks.map((t) => t.state?.path).sort()).toEqual(
      job.tasks
        .list()
        .map((t) => join(root, 'j1', `chk-${cp.id}`, `${t.vertex}-${t.subtask}.bin`))
        .sort(),
    );
    // The restored attempt finds a snapshot corrupt: that checkpoint is set aside, the next restore has none left.
    job.updateTaskExecutionState('tm1', {
      attempt: 1,
      vertex: tasks[0].vertex,
      subtask: tasks[0].subtask,
      state: 'FAILED',
      error: { message: 'bad', code: 'CHECKPOINT_CORRUPT' },
    });
    reportAll(job, 'CANCELED');
    clock.advance(5000);
    const third = await eventually('the attempt after', () =>
      tm.callsOf('submitTasks').length === 3 ? tm.callsOf('submitTasks')[2] : undefined,
    );
    expect(third.plan.restoredCheckpoint).toBeUndefined();
    expect(third.tasks.every((t) => t.state === undefined)).toBe(true);
    job.close();
  });

  it('records its status on every change; a JobMaster resuming that status runs a new attempt from the latest checkpoint, with new checkpoint ids', async () => {
    const storage = new CheckpointStorage(join(root, 'j1'));
    const statuses: unknown[] = [];
    const clock = new ManualClock();
    const rm = new TestingResourceManager();
    const services = {
      resourceManager: rm,
      clock,
      timers: clock,
      checkpointStorage: storage,
      persist: (s: unknown) => statuses.push(s),
    };
    const job = new JobMaster('j1', spec({ checkpointing: { interval: 100_000_000 } }), undefined, services);
    const tm = rm.addTaskManager('tm1', 2);
    job.start();
    reportAll(job, 'RUNNING');
    const cp = job.checkpoints!.tick()!;
    for (const t of job.tasks.list()) {
      job.acknowledgeCheckpoint('tm1', 0, cp.id, t.vertex, t.subtask, {
        path: join(root, 'j1', `chk-${cp.id}`, `${t.vertex}-${t.subtask}.bin`),
        size: 1,
        sha256: 'c'.repeat(64),
      });
    }
    await eventually('the checkpoint to complete', () => tm.callsOf('notifyCheckpointComplete').length === 1);
    const saved = statuses[statuses.length - 1] as Parameters<JobMaster['resume']>[0];
    expect(saved).toEqual({
      state: 'RUNNING',
      attempt: 0,
      restarts: 0,
      latestCheckpoint: { id: cp.id, metadata: join(root, 'j1', `chk-${cp.id}`, '_metadata.json') },
      startedAt: clock.now(),
      checkpointCounts: { completed: 1, failed: 0 },
      exceptions: [],
    });
    job.close(); // the JobManager dies

    const rm2 = new TestingResourceManager();
    const resumed = new JobMaster('j1', spec({ checkpointing: { interval: 100_000_000 } }), undefined, {
      ...services,
      resourceManager: rm2,
    });
    const tm2 = rm2.addTaskManager('tm1', 2);
    clock.advance(60_000);
    resumed.resume(saved);
    const [deploy] = await eventually('the resumed attempt', () =>
      tm2.callsOf('submitTasks').length === 1 ? tm2.callsOf('submitTasks') : undefined,
    );
    expect(deploy.plan).toMatchObject({ attempt: 1, restoredCheckpoint: cp.id });
    expect(deploy.tasks.every((t) => t.state?.path.includes(`chk-${cp.id}`))).toBe(true);
    expect(resumed.restarts).toBe(0);
    reportAll(resumed, 'RUNNING');
    expect(resumed.checkpoints!.tick()!.id).toBe(cp.id + 1);
    resumed.close();
  });

  it('a resumed job keeps its start time, its checkpoint counts and its exceptions (the latest EXCEPTION_HISTORY_SIZE), and stores them again', async () => {
    const statuses: StatusToWrite[] = [];
    const clock = new ManualClock();
    const rm = new TestingResourceManager();
    const exceptions = Array.from({ length: EXCEPTION_HISTORY_SIZE }, (_, i) => ({
      time: i,
      attempt: i,
      message: `failure ${i}`,
    }));
    const saved: StatusToWrite = {
      state: 'RUNNING',
      attempt: 20,
      restarts: 3,
      latestCheckpoint: null,
      startedAt: 12_345,
      checkpointCounts: { completed: 60, failed: 7 },
      exceptions,
    };
    const job = new JobMaster(
      'j1',
      spec({ checkpointing: { interval: 100_000_000 }, restart: { attempts: 10, delay: 0 } }),
      undefined,
      {
        resourceManager: rm,
        clock,
        timers: clock,
        checkpointStorage: new CheckpointStorage(join(root, 'j1')),
        persist: (s) => statuses.push(s),
        createdAt: 11_111,
      },
    );
    rm.addTaskManager('tm1', 2);
    job.resume(saved);
    await eventually('the resumed attempt', () => job.state === 'RUNNING');
    expect(job.createdAt).toBe(11_111);
    expect(jobDetails(job)).toMatchObject({
      startTime: 12_345,
      attempt: 21,
      restarts: 3,
      checkpoints: { completed: 60, failed: 7 },
    });
    expect(job.exceptions).toEqual(exceptions);
    reportAll(job, 'RUNNING');
    job.updateTaskExecutionState('tm1', {
      attempt: 21,
      vertex: 'src',
      subtask: 0,
      state: 'FAILED',
      error: { message: 'after the failover' },
    });
    // the oldest exception makes room for the new one
    expect(job.exceptions.map((e) => e.message)).toEqual([
      ...exceptions.slice(1).map((e) => e.message),
      'after the failover',
    ]);
    expect(statuses[statuses.length - 1]).toMatchObject({
      startedAt: 12_345,
      checkpointCounts: { completed: 60, failed: 7 },
      exceptions: job.exceptions,
    });
    job.close();
  });
});

/** A job store's write on a full disk: throws as JobStore.saveStatus does while `full`, else keeps the status. */
function diskOf() {
  const disk = { full: false, stored: undefined as StatusToWrite | undefined, tries: [] as number[] };
  const persist = (s: StatusToWrite) => {
    disk.tries.push(s.attempt);
    if (disk.full)
      throw new JobStoreError(
        'cannot store the status of job j1 under /data/jobs: ENOSPC: no space left on device, write',
      );
    disk.stored = s;
  };
  return { disk, persist };
}

describe('JobMaster whose status cannot be written (a full disk)', () => {
  it('deploys no attempt the store does not hold: the restart waits, retrying the write with back-off, and says why; a failover would resume with an attempt never deployed', () => {
    const { disk, persist } = diskOf();
    const clock = new ManualClock();
    const rm = new TestingResourceManager();
    const job = new JobMaster('j1', spec({ restart: { attempts: 10, delay: 100 } }), undefined, {
      resourceManager: rm,
      clock,
      timers: clock,
      persist,
    });
    const tm = rm.addTaskManager('tm1', 2);
    job.start();
    reportAll(job, 'RUNNING');
    expect(disk.stored).toMatchObject({ state: 'RUNNING', attempt: 0 });
    const deployed = () => tm.callsOf('submitTasks').map((c) => c.plan.attempt);

    disk.full = true;
    job.taskManagerLost('tm1', 'connection closed');
    clock.advance(100);
    expect(job.state).toBe('CREATED');
    expect(job.attempt).toBe(1);
    expect(deployed()).toEqual([0]);
    expect(job.reason).toMatch(
      /^attempt 1 is not deployed until the job status that holds it is written: .*ENOSPC: no space left on device.*\(retrying in \d+ ms\)$/,
    );
    expect(job.statusFailure?.error.code).toBe('JOB_STORE');
    expect(job.exceptions.map((e) => e.code ?? e.message)).toEqual([
      'TaskManager tm1 was lost: connection closed',
      'JOB_STORE',
    ]);
    expect(job.exceptions[1].message).toMatch(/^cannot persist the job status: .*no space left on device/);

    // retried with back-off, still nothing deployed: the store says attempt 0, so a JobManager taking over now resumes with 1
    const tries = disk.tries.length;
    clock.advance(WRITE_RETRY.initialMs * (1 + 2 + 4) + WRITE_RETRY.maxMs * 3);
    expect(disk.tries.length - tries).toBe(3 + 3);
    expect(deployed()).toEqual([0]);
    expect(disk.stored!.attempt + 1).toBe(1);
    expect(deployed()).not.toContain(disk.stored!.attempt + 1);

    disk.full = false;
    clock.advance(WRITE_RETRY.maxMs);
    expect(deployed()).toEqual([0, 1]);
    expect(job.state).toBe('RUNNING');
    expect(job.reason).toBeUndefined();
    expect(job.statusFailure).toBeUndefined();
    expect(disk.stored).toMatchObject({ state: 'RUNNING', attempt: 1, restarts: 1 });
    // the exception of the full disk is on disk too, now that it can be written
    expect(disk.stored!.exceptions!.map((e) => e.code ?? '')).toEqual(['', 'JOB_STORE']);
    job.close();
  });

  it('a resumed job whose new attempt cannot be written waits in CREATED; the first attempt of a new job as well', async () => {
    const { disk, persist } = diskOf();
    disk.full = true;
    const clock = new ManualClock();
    const rm = new TestingResourceManager();
    const tm = rm.addTaskManager('tm1', 4);
    const fresh = new JobMaster('j1', spec(), undefined, { resourceManager: rm, clock, timers: clock, persist });
    fresh.start();
    expect(fresh.state).toBe('CREATED');
    expect(fresh.reason).toMatch(/^attempt 0 is not deployed until/);
    const resumed = new JobMaster('j2', spec(), undefined, { resourceManager: rm, clock, timers: clock, persist });
    resumed.resume({ state: 'RUNNING', attempt: 4, restarts: 0, latestCheckpoint: null });
    await new Promise((r) => setImmediate(r)); // resume goes on asynchronously
    expect(resumed.state).toBe('CREATED');
    expect(resumed.reason).toMatch(/^attempt 5 is not deployed until/);
    clock.advance(60_000);
    expect(tm.callsOf('submitTasks')).toEqual([]);
    disk.full = false;
    clock.advance(WRITE_RETRY.maxMs);
    expect(
      tm
        .callsOf('submitTasks')
        .map((c) => `${c.plan.jobId}#${c.plan.attempt}`)
        .sort(),
    ).toEqual(['j1#0', 'j2#5']);
    fresh.close();
    resumed.close();
  });

  it('a job cancelled while its attempt waits for the write is not deployed later; close() stops the retries', () => {
    const { disk, persist } = diskOf();
    disk.full = true;
    const clock = new ManualClock();
    const rm = new TestingResourceManager();
    const tm = rm.addTaskManager('tm1', 2);
    const job = new JobMaster('j1', spec(), undefined, { resourceManager: rm, clock, timers: clock, persist });
    job.start();
    job.cancel();
    expect(job.state).toBe('CANCELED');
    disk.full = false;
    clock.advance(WRITE_RETRY.maxMs);
    expect(tm.callsOf('submitTasks')).toEqual([]);
    expect(disk.stored).toMatchObject({ state: 'CANCELED' });

    disk.full = true;
    const other = new JobMaster('j2', spec(), undefined, { resourceManager: rm, clock, timers: clock, persist });
    other.start();
    other.close();
    const tries = disk.tries.length;
    clock.advance(60_000);
    expect(disk.tries.length).toBe(tries);
  });
});
