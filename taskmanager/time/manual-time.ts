/** A clock for tests that moves only when told to and runs the callbacks that became due, in order. */
import type { ProcessingTimeService } from './timer-service';

export class ManualTime implements ProcessingTimeService {
  private pending: { at: number; callback: () => void }[] = [];
  constructor(private time = 0) {}

  now(): number {
    return this.time;
  }

  schedule(at: number, callback: () => void): void {
    this.pending.push({ at, callback });
  }

  advance(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      this.pending.sort((a, b) => a.at - b.at);
      if (this.pending.length === 0 || this.pending[0].at > until) break;
      const next = this.pending.shift()!;
      this.time = Math.max(this.time, next.at);
      next.callback();
    }
    this.time = until;
  }
}
