/**
 * Files that survive a crash of the host: written, fsynced, and (for a file that replaces another)
 * renamed over the old one, so a reader sees the old content or the new one, whole. The one helper
 * behind the job store, the leader lock, checkpoint and savepoint metadata and the tasks' snapshots.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';

const tmpOf = (path: string) => `${path}.tmp`;

/** Writes `data` to `path` and fsyncs it. */
export async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** Replaces `path` with `data` atomically: temp file, fsync, rename. A failed write leaves no temp file taking space. */
export async function writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = tmpOf(path);
  try {
    await writeDurably(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** writeAtomically for callers that must not yield (the JobManager's job store and lock). */
export function writeAtomicallySync(path: string, data: string): void {
  const tmp = tmpOf(path);
  try {
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, data);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}
