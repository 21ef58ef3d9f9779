/**
 * A task's input watermark from those of its input channels (Flink's StatusWatermarkValve): the
 * minimum over the channels that are not idle, so an idle input no longer holds the others back. A
 * channel that ended counts as being at the end of time. When every channel is idle the task is idle
 * itself, after moving its watermark up to the largest among them (as Flink does). The valve only
 * ever moves the watermark forward.
 */

interface ChannelStatus {
  watermark: number;
  idle: boolean;
}

/** What changed at the valve's output: the task goes (in)active, then its watermark advances. */
export interface ValveOutput {
  idle?: boolean;
  watermark?: number;
}

export class StatusWatermarkValve<C> {
  private readonly channels = new Map<C, ChannelStatus>();
  private watermark = -Infinity;
  private idle = false;

  constructor(channels: Iterable<C>) {
    for (const c of channels) this.channels.set(c, { watermark: -Infinity, idle: false });
  }

  get currentWatermark(): number {
    return this.watermark;
  }

  inputWatermark(channel: C, watermark: number): ValveOutput {
    const s = this.channels.get(channel)!;
    // Watermarks of an idle channel do not count until it says it is active again.
    if (s.idle || watermark <= s.watermark) return {};
    s.watermark = watermark;
    return this.recompute();
  }

  inputStatus(channel: C, idle: boolean): ValveOutput {
    const s = this.channels.get(channel)!;
    if (s.idle === idle) return {};
    s.idle = idle;
    return this.recompute();
  }

  /** The channel ended: it holds nothing back any more. */
  endOfInput(channel: C): ValveOutput {
    const s = this.channels.get(channel)!;
    s.watermark = Infinity;
    s.idle = false;
    return this.recompute();
  }

  private recompute(): ValveOutput {
    const out: ValveOutput = {};
    const active = [...this.channels.values()].filter((s) => !s.idle);
    const allIdle = active.length === 0 && this.channels.size > 0;
    if (this.idle && !allIdle) out.idle = this.idle = false;
    const candidate = allIdle
      ? Math.max(...[...this.channels.values()].map((s) => s.watermark))
      : Math.min(...active.map((s) => s.watermark));
    if (candidate > this.watermark) out.watermark = this.watermark = candidate;
    if (allIdle && !this.idle) out.idle = this.idle = true;
    return out;
  }
}
