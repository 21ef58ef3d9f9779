/**
 * A job's checkpoint storage (a local directory, or a shared filesystem when TaskManagers run on
 * several hosts): `checkpointing.storage/<jobId>`, or `<data-dir>/checkpoints/<jobId>`.
 *
 *   <dir>/chk-<id>/<vertex>-<subtask>.bin   one task's snapshot, written by the task (taskmanager/checkpoint/state-files.ts)
 *   <dir>/chk-<id>/_metadata.json           written by the JobManager last (tmp + rename): the checkpoint is complete
 *
 * The JobManager only records the handles (file, size, sha256) the tasks acknowledged and hands
 * them back on restore; it never reads snapshot bytes. A chk folder without `_metadata.json` is not
 * a checkpoint (in progress, failed, or cut short by a crash); one whose files a restore found
 * corrupt has its metadata renamed to `_metadata.corrupt.json` and counts no more. The last
 * RETAINED completed checkpoints are kept; older and failed ones are deleted.
 */
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { writeAtomically } from '../../common/durable-file';
import { FlinkxError } from '../../common/errors';
import { Logger } from '../../common/log';
import type { StateHandle } from '../../common/plan';

export const RETAINED_CHECKPOINTS = 3;
/** Version of `_metadata.json`'s layout. */
export const METADATA_VERSION = 1;
const METADATA = '_metadata.json';
const CORRUPT = '_metadata.corrupt.json';

/** Checkpoint files could not be written, read or deleted. */
export class CheckpointStorageError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('CHECKPOINT_STORAGE', message, { retriable: true, cause });
  }
}

const int = z.number().int().nonnegative();

/** One task's snapshot in `_metadata.json`. */
const TaskSnapshotMetaSchema = z.object({
  vertex: z.string().min(1),
  subtask: int,
  /** File name inside the chk folder (no path: a handle never points elsewhere). */
  file: z.string().regex(/^[^/\\]+$/, 'must be a file name'),
  size: int,
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be a sha256 in hex'),
});
export type TaskSnapshotMeta = z.infer<typeof TaskSnapshotMetaSchema>;

/** `_metadata.json`: read back from disk, so checked like any input from outside. */
const CheckpointMetadataSchema = z.object({
  version: z.literal(METADATA_VERSION),
  jobId: z.string().min(1),
  checkpointId: int,
  attempt: int,
  triggerTime: z.number(),
  completedAt: z.number(),
  size: int,
  tasks: z.array(TaskSnapshotMetaSchema),
});
export type CheckpointMetadata = z.infer<typeof CheckpointMetadataSchema>;

const log = new Logger('checkpoint-storage');

export interface CompletedCheckpoint {
  metadata: CheckpointMetadata;
  /** Every task's snapshot handle (absolute path), keyed `<vertex>/<subtask>`. */
  handles(): Map<string, StateHandle>;
}

/** Where a job's checkpoints live (absolute: TaskManagers write there from their own working directories). */
export function checkpointDirFor(dataDir: string, jobId: string, storage?: string): string {
  return resolve(storage ? join(storage, jobId) : join(dataDir, 'checkpoints', jobId));
}

const chkDir = (id: number) => `chk-${id}`;

/** The handles of one checkpoint while it is in progress. */
export class CheckpointWriter {
  readonly dir: string;
  private readonly tasks: TaskSnapshotMeta[] = [];

  constructor(
    private readonly storage: CheckpointStorage,
    readonly checkpointId: number,
  ) {
    this.dir = join(storage.dir, chkDir(checkpointId));
  }

  get metadataPath(): string {
    return join(this.dir, METADATA);
  }

  /** Records a task's handle; one that points outside this checkpoint's folder is refused. */
  add(vertex: string, subtask: number, handle: StateHandle): void {
    if (dirname(handle.path) !== this.dir) {
      throw new CheckpointStorageError(
        `${vertex}[${subtask}] acknowledged a snapshot outside ${this.dir}: ${handle.path}`,
      );
    }
    this.tasks.push({ vertex, subtask, file: basename(handle.path), size: handle.size, sha256: handle.sha256 });
  }

  /** Writes `_metadata.json` atomically, then applies retention. */
  async finalize(
    meta: Omit<CheckpointMetadata, 'tasks' | 'size' | 'checkpointId' | 'version'>,
  ): Promise<CheckpointMetadata> {
    try {
      const metadata: CheckpointMetadata = {
        version: METADATA_VERSION,
        ...meta,
        checkpointId: this.checkpointId,
        size: this.tasks.reduce((n, t) => n + t.size, 0),
        tasks: [...this.tasks].sort((a, b) => a.vertex.localeCompare(b.vertex) || a.subtask - b.subtask),
      };
      await mkdir(this.dir, { recursive: true });
      await writeAtomically(join(this.dir, METADATA), JSON.stringify(metadata, null, 2)); // survives a crash of the JM host
      await this.storage.prune(this.checkpointId);
      return metadata;
    } catch (err) {
      throw new CheckpointStorageError(
        `cannot write checkpoint ${this.checkpointId} to ${this.dir}: ${(err as Error).message}`,
        err,
      );
    }
  }

  /** Deletes this checkpoint's folder with whatever tasks wrote into it. */
  async discard(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
  }
}

export class CheckpointStorage {
  constructor(
    readonly dir: string,
    private readonly retained = RETAINED_CHECKPOINTS,
  ) {}

  begin(checkpointId: number): CheckpointWriter {
    return new CheckpointWriter(this, checkpointId);
  }

  /** Ids of the chk folders present, newest first, and whether each is complete. */
  private async folders(): Promise<{ id: number; complete: boolean }[]> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw new CheckpointStorageError(`cannot list checkpoints in ${this.dir}: ${(err as Error).message}`, err);
    }
    const ids = names
      .map((n) => /^chk-(\d+)$/.exec(n))
      .filter((m) => m !== null)
      .map((m) => Number(m[1]));
    ids.sort((a, b) => b - a);
    return Promise.all(
      ids.map(async (id) => {
        const entries = await readdir(join(this.dir, chkDir(id))).catch(() => [] as string[]);
        return { id, complete: entries.includes(METADATA) };
      }),
    );
  }

  /** The highest chk folder id present, complete or not; 0 if none. */
  async highestId(): Promise<number> {
    return (await this.folders())[0]?.id ?? 0;
  }

  /** Ids of the completed checkpoints on disk, newest first. */
  async completed(): Promise<number[]> {
    return (await this.folders()).filter((f) => f.complete).map((f) => f.id);
  }

  /**
   * After checkpoint `upTo` completed: keep the newest `retained` completed ones, delete the older and
   * every incomplete folder below `upTo` (newer incomplete ones may be in progress).
   */
  async prune(upTo: number): Promise<void> {
    let kept = 0;
    for (const f of await this.folders()) {
      if (f.id > upTo) continue;
      if (f.complete && kept < this.retained) {
        kept++;
        continue;
      }
      await rm(join(this.dir, chkDir(f.id)), { recursive: true, force: true });
    }
  }

  /**
   * The latest completed checkpoint whose metadata reads back, or undefined when there is none. One
   * with unreadable metadata (truncated, garbage, another version) is set aside and the one before it
   * taken; when every one is unreadable this throws, since starting from scratch would break the
   * job's guarantees.
   */
  async latest(): Promise<CompletedCheckpoint | undefined> {
    const ids = await this.completed();
    let lastError: Error | undefined;
    for (const id of ids) {
      try {
        return await this.load(id);
      } catch (err) {
        lastError = err as Error;
        log.warn('unreadable checkpoint metadata; setting it aside and trying the previous checkpoint', {
          checkpoint: id,
          reason: lastError.message,
        });
        await this.setAside(id);
      }
    }
    if (lastError) throw lastError;
    return undefined;
  }

  /** Completed checkpoint `id` as its metadata says. */
  async load(id: number): Promise<CompletedCheckpoint> {
    const dir = join(this.dir, chkDir(id));
    let metadata: CheckpointMetadata;
    try {
      const parsed = CheckpointMetadataSchema.safeParse(JSON.parse(await readFile(join(dir, METADATA), 'utf8')));
      if (!parsed.success)
        throw new Error(parsed.error.issues.map((i) => `${i.path.join('.') || '(top)'}: ${i.message}`).join('; '));
      metadata = parsed.data;
      if (metadata.checkpointId !== id) throw new Error(`names checkpoint ${metadata.checkpointId}, not ${id}`);
    } catch (err) {
      throw new CheckpointStorageError(`cannot read ${join(dir, METADATA)}: ${(err as Error).message}`, err);
    }
    return {
      metadata,
      handles: () =>
        new Map(
          metadata.tasks.map((t) => [
            `${t.vertex}/${t.subtask}`,
            { path: join(dir, t.file), size: t.size, sha256: t.sha256 },
          ]),
        ),
    };
  }

  /** A restore found checkpoint `id`'s files corrupt: it no longer counts as completed (kept to look at, until retention). */
  async setAside(id: number): Promise<void> {
    const dir = join(this.dir, chkDir(id));
    try {
      await rename(join(dir, METADATA), join(dir, CORRUPT));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new CheckpointStorageError(`cannot set checkpoint ${id} aside: ${(err as Error).message}`, err);
    }
  }
}
