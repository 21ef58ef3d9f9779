/**
 * Heartbeats of the TaskManagers (Flink's HeartbeatManager on the ResourceManager side): each
 * monitored target must be heard from within the timeout, or it is reported once as timed out.
 * The check runs on the timers given; tests drive both with a manual clock.
 */
import type { Clock, Timers } from '../clock';

export class HeartbeatMonitor {
  private readonly lastHeard = new Map<string, number>();
  private cancelCheck: (() => void) | undefined;

  constructor(
    readonly intervalMs: number,
    readonly timeoutMs: number,
    private readonly onTimeout: (id: string) => void,
    private readonly clock: Clock,
    private readonly timers: Timers,
  ) {}

  /** Checks twice per interval, so a timeout is noticed within half an interval of its deadline. */
  start(): void {
    if (this.cancelCheck) return;
    const period = Math.max(100, this.intervalMs / 2);
    const tick = () => {
      this.cancelCheck = this.timers.schedule(tick, period);
      this.check();
    };
    this.cancelCheck = this.timers.schedule(tick, period);
  }

  monitor(id: string): void {
    this.lastHeard.set(id, this.clock.now());
  }

  /** A heartbeat from `id`; ignored for targets not monitored (already timed out or removed). */
  receive(id: string): void {
    if (this.lastHeard.has(id)) this.lastHeard.set(id, this.clock.now());
  }

  unmonitor(id: string): void {
    this.lastHeard.delete(id);
  }

  check(): void {
    const deadline = this.clock.now() - this.timeoutMs;
    for (const [id, at] of this.lastHeard) {
      if (at >= deadline) continue;
      this.lastHeard.delete(id);
      this.onTimeout(id);
    }
  }

  close(): void {
    this.cancelCheck?.();
    this.cancelCheck = undefined;
    this.lastHeard.clear();
  }
}
