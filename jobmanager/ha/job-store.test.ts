import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseJobSpec } from '../../common/jobfile';
import { isDiskFull, JobStore, JobStoreError } from './job-store';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'flinkx-jobstore-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const spec = parseJobSpec(
  {
    name: 'j',
    nodes: [
      { id: 'src', type: 'source', connector: { kind: 'generator', count: 1 } },
      { id: 'out', type: 'sink', inputs: ['src'], connector: { kind: 'discard' } },
    ],
  },
  'test',
);

describe('JobStore', () => {
  it('keeps each job with its functions bundle and its latest status, written by rename (no temp files left)', () => {
    const store = new JobStore(dir);
    store.saveJob({ id: 'b', spec, functionsCode: 'exports.f = 1', createdAt: 2 });
    store.saveJob({ id: 'a', spec, createdAt: 1 });
    store.saveStatus('b', { state: 'RUNNING', attempt: 0, restarts: 0, latestCheckpoint: null });
    store.saveStatus('b', {
      state: 'RESTARTING',
      attempt: 1,
      restarts: 1,
      latestCheckpoint: { id: 4, metadata: '/x/chk-4/_metadata.json' },
    });
    expect(readdirSync(join(dir, 'jobs', 'b')).sort()).toEqual(['job.json', 'status.json']);
    const loaded = new JobStore(dir).load();
    expect(loaded.map((l) => l.job.id)).toEqual(['a', 'b']);
    expect(loaded[0].status).toBeUndefined();
    expect(loaded[1]).toMatchObject({
      job: { version: 1, id: 'b', functionsCode: 'exports.f = 1', spec: { name: 'j' } },
      status: { version: 1, state: 'RESTARTING', attempt: 1, restarts: 1, latestCheckpoint: { id: 4 } },
    });
    expect(JSON.parse(readFileSync(join(dir, 'jobs', 'b', 'job.json'), 'utf8')).spec).toEqual(spec);
  });

  it('a job folder without job.json (cut short before the rename) is skipped; another version is refused by name', () => {
    mkdirSync(join(dir, 'jobs', 'half'), { recursive: true });
    writeFileSync(join(dir, 'jobs', 'half', 'job.json.tmp'), '{');
    expect(new JobStore(dir).load()).toEqual([]);
    mkdirSync(join(dir, 'jobs', 'future'));
    writeFileSync(join(dir, 'jobs', 'future', 'job.json'), JSON.stringify({ version: 2, id: 'future' }));
    expect(() => new JobStore(dir).load()).toThrow(JobStoreError);
    expect(() => new JobStore(dir).load()).toThrow(/version 2; this JobManager reads 1/);
  });

  it('refuses a job.json or status.json that is garbage, truncated or of the wrong shape, naming the file', () => {
    const store = new JobStore(dir);
    store.saveJob({ id: 'j', spec: { name: 'x' } as never, createdAt: 1 });
    const status = join(dir, 'jobs', 'j', 'status.json');
    for (const text of [
      '\u0000\u00ff',
      '{"version": 1, "state": "RUN',
      '{"version": 1, "state": "NAPPING", "attempt": 0, "restarts": 0, "latestCheckpoint": null}',
      '[]',
    ]) {
      writeFileSync(status, text);
      expect(() => store.load()).toThrow(JobStoreError);
      expect(() => store.load()).toThrow(status);
    }
    writeFileSync(
      status,
      '{"version": 1, "state": "RUNNING", "attempt": 0, "restarts": "x", "latestCheckpoint": null}',
    );
    expect(() => store.load()).toThrow(/restarts: /);
    writeFileSync(join(dir, 'jobs', 'j', 'job.json'), '{"version": 1, "id": "j", "spec": 3, "createdAt": 1}');
    expect(() => store.load()).toThrow(/spec: must be a job spec object/);
  });

  it("keeps a job's start time, checkpoint counts and exceptions; a status written before them loads without them", () => {
    const store = new JobStore(dir);
    store.saveJob({ id: 'j', spec, createdAt: 1 });
    const status = {
      state: 'RUNNING' as const,
      attempt: 3,
      restarts: 2,
      latestCheckpoint: null,
      startedAt: 5,
      checkpointCounts: { completed: 60, failed: 4 },
      exceptions: [{ time: 7, attempt: 1, message: 'boom', task: 'src[0]', code: 'X' }],
    };
    store.saveStatus('j', status);
    expect(store.load()[0].status).toEqual({ version: 1, ...status });
    writeFileSync(
      join(dir, 'jobs', 'j', 'status.json'),
      JSON.stringify({ version: 1, state: 'RUNNING', attempt: 0, restarts: 0, latestCheckpoint: null }),
    );
    expect(store.load()[0].status).toEqual({
      version: 1,
      state: 'RUNNING',
      attempt: 0,
      restarts: 0,
      latestCheckpoint: null,
    });
  });

  it('a write that fails (a full disk) is a JobStoreError that says why, and leaves no temp file taking space', () => {
    const enospc = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    expect(isDiskFull(enospc)).toBe(true);
    expect(isDiskFull(Object.assign(new Error('quota'), { code: 'EDQUOT' }))).toBe(true);
    expect(isDiskFull(Object.assign(new Error('denied'), { code: 'EACCES' }))).toBe(false);
    const store = new JobStore(dir, () => {
      throw enospc;
    });
    let error: unknown;
    try {
      store.saveStatus('j', { state: 'RUNNING', attempt: 0, restarts: 0, latestCheckpoint: null });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(JobStoreError);
    expect(error).toMatchObject({
      code: 'JOB_STORE',
      retriable: true,
      message: `cannot store the status of job j under ${join(dir, 'jobs')}: ENOSPC: no space left on device, write`,
    });
    expect(() => store.saveJob({ id: 'k', spec, createdAt: 1 })).toThrow(
      /cannot store job k under .*: ENOSPC: no space left on device/,
    );
  });
});
