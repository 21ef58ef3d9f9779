/**
 * Kafka source. Partitions are assigned by the runtime, not by consumer-group rebalancing:
 * partition p belongs to source subtask p % parallelism, on every run and after every restart
 * (source-offsets.ts has that rule, the start offsets and the commits to the group).
 *
 * - Offsets are operator state: `position()` is the next offset of every partition of this subtask
 *   (past the records already handed to the task), `restore()` continues from there. Without
 *   restored state `startFrom` picks the start: earliest, latest (the end when the task starts), or
 *   committed (the offsets committed to `groupId`, earliest where there are none). A partition that
 *   is not in the restored state (created after that checkpoint) starts at its earliest offset.
 * - Records are read with read_committed isolation; aborted records and transaction markers are
 *   skipped but still move the position.
 * - `bounded: true` reads up to the end offsets seen when the first attempt started (kept in the
 *   checkpointed position, so a restored attempt stops at the same offsets), then ends (read()
 *   gives null), so the job can FINISH. Unbounded sources pick up new partitions (metadata every 5 s).
 * - A full downstream pauses the fetching: at most about HIGH_WATER records are buffered.
 * - When checkpoint n completes, the offsets recorded for n are committed to `groupId` (if set), and
 *   a bounded source commits its end offsets when it is done, for lag tools and for a later
 *   `startFrom: committed`. Correctness never depends on them: restores use the checkpoint.
 * - `format: string`: a record is the message value as UTF-8 text; `json`: the value parsed as
 *   JSON. A value that does not parse fails the task, naming topic, partition and offset. Messages
 *   with a null value (tombstones) carry no record and are skipped.
 */
import { randomUUID } from 'node:crypto';
import { ConnectorError } from '../../../common/errors';
import type { KafkaConnector } from './options';
import { Logger } from '../../../common/log';
import { reason } from './client-settings';
import { KafkaClient } from './kafka-client';
import type { FetchedBatch, KafkaRecord, PartitionFetcher } from './partition-fetcher';
import { GroupOffsetCommitter, ownsPartition, startOffsets } from './source-offsets';
import type { SourceReader, SubtaskInfo } from '../types';

const log = new Logger('kafka-source');

/** Pause fetching above this many buffered records, resume below LOW_WATER. */
const HIGH_WATER = 20_000;
const LOW_WATER = 5_000;
/** How long an empty read waits for records before returning none (a checkpoint may be waiting). */
const IDLE_WAIT_MS = 50;
/** How often an unbounded source looks for new partitions. */
const DISCOVERY_MS = 5_000;

interface Chunk {
  partition: number;
  records: KafkaRecord[];
  index: number;
  /** The partition's position once every record of the chunk is handed out. */
  next: number;
}

/**
 * Checkpointed state: next offset per partition of this subtask (keys are partition ids), or, for
 * a checkpoint taken before the first read, when the subtask was created (so that `latest` means
 * the same offsets after a restore).
 */
interface KafkaSourcePosition {
  offsets?: Record<string, number>;
  /** Bounded: where each partition ends, fixed when the first attempt started. */
  ends?: Record<string, number>;
  createdAt?: number;
}

/**
 * Restoring at another parallelism: partitions are assigned anew, so each subtask takes the union of
 * every old subtask's position (Flink's union list state) and keeps the partitions it now owns.
 */
export function unionKafkaPositions(positions: unknown[]): KafkaSourcePosition {
  const union: KafkaSourcePosition = {};
  for (const p of positions as (KafkaSourcePosition | null)[]) {
    if (p?.offsets) union.offsets = { ...union.offsets, ...p.offsets };
    if (p?.ends) union.ends = { ...union.ends, ...p.ends };
    if (p?.createdAt !== undefined) union.createdAt = Math.min(union.createdAt ?? Infinity, p.createdAt);
  }
  return union;
}

export class KafkaSource implements SourceReader {
  private readonly client: KafkaClient;
  private starting: Promise<void> | undefined;
  private ready = false;
  private restored: Map<number, number> | undefined;
  private restoredEnds: Map<number, number> | undefined;
  private restoredCreatedAt: number | undefined;
  private readonly createdAt = Date.now();
  /** Next offset to hand out per partition: the checkpointed position. */
  private readonly positions = new Map<number, number>();
  /** Next offset wanted from the fetcher per partition (past what is buffered). */
  private readonly expected = new Map<number, number>();
  private readonly owned = new Set<number>();
  /** Bounded: where each partition ends. */
  private ends: Map<number, number> | undefined;
  private readonly queue: Chunk[] = [];
  private buffered = 0;
  private backPressured = false;
  private fetcher: PartitionFetcher | undefined;
  private startingFetcher: Promise<void> | undefined;
  private error: Error | undefined;
  private wake: (() => void) | undefined;
  private discovery: NodeJS.Timeout | undefined;
  private readonly committer: GroupOffsetCommitter | undefined;
  private closed = false;
  /** Record timestamps and partitions of the last `take`, index for index. */
  private lastTimestamps: number[] = [];
  private lastSplits: string[] = [];

  constructor(
    private readonly c: KafkaConnector,
    private readonly task: SubtaskInfo,
  ) {
    this.client = new KafkaClient(c.brokers, `flinkx-${task.jobId.slice(0, 8)}-${task.node}-${task.subtask}`);
    if (c.groupId) this.committer = new GroupOffsetCommitter(this.client, c.topic, c.groupId);
  }

  private mine(partition: number): boolean {
    return ownsPartition(partition, this.task.subtask, this.task.parallelism);
  }

  private get what(): string {
    return `Kafka topic "${this.c.topic}"`;
  }

  async read(max: number): Promise<unknown[] | null> {
    this.starting ??= this.start();
    await this.starting;
    this.throwIfFailed();
    let out = this.take(max);
    if (out.length > 0) return out;
    if (this.exhausted()) {
      await this.committer?.endOfInput(new Map(this.positions));
      return null;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, IDLE_WAIT_MS);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
    this.throwIfFailed();
    out = this.take(max);
    return out;
  }

  private throwIfFailed(): void {
    if (this.error) throw this.error;
  }

  private async start(): Promise<void> {
    const { c } = this;
    const all = await this.client.partitions(c.topic);
    for (const p of all) if (this.mine(p)) this.owned.add(p);
    const { start, high } = await startOffsets(this.client, c, this.restored, this.restoredCreatedAt);
    for (const p of this.owned) {
      this.positions.set(p, start(p));
      this.expected.set(p, start(p));
    }
    if (c.bounded) this.ends = new Map([...this.owned].map((p) => [p, this.restoredEnds?.get(p) ?? high(p)]));
    this.ready = true;
    log.info('reading', {
      topic: c.topic,
      subtask: this.task.subtask,
      partitions: Object.fromEntries([...this.positions].map(([p, o]) => [p, this.ends ? `${o}..${this.ends.get(p)}` : o])),
    });
    if (this.owned.size > 0 && !this.exhausted()) await this.startFetcher();
    if (!c.bounded) {
      this.discovery = setInterval(() => void this.discover(), DISCOVERY_MS);
      this.discovery.unref();
    }
  }

  /** An unbounded source without partitions yet looks for new ones (a running fetcher finds them itself). */
  private async discover(): Promise<void> {
    if (this.closed || this.fetcher || this.startingFetcher) return;
    try {
      const all = await this.client.partitions(this.c.topic);
      for (const p of all) if (this.mine(p)) this.owned.add(p);
      if (this.owned.size > 0 && !this.closed) await this.startFetcher();
    } catch (err) {
      if (!this.closed) log.warn('partition discovery failed', { topic: this.c.topic, error: reason(err) });
    }
  }

  private async startFetcher(): Promise<void> {
    this.startingFetcher ??= (async () => {
      const fixed = this.c.bounded ? [...this.owned] : undefined;
      const fetcher = await this.client.fetch({
        topic: this.c.topic,
        groupId: `flinkx-${this.task.jobId}-${this.task.node}-${this.task.subtask}-a${this.task.attempt}-${randomUUID().slice(0, 8)}`,
        select: (partitions) => fixed ?? partitions.filter((p) => this.mine(p)),
        startOffset: (p) => this.expected.get(p),
        onAssigned: (partitions) => this.onAssigned(partitions),
        onBatch: (b) => this.onBatch(b),
        onError: (err) => this.fail(err),
        metadataMaxAge: DISCOVERY_MS,
      });
      if (this.closed) {
        await fetcher.close();
        return;
      }
      this.fetcher = fetcher;
      this.onAssigned([...this.owned]);
    })();
    try {
      await this.startingFetcher;
    } finally {
      this.startingFetcher = undefined;
    }
  }

  private fail(err: Error): void {
    this.error ??= err;
    this.wake?.();
  }

  private isDone(p: number): boolean {
    const end = this.ends?.get(p);
    return end !== undefined && (this.expected.get(p) ?? 0) >= end;
  }

  /** Partitions (re)assigned to the fetcher: keep finished ones and, while back-pressured, all paused. */
  private onAssigned(partitions: number[]): void {
    for (const p of partitions) if (!this.ends) this.owned.add(p);
    const paused = partitions.filter((p) => this.backPressured || this.isDone(p));
    this.fetcher?.pause(paused);
  }

  private onBatch(b: FetchedBatch): void {
    const p = b.partition;
    if (this.closed || !this.owned.has(p)) return;
    const exp = this.expected.get(p);
    const end = this.ends?.get(p);
    let records = b.records;
    // A fetch from before a seek, or the part of a fetch that lies past a bounded end, is dropped.
    if (exp !== undefined && records.length > 0 && records[0].offset < exp) records = records.filter((r) => r.offset >= exp);
    if (end !== undefined && records.length > 0 && records[records.length - 1].offset >= end) records = records.filter((r) => r.offset < end);
    let next = end !== undefined ? Math.min(b.next, end) : b.next;
    if (exp !== undefined) next = Math.max(next, exp);
    if (records.length === 0 && exp !== undefined && next <= exp) return;
    this.expected.set(p, next);
    this.queue.push({ partition: p, records, index: 0, next });
    this.buffered += records.length;
    if (this.isDone(p)) this.fetcher?.pause([p]);
    if (!this.backPressured && this.buffered > HIGH_WATER) {
      this.backPressured = true;
      this.fetcher?.pause([...this.owned]);
    }
    this.wake?.();
  }

  /** Up to `max` records from the buffer; positions move with what is handed out. */
  private take(max: number): unknown[] {
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
    this.buffered -= taken;
    if (this.backPressured && this.buffered < LOW_WATER) {
      this.backPressured = false;
      this.fetcher?.resume([...this.owned].filter((p) => !this.isDone(p)));
    }
    return out;
  }

  eventTime(): { timestamps: number[]; splits: string[]; owned: string[] } {
    return { timestamps: this.lastTimestamps, splits: this.lastSplits, owned: [...this.owned].map(String) };
  }

  private decode(r: KafkaRecord, partition: number): unknown {
    const text = r.value!.toString('utf8');
    if (this.c.format === 'string') return text;
    try {
      return JSON.parse(text);
    } catch (err) {
      throw new ConnectorError(
        `${this.what} partition ${partition} offset ${r.offset}: the message value is not valid JSON (${(err as Error).message}): ` +
          JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text),
      );
    }
  }

  /** Bounded and every partition handed out up to its end. */
  private exhausted(): boolean {
    if (!this.ends || this.queue.length > 0) return false;
    for (const [p, end] of this.ends) if ((this.positions.get(p) ?? 0) < end) return false;
    return true;
  }

  position(checkpointId?: number): unknown {
    if (!this.ready) {
      // Nothing read yet: restoring this starts where this attempt would have started.
      const ends = this.restoredEnds && Object.fromEntries(this.restoredEnds);
      if (this.restored) return { offsets: Object.fromEntries(this.restored), ends } satisfies KafkaSourcePosition;
      return { createdAt: this.restoredCreatedAt ?? this.createdAt, ends } satisfies KafkaSourcePosition;
    }
    const offsets = new Map(this.positions);
    if (checkpointId !== undefined) this.committer?.record(checkpointId, offsets);
    const position: KafkaSourcePosition = { offsets: Object.fromEntries(offsets) };
    if (this.ends) position.ends = Object.fromEntries(this.ends);
    return position;
  }

  restore(position: unknown): void {
    const { offsets, ends, createdAt } = (position as KafkaSourcePosition | null) ?? {};
    const toMap = (o: Record<string, number>) => new Map(Object.entries(o).map(([p, n]) => [Number(p), Number(n)]));
    this.restored = offsets ? toMap(offsets) : undefined;
    this.restoredEnds = ends ? toMap(ends) : undefined;
    this.restoredCreatedAt = createdAt;
  }

  /** Checkpoint n completed: commit the offsets recorded for it to `groupId`. */
  async commit(checkpointId: number): Promise<void> {
    await this.committer?.checkpointCompleted(checkpointId);
  }

  async close(): Promise<void> {
    this.closed = true;
    const committerClosed = this.committer?.close();
    clearInterval(this.discovery);
    await this.startingFetcher?.catch(() => undefined);
    await this.fetcher?.close();
    this.fetcher = undefined;
    await committerClosed;
    await this.client.close();
  }
}
