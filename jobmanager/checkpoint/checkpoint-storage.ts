/**
 * Checkpoint storage on the JobManager's disk (or a `checkpointing.storage` directory):
 *
 *   <root>/<jobId>/chk-<id>/<vertex>-<subtask>.bin   one task's snapshot, the ack bytes as they came
 *   <root>/<jobId>/chk-<id>/_metadata.json           written last (tmp + rename): the checkpoint is complete
 *
 * A chk folder without `_metadata.json` is not a checkpoint (in progress, failed, or cut short by a
 * crash). The last RETAINED completed checkpoints are kept; older and failed ones are deleted.
 */
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FlinkxError } from '../../common/errors';

export const RETAINED_CHECKPOINTS = 3;
const METADATA = '_metadata.json';

/** Checkpoint files could not be written, read or deleted. */
export class CheckpointStorageError extends FlinkxError {
  constructor(message: string, cause?: unknown) {
    super('CHECKPOINT_STORAGE', message, { retriable: true, cause });
  }
}

/** Snapshot bytes as read back (backed by a plain ArrayBuffer, as the deploy frame's schema wants). */
export type SnapshotBytes = Uint8Array<ArrayBuffer>;

export interface TaskSnapshotMeta {
  vertex: string;
  subtask: number;
  file: string;
  size: number;
}

export interface CheckpointMetadata {
  jobId: string;
  checkpointId: number;
  attempt: number;
  triggerTime: number;
  completedAt: number;
  size: number;
  tasks: TaskSnapshotMeta[];
}

export interface CompletedCheckpoint {
  metadata: CheckpointMetadata;
  /** One task's snapshot bytes; undefined when the checkpoint holds nothing for that task. */
  load(vertex: string, subtask: number): Promise<SnapshotBytes | undefined>;
  /** Every task's snapshot, keyed `<vertex>/<subtask>`. */
  loadAll(): Promise<Map<string, SnapshotBytes>>;
}

/** Where a job's checkpoints live: `<storage>/<jobId>` if the job names a storage dir, else under the JM data dir. */
export function checkpointDirFor(dataDir: string, jobId: string, storage?: string): string {
  return storage ? join(storage, jobId) : join(dataDir, 'checkpoints', jobId);
}

const taskFile = (vertex: string, subtask: number) => `${vertex}-${subtask}.bin`;
const chkDir = (id: number) => `chk-${id}`;

/** Writes a file and fsyncs it, so an acknowledged snapshot survives a crash of the JM host. */
async function writeDurably(path: string, data: Uint8Array | string): Promise<void> {
  const fh = await open(path, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/** The files of one checkpoint while it is in progress. */
export class CheckpointWriter {
  private readonly dir: string;
  private readonly ready: Promise<void>;
  private readonly writes: Promise<void>[] = [];
  private readonly tasks: TaskSnapshotMeta[] = [];

  constructor(
    private readonly storage: CheckpointStorage,
    readonly checkpointId: number,
  ) {
    this.dir = join(storage.dir, chkDir(checkpointId));
    this.ready = mkdir(this.dir, { recursive: true }).then(() => undefined);
    this.ready.catch(() => undefined); // surfaced by finalize()
  }

  /** Starts writing one task's bytes; failures surface from finalize(). */
  write(vertex: string, subtask: number, bytes: Uint8Array): void {
    const file = taskFile(vertex, subtask);
    this.tasks.push({ vertex, subtask, file, size: bytes.byteLength });
    const p = this.ready.then(() => writeDurably(join(this.dir, file), bytes));
    p.catch(() => undefined);
    this.writes.push(p);
  }

  /** Waits for every task file, then writes `_metadata.json` atomically and applies retention. */
  async finalize(meta: Omit<CheckpointMetadata, 'tasks' | 'size' | 'checkpointId'>): Promise<CheckpointMetadata> {
    try {
      await this.ready;
      await Promise.all(this.writes);
      const metadata: CheckpointMetadata = {
        ...meta,
        checkpointId: this.checkpointId,
        size: this.tasks.reduce((n, t) => n + t.size, 0),
        tasks: [...this.tasks].sort((a, b) => a.vertex.localeCompare(b.vertex) || a.subtask - b.subtask),
      };
      const tmp = join(this.dir, `${METADATA}.tmp`);
      await writeDurably(tmp, JSON.stringify(metadata, null, 2));
      await rename(tmp, join(this.dir, METADATA));
      await this.storage.prune(this.checkpointId);
      return metadata;
    } catch (err) {
      if (err instanceof CheckpointStorageError) throw err;
      throw new CheckpointStorageError(`cannot write checkpoint ${this.checkpointId} to ${this.dir}: ${(err as Error).message}`, err);
    }
  }

  /** Deletes this checkpoint's folder once pending writes have settled (so none recreates a file). */
  async discard(): Promise<void> {
    await Promise.allSettled([this.ready, ...this.writes]);
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
    const ids = names.map((n) => /^chk-(\d+)$/.exec(n)).filter((m) => m !== null).map((m) => Number(m[1]));
    ids.sort((a, b) => b - a);
    return Promise.all(
      ids.map(async (id) => {
        const entries = await readdir(join(this.dir, chkDir(id))).catch(() => [] as string[]);
        return { id, complete: entries.includes(METADATA) };
      }),
    );
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

  /** The latest completed checkpoint, or undefined when there is none. */
  async latest(): Promise<CompletedCheckpoint | undefined> {
    const [id] = await this.completed();
    if (id === undefined) return undefined;
    const dir = join(this.dir, chkDir(id));
    let metadata: CheckpointMetadata;
    try {
      metadata = JSON.parse(await readFile(join(dir, METADATA), 'utf8')) as CheckpointMetadata;
    } catch (err) {
      throw new CheckpointStorageError(`cannot read ${join(dir, METADATA)}: ${(err as Error).message}`, err);
    }
    const load = async (t: TaskSnapshotMeta): Promise<SnapshotBytes> => {
      try {
        return new Uint8Array(await readFile(join(dir, t.file)));
      } catch (err) {
        throw new CheckpointStorageError(`cannot read snapshot ${join(dir, t.file)}: ${(err as Error).message}`, err);
      }
    };
    return {
      metadata,
      load: async (vertex, subtask) => {
        const t = metadata.tasks.find((x) => x.vertex === vertex && x.subtask === subtask);
        return t ? load(t) : undefined;
      },
      loadAll: async () => new Map(await Promise.all(metadata.tasks.map(async (t) => [`${t.vertex}/${t.subtask}`, await load(t)] as const))),
    };
  }
}
