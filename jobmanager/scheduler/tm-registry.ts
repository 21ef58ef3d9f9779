/**
 * Registered TaskManagers and their heartbeats. A TM whose connection closes, or that has not sent a
 * heartbeat within the timeout, is dead; the listener is told once.
 */
import type WebSocket from 'ws';
import { encodeFrame } from '../../common/protocol/codec';
import type { JmToTmFrame, Outgoing, TaskCounters } from '../../common/protocol/control';

export interface RegisteredTaskManager {
  id: string;
  slots: number;
  dataAddress: string;
  /** http://host:port where the TM serves `/metrics`, if it does. */
  metricsAddress?: string;
  registeredAt: number;
  lastHeartbeat: number;
  queuedBytes: number;
  counters: TaskCounters[];
  send(frame: Outgoing<JmToTmFrame>): void;
}

export interface HeartbeatListener {
  taskManagerJoined(tm: RegisteredTaskManager): void;
  taskManagerLost(tm: RegisteredTaskManager, reason: string): void;
}

export class TaskManagerRegistry {
  private readonly tms = new Map<string, RegisteredTaskManager & { ws: WebSocket }>();
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly listener: HeartbeatListener,
    readonly heartbeatIntervalMs: number,
    private readonly heartbeatTimeoutMs: number,
  ) {
    this.timer = setInterval(() => this.checkTimeouts(), Math.max(100, heartbeatIntervalMs / 2));
    this.timer.unref();
  }

  register(ws: WebSocket, id: string, slots: number, dataAddress: string, metricsAddress?: string): RegisteredTaskManager {
    const old = this.tms.get(id);
    if (old) this.lose(id, 'registered again');
    const now = Date.now();
    const tm = {
      id, slots, dataAddress, metricsAddress, ws,
      registeredAt: now, lastHeartbeat: now, queuedBytes: 0, counters: [],
      send: (frame: Outgoing<JmToTmFrame>) => ws.send(encodeFrame(frame)),
    };
    this.tms.set(id, tm);
    tm.send({ t: 'registered', heartbeatIntervalMs: this.heartbeatIntervalMs });
    this.listener.taskManagerJoined(tm);
    return tm;
  }

  heartbeat(id: string, queuedBytes: number, counters: TaskCounters[]): void {
    const tm = this.tms.get(id);
    if (!tm) return;
    tm.lastHeartbeat = Date.now();
    tm.queuedBytes = queuedBytes;
    tm.counters = counters;
  }

  /** The TM's connection closed or broke the protocol. */
  lose(id: string, reason: string): void {
    const tm = this.tms.get(id);
    if (!tm) return;
    this.tms.delete(id);
    tm.ws.terminate();
    this.listener.taskManagerLost(tm, reason);
  }

  get(id: string): RegisteredTaskManager | undefined {
    return this.tms.get(id);
  }

  all(): RegisteredTaskManager[] {
    return [...this.tms.values()];
  }

  private checkTimeouts(): void {
    const deadline = Date.now() - this.heartbeatTimeoutMs;
    for (const tm of this.tms.values()) {
      if (tm.lastHeartbeat < deadline) this.lose(tm.id, `no heartbeat for ${this.heartbeatTimeoutMs} ms`);
    }
  }

  close(): void {
    clearInterval(this.timer);
    for (const tm of this.tms.values()) tm.ws.terminate();
    this.tms.clear();
  }
}
