/**
 * Lines of a file, one record per line. Subtask i of p reads the lines that start in its byte range
 * [size·i/p, size·(i+1)/p), so every line is read exactly once at any parallelism. The byte offset
 * of the next unread line is the source's position.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ConnectorError } from '../../../common/errors';
import type { SourceReader, SubtaskInfo } from '../types';

const CHUNK = 256 * 1024;
const NEWLINE = 0x0a;

export class FileSource implements SourceReader {
  private handle: FileHandle | undefined;
  private pending = Buffer.alloc(0);
  /** File offset of `pending[0]`. */
  private pendingAt = 0;
  private end = 0;
  private eof = false;
  /** Offset to resume at, from a checkpoint. */
  private resumeAt: number | undefined;

  constructor(
    private readonly path: string,
    private readonly task: SubtaskInfo,
  ) {}

  private async openRange(): Promise<FileHandle> {
    try {
      this.handle = await open(this.path, 'r');
    } catch (err) {
      throw new ConnectorError(`file source cannot open ${this.path}: ${(err as Error).message}`, { cause: err });
    }
    const size = (await this.handle.stat()).size;
    const { subtask, parallelism } = this.task;
    const start = Math.floor((size * subtask) / parallelism);
    this.end = Math.floor((size * (subtask + 1)) / parallelism);
    if (this.resumeAt !== undefined) {
      this.pendingAt = this.resumeAt;
      return this.handle;
    }
    // A line belongs to the range its first byte is in: skip the line that began before `start`.
    this.pendingAt = start === 0 ? 0 : start - 1;
    if (start > 0) {
      await this.fill();
      await this.skipPartialLine();
    }
    return this.handle;
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

  async read(max: number): Promise<unknown[] | null> {
    if (!this.handle) await this.openRange();
    const lines: string[] = [];
    while (lines.length < max && this.pendingAt < this.end) {
      const nl = this.pending.indexOf(NEWLINE);
      if (nl < 0 && !this.eof) {
        await this.fill();
        continue;
      }
      if (nl < 0 && this.pending.length === 0) break;
      const lineEnd = nl < 0 ? this.pending.length : nl;
      let line = this.pending.toString('utf8', 0, lineEnd);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      lines.push(line);
      const consumed = nl < 0 ? lineEnd : lineEnd + 1;
      this.pending = this.pending.subarray(consumed);
      this.pendingAt += consumed;
    }
    return lines.length === 0 && (this.pendingAt >= this.end || (this.eof && this.pending.length === 0)) ? null : lines;
  }

  position(): unknown {
    return { offset: this.handle ? this.pendingAt : this.resumeAt };
  }

  restore(position: unknown): void {
    this.resumeAt = (position as { offset?: number }).offset;
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
