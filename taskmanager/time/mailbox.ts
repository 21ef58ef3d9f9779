/**
 * A task's processing-time service (Flink's mailbox model): a timer does not run its callback
 * when it expires but puts it in the mailbox and wakes the task, which runs it between two
 * batches. So timer callbacks never interleave with the processing of a batch or a snapshot.
 */
import type { ProcessingTimeService } from './timer-service';

export class Mailbox implements ProcessingTimeService {
  private mails: (() => void)[] = [];
  private readonly timeouts = new Set<NodeJS.Timeout>();

  constructor(private readonly wake: () => void) {}

  now(): number {
    return Date.now();
  }

  schedule(at: number, callback: () => void): void {
    const timeout = setTimeout(() => {
      this.timeouts.delete(timeout);
      this.mails.push(callback);
      this.wake();
    }, Math.max(0, at - Date.now()));
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
