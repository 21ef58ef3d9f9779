/** A clock and timers that move only when a test says so. */
import type { Clock, Timers } from '../clock';

export class ManualClock implements Clock, Timers {
  private pending: { at: number; fn: () => void }[] = [];
  constructor(private t = 1_000_000) {}

  now(): number {
    return this.t;
  }

  schedule(fn: () => void, delayMs: number): () => void {
    const entry = { at: this.t + delayMs, fn };
    this.pending.push(entry);
    return () => {
      this.pending = this.pending.filter((e) => e !== entry);
    };
  }

  /** Moves time on, running every timer that falls due, in order. */
  advance(ms: number): void {
    const until = this.t + ms;
    for (;;) {
      const due = this.pending.filter((e) => e.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      this.pending = this.pending.filter((e) => e !== due);
      this.t = due.at;
      due.fn();
    }
    this.t = until;
  }
}
