/**
 * Writes a job's status to the job store, retried while it cannot (./retried-write.ts), and knows
 * which attempts are on disk: the JobMaster deploys attempt n only once a status with attempt ≥ n
 * is (`whenDurable`), so a JobManager that takes over resumes with the stored attempt + 1, which
 * no TaskManager has seen.
 */
import type { JobStatus } from './job-store';
import { RetriedWrite } from './retried-write';

export type StatusToWrite = Omit<JobStatus, 'version'>;

export class StatusWriter extends RetriedWrite<StatusToWrite> {
  /** Every attempt up to this one is on disk. */
  private durableAttempt = -Infinity;
  private waiters: { attempt: number; run: () => void }[] = [];

  /** Whether a status with `attempt` or a later one is on disk. */
  isDurable(attempt: number): boolean {
    return this.durableAttempt >= attempt;
  }

  /** Runs `run` once a status with `attempt` or a later one is on disk: now, if one is. */
  whenDurable(attempt: number, run: () => void): void {
    if (this.isDurable(attempt)) return run();
    this.waiters.push({ attempt, run });
  }

  override close(): void {
    super.close();
    this.waiters = [];
  }

  protected override written(status: StatusToWrite): void {
    this.durableAttempt = Math.max(this.durableAttempt, status.attempt);
    const ready = this.waiters.filter((w) => this.isDurable(w.attempt));
    this.waiters = this.waiters.filter((w) => !this.isDurable(w.attempt));
    for (const w of ready) w.run();
  }
}
