/**
 * Savepoints on disk (Flink's format in spirit): a directory that holds everything a restore needs.
 *
 *   <savepoint-dir>/savepoint-<job id, 6>-<random>/
 *     <vertex>-<subtask>.bin   each task's snapshot (common/protocol/snapshot.ts), copied from its checkpoint
 *     _metadata                JSON, versioned (SavepointMetadataSchema), written last (tmp + rename)
 *
 * A savepoint is taken as a checkpoint (the tasks write into the checkpoint storage, the JobManager
 * never reads snapshot bytes), then its files are copied here before the checkpoint counts as
 * complete, so the savepoint outlives the job's checkpoint directory.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { writeAtomically } from '../../common/durable-file';
import { FlinkxError } from '../../common/errors';
import { parseSavepointMetadata, SAVEPOINT_VERSION, type SavepointMetadata } from '../../common/protocol/snapshot';
import type { CheckpointMetadata } from './checkpoint-storage';

export const SAVEPOINT_METADATA = '_metadata';

/** A savepoint could not be written, or the one named cannot be read. */
export class SavepointStorageError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('SAVEPOINT_STORAGE', message, { cause });
  }
}

export interface SavepointJob {
  jobId: string;
  jobName: string;
  maxParallelism: number;
  /** Per vertex: its parallelism and the uids of its operators with state. */
  vertices: Map<string, { parallelism: number; uids: string[] }>;
}

/** Copies completed checkpoint `checkpoint` (in `chkDir`) into a new savepoint under `baseDir`; returns its path. */
export async function writeSavepoint(
  baseDir: string,
  chkDir: string,
  checkpoint: CheckpointMetadata,
  job: SavepointJob,
): Promise<string> {
  const dir = resolve(baseDir, `savepoint-${job.jobId.slice(0, 6)}-${randomBytes(6).toString('hex')}`);
  try {
    await mkdir(dir, { recursive: true });
    for (const t of checkpoint.tasks) await copyFile(join(chkDir, t.file), join(dir, t.file));
    const metadata: SavepointMetadata = {
      version: SAVEPOINT_VERSION,
      jobId: job.jobId,
      jobName: job.jobName,
      checkpointId: checkpoint.checkpointId,
      maxParallelism: job.maxParallelism,
      createdAt: checkpoint.completedAt,
      tasks: checkpoint.tasks.map((t) => {
        const v = job.vertices.get(t.vertex);
        return {
          vertex: t.vertex,
          subtask: t.subtask,
          parallelism: v?.parallelism ?? 1,
          uids: v?.uids ?? [],
          file: t.file,
          size: t.size,
          sha256: t.sha256,
        };
      }),
    };
    await writeAtomically(join(dir, SAVEPOINT_METADATA), JSON.stringify(metadata, null, 2));
    return dir;
  } catch (err) {
    throw new SavepointStorageError(`cannot write the savepoint to ${dir}: ${(err as Error).message}`, err);
  }
}

export interface LoadedSavepoint {
  /** The savepoint's directory (absolute). */
  dir: string;
  metadata: SavepointMetadata;
}

/**
 * The savepoint at `path` (its directory or its `_metadata` file): metadata decoded and checked,
 * every state file present with the size the metadata says (checksums are checked by the tasks).
 */
export async function loadSavepoint(path: string): Promise<LoadedSavepoint> {
  const abs = resolve(path);
  const dir = basename(abs) === SAVEPOINT_METADATA ? join(abs, '..') : abs;
  const metaPath = join(dir, SAVEPOINT_METADATA);
  let text: string;
  try {
    text = await readFile(metaPath, 'utf8');
  } catch (err) {
    throw new SavepointStorageError(`cannot read savepoint ${metaPath}: ${(err as Error).message}`, err);
  }
  const metadata = parseSavepointMetadata(text, `savepoint ${metaPath}`);
  for (const t of metadata.tasks) {
    const size = await stat(join(dir, t.file)).then(
      (s) => s.size,
      () => undefined,
    );
    if (size === undefined)
      throw new SavepointStorageError(`savepoint ${dir} lacks ${t.file} (state of ${t.vertex}[${t.subtask}])`);
    if (size !== t.size)
      throw new SavepointStorageError(
        `savepoint file ${join(dir, t.file)} has ${size} bytes, its _metadata says ${t.size}`,
      );
  }
  return { dir, metadata };
}
