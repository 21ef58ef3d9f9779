/**
 * A task's processing-time service (Flink's mailbox model): a timer does not run its callback
 * when it expires but puts it in the mailbox and wakes the task, which runs it between two
 * batches. So timer callbacks never interleave with the processing of a batch or a snapshot.
 */
import type { ProcessingTimeService } from './timer-service';

/** setTimeout's longest delay; it runs a longer one (a timer days ahead, or at Infinity) after 1 ms. */
const MAX_DELAY = 2 ** 31 - 1;

export class Mailbox implements ProcessingTimeService {
  private mails: (() => void)[] = [];
  private readonly timeouts = new Set<NodeJS.Timeout>();

  constructor(private readonly wake: () => void) {}

  now(): number {
    return Date.now();
  }

  schedule(at: number, callback: () => void): void {
    const delay = Math.max(0, at - Date.now());
    const timeout = setTimeout(
      () => {
        this.timeouts.delete(timeout);
        // Too far ahead for one timeout: wait out the longest one, then what is left.
        if (delay > MAX_DELAY) return this.schedule(at, callback);
        this.mails.push(callback);
        this.wake();
      },
      Math.min(delay, MAX_DELAY),
    );
    this.timeouts.add(timeout);
  }

  /** Run the callbacks whose time has come; false if there were none. */
  runDue(): boolean {
    if (this.mails.length === 0) return false;
    const mails = this.mails;
    this.mails = [];
    for (const m of mails) m();
    return true;
  }

  /** The task ended: timers still pending never run. */
  close(): void {
    for (const t of this.timeouts) clearTimeout(t);
    this.timeouts.clear();
  }
}
