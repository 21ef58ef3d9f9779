/**
 * The exactly-once file sink. Sink subtask i writes into a hidden in-progress file; barrier n closes
 * it as `.part-<i>-<n>.pending`; when checkpoint n completes, pending files up to n are renamed to
 * `part-<i>-<n>.jsonl` (n zero-padded, so names sort in order). At the end of input the rest
 * becomes `part-<i>-final.jsonl`. A reader of `part-*.jsonl` thus sees only records covered by a
 * completed checkpoint (or by the end of the input), each once.
 *
 * Restoring checkpoint n commits the pending files n's state lists (the commit may have been lost in
 * the crash) and deletes everything of this subtask written after n: those records are replayed.
 * The state names the subtask that wrote it: restored at another parallelism, a subtask may
 * commit the pending files of another old subtask (taskmanager/checkpoint/rescale.ts).
 */
import { readdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JsonLinesEncoder } from '../json-lines';
import { openIn } from './file-sink';
import type { WriteBehind } from './write-behind';
import type { SinkWriter, SubtaskInfo } from '../types';

const pad = (id: number) => String(id).padStart(10, '0');

export class CommittingFileSink implements SinkWriter {
  private current: WriteBehind | undefined;
  private readonly currentName: string;
  /** Checkpoint ids whose files are pending, oldest first. */
  private pending: number[] = [];
  private readonly json = new JsonLinesEncoder();

  constructor(
    private readonly folder: string,
    private readonly task: SubtaskInfo,
  ) {
    this.currentName = `.part-${task.subtask}-attempt${task.attempt}.inprogress`;
  }

  private pendingName(id: number, subtask = this.task.subtask): string {
    return `.part-${subtask}-${id}.pending`;
  }

  private committedName(id: number | 'final', subtask = this.task.subtask): string {
    return `part-${subtask}-${id === 'final' ? 'final' : pad(id)}.jsonl`;
  }

  async write(records: unknown[]): Promise<void> {
    this.current ??= await openIn(this.folder, this.currentName, 'w');
    await this.current.append(this.json.lines(records));
  }

  /** Close the in-progress file as pending for checkpoint n. */
  private async seal(id: number): Promise<void> {
    if (!this.current) return;
    await this.current.sync();
    await this.current.close();
    this.current = undefined;
    await rename(join(this.folder, this.currentName), join(this.folder, this.pendingName(id)));
    this.pending.push(id);
  }

  async snapshot(checkpointId: number): Promise<unknown> {
    await this.seal(checkpointId);
    return { subtask: this.task.subtask, pending: [...this.pending] };
  }

  async commit(checkpointId: number): Promise<void> {
    while (this.pending.length > 0 && this.pending[0] <= checkpointId) {
      const id = this.pending.shift()!;
      await this.publish(this.pendingName(id), this.committedName(id));
    }
  }

  /** Rename, tolerating a rename already done before a crash. */
  private async publish(from: string, to: string): Promise<void> {
    try {
      await rename(join(this.folder, from), join(this.folder, to));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
  }

  async restore(state: unknown, checkpointId: number): Promise<void> {
    const restored = state as { subtask?: number; pending?: number[] } | null;
    const writer = restored?.subtask ?? this.task.subtask;
    for (const id of restored?.pending ?? []) {
      if (id <= checkpointId) await this.publish(this.pendingName(id, writer), this.committedName(id, writer));
    }
    this.pending = [];
    const mine = new RegExp(`^\\.?part-${this.task.subtask}-(\\d+|final|attempt\\d+)\\.(jsonl|pending|inprogress)$`);
    let names: string[] = [];
    try {
      names = await readdir(this.folder);
    } catch {
      return;
    }
    for (const name of names) {
      const m = mine.exec(name);
      if (!m) continue;
      const id = Number(m[1]);
      const afterCheckpoint = Number.isNaN(id) || id > checkpointId;
      if (afterCheckpoint) await rm(join(this.folder, name), { force: true });
    }
  }

  async finish(): Promise<void> {
    await this.commit(Number.MAX_SAFE_INTEGER);
    if (!this.current) return;
    await this.current.sync();
    await this.current.close();
    this.current = undefined;
    await rename(join(this.folder, this.currentName), join(this.folder, this.committedName('final')));
  }

  async close(): Promise<void> {
    await this.current?.close();
    this.current = undefined;
  }
}
