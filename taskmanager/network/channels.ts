/**
 * Channels between subtasks that are not chained, with credit-based flow control.
 *
 * A consumer grants each of its input channels INITIAL_CREDITS batches and returns one credit for
 * every batch it has processed; a producer sends a sealed batch only while it holds a credit. So a
 * channel has a window of INITIAL_CREDITS batches in flight or queued, whatever the transport (same
 * slot, another slot of this TM, another TM), and a slow consumer stops its producers. A channel
 * whose batches come encoded and small gets a wider window: what fits in WINDOW_BYTES, at most
 * MAX_WINDOW_GROWTH times as many batches.
 *
 * Markers (end of partition, checkpoint barriers, watermarks and watermark status) travel in-band
 * as the last element of a batch, so they stay behind every record sent before them. The batch and
 * its wire format: common/protocol/batch.ts.
 */
import type { SlotRef } from '../../common/plan';
import type { Batch, Marker } from '../../common/protocol/batch';

/** Batches a producer may have in flight per channel, at least. */
export const INITIAL_CREDITS = 4;
/**
 * Encoded bytes a channel of small batches may have in flight: while a channel's batches (from
 * another slot or TaskManager) are small, its consumer grants it more credits, up to
 * MAX_WINDOW_GROWTH × its credits. Flink bounds a channel by bytes too (buffers of 32 KiB); a
 * window of 4 batches of small records kept two slots waiting on each other for credit.
 */
export const WINDOW_BYTES = 128 * 1024;
export const MAX_WINDOW_GROWTH = 4;
/** Records per batch before it is sealed and sent. */
export const BATCH_RECORDS = 512;
/** A partly filled batch is sent after this long, so slow streams still flow. */
export const FLUSH_MS = 5;

/** The data path's knobs (TaskManager options `--batch-records`, `--flush-interval`, `--credits-per-channel`). */
export interface NetworkOptions {
  batchRecords: number;
  flushMs: number;
  credits: number;
}

export const DEFAULT_NETWORK: NetworkOptions = {
  batchRecords: BATCH_RECORDS,
  flushMs: FLUSH_MS,
  credits: INITIAL_CREDITS,
};

/** How a slot reaches the slot at the other end of a channel. */
export interface ChannelTransport {
  sendBatch(dest: SlotRef, ch: string, batch: Batch): void;
  sendCredit(dest: SlotRef, ch: string, n: number): void;
}

export class OutputChannel {
  private buffer: unknown[] = [];
  /** Event times of `buffer`, created when the first record with one arrives. */
  private timestamps: (number | null)[] | undefined;
  /** Key groups of `buffer`, on a hash-partitioned channel (every record has one there, or none does). */
  private keyGroups: number[] | undefined;
  private readonly sealed: Batch[] = [];
  private credits = 0;

  constructor(
    readonly id: string,
    readonly consumer: SlotRef,
    private readonly transport: ChannelTransport,
    private readonly onWritable: () => void,
    private readonly batchRecords = BATCH_RECORDS,
  ) {}

  emit(record: unknown, timestamp?: number, keyGroup?: number): void {
    if (timestamp !== undefined)
      (this.timestamps ??= new Array<number | null>(this.buffer.length).fill(null)).push(timestamp);
    else this.timestamps?.push(null);
    if (keyGroup !== undefined) (this.keyGroups ??= []).push(keyGroup);
    this.buffer.push(record);
    if (this.buffer.length >= this.batchRecords) this.seal();
  }

  get hasBuffered(): boolean {
    return this.buffer.length > 0;
  }

  /** True while sealed batches wait for credit: the producer must not take more input. */
  get backlogged(): boolean {
    return this.sealed.length > 0;
  }

  /** Close the current batch, with an optional marker behind its records, and send what credit allows. */
  seal(marker?: Marker): void {
    if (this.buffer.length === 0 && !marker) return;
    this.sealed.push({
      records: this.buffer,
      timestamps: this.timestamps,
      keyGroups: this.keyGroups,
      marker,
      bytes: 0,
    });
    this.buffer = [];
    this.timestamps = undefined;
    this.keyGroups = undefined;
    this.send();
  }

  addCredit(n: number): void {
    this.credits += n;
    this.send();
    if (!this.backlogged) this.onWritable();
  }

  private send(): void {
    while (this.credits > 0 && this.sealed.length > 0) {
      this.credits--;
      this.transport.sendBatch(this.consumer, this.id, this.sealed.shift()!);
    }
  }
}

export class InputChannel {
  readonly queue: Batch[] = [];
  ended = false;
  /** Running mean of the encoded size of its batches with records; 0 while none came encoded (same slot). */
  meanBytes = 0;
  /** Credits granted beyond the gate's credits per channel: how far its window has grown. */
  extraCredits = 0;
  /** Held back during exactly-once barrier alignment: it delivered the barrier, others have not yet. */
  blocked = false;

  constructor(
    readonly id: string,
    readonly producer: SlotRef,
    /** Into a join: which of its inputs this channel carries. */
    readonly input?: string,
  ) {}

  get queuedBytes(): number {
    let n = 0;
    for (const b of this.queue) n += b.bytes;
    return n;
  }
}

/** All input channels of one task; hands out batches in arrival order across channels. */
/** A mean that follows the last few batches (each weighs 1/8); 0 means none yet. */
function runningMean(mean: number, x: number): number {
  return mean === 0 ? x : mean + (x - mean) / 8;
}

export class InputGate {
  private readonly channelsById = new Map<string, InputChannel>();
  private readonly ready: InputChannel[] = [];
  private wake: (() => void) | null = null;
  /** Running mean of the encoded size of batches with records, over all its channels; 0 while none came encoded. */
  private meanBytes = 0;

  constructor(
    private readonly transport: ChannelTransport,
    private readonly credits = INITIAL_CREDITS,
  ) {}

  add(channel: InputChannel): void {
    this.channelsById.set(channel.id, channel);
  }

  /** Grant every channel its initial credits; producers start sending. */
  open(): void {
    for (const c of this.channelsById.values()) this.transport.sendCredit(c.producer, c.id, this.credits);
  }

  channelIds(): string[] {
    return [...this.channelsById.keys()];
  }

  get allEnded(): boolean {
    for (const c of this.channelsById.values()) if (!c.ended) return false;
    return true;
  }

  get queuedBytes(): number {
    let n = 0;
    for (const c of this.channelsById.values()) n += c.queuedBytes;
    return n;
  }

  deliver(ch: string, batch: Batch): void {
    const channel = this.channelsById.get(ch);
    if (!channel) return;
    channel.queue.push(batch);
    this.ready.push(channel);
    this.wake?.();
  }

  /** The next batch from any channel that is not blocked, or undefined when woken without one. */
  async next(): Promise<{ channel: InputChannel; batch: Batch } | undefined> {
    let i = this.ready.findIndex((c) => !c.blocked);
    if (i < 0) {
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = null;
      i = this.ready.findIndex((c) => !c.blocked);
      if (i < 0) return undefined;
    }
    const [channel] = this.ready.splice(i, 1);
    return { channel, batch: channel.queue.shift()! };
  }

  get channels(): Iterable<InputChannel> {
    return this.channelsById.values();
  }

  unblockAll(): void {
    for (const c of this.channelsById.values()) c.blocked = false;
    this.wake?.();
  }

  /**
   * The batch has been processed: give its credit back to the producer, with more while the channel's
   * batches are small (its window grows), or none while its window shrinks after they grew.
   */
  release(channel: InputChannel, batch?: Batch): void {
    if (channel.ended) return;
    if (batch && batch.bytes > 0 && batch.records.length > 0) {
      channel.meanBytes = runningMean(channel.meanBytes, batch.bytes);
      this.meanBytes = runningMean(this.meanBytes, batch.bytes);
    }
    const extra = this.windowOf(channel) - this.credits;
    const n = 1 + extra - channel.extraCredits;
    if (n < 0) {
      channel.extraCredits--;
      return;
    }
    channel.extraCredits = extra;
    if (n > 0) this.transport.sendCredit(channel.producer, channel.id, n);
  }

  /**
   * Credits a channel should hold: the gate's credits, or as many batches of its mean size as fit in
   * WINDOW_BYTES. A same-slot channel's batches are never encoded: it goes by the gate's other
   * channels, which carry the same edge's records (and by the gate's credits when there are none).
   */
  private windowOf(channel: InputChannel): number {
    const bytes = channel.meanBytes || this.meanBytes;
    if (bytes === 0) return this.credits;
    return Math.max(this.credits, Math.min(this.credits * MAX_WINDOW_GROWTH, Math.floor(WINDOW_BYTES / bytes)));
  }

  interrupt(): void {
    this.wake?.();
  }
}
