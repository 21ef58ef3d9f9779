import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CorruptCheckpointError } from '../../common/errors';
import { readSnapshotFile, snapshotPath, writeSnapshotFile } from './state-files';

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'flinkx-state-files-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('snapshot files', () => {
  it('are written under chk-<n>/<vertex>-<subtask>.bin and named by a handle with size and sha256', async () => {
    const path = snapshotPath(root, 7, 'counts', 1);
    expect(path).toBe(join(root, 'chk-7', 'counts-1.bin'));
    const handle = await writeSnapshotFile(path, new Uint8Array([1, 2, 3]));
    expect(handle).toEqual({
      path,
      size: 3,
      sha256: '039058c6f2c0cb492c533b0a4d14ef77cc0f78abccced5287d84a1a2011cfb81',
    });
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect([...(await readSnapshotFile(handle))]).toEqual([1, 2, 3]);
  });

  it('a file changed after its checkpoint, truncated or gone is refused as corrupt', async () => {
    const path = snapshotPath(root, 1, 'src', 0);
    const handle = await writeSnapshotFile(path, new Uint8Array([1, 2, 3, 4]));
    writeFileSync(path, new Uint8Array([1, 2, 3, 5]));
    await expect(readSnapshotFile(handle)).rejects.toThrow(/does not match its sha256/);
    writeFileSync(path, new Uint8Array([1, 2]));
    await expect(readSnapshotFile(handle)).rejects.toThrow(/has 2 bytes, the checkpoint says 4/);
    rmSync(path);
    const missing = readSnapshotFile(handle);
    await expect(missing).rejects.toBeInstanceOf(CorruptCheckpointError);
    await expect(missing).rejects.toMatchObject({ code: 'CHECKPOINT_CORRUPT' });
    expect(() => statSync(path)).toThrow();
  });
});
