/**
 * Prometheus metrics of one TaskManager, served on an HTTP port of its own (`GET /metrics`).
 *
 * Nothing here sits on the data path: the slot workers already post their cumulative task counters
 * to the main thread every 500 ms, and this module reads the latest of them only when scraped.
 * Counters of tasks that no worker reports any more (finished, cancelled, failed) have no series.
 *
 * Series carry no `tm` label: Prometheus attaches it from the target labels of
 * `GET /prometheus/targets` on the JobManager (a `tm` label here would clash with it).
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import {
  DEFAULT_SERVER_LIMITS,
  guardedServer,
  type Server as GuardedServer,
  type ServerTls,
} from '../common/net/server-guard';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { OPERATOR_DURATION_BUCKETS, type TaskCounters } from '../common/protocol/control';

/** What the metrics read from the TaskManager, at scrape time. */
export interface TaskManagerView {
  /** Per slot (index = slot number), the counters its worker last reported for its running tasks. */
  slotTasks(): readonly (readonly TaskCounters[])[];
  jobName(jobId: string): string | undefined;
}

/** A deployed job's name may be forgotten this long after its deployment once no task of it runs here. */
const NAME_GRACE_MS = 60_000;

/**
 * jobId → job name, learnt from deploy frames (`plan.name`). Kept bounded: every `set` forgets the
 * jobs that no longer run here, except recent ones whose tasks the workers may not have reported yet.
 */
export class JobNames {
  private readonly names = new Map<string, { name: string; at: number }>();

  constructor(private readonly liveJobs: () => Iterable<string>) {}

  set(jobId: string, name: string): void {
    const now = Date.now();
    const live = new Set(this.liveJobs());
    for (const [id, n] of this.names) if (now - n.at > NAME_GRACE_MS && !live.has(id)) this.names.delete(id);
    this.names.set(jobId, { name, at: now });
  }

  get(jobId: string): string | undefined {
    return this.names.get(jobId)?.name;
  }
}

const TASK_LABELS = ['job_id', 'job_name', 'vertex', 'subtask'] as const;
type TaskLabels = Record<(typeof TASK_LABELS)[number], string>;

export class TaskManagerMetrics {
  readonly registry = new Registry();
  private server: GuardedServer | undefined;

  constructor(view: TaskManagerView) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    /** The latest counters of every running task, one per (job, vertex, subtask): the newest attempt wins. */
    const tasks = (): { labels: TaskLabels; c: TaskCounters }[] => {
      const latest = new Map<string, TaskCounters>();
      for (const slot of view.slotTasks())
        for (const c of slot) {
          const key = `${c.jobId}/${c.vertex}/${c.subtask}`;
          const seen = latest.get(key);
          if (!seen || seen.attempt < c.attempt) latest.set(key, c);
        }
      return [...latest.values()].map((c) => ({
        c,
        labels: {
          job_id: c.jobId,
          job_name: view.jobName(c.jobId) ?? '',
          vertex: c.vertex,
          subtask: String(c.subtask),
        },
      }));
    };
    const taskCounter = (name: string, help: string, value: (c: TaskCounters) => number) =>
      new Counter({
        name,
        help,
        registers,
        labelNames: TASK_LABELS,
        collect() {
          // Workers report cumulative values: the series are rebuilt from the latest report, so a
          // task that ended loses its series.
          this.reset();
          for (const t of tasks()) this.inc(t.labels, Math.max(0, value(t.c)));
        },
      });
    taskCounter(
      'flinkx_task_records_in_total',
      'Records a subtask has read from its inputs or its source.',
      (c) => c.recordsIn,
    );
    taskCounter(
      'flinkx_task_records_out_total',
      'Records a subtask has emitted (to its outputs or its sink).',
      (c) => c.recordsOut,
    );
    taskCounter(
      'flinkx_task_bytes_in_total',
      'Serialized bytes a subtask has received from its input channels.',
      (c) => c.bytesIn,
    );
    taskCounter(
      'flinkx_task_backpressured_seconds_total',
      'Time a subtask waited for credit from its consumers.',
      (c) => c.backPressuredMs / 1000,
    );
    taskCounter('flinkx_task_busy_seconds_total', 'Time a subtask spent processing records.', (c) => c.busyMs / 1000);
    taskCounter(
      'flinkx_task_late_records_total',
      "Records a subtask's windows sent to the late side output.",
      (c) => c.lateRecords ?? 0,
    );
    const taskGauge = (name: string, help: string, value: (c: TaskCounters) => number | undefined) =>
      new Gauge({
        name,
        help,
        registers,
        labelNames: TASK_LABELS,
        collect() {
          this.reset();
          for (const t of tasks()) {
            const v = value(t.c);
            if (v !== undefined && Number.isFinite(v)) this.set(t.labels, v);
          }
        },
      });
    taskGauge(
      'flinkx_task_watermark_milliseconds',
      "Event time (epoch ms) of the subtask's current watermark.",
      (c) => c.watermark,
    );
    taskGauge('flinkx_task_open_windows', 'Windows the subtask holds open (keys × windows).', (c) => c.openWindows);
    this.registry.registerMetric(
      new OperatorDurationHistogram(tasks) as unknown as Parameters<Registry['registerMetric']>[0],
    );
    new Gauge({
      name: 'flinkx_taskmanager_slots',
      help: 'Slots (worker threads) of this TaskManager, by state (free: no running task).',
      registers,
      labelNames: ['state'],
      collect() {
        const slots = view.slotTasks();
        const free = slots.filter((s) => s.length === 0).length;
        this.set({ state: 'free' }, free);
        this.set({ state: 'used' }, slots.length - free);
      },
    });
  }

  /** Serve `GET /metrics` (behind `guard`, e.g. the bearer token; https with `tls`); resolves to the address, `http(s)://host:port`. */
  async listen(
    host: string,
    port: number,
    guard: (h: RequestListener) => RequestListener = (h) => h,
    tls: ServerTls = {},
  ): Promise<string> {
    const server = guardedServer(
      'tm-metrics',
      guard((req, res) => void serveMetrics(this.registry, req, res)),
      undefined,
      DEFAULT_SERVER_LIMITS,
      tls,
    );
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    const bound = (server.address() as AddressInfo).port;
    return `${tls.cert ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${bound}`;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    this.registry.clear();
  }
}

/**
 * `flinkx_operator_duration_seconds`: time of a subtask's operator chain per batch, as kis-flow
 * times its functions. The workers keep the cumulative bucket counts (fixed buckets), so this is a
 * custom collector that exposes them as they are rather than re-observing samples.
 */
class OperatorDurationHistogram {
  readonly name = 'flinkx_operator_duration_seconds';
  readonly help = 'Time the operator chain (user functions) of a subtask took per batch.';
  readonly type = 'histogram';

  constructor(private readonly tasks: () => { labels: TaskLabels; c: TaskCounters }[]) {}

  async get() {
    const values: { metricName: string; labels: Record<string, string | number>; value: number }[] = [];
    for (const { labels, c } of this.tasks()) {
      OPERATOR_DURATION_BUCKETS.forEach((le, i) =>
        values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le }, value: c.operatorBuckets[i] ?? 0 }),
      );
      values.push({ metricName: `${this.name}_bucket`, labels: { ...labels, le: '+Inf' }, value: c.operatorCount });
      values.push({ metricName: `${this.name}_sum`, labels, value: c.operatorSeconds });
      values.push({ metricName: `${this.name}_count`, labels, value: c.operatorCount });
    }
    return { name: this.name, help: this.help, type: this.type, values, aggregator: 'sum' };
  }
}

/** `GET /metrics` in the Prometheus text format; anything else is 404/405. */
async function serveMetrics(registry: Registry, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  try {
    if (path !== '/metrics') return void reply(res, 404, 'text/plain; charset=utf-8', `no such resource: ${path}\n`);
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return void reply(res, 405, 'text/plain; charset=utf-8', `${req.method} is not allowed on ${path}\n`);
    reply(res, 200, registry.contentType, await registry.metrics(), req.method === 'HEAD');
  } catch (err) {
    if (!res.headersSent)
      reply(res, 500, 'text/plain; charset=utf-8', `metrics collection failed: ${(err as Error).message}\n`);
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(headOnly ? undefined : body);
}
