/**
 * A task's operator chain with what sits at its tail (Flink's OperatorChain): the chain of
 * ../operators/operators.ts, whose records go to the network outputs or, in a sink task, into a
 * buffer the sink writer takes once per batch. Between two steps of the task's loop it hands a
 * batch's output on, arms the flush timer of partial batches (Flink's output flusher), waits while
 * the outputs are back-pressured, drains asyncMap operators and runs the mails that are due.
 */
import { OPERATOR_DURATION_BUCKETS, type TaskCounters } from '../../common/protocol/control';
import { LATE_OUTPUT } from '../../common/jobfile';
import type { NetworkOptions, OutputChannel } from '../network/channels';
import { TaskOutputs } from '../network/task-outputs';
import type { SinkWriter } from '../connectors/types';
import { createChain, type Chain, type Collector } from '../operators/operators';
import type { Output } from '../operators/output';
import { Mailbox } from '../time/mailbox';
import type { TaskEnvironment } from './task-environment';

export class OperatorChain {
  readonly outputs: TaskOutputs;
  readonly outputChannels: OutputChannel[];
  readonly operators: Chain;
  readonly push: Collector;
  private readonly mailbox: Mailbox;
  private sinkBuffer: unknown[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private writableWaiter: (() => void) | undefined;

  constructor(
    env: TaskEnvironment,
    private readonly network: NetworkOptions,
    private readonly counters: TaskCounters,
    private readonly sink: SinkWriter | undefined,
    /** Wakes the task's loop (its input gate) for a mail or an async result. */
    interrupt: () => void,
    private readonly checkCanceled: () => void,
  ) {
    const { plan, vertex, subtask, transport } = env;
    this.mailbox = new Mailbox(interrupt);
    this.outputs = new TaskOutputs(
      plan,
      vertex,
      subtask,
      transport,
      () => this.writableWaiter?.(),
      network.batchRecords,
    );
    this.outputChannels = this.outputs.channels;

    const emit: Collector = sink ? (r) => this.sinkBuffer.push(r) : (r, ts) => this.outputs.emit(r, ts);
    const out: Output = {
      push: (r, ts) => {
        counters.recordsOut++;
        emit(r, ts);
      },
      watermark: (w) => {
        // The end of input (+infinity) is no time a metric or frame can carry.
        if (Number.isFinite(w)) counters.watermark = w;
        this.outputs.watermark(w);
      },
      status: (idle) => this.outputs.status(idle),
    };
    const side = (tag: string, r: unknown, ts?: number) => {
      if (tag === LATE_OUTPUT) counters.lateRecords = (counters.lateRecords ?? 0) + 1;
      this.outputs.side(tag, r, ts);
    };
    this.operators = createChain(
      vertex.nodes,
      { fns: env.functions, maxParallelism: plan.maxParallelism, miniBatch: plan.miniBatch, time: this.mailbox, side },
      out,
      interrupt,
    );
    this.push = this.operators.push;
  }

  /** Run the timer callbacks that are due; what they emit is handed on like a batch's output. */
  async runMails(): Promise<void> {
    const t0 = performance.now();
    if (this.mailbox.runDue()) await this.afterBatch(t0);
  }

  /** The operator chain's time for one batch, into the cumulative histogram. */
  observeOperators(t0: number): void {
    const seconds = (performance.now() - t0) / 1000;
    const c = this.counters;
    c.operatorSeconds += seconds;
    c.operatorCount++;
    for (let i = 0; i < OPERATOR_DURATION_BUCKETS.length; i++)
      if (seconds <= OPERATOR_DURATION_BUCKETS[i]) c.operatorBuckets[i]++;
  }

  async flushSink(): Promise<void> {
    if (this.sink && this.sinkBuffer.length > 0) {
      const records = this.sinkBuffer;
      this.sinkBuffer = [];
      await this.sink.write(records);
    }
  }

  /** Hand a processed batch's output on: to the sink, or arm the flush timer of partial batches. */
  async afterBatch(t0: number): Promise<void> {
    if (this.operators.operatorStates.size > 0) this.counters.openWindows = this.operators.openWindows();
    await this.flushSink();
    this.counters.busyMs += performance.now() - t0;
    if (!this.flushTimer && this.outputChannels.some((c) => c.hasBuffered)) {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        for (const c of this.outputChannels) c.seal();
      }, this.network.flushMs);
    }
  }

  /** asyncMap: emit the results that are ready, then wait (emitting) until no queue is full or all are empty. */
  async awaitAsync(until: 'room' | 'idle'): Promise<void> {
    const ops = this.operators.async;
    if (ops.list.length === 0) return;
    for (;;) {
      const t0 = performance.now();
      ops.drain();
      await this.afterBatch(t0);
      if (until === 'room' ? !ops.full : ops.idle) return;
      this.checkCanceled();
      await ops.nextSettle();
      this.checkCanceled();
    }
  }

  /** Wait until every output channel has sent its sealed batches (has had credit for them). */
  async awaitWritable(): Promise<void> {
    const outs = this.outputChannels;
    if (!outs.some((c) => c.backlogged)) return;
    const t0 = performance.now();
    while (outs.some((c) => c.backlogged)) {
      this.checkCanceled();
      await new Promise<void>((resolve) => (this.writableWaiter = resolve));
      this.writableWaiter = undefined;
    }
    this.checkCanceled();
    this.counters.backPressuredMs += performance.now() - t0;
  }

  /** A cancel: a wait for credit ends (and then sees the cancel). */
  wakeWritable(): void {
    this.writableWaiter?.();
  }

  /** End of input: mini-batches and async results out, the sink finished, end-of-partition on every channel, all sent. */
  async endOfInput(): Promise<void> {
    const t0 = performance.now();
    this.operators.flush();
    await this.afterBatch(t0);
    await this.awaitAsync('idle');
    await this.sink?.finish();
    for (const c of this.outputChannels) c.seal({ kind: 'eop' });
    await this.awaitWritable();
  }

  /** The task ended: no more flushes, async operators and timers stop. */
  close(): void {
    clearTimeout(this.flushTimer);
    this.operators.async.close();
    this.mailbox.close();
  }
}
