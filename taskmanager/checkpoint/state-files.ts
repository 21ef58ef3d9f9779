/**
 * A task's snapshot file in the checkpoint storage (Flink's FsCheckpointStreamFactory, one file per
 * task): the task writes it and acknowledges with its handle (path, size, sha256); the restoring
 * task reads it back by that handle and refuses it if the bytes are not the ones acknowledged.
 *
 *   <checkpointDir>/chk-<n>/<vertex>-<subtask>.bin
 *
 * The JobManager never reads these files, so no frame or JM memory bounds the state's size.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeDurably } from '../../common/durable-file';
import { CorruptCheckpointError } from '../../common/errors';
import type { StateHandle } from '../../common/plan';

export function snapshotPath(checkpointDir: string, checkpointId: number, vertex: string, subtask: number): string {
  return join(checkpointDir, `chk-${checkpointId}`, `${vertex}-${subtask}.bin`);
}

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** Writes and fsyncs the snapshot, so an acknowledged checkpoint survives a crash of this host. */
export async function writeSnapshotFile(path: string, bytes: Uint8Array): Promise<StateHandle> {
  await mkdir(join(path, '..'), { recursive: true });
  await writeDurably(path, bytes);
  return { path, size: bytes.byteLength, sha256: sha256(bytes) };
}

/** The snapshot's bytes, after checking them against the handle; a CorruptCheckpointError otherwise. */
export async function readSnapshotFile(handle: StateHandle): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(handle.path);
  } catch (err) {
    throw new CorruptCheckpointError(`cannot read snapshot ${handle.path}: ${(err as Error).message}`, err);
  }
  if (bytes.byteLength !== handle.size) {
    throw new CorruptCheckpointError(
      `snapshot ${handle.path} has ${bytes.byteLength} bytes, the checkpoint says ${handle.size}`,
    );
  }
  if (sha256(bytes) !== handle.sha256)
    throw new CorruptCheckpointError(`snapshot ${handle.path} does not match its sha256 checksum`);
  return bytes;
}
