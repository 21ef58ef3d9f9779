/**
 * A job's checkpoint statistics (Flink's CheckpointStatsTracker): the recent history, the counts of
 * completed and failed checkpoints, and the latest completed one, for REST, the dashboard and
 * /metrics. The coordinator reports to it; entries are the coordinator's, updated in place.
 */
import type { CheckpointEntry, Checkpoints, CheckpointsSummary } from '../../common/protocol/rest';
import type { Clock } from '../clock';

const HISTORY_SIZE = 100;

export class CheckpointStatsTracker {
  private readonly history: CheckpointEntry[] = [];
  private readonly counts = { completed: 0, failed: 0 };
  private latestCompleted: CheckpointEntry | undefined;

  constructor(private readonly clock: Clock) {}

  /** A job resumed by a new JobManager counts on from the counts it stored. */
  restoreCounts(counts: { completed: number; failed: number }): void {
    this.counts.completed = counts.completed;
    this.counts.failed = counts.failed;
  }

  /** A checkpoint was triggered. */
  reportPending(entry: CheckpointEntry): void {
    this.history.push(entry);
    if (this.history.length > HISTORY_SIZE) this.history.shift();
  }

  reportCompleted(entry: CheckpointEntry): void {
    this.counts.completed++;
    this.latestCompleted = entry;
  }

  reportFailed(): void {
    this.counts.failed++;
  }

  /** The `GET /jobs/:id/checkpoints` body. */
  snapshot(inProgress: number): Checkpoints {
    const now = this.clock.now();
    const view = (e: CheckpointEntry): CheckpointEntry =>
      e.status === 'IN_PROGRESS' ? { ...e, duration: now - e.triggerTime } : { ...e };
    return {
      counts: { completed: this.counts.completed, failed: this.counts.failed, inProgress },
      latest: this.latestCompleted ? view(this.latestCompleted) : null,
      history: [...this.history].reverse().map(view),
    };
  }

  /** The checkpoint part of `GET /jobs/:id`. */
  summary(): CheckpointsSummary {
    const l = this.latestCompleted;
    return {
      latestCompleted: l?.id ?? null,
      completed: this.counts.completed,
      failed: this.counts.failed,
      latestCompletedAt: l ? l.triggerTime + l.duration : null,
      latestCompletedSize: l?.size ?? null,
    };
  }
}
