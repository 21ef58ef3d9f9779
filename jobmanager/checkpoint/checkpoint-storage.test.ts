import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkpointDirFor, CheckpointStorage, CheckpointStorageError } from './checkpoint-storage';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'flinkx-storage-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const bytes = (...b: number[]) => new Uint8Array(b);
const meta = { jobId: 'job', attempt: 0, triggerTime: 1, completedAt: 2 };

/** Writes a complete checkpoint with two tasks. */
async function complete(storage: CheckpointStorage, id: number): Promise<void> {
  const w = storage.begin(id);
  w.write('src', 0, bytes(id, 1));
  w.write('sink', 1, bytes(id, 2, 3));
  await w.finalize(meta);
}

describe('checkpointDirFor', () => {
  it('puts checkpoints under <data-dir>/checkpoints/<job>, or <storage>/<job> when the job names one', () => {
    expect(checkpointDirFor('/data', 'j1')).toBe(join('/data', 'checkpoints', 'j1'));
    expect(checkpointDirFor('/data', 'j1', '/shared/cps')).toBe(join('/shared/cps', 'j1'));
  });
});

describe('CheckpointStorage', () => {
  it('writes one file per task with the bytes as they came, and _metadata.json last', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    await complete(storage, 1);
    const dir = join(root, 'job', 'chk-1');
    expect(readdirSync(dir).sort()).toEqual(['_metadata.json', 'sink-1.bin', 'src-0.bin']);
    expect([...readFileSync(join(dir, 'sink-1.bin'))]).toEqual([1, 2, 3]);
    const m = JSON.parse(readFileSync(join(dir, '_metadata.json'), 'utf8'));
    expect(m).toMatchObject({ jobId: 'job', checkpointId: 1, attempt: 0, size: 5 });
    expect(m.tasks).toHaveLength(2);
  });

  it('keeps the last 3 completed checkpoints and deletes older ones', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    for (let id = 1; id <= 5; id++) await complete(storage, id);
    expect(await storage.completed()).toEqual([5, 4, 3]);
    expect(readdirSync(join(root, 'job')).sort()).toEqual(['chk-3', 'chk-4', 'chk-5']);
  });

  it('deletes a discarded (failed) checkpoint, and leftover incomplete folders below a completed one', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    const failed = storage.begin(1);
    failed.write('src', 0, bytes(9));
    await failed.discard();
    expect(existsSync(join(root, 'job', 'chk-1'))).toBe(false);

    mkdirSync(join(root, 'job', 'chk-2')); // e.g. left by a crash
    mkdirSync(join(root, 'job', 'chk-9')); // newer: may be in progress, so kept
    await complete(storage, 3);
    expect(readdirSync(join(root, 'job')).sort()).toEqual(['chk-3', 'chk-9']);
  });

  it('latest() ignores folders without _metadata.json and loads each task of the latest complete one', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    await complete(storage, 1);
    mkdirSync(join(root, 'job', 'chk-2'));
    writeFileSync(join(root, 'job', 'chk-2', 'src-0.bin'), bytes(7));
    mkdirSync(join(root, 'job', 'chk-3'));
    writeFileSync(join(root, 'job', 'chk-3', '_metadata.json.tmp'), '{}');

    const latest = (await storage.latest())!;
    expect(latest.metadata.checkpointId).toBe(1);
    expect([...((await latest.load('src', 0)) ?? [])]).toEqual([1, 1]);
    expect(await latest.load('nope', 0)).toBeUndefined();
    const all = await latest.loadAll();
    expect([...all.keys()].sort()).toEqual(['sink/1', 'src/0']);
    expect([...all.get('sink/1')!]).toEqual([1, 2, 3]);
  });

  it('latest() is undefined when nothing completed or the folder does not exist', async () => {
    expect(await new CheckpointStorage(join(root, 'missing')).latest()).toBeUndefined();
    const storage = new CheckpointStorage(join(root, 'job'));
    const w = storage.begin(1);
    w.write('src', 0, bytes(1));
    expect(await storage.latest()).toBeUndefined();
    await w.discard();
  });

  it('finalize() fails with a typed error when a task file cannot be written', async () => {
    writeFileSync(join(root, 'file'), 'not a directory');
    const w = new CheckpointStorage(join(root, 'file')).begin(1);
    w.write('src', 0, bytes(1));
    await expect(w.finalize(meta)).rejects.toBeInstanceOf(CheckpointStorageError);
  });

  it('a missing task file makes loading fail with a typed error, not a silent empty state', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    await complete(storage, 1);
    rmSync(join(root, 'job', 'chk-1', 'src-0.bin'));
    const latest = (await storage.latest())!;
    await expect(latest.loadAll()).rejects.toBeInstanceOf(CheckpointStorageError);
  });
});
