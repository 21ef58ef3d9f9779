/**
 * The TaskManager process: registers its slots with the JobManager and heartbeats, runs one worker
 * thread per slot, writes shipped user-function bundles where workers can load them, and relays
 * channel traffic between its workers and other TMs. Serves Prometheus `/metrics` on a port of its
 * own (./metrics reads the workers' latest counters when scraped) and reports it in `register`.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, Worker, type MessagePort } from 'node:worker_threads';
import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { ProtocolError } from '../common/errors';
import { Logger } from '../common/log';
import { requireToken } from '../common/net/cluster-secret';
import { NO_SECURITY, type Security } from '../common/net/security-options';
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from '../common/protocol/codec';
import { JmToTmFrame, type TaskCounters, type TmToJmFrame, type Outgoing } from '../common/protocol/control';
import type { DeploymentPlan, TaskRef } from '../common/plan';
import { Deployments, type UnendedTask } from './deployments';
import { DataServer, PeerConnection } from './network/data-connections';
import { JobNames, TaskManagerMetrics } from './metrics';
import type { MainToWorker, WorkerInit, WorkerToMain } from './worker-messages';
import { DEFAULT_NETWORK, type NetworkOptions } from './network/channels';
import { TASKMANAGER_DEFAULTS } from './taskmanager-options';

const log = new Logger('taskmanager');
const RECONNECT_MS = 1000;
const taskKey = (t: UnendedTask) => `${t.jobId}/${t.attempt}/${t.vertex}/${t.subtask}`;

export interface TaskManagerOptions {
  slots: number;
  /** ws://host:port of the JobManager, or a comma-separated list of them (active and standbys), tried in turn. */
  jobmanager: string;
  host: string;
  dataPort: number;
  /** Port of the Prometheus endpoint (`/metrics`) on `host`; 0 or absent: any free port. */
  metricsPort?: number;
  tmId?: string;
  /** Channel batch size, flush interval (ms) and credits; absent: DEFAULT_NETWORK. */
  batchRecords?: number;
  flushInterval?: number;
  creditsPerChannel?: number;
  /** ms a cancelled task may take to end before its slot worker is terminated; 0: never. Absent: Flink's 180 s. */
  taskCancellationTimeout?: number;
}

interface SlotWorker {
  worker: Worker;
  counters: TaskCounters[];
  queuedBytes: number;
}

export class TaskManager {
  readonly tmId: string;
  private readonly network: NetworkOptions;
  private readonly workers: SlotWorker[] = [];
  /** Slots whose worker is being terminated and started again. */
  private readonly replacing = new Set<number>();
  private readonly dataServer: DataServer;
  private readonly peers = new Map<string, PeerConnection>();
  /** Data address of every peer TM named in a deployed plan. */
  private readonly peerAddresses = new Map<string, string>();
  /** What runs here, from deploy frames and final task states; the attempts' cut-offs. */
  private readonly deployments = new Deployments();
  private readonly functionsDir = mkdtempSync(join(tmpdir(), 'flinkx-tm-'));
  private jm: WebSocket | undefined;
  /** The JobManager addresses, and which one the current or next connection uses. */
  private readonly jmAddresses: string[];
  private jmIndex = 0;
  private heartbeat: NodeJS.Timeout | undefined;
  private dataAddress = '';
  /** Job names from deploy frames, for metric labels. */
  private readonly jobNames = new JobNames(() => this.workers.flatMap((w) => w.counters.map((c) => c.jobId)));
  private readonly metrics = new TaskManagerMetrics({
    slotTasks: () => this.workers.map((w) => w.counters),
    jobName: (jobId) => this.jobNames.get(jobId),
  });
  private metricsAddress = '';
  private stopped = false;

  constructor(
    private readonly options: TaskManagerOptions,
    private readonly security: Security = NO_SECURITY,
  ) {
    this.network = {
      batchRecords: options.batchRecords ?? DEFAULT_NETWORK.batchRecords,
      flushMs: options.flushInterval ?? DEFAULT_NETWORK.flushMs,
      credits: options.creditsPerChannel ?? DEFAULT_NETWORK.credits,
    };
    this.tmId = options.tmId ?? `tm-${randomUUID().slice(0, 8)}`;
    this.jmAddresses = options.jobmanager.split(',');
    this.dataServer = new DataServer(
      security,
      (f, peer) => {
        if (this.deployments.isCutOff(peer, f.ch)) return;
        if (f.t === 'credit') return this.toWorker(f.slot, { kind: 'credit', ch: f.ch, n: f.n });
        // One copy out of the WebSocket message, then moved (not cloned) into the worker.
        const payload = copy(f.payload);
        this.toWorker(f.slot, { kind: 'data', ch: f.ch, payload }, [payload.buffer]);
      },
      (peer, why) => this.dataConnectionLost(peer, why),
    );
  }

  async start(): Promise<void> {
    const port = await this.dataServer.listen(this.options.host, this.options.dataPort);
    this.dataAddress = `${this.security.tls.cert ? 'wss' : 'ws'}://${this.options.host}:${port}`;
    const { secret, metricsPublic } = this.security;
    this.metricsAddress = await this.metrics.listen(
      this.options.host,
      this.options.metricsPort ?? 0,
      (h) => (metricsPublic ? h : requireToken(secret, h)),
      this.security.tls,
    );
    await this.startWorkers();
    this.connect();
    log.info('started', {
      tm: this.tmId,
      slots: this.options.slots,
      data: this.dataAddress,
      metrics: `${this.metricsAddress}/metrics`,
      jobmanager: this.options.jobmanager,
    });
  }

  private async startWorkers(): Promise<void> {
    const n = this.options.slots;
    const ports: (MessagePort | undefined)[][] = Array.from({ length: n }, () =>
      new Array<MessagePort | undefined>(n).fill(undefined),
    );
    for (let i = 0; i < n; i++)
      for (let j = i + 1; j < n; j++) {
        const { port1, port2 } = new MessageChannel();
        ports[i][j] = port1;
        ports[j][i] = port2;
      }
    await Promise.all(ports.map((peerPorts, slot) => this.startWorker(slot, peerPorts)));
  }

  /** Starts the worker of `slot`, with its ports to the other slots' workers; resolves once it is ready. */
  private startWorker(slot: number, peerPorts: (MessagePort | undefined)[]): Promise<void> {
    const worker = new Worker(join(__dirname, 'slot-worker.js'), {
      workerData: { tmId: this.tmId, slot, network: this.network } satisfies WorkerInit,
    });
    const sw: SlotWorker = { worker, counters: [], queuedBytes: 0 };
    this.workers[slot] = sw;
    worker.on('error', (err) => log.error('slot worker crashed', { slot, error: err.stack ?? String(err) }));
    worker.postMessage(
      peerPorts,
      peerPorts.filter((p): p is MessagePort => p !== undefined),
    );
    return new Promise<void>((resolve) =>
      worker.on('message', (m: WorkerToMain) => (m.kind === 'ready' ? resolve() : this.fromWorker(sw, m))),
    );
  }

  /**
   * Cancels the TaskManager's tasks of `jobId`. A task that has not ended `taskCancellationTimeout`
   * ms later (stuck in a user function, say) would hold its slot, and after a JobManager's loss this
   * TaskManager's registration, for good: as Flink's task.cancellation.timeout, its slot's worker is
   * terminated then, and a fresh one takes the slot.
   */
  private cancelJob(jobId: string): void {
    for (const sw of this.workers) sw.worker.postMessage({ kind: 'cancel', jobId } satisfies MainToWorker);
    const timeout = this.options.taskCancellationTimeout ?? TASKMANAGER_DEFAULTS.taskCancellationTimeout;
    if (timeout === 0) return;
    const cancelled = new Set(this.deployments.unended(jobId).map(taskKey));
    if (cancelled.size === 0) return;
    setTimeout(() => {
      if (this.stopped) return;
      const stuck = this.deployments.unended(jobId).filter((t) => cancelled.has(taskKey(t)));
      for (const slot of new Set(stuck.map((t) => t.slot)))
        if (!this.replacing.has(slot)) void this.replaceWorker(slot, timeout);
    }, timeout).unref();
  }

  /** Terminates the worker of `slot` with every task in it (each reported FAILED), and starts a fresh one. */
  private async replaceWorker(slot: number, timeout: number): Promise<void> {
    this.replacing.add(slot);
    const old = this.workers[slot];
    log.error(
      'tasks did not end within the task cancellation timeout; terminating their slot worker and starting a fresh one',
      {
        slot,
        afterMs: timeout,
        tasks: this.deployments
          .inSlot(slot)
          .map((t) => `${t.jobId}/${t.attempt}/${t.vertex}[${t.subtask}]`)
          .join(','),
      },
    );
    const ports = this.workers.map((sw, other) => {
      if (other === slot) return undefined;
      const { port1, port2 } = new MessageChannel();
      sw.worker.postMessage({ kind: 'peer-port', slot, port: port2 } satisfies MainToWorker, [port2]);
      return port1;
    });
    await old.worker.terminate();
    // Taken after the worker is gone: a task that reported its end meanwhile is not reported twice.
    const error = {
      code: 'TASK_CANCELLATION_TIMEOUT',
      message: `did not end within ${timeout} ms of its cancel (--task-cancellation-timeout); its slot worker was terminated`,
    };
    for (const t of this.deployments.inSlot(slot))
      this.fromWorker(old, {
        kind: 'task-state',
        jobId: t.jobId,
        attempt: t.attempt,
        vertex: t.vertex,
        subtask: t.subtask,
        state: 'FAILED',
        error,
      });
    if (!this.stopped) await this.startWorker(slot, ports);
    this.replacing.delete(slot);
    log.info('slot worker replaced', { slot });
  }

  private fromWorker(sw: SlotWorker, m: WorkerToMain): void {
    switch (m.kind) {
      case 'task-state':
      case 'ack-checkpoint':
      case 'decline-checkpoint': {
        if (m.kind === 'task-state') {
          this.deployments.taskState(m.jobId, m.attempt, m.vertex, m.subtask, m.state);
          this.releaseIdlePeers();
        }
        // Reports for the JM have the shape of their frame, tagged by `kind` instead of `t`.
        const { kind, ...rest } = m;
        this.sendToJm({ t: kind, ...rest } as Outgoing<TmToJmFrame>);
        return;
      }
      case 'remote-data':
        this.peer(m.dest.tm, m.ch)?.sendEncoded(m.frame);
        return;
      case 'remote-credit':
        this.peer(m.dest.tm, m.ch)?.send({ t: 'credit', ch: m.ch, slot: m.dest.slot, n: m.n });
        return;
      case 'stats':
        sw.counters = m.tasks;
        sw.queuedBytes = m.queuedBytes;
        return;
    }
  }

  /** The open connection to `tm` for a frame of channel `ch`; none if that channel's attempt lost `tm`. */
  private peer(tm: string, ch: string): PeerConnection | undefined {
    let p = this.peers.get(tm);
    if (p?.closed) p.lost('connection closed');
    if (this.deployments.isCutOff(tm, ch)) return undefined;
    if (!p || p.closed) {
      const address = this.peerAddresses.get(tm);
      if (!address) {
        log.warn('no data address for peer', { peer: tm });
        return undefined;
      }
      p = new PeerConnection(address, this.tmId, this.security, (why) => this.dataConnectionLost(tm, why));
      this.peers.set(tm, p);
    }
    return p;
  }

  /**
   * Closes, in order, the dialled data connections no attempt here uses any more (its last task here
   * ended), as Flink releases a connection no partition uses: one left open would outlive its peer's
   * use, and a peer TM that is gone would stay in the pool for good.
   */
  private releaseIdlePeers(): void {
    const inUse = this.deployments.peersInUse();
    for (const [tm, p] of this.peers) {
      if (inUse.has(tm)) continue;
      p.release();
      this.peers.delete(tm);
      log.info('released idle data connection', { peer: tm });
    }
    for (const tm of this.peerAddresses.keys()) if (!inUse.has(tm)) this.peerAddresses.delete(tm);
  }

  /**
   * A data connection with `tm` broke, in either direction. What was in flight on it is gone, so
   * the attempts deployed here that involve `tm` never exchange another frame with it (a later
   * batch on a new connection would arrive behind a gap), and every task that exchanges data with
   * `tm` fails; the JobManager's restart strategy takes it from there.
   */
  private dataConnectionLost(tm: string, why: string): void {
    if (this.stopped) return;
    this.deployments.cut(tm);
    const reason = `data connection with TaskManager ${tm} (${this.peerAddresses.get(tm) ?? 'unknown address'}) was lost: ${why}`;
    log.warn('data connection lost; failing the tasks that use it', { peer: tm, why });
    for (const sw of this.workers)
      sw.worker.postMessage({ kind: 'taskmanager-unreachable', tm, reason } satisfies MainToWorker);
  }

  private toWorker(slot: number, m: MainToWorker, transfer?: ArrayBuffer[]): void {
    const sw = this.workers[slot];
    if (!sw) throw new ProtocolError(`no slot ${slot} on ${this.tmId}`);
    sw.worker.postMessage(m, transfer);
  }

  private connect(): void {
    if (this.stopped) return;
    const jobmanager = this.jmAddresses[this.jmIndex];
    const ws = new WebSocket(`${jobmanager.replace(/\/$/, '')}/tm`, {
      maxPayload: MAX_FRAME_BYTES,
      ca: this.security.tls.ca,
    });
    this.jm = ws;
    ws.on('message', (data) => {
      try {
        this.onJmFrame(decodeFrame(JmToTmFrame, data));
      } catch (err) {
        log.warn('closing JobManager connection', { reason: (err as Error).message });
        ws.close(1008, (err as Error).message.slice(0, 120));
      }
    });
    ws.on('error', (err) => log.warn('JobManager connection error', { jobmanager, error: err.message }));
    ws.on('close', (code, reason) => {
      clearInterval(this.heartbeat);
      if (this.stopped) return;
      // As Flink's TaskExecutor on losing a job's leader: every task deployed here for it stops, from
      // this TM's own record (the workers' stats lag up to 500 ms behind a deployment).
      const jobs = this.deployments.orphan();
      log.warn('lost the JobManager; cancelling local tasks and reconnecting', {
        jobmanager,
        code,
        reason: reason.toString(),
        jobs: jobs.join(',') || 'none',
        tasks: this.deployments.taskCount,
      });
      // A JobManager that went away may have a standby at the next address.
      this.jmIndex = (this.jmIndex + 1) % this.jmAddresses.length;
      for (const jobId of jobs) this.cancelJob(jobId);
      // As a slot in Flink stays allocated until its task terminated: no JobManager is offered these
      // slots while a task of the lost one still runs in them (a Kafka sink of it could still fence
      // the next attempt's producer).
      const left = this.deployments.taskCount;
      if (left > 0) log.info('registering again once the cancelled tasks ended', { tasks: left });
      void this.deployments.orphansGone().then(() => setTimeout(() => this.connect(), RECONNECT_MS).unref());
    });
  }

  private sendToJm(frame: Outgoing<TmToJmFrame>): void {
    if (this.jm?.readyState === WebSocket.OPEN) this.jm.send(encodeFrame(frame));
  }

  private onJmFrame(frame: JmToTmFrame): void {
    switch (frame.t) {
      case 'challenge': {
        const proof = this.security.secret?.proof('tm-register', frame.nonce);
        this.sendToJm({
          t: 'register',
          tmId: this.tmId,
          slots: this.options.slots,
          dataAddress: this.dataAddress,
          metricsAddress: this.metricsAddress,
          proof,
        });
        return;
      }
      case 'registered':
        log.info('registered with the JobManager', { tm: this.tmId });
        clearInterval(this.heartbeat);
        this.heartbeat = setInterval(() => this.sendHeartbeat(), frame.heartbeatIntervalMs);
        this.sendHeartbeat();
        return;
      case 'deploy':
        return this.deploy(frame.plan, frame.tasks);
      case 'cancel':
        return this.cancelJob(frame.jobId);
      case 'trigger-checkpoint':
      case 'checkpoint-complete': {
        // The frame itself, re-tagged: worker messages that relay a frame have its shape.
        const { v: _, t, ...fields } = frame;
        const m = { kind: t, ...fields } as MainToWorker;
        for (const sw of this.workers) sw.worker.postMessage(m);
        return;
      }
    }
  }

  private sendHeartbeat(): void {
    let queuedBytes = 0;
    for (const sw of this.workers) queuedBytes += sw.queuedBytes;
    for (const p of this.peers.values()) queuedBytes += p.bufferedBytes;
    this.sendToJm({ t: 'heartbeat', tmId: this.tmId, queuedBytes, tasks: this.workers.flatMap((w) => w.counters) });
  }

  private deploy(plan: DeploymentPlan, tasks: TaskRef[]): void {
    for (const [tm, address] of Object.entries(plan.peers)) this.peerAddresses.set(tm, address);
    this.deployments.deployed(
      plan.jobId,
      plan.attempt,
      Object.keys(plan.peers).filter((tm) => tm !== this.tmId),
      tasks,
      (t) => plan.slots[t.subtask].slot,
    );
    this.jobNames.set(plan.jobId, plan.name);
    let functionsPath: string | undefined;
    if (plan.functionsCode !== undefined) {
      functionsPath = join(this.functionsDir, `${plan.jobId}-${plan.attempt}.js`);
      writeFileSync(functionsPath, plan.functionsCode);
    }
    const { functionsCode: _, ...lean } = plan;
    const bySlot = new Map<number, TaskRef[]>();
    for (const t of tasks) {
      const slot = plan.slots[t.subtask].slot;
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), t]);
    }
    log.info('deploying', { job: plan.jobId, attempt: plan.attempt, tasks: tasks.length });
    for (const [slot, refs] of bySlot) this.toWorker(slot, { kind: 'deploy', plan: lean, tasks: refs, functionsPath });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.heartbeat);
    this.jm?.close(1001, 'TaskManager stopping');
    for (const p of this.peers.values()) p.close();
    await this.dataServer.close();
    await this.metrics.close();
    await Promise.all(this.workers.map((w) => w.worker.terminate()));
    rmSync(this.functionsDir, { recursive: true, force: true });
    log.info('stopped', { tm: this.tmId });
  }
}

/** A view into a received WebSocket message, copied so the worker gets a buffer of its own. */
function copy(bytes: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(bytes);
}
