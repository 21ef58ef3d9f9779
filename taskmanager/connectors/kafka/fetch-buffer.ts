/**
 * The Kafka source's records between the fetcher and the task: what was fetched is queued per
 * fetch, handed out by `take`, and the positions (the checkpointed offsets) move with what is
 * handed out. A full buffer pauses the fetcher; a bounded partition stops at its end.
 */
import type { FetchedBatch, KafkaRecord } from './partition-fetcher';

/** Pause fetching above this many buffered records, resume below LOW_WATER. */
export const HIGH_WATER = 20_000;
export const LOW_WATER = 5_000;

/** What the buffer asks of the fetcher. */
export interface FetchControl {
  pause(partitions: number[]): void;
  resume(partitions: number[]): void;
}

interface Chunk {
  partition: number;
  records: KafkaRecord[];
  index: number;
  /** The partition's position once every record of the chunk is handed out. */
  next: number;
}

export class FetchBuffer {
  /** Next offset to hand out per partition: the checkpointed position. */
  readonly positions = new Map<number, number>();
  /** Next offset wanted from the fetcher per partition (past what is buffered). */
  private readonly expected = new Map<number, number>();
  /** Bounded: where each partition ends. */
  ends: Map<number, number> | undefined;
  private readonly queue: Chunk[] = [];
  private count = 0;
  private backPressured = false;
  /** Record timestamps and partitions of the last `take`, index for index. */
  lastTimestamps: number[] = [];
  lastSplits: string[] = [];

  /**
   * `owned`: the partitions of this subtask (the source adds discovered ones); `decode` turns a
   * message with a value into a record.
   */
  constructor(
    private readonly owned: ReadonlySet<number>,
    private readonly fetcher: () => FetchControl | undefined,
    private readonly decode: (r: KafkaRecord, partition: number) => unknown,
  ) {}

  /** Records fetched and not yet handed out. */
  get buffered(): number {
    return this.count;
  }

  /** Partition p is read from `offset` on. */
  startAt(p: number, offset: number): void {
    this.positions.set(p, offset);
    this.expected.set(p, offset);
  }

  /** Where the fetcher should continue p (undefined: from its earliest offset). */
  startOffset(p: number): number | undefined {
    return this.expected.get(p);
  }

  /** Bounded and everything up to p's end fetched. */
  isDone(p: number): boolean {
    const end = this.ends?.get(p);
    return end !== undefined && (this.expected.get(p) ?? 0) >= end;
  }

  /** Of `partitions`, those the fetcher must keep paused: finished ones and, while back-pressured, all. */
  paused(partitions: number[]): number[] {
    return partitions.filter((p) => this.backPressured || this.isDone(p));
  }

  /** Queues one fetch; false if it brought nothing new (a stale fetch, or not a partition of ours). */
  add(b: FetchedBatch): boolean {
    const p = b.partition;
    if (!this.owned.has(p)) return false;
    const exp = this.expected.get(p);
    const end = this.ends?.get(p);
    let records = b.records;
    // A fetch from before a seek, or the part of a fetch that lies past a bounded end, is dropped.
    if (exp !== undefined && records.length > 0 && records[0].offset < exp)
      records = records.filter((r) => r.offset >= exp);
    if (end !== undefined && records.length > 0 && records[records.length - 1].offset >= end)
      records = records.filter((r) => r.offset < end);
    let next = end !== undefined ? Math.min(b.next, end) : b.next;
    if (exp !== undefined) next = Math.max(next, exp);
    if (records.length === 0 && exp !== undefined && next <= exp) return false;
    this.expected.set(p, next);
    this.queue.push({ partition: p, records, index: 0, next });
    this.count += records.length;
    if (this.isDone(p)) this.fetcher()?.pause([p]);
    if (!this.backPressured && this.count > HIGH_WATER) {
      this.backPressured = true;
      this.fetcher()?.pause([...this.owned]);
    }
    return true;
  }

  /** Up to `max` records; tombstones (null values) carry none but still move the position. */
  take(max: number): unknown[] {
    const out: unknown[] = [];
    this.lastTimestamps = [];
    this.lastSplits = [];
    let taken = 0;
    while (out.length < max && this.queue.length > 0) {
      const chunk = this.queue[0];
      const p = chunk.partition;
      while (chunk.index < chunk.records.length && out.length < max) {
        const r = chunk.records[chunk.index++];
        taken++;
        if (r.value !== null) {
          out.push(this.decode(r, p));
          this.lastTimestamps.push(r.timestamp);
          this.lastSplits.push(String(p));
        }
        this.positions.set(p, r.offset + 1);
      }
      if (chunk.index >= chunk.records.length) {
        this.positions.set(p, Math.max(this.positions.get(p) ?? 0, chunk.next));
        this.queue.shift();
      }
    }
    this.count -= taken;
    if (this.backPressured && this.count < LOW_WATER) {
      this.backPressured = false;
      this.fetcher()?.resume([...this.owned].filter((p) => !this.isDone(p)));
    }
    return out;
  }

  /** Bounded and every partition handed out up to its end. */
  exhausted(): boolean {
    if (!this.ends || this.queue.length > 0) return false;
    for (const [p, end] of this.ends) if ((this.positions.get(p) ?? 0) < end) return false;
    return true;
  }
}
