/**
 * A file written behind its caller: `append` queues text and starts a write when none is in flight,
 * so the task serializes its next batch while the last one is written (an awaited write per batch
 * left the slot thread idle for a fifth of a word count). The caller waits only when `limit`
 * characters are queued; `sync` writes everything queued and then syncs the file, which the sinks do
 * at every snapshot and at the end, so what a checkpoint covers is on disk as before. A failed write
 * fails the next call.
 */
import type { FileHandle } from 'node:fs/promises';

/** Queued characters past which `append` waits for the writes (back-pressure). */
export const WRITE_BEHIND_LIMIT = 1 << 20;

export class WriteBehind {
  private queued: string[] = [];
  private queuedChars = 0;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly handle: FileHandle,
    private readonly limit = WRITE_BEHIND_LIMIT,
  ) {}

  async append(text: string): Promise<void> {
    this.rethrow();
    if (text.length === 0) return;
    this.queued.push(text);
    this.queuedChars += text.length;
    this.inFlight ??= this.pump();
    if (this.queuedChars >= this.limit) await this.drain();
  }

  /** Every queued text written (or the first write's failure thrown). */
  async drain(): Promise<void> {
    await this.settle();
    this.rethrow();
  }

  /** Drain, then flush the file to disk: its data only (`datasync`) or with its metadata (`sync`). */
  async sync(dataOnly = false): Promise<void> {
    await this.drain();
    await (dataOnly ? this.handle.datasync() : this.handle.sync());
  }

  /** Wait for the writes, then close the file; a write that failed is not reported again here. */
  async close(): Promise<void> {
    await this.settle();
    await this.handle.close();
  }

  private async settle(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  private async pump(): Promise<void> {
    try {
      while (this.queued.length > 0) {
        const text = this.queued.length === 1 ? this.queued[0]! : this.queued.join('');
        this.queued = [];
        this.queuedChars = 0;
        await this.handle.write(text);
      }
    } catch (err) {
      this.failure = err;
      this.queued = [];
      this.queuedChars = 0;
    } finally {
      this.inFlight = undefined;
    }
  }

  private rethrow(): void {
    if (this.failure !== undefined) throw this.failure;
  }
}
