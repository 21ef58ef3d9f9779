/**
 * Watches the job through whichever JobManager is active: its state, attempt and restarts, and the
 * latest completed checkpoint (trigger and completion time, on the JobManager's clock, which is
 * this host's). Recovery from a fault is the first checkpoint triggered after the fault's end that
 * completed: then data went through the whole job again and the sink committed it.
 */
import type { ChaosCluster } from './cluster';

export interface JobStatus {
  at: number;
  jmName: string;
  state: string;
  attempt: number;
  restarts: number;
  completed: number;
  failure?: string;
  /** The latest completed checkpoint. */
  latest?: { id: number; triggerTime: number; completedAt: number };
}

/** The parts of GET /jobs/:id and GET /jobs/:id/checkpoints read here. */
interface JobJson {
  state: string;
  attempt: number;
  restarts: number;
  failure?: { message: string };
  reason?: string;
}
interface CheckpointsJson {
  counts: { completed: number };
  latest?: { id: number; triggerTime: number; duration: number };
}

const TERMINAL = ['FAILED', 'CANCELED', 'FINISHED'];

export class JobMonitor {
  status: JobStatus | undefined;
  /** Since when no JobManager answers REST; undefined while one does. */
  noJobManagerSince: number | undefined;
  /** Changes of the active JobManager seen. */
  takeovers = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  /** `context` says what a change of the job's state follows (which fault). */
  constructor(
    private readonly cluster: ChaosCluster,
    private readonly jobId: string,
    private readonly say: (line: string) => void,
    private readonly context: () => string,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll();
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  get terminal(): boolean {
    return this.status !== undefined && TERMINAL.includes(this.status.state);
  }

  private async poll(): Promise<void> {
    const active = await this.cluster.active();
    const now = Date.now();
    if (!active) {
      this.noJobManagerSince ??= now;
      return;
    }
    if (this.noJobManagerSince !== undefined)
      this.say(
        `a JobManager answers again: ${active.member.name} after ${now - this.noJobManagerSince} ms without one`,
      );
    this.noJobManagerSince = undefined;
    try {
      const get = async <T>(path: string) => {
        const res = await fetch(active.url + path, { signal: AbortSignal.timeout(2000) });
        if (!res.ok) throw new Error(`GET ${path}: ${res.status}`);
        return (await res.json()) as T;
      };
      const job = await get<JobJson>(`/jobs/${this.jobId}`);
      const cps = await get<CheckpointsJson>(`/jobs/${this.jobId}/checkpoints`);
      const l = cps.latest;
      const next: JobStatus = {
        at: now,
        jmName: active.member.name,
        state: job.state,
        attempt: job.attempt,
        restarts: job.restarts,
        completed: cps.counts.completed,
        failure: job.failure?.message ?? job.reason,
        latest: l ? { id: l.id, triggerTime: l.triggerTime, completedAt: l.triggerTime + l.duration } : undefined,
      };
      const prev = this.status;
      if (prev && prev.jmName !== next.jmName) {
        this.takeovers++;
        this.say(`active JobManager is now ${next.jmName} (was ${prev.jmName}; ${this.context()})`);
      }
      if (!prev || prev.state !== next.state || prev.attempt !== next.attempt) {
        const why = next.failure && next.state !== 'RUNNING' ? `: ${next.failure}` : '';
        this.say(`job ${next.state}, attempt ${next.attempt}, restarts ${next.restarts} (${this.context()})${why}`);
      }
      this.status = next;
    } catch {
      // the JobManager went between the two calls, or is taking over: the next poll sees
    }
  }

  /** The completion time of a checkpoint triggered at or after `since`, with the job RUNNING. */
  recoveredAt(since: number): number | undefined {
    const s = this.status;
    if (!s || s.state !== 'RUNNING' || !s.latest || s.latest.triggerTime < since) return undefined;
    return s.latest.completedAt;
  }
}
