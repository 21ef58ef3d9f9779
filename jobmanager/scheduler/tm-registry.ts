/**
 * Registered TaskManagers, each with the gateway to its control connection. A TM whose connection
 * closes, that breaks the protocol, or whose heartbeats stop (./heartbeat/) is lost; the listener
 * is told once.
 */
import type WebSocket from 'ws';
import type { TaskCounters } from '../../common/protocol/control';
import type { Clock, Timers } from '../clock';
import { WebSocketTaskExecutorGateway } from '../gateway/websocket';
import { HeartbeatMonitor } from '../heartbeat/heartbeat-monitor';

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
  gateway: WebSocketTaskExecutorGateway;
}

export interface TaskManagerListener {
  taskManagerJoined(tm: RegisteredTaskManager): void;
  taskManagerLost(tm: RegisteredTaskManager, reason: string): void;
}

export class TaskManagerRegistry {
  private readonly tms = new Map<string, RegisteredTaskManager>();
  private readonly heartbeats: HeartbeatMonitor;

  constructor(
    private readonly listener: TaskManagerListener,
    readonly heartbeatIntervalMs: number,
    heartbeatTimeoutMs: number,
    private readonly clock: Clock,
    timers: Timers,
  ) {
    this.heartbeats = new HeartbeatMonitor(
      heartbeatIntervalMs,
      heartbeatTimeoutMs,
      (id) => this.lose(id, `no heartbeat for ${heartbeatTimeoutMs} ms`),
      clock,
      timers,
    );
    this.heartbeats.start();
  }

  /** A TM's `register` frame on connection `ws`; a TM registering again replaces (and loses) its old self. */
  register(
    ws: WebSocket,
    id: string,
    slots: number,
    dataAddress: string,
    metricsAddress?: string,
  ): RegisteredTaskManager {
    if (this.tms.has(id)) this.lose(id, 'registered again');
    const now = this.clock.now();
    const gateway = new WebSocketTaskExecutorGateway(id, dataAddress, ws);
    const tm: RegisteredTaskManager = {
      id,
      slots,
      dataAddress,
      metricsAddress,
      registeredAt: now,
      lastHeartbeat: now,
      queuedBytes: 0,
      counters: [],
      gateway,
    };
    this.tms.set(id, tm);
    this.heartbeats.monitor(id);
    gateway.send({ t: 'registered', heartbeatIntervalMs: this.heartbeatIntervalMs });
    this.listener.taskManagerJoined(tm);
    return tm;
  }

  heartbeat(id: string, queuedBytes: number, counters: TaskCounters[]): void {
    const tm = this.tms.get(id);
    if (!tm) return;
    this.heartbeats.receive(id);
    tm.lastHeartbeat = this.clock.now();
    tm.queuedBytes = queuedBytes;
    tm.counters = counters;
  }

  /** The TM's connection closed, broke the protocol, or its heartbeats stopped. */
  lose(id: string, reason: string): void {
    const tm = this.tms.get(id);
    if (!tm) return;
    this.tms.delete(id);
    this.heartbeats.unmonitor(id);
    tm.gateway.close();
    this.listener.taskManagerLost(tm, reason);
  }

  get(id: string): RegisteredTaskManager | undefined {
    return this.tms.get(id);
  }

  all(): RegisteredTaskManager[] {
    return [...this.tms.values()];
  }

  close(): void {
    this.heartbeats.close();
    for (const tm of this.tms.values()) tm.gateway.close();
    this.tms.clear();
  }
}
