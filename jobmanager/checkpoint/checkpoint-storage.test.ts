import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { checkpointDirFor, CheckpointStorage, CheckpointStorageError } from './checkpoint-storage';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'flinkx-storage-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const meta = { jobId: 'job', attempt: 0, triggerTime: 1, completedAt: 2 };
const sha = (c: string) => c.repeat(64);

/** A complete checkpoint whose two tasks wrote their files, as TaskManagers do. */
async function complete(storage: CheckpointStorage, id: number): Promise<void> {
  const w = storage.begin(id);
  mkdirSync(w.dir, { recursive: true });
  for (const [vertex, subtask, size] of [
    ['src', 0, 2],
    ['sink', 1, 3],
  ] as const) {
    const path = join(w.dir, `${vertex}-${subtask}.bin`);
    writeFileSync(path, Buffer.alloc(size, id));
    w.add(vertex, subtask, { path, size, sha256: sha(String(subtask)) });
  }
  await w.finalize(meta);
}

describe('checkpointDirFor', () => {
  it('puts checkpoints under <data-dir>/checkpoints/<job>, or <storage>/<job>, always as an absolute path', () => {
    expect(checkpointDirFor('/data', 'j1')).toBe(join('/data', 'checkpoints', 'j1'));
    expect(checkpointDirFor('/data', 'j1', '/shared/cps')).toBe(join('/shared/cps', 'j1'));
    expect(checkpointDirFor('.flinkx/jm', 'j1')).toBe(resolve('.flinkx/jm/checkpoints/j1'));
  });
});

describe('CheckpointStorage', () => {
  it('writes _metadata.json (versioned) naming each task file with its size and sha256; reads no task file', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    await complete(storage, 1);
    const dir = join(root, 'job', 'chk-1');
    expect(readdirSync(dir).sort()).toEqual(['_metadata.json', 'sink-1.bin', 'src-0.bin']);
    const m = JSON.parse(readFileSync(join(dir, '_metadata.json'), 'utf8'));
    expect(m).toMatchObject({ version: 1, jobId: 'job', checkpointId: 1, attempt: 0, size: 5 });
    expect(m.tasks).toEqual([
      { vertex: 'sink', subtask: 1, file: 'sink-1.bin', size: 3, sha256: sha('1') },
      { vertex: 'src', subtask: 0, file: 'src-0.bin', size: 2, sha256: sha('0') },
    ]);
  });

  it('refuses a handle outside the checkpoint folder', () => {
    const w = new CheckpointStorage(join(root, 'job')).begin(1);
    expect(() => w.add('src', 0, { path: join(root, 'elsewhere.bin'), size: 1, sha256: sha('0') })).toThrow(
      CheckpointStorageError,
    );
  });

  it('keeps the last 3 completed checkpoints and deletes older ones', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    for (let id = 1; id <= 5; id++) await complete(storage, id);
    expect(await storage.completed()).toEqual([5, 4, 3]);
    expect(readdirSync(join(root, 'job')).sort()).toEqual(['chk-3', 'chk-4', 'chk-5']);
  });

  it('deletes a discarded (failed) checkpoint with what tasks wrote, and leftover incomplete folders below a completed one', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    const failed = storage.begin(1);
    mkdirSync(failed.dir, { recursive: true });
    writeFileSync(join(failed.dir, 'src-0.bin'), 'x');
    await failed.discard();
    expect(existsSync(join(root, 'job', 'chk-1'))).toBe(false);

    mkdirSync(join(root, 'job', 'chk-2')); // e.g. left by a crash
    mkdirSync(join(root, 'job', 'chk-9')); // newer: may be in progress, so kept
    await complete(storage, 3);
    expect(readdirSync(join(root, 'job')).sort()).toEqual(['chk-3', 'chk-9']);
  });

  it('latest() ignores folders without _metadata.json and gives each task of the latest complete one by handle', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    await complete(storage, 1);
    mkdirSync(join(root, 'job', 'chk-2'));
    writeFileSync(join(root, 'job', 'chk-2', 'src-0.bin'), 'x');
    mkdirSync(join(root, 'job', 'chk-3'));
    writeFileSync(join(root, 'job', 'chk-3', '_metadata.json.tmp'), '{}');

    const latest = (await storage.latest())!;
    expect(latest.metadata.checkpointId).toBe(1);
    const handles = latest.handles();
    expect([...handles.keys()].sort()).toEqual(['sink/1', 'src/0']);
    expect(handles.get('sink/1')).toEqual({
      path: join(root, 'job', 'chk-1', 'sink-1.bin'),
      size: 3,
      sha256: sha('1'),
    });
  });

  it('latest() is undefined when nothing completed or the folder does not exist', async () => {
    expect(await new CheckpointStorage(join(root, 'missing')).latest()).toBeUndefined();
    const storage = new CheckpointStorage(join(root, 'job'));
    mkdirSync(storage.begin(1).dir, { recursive: true });
    expect(await storage.latest()).toBeUndefined();
  });

  it('finalize() fails with a typed error when the metadata cannot be written', async () => {
    writeFileSync(join(root, 'file'), 'not a directory');
    const w = new CheckpointStorage(join(root, 'file')).begin(1);
    await expect(w.finalize(meta)).rejects.toBeInstanceOf(CheckpointStorageError);
  });

  it('a checkpoint set aside as corrupt is no longer the latest', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    await complete(storage, 1);
    await complete(storage, 2);
    await storage.setAside(2);
    expect((await storage.latest())?.metadata.checkpointId).toBe(1);
    expect(readdirSync(join(root, 'job', 'chk-2')).sort()).toEqual([
      '_metadata.corrupt.json',
      'sink-1.bin',
      'src-0.bin',
    ]);
  });

  it('latest() sets aside a checkpoint whose metadata is garbage, truncated, of another version or names another id, and takes the one before', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    await complete(storage, 1);
    const good = readFileSync(join(root, 'job', 'chk-1', '_metadata.json'), 'utf8');
    const bad = [
      '\u0000\u00ffnot json',
      good.slice(0, good.length / 2),
      good.replace('"version": 1', '"version": 99'),
      good.replace('"checkpointId": 1', '"checkpointId": 7'),
      good.replace(/"file": "[^"]+"/, '"file": "../../etc/passwd"'),
      JSON.stringify({ ...JSON.parse(good), tasks: 'none' }),
    ];
    for (const [i, text] of bad.entries()) {
      await complete(storage, 2 + i);
      writeFileSync(join(root, 'job', `chk-${2 + i}`, '_metadata.json'), text);
      expect((await storage.latest())?.metadata.checkpointId).toBe(1);
      expect(readdirSync(join(root, 'job', `chk-${2 + i}`))).toContain('_metadata.corrupt.json');
    }
  });

  it('latest() fails with a typed error when no completed checkpoint reads back, rather than starting from scratch', async () => {
    const storage = new CheckpointStorage(join(root, 'job'));
    await complete(storage, 1);
    writeFileSync(join(root, 'job', 'chk-1', '_metadata.json'), '{');
    await expect(storage.latest()).rejects.toBeInstanceOf(CheckpointStorageError);
  });
});
