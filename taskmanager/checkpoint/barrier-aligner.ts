/**
 * Checkpoint barrier alignment at a task's input gate (Flink's CheckpointBarrierHandler). A task
 * snapshots for checkpoint n once barrier n has come on every input channel (a channel that ended
 * counts). Exactly-once blocks each channel that delivered the barrier until then, so the snapshot
 * holds exactly the records before the barrier on every channel; at-least-once keeps reading them
 * (records after the barrier may then be counted again after a restore).
 */
import type { InputChannel, InputGate } from '../network/channels';

export class BarrierAligner {
  /** The barrier being aligned and the channels that delivered it. */
  private aligning: { id: number; seen: Set<InputChannel> } | undefined;

  constructor(
    private readonly gate: InputGate,
    private readonly exactlyOnce: boolean,
  ) {}

  /** Barrier `id` arrived on `channel`: the checkpoint to take now, if alignment is complete. */
  onBarrier(channel: InputChannel, id: number): number | undefined {
    if (this.aligning && id < this.aligning.id) return undefined;
    if (!this.aligning || id > this.aligning.id) {
      // A newer barrier abandons an older alignment (that checkpoint failed or timed out).
      this.gate.unblockAll();
      this.aligning = { id, seen: new Set() };
    }
    this.aligning.seen.add(channel);
    if (this.exactlyOnce) channel.blocked = true;
    return this.complete();
  }

  /** A channel ended: it no longer holds back the alignment. */
  onEndOfPartition(): number | undefined {
    return this.complete();
  }

  /** After the snapshot of an aligned checkpoint: the blocked channels flow again. */
  release(): void {
    this.gate.unblockAll();
  }

  private complete(): number | undefined {
    const a = this.aligning;
    if (!a) return undefined;
    for (const c of this.gate.channels) if (!c.ended && !a.seen.has(c)) return undefined;
    this.aligning = undefined;
    return a.id;
  }
}
