/**
 * What every operator driven by timers shares (windows, process functions, interval joins): a
 * newer watermark fires the event-time timers due and then goes on downstream; watermark status
 * passes through; the timers, with the watermark, are the operator's own state in checkpoints.
 */
import { InternalTimerService, type Timer, type TimerSnapshot } from '../time/timer-service';
import type { OperatorContext, OperatorState, Output } from './output';

export abstract class TimerOperator implements Output, OperatorState {
  protected readonly timers: InternalTimerService;

  protected constructor(
    ctx: OperatorContext,
    protected readonly out: Output,
  ) {
    this.timers = new InternalTimerService(
      ctx.maxParallelism,
      ctx.time,
      (t) => this.onEventTime(t),
      (t) => this.onProcessingTime(t),
    );
  }

  abstract push(record: unknown, timestamp?: number, input?: string, keyGroup?: number): void;

  protected abstract onEventTime(timer: Timer): void;

  /** Operators that register no processing-time timers need not say what they do. */
  protected onProcessingTime(_timer: Timer): void {}

  get currentWatermark(): number {
    return this.timers.currentWatermark;
  }

  watermark(watermark: number): void {
    if (watermark <= this.timers.currentWatermark) return;
    this.timers.advanceWatermark(watermark);
    this.out.watermark(watermark);
  }

  status(idle: boolean): void {
    this.out.status(idle);
  }

  snapshot(): TimerSnapshot {
    return this.timers.snapshot();
  }

  restore(state: unknown): void {
    this.timers.restore(state as TimerSnapshot);
  }
}
