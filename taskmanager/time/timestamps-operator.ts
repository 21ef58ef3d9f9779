/**
 * What `timestamps` on a node adds behind it (Flink's TimestampsAndWatermarksOperator): records
 * leave with their event time (a field's, or with `from: "kafka"` the record timestamp the source
 * gives, per partition), and every WATERMARK_INTERVAL_MS the subtask emits its own watermark (or
 * goes idle). Watermarks from upstream are replaced by these, except the end of input
 * (+infinity), which passes so that every window downstream fires.
 */
import type { NodeSpec } from '../../common/jobfile';
import type { OperatorContext, OperatorState, Output } from '../operators/output';
import { BoundedOutOfOrdernessWatermarks, extractTimestamp, WATERMARK_INTERVAL_MS } from './watermark-generator';

export class TimestampsOperator implements Output, OperatorState {
  private readonly generator: BoundedOutOfOrdernessWatermarks;
  private emitted = -Infinity;
  private ended = false;

  constructor(
    private readonly node: NodeSpec,
    private readonly ctx: OperatorContext,
    private readonly out: Output,
  ) {
    this.generator = new BoundedOutOfOrdernessWatermarks(node.timestamps!, ctx.time.now());
    this.schedule();
  }

  private schedule(): void {
    this.ctx.time.schedule(this.ctx.time.now() + WATERMARK_INTERVAL_MS, () => this.onPeriodicEmit());
  }

  private onPeriodicEmit(): void {
    if (this.ended) return;
    const next = this.generator.onPeriodicEmit(this.ctx.time.now());
    if (next === 'idle') this.out.status(true);
    else if (next && next.watermark > this.emitted) this.out.watermark((this.emitted = next.watermark));
    this.schedule();
  }

  /** For `from: "kafka"`, `timestamp` and `split` (the partition) come from the source. */
  push(record: unknown, timestamp?: number, split?: string): void {
    const ts = this.node.timestamps!.from ? timestamp! : extractTimestamp(this.node.id, this.node.timestamps!, record);
    if (this.generator.onEvent(ts, this.ctx.time.now(), split)) this.out.status(false);
    this.out.push(record, ts);
  }

  watermark(watermark: number): void {
    if (watermark !== Infinity || this.ended) return;
    this.ended = true;
    this.out.watermark((this.emitted = Infinity));
  }

  /** This node makes its own watermarks, so upstream idleness does not pass through it either. */
  status(): void {}

  /** The source's splits (Kafka partitions) before their first records. */
  declareSplits(splits: string[]): void {
    this.generator.declareSplits(splits, this.ctx.time.now());
  }

  snapshot(): unknown {
    return { maxTimestamps: this.generator.snapshot() };
  }

  restore(state: unknown): void {
    this.generator.restore((state as { maxTimestamps: [string, number][] }).maxTimestamps, this.ctx.time.now());
  }
}
