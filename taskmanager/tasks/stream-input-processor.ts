/**
 * The loop of a task that reads an input gate (Flink's StreamInputProcessor with its network
 * input): each batch's records go through the operator chain; watermarks and watermark status go
 * through the StatusWatermarkValve (the input watermark is the minimum over the channels); an
 * end-of-partition ends its channel; barriers go to the BarrierAligner, and once barrier n has
 * come on every input the task snapshots. After each batch it waits until every output channel
 * has sent what it sealed: back-pressure. It ends when every channel ended, or at a completed
 * terminal savepoint.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { TaskCounters } from '../../common/protocol/control';
import type { InputChannel, InputGate } from '../network/channels';
import { BarrierAligner } from '../checkpoint/barrier-aligner';
import { StatusWatermarkValve, type ValveOutput } from '../time/watermark-valve';
import type { OperatorChain } from './operator-chain';
import type { SubtaskCheckpointCoordinator } from './subtask-checkpoint-coordinator';

/**
 * A task whose input never runs dry would go from batch to batch in microtasks and starve its
 * thread's event loop: the slot's stats, flush timers and messages. It yields when this long has
 * passed since it last did (the source loop yields after every read).
 */
const YIELD_AFTER_MS = 5;

export class StreamInputProcessor {
  private readonly valve: StatusWatermarkValve<InputChannel>;
  private readonly aligner: BarrierAligner;

  constructor(
    private readonly gate: InputGate,
    exactlyOnce: boolean,
    private readonly chain: OperatorChain,
    private readonly checkpoints: SubtaskCheckpointCoordinator,
    private readonly counters: TaskCounters,
    private readonly checkCanceled: () => void,
  ) {
    this.aligner = new BarrierAligner(gate, exactlyOnce);
    this.valve = new StatusWatermarkValve(gate.channels);
  }

  async run(): Promise<void> {
    const { gate, chain } = this;
    gate.open();
    let yielded = performance.now();
    while (!gate.allEnded && !this.checkpoints.isStopped) {
      if (performance.now() - yielded >= YIELD_AFTER_MS) {
        await yieldToEventLoop();
        yielded = performance.now();
      }
      // A cancel that arrived while this task waited on something else must not be missed here.
      this.checkCanceled();
      const next = await gate.next();
      this.checkCanceled();
      await chain.awaitAsync('room');
      await chain.runMails();
      if (!next) continue;
      const { channel, batch } = next;
      const t0 = performance.now();
      this.counters.recordsIn += batch.records.length;
      this.counters.bytesIn += batch.bytes;
      const { records, timestamps, keyGroups } = batch;
      for (let i = 0; i < records.length; i++)
        chain.push(records[i], timestamps?.[i] ?? undefined, channel.input, keyGroups?.[i]);
      const marker = batch.marker;
      if (marker?.kind === 'watermark') this.applyValve(this.valve.inputWatermark(channel, marker.timestamp));
      else if (marker?.kind === 'status') this.applyValve(this.valve.inputStatus(channel, marker.idle));
      else if (marker?.kind === 'eop') {
        channel.ended = true;
        this.applyValve(this.valve.endOfInput(channel));
      }
      chain.observeOperators(t0);
      await chain.afterBatch(t0);
      gate.release(channel, batch);
      if (marker?.kind === 'barrier') await this.aligned(this.aligner.onBarrier(channel, marker.id));
      else if (marker?.kind === 'eop') await this.aligned(this.aligner.onEndOfPartition());
      await chain.awaitWritable();
    }
  }

  /** The valve's output goes through the chain: active first, then the watermark, then idle. */
  private applyValve(v: ValveOutput): void {
    const operators = this.chain.operators;
    if (v.idle === false) operators.status(false);
    if (v.watermark !== undefined) operators.watermark(v.watermark);
    if (v.idle === true) operators.status(true);
  }

  /** The checkpoint alignment says is complete, if any: snapshot, then let the blocked channels go. */
  private async aligned(id: number | undefined): Promise<void> {
    if (id === undefined) return;
    await this.checkpoints.checkpoint(id);
    this.aligner.release();
  }
}
