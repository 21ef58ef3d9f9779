/**
 * Lines of a file, one record per line. Subtask i of p reads the lines that start in its byte range
 * [size·i/p, size·(i+1)/p), so every line is read exactly once at any parallelism. Its position is
 * its splits: the range (i, p) and the byte offset of the next unread line in it. Restored at another
 * parallelism, a subtask takes the splits of the old subtasks assigned to it
 * (taskmanager/checkpoint/rescale.ts) and reads them one after another.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ConnectorError } from '../../../common/errors';
import type { SourceReader, SubtaskInfo } from '../types';

const CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

export interface FileSplit {
  /** The byte range [size·i/p, size·(i+1)/p) of the file. */
  range: [i: number, p: number];
  /** Next unread line; absent before the first read of the split. */
  offset?: number;
}

export class FileSource implements SourceReader {
  private handle: FileHandle | undefined;
  private size = 0;
  private splits: FileSplit[];
  private pending = Buffer.alloc(0);
  /** File offset of `pending[0]`. */
  private pendingAt = 0;
  private end = 0;
  private eof = false;

  constructor(
    private readonly path: string,
    task: SubtaskInfo,
  ) {
    this.splits = [{ range: [task.subtask, task.parallelism] }];
  }

  private async openFile(): Promise<void> {
    try {
      this.handle = await open(this.path, 'r');
    } catch (err) {
      throw new ConnectorError(`file source cannot open ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    this.size = (await this.handle.stat()).size;
    await this.startSplit();
  }

  /** Position the reader at the first split's next line (a fresh split skips the line begun before it). */
  private async startSplit(): Promise<void> {
    const split = this.splits[0];
    if (!split) return;
    const [i, p] = split.range;
    const start = Math.floor((this.size * i) / p);
    this.end = Math.floor((this.size * (i + 1)) / p);
    this.pending = Buffer.alloc(0);
    this.eof = false;
    if (split.offset !== undefined) {
      this.pendingAt = split.offset;
      return;
    }
    // A line belongs to the range its first byte is in: skip the line that began before `start`.
    this.pendingAt = start === 0 ? 0 : start - 1;
    if (start > 0) {
      await this.fill();
      await this.skipPartialLine();
    }
    split.offset = this.pendingAt;
  }

  private async skipPartialLine(): Promise<void> {
    for (;;) {
      const nl = this.pending.indexOf(NEWLINE);
      if (nl >= 0) {
        this.pending = this.pending.subarray(nl + 1);
        this.pendingAt += nl + 1;
        return;
      }
      this.pendingAt += this.pending.length;
      this.pending = Buffer.alloc(0);
      if (this.eof) return;
      await this.fill();
    }
  }

  private async fill(): Promise<void> {
    const buf = Buffer.allocUnsafe(CHUNK);
    const { bytesRead } = await this.handle!.read(buf, 0, CHUNK, this.pendingAt + this.pending.length);
    if (bytesRead === 0) this.eof = true;
    this.pending = Buffer.concat([this.pending, buf.subarray(0, bytesRead)]);
  }

  private get splitDone(): boolean {
    return this.pendingAt >= this.end || (this.eof && this.pending.length === 0);
  }

  async read(max: number): Promise<unknown[] | null> {
    if (!this.handle) await this.openFile();
    const lines: string[] = [];
    while (lines.length < max && this.splits.length > 0) {
      if (this.splitDone) {
        this.splits.shift();
        await this.startSplit();
        continue;
      }
      const nl = this.pending.indexOf(NEWLINE);
      if (nl < 0 && !this.eof) {
        await this.fill();
        continue;
      }
      const lineEnd = nl < 0 ? this.pending.length : nl;
      let line = this.pending.toString('utf8', 0, lineEnd);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      lines.push(line);
      const consumed = nl < 0 ? lineEnd : lineEnd + 1;
      this.pending = this.pending.subarray(consumed);
      this.pendingAt += consumed;
      this.splits[0].offset = this.pendingAt;
    }
    return lines.length === 0 && this.splits.length === 0 ? null : lines;
  }

  position(): unknown {
    return { splits: this.splits.map((s) => ({ ...s, range: [...s.range] })) };
  }

  restore(position: unknown): void {
    this.splits = (position as { splits: FileSplit[] }).splits.map((s) => ({ ...s, range: [s.range[0], s.range[1]] }));
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
