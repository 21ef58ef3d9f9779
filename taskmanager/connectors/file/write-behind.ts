/**
 * A file written behind its caller: `append` queues bytes and starts a write when none is in flight,
 * so the task serializes its next batch while the last one is written (an awaited write per batch
 * left the slot thread idle for a fifth of a word count). The caller waits only when `limit`
 * bytes are queued; `sync` writes everything queued and then syncs the file, which the sinks do
 * at every snapshot and at the end, so what a checkpoint covers is on disk as before. A failed write
 * fails the next call.
 */
import type { FileHandle } from 'node:fs/promises';

/** Queued bytes past which `append` waits for the writes (back-pressure). */
export const WRITE_BEHIND_LIMIT = 1 << 20;

export class WriteBehind {
  private queued: Uint8Array[] = [];
  private queuedBytes = 0;
  private inFlight: Promise<void> | undefined;
  private failure: unknown;

  constructor(
    private readonly handle: FileHandle,
    private readonly limit = WRITE_BEHIND_LIMIT,
  ) {}

  /** Queues `bytes`, which the caller must not change afterwards. */
  async append(bytes: Uint8Array): Promise<void> {
    this.rethrow();
    if (bytes.length === 0) return;
    this.queued.push(bytes);
    this.queuedBytes += bytes.length;
    this.inFlight ??= this.pump();
    if (this.queuedBytes >= this.limit) await this.drain();
  }

  /** Every queued byte written (or the first write's failure thrown). */
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
        const bytes = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued, this.queuedBytes);
        this.queued = [];
        this.queuedBytes = 0;
        // A regular file takes a whole write unless it fails; a short write is written on from where it stopped.
        for (let done = 0; done < bytes.length;) {
          const { bytesWritten } = await this.handle.write(bytes, done);
          if (bytesWritten === 0) throw new Error(`the file took none of ${bytes.length - done} bytes`);
          done += bytesWritten;
        }
      }
    } catch (err) {
      this.failure = err;
      this.queued = [];
      this.queuedBytes = 0;
    } finally {
      this.inFlight = undefined;
    }
  }

  private rethrow(): void {
    // eslint-disable-next-line @typescript-eslint/only-throw-error -- the write's failure, as fs threw it
    if (this.failure !== undefined) throw this.failure;
  }
}
