/**
 * Prometheus metrics of the JobManager (`GET /metrics` on the JM port) and discovery of every
 * metrics endpoint of the cluster (`GET /prometheus/targets`, Prometheus `http_sd` format).
 *
 * Values are read from the Dispatcher at scrape time; nothing here is on a job's path. Per-job
 * series exist only for jobs that have not ended.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { Dispatcher } from './dispatcher';
import { isTerminal, JOB_STATES, type JobState } from './job-state';

/** One entry of a Prometheus HTTP service-discovery answer. */
export interface HttpSdTarget {
  targets: string[];
  labels: Record<string, string>;
}

export class JobManagerMetrics {
  readonly registry = new Registry();

  constructor(private readonly dispatcher: Dispatcher) {
    collectDefaultMetrics({ register: this.registry });
    const registers = [this.registry];
    new Gauge({
      name: 'flinkx_jobs',
      help: 'Jobs known to the JobManager, by state.',
      registers,
      labelNames: ['state'],
      collect() {
        const counts = new Map<JobState, number>(JOB_STATES.states.map((s) => [s, 0]));
        for (const job of dispatcher.jobs.values()) counts.set(job.state, (counts.get(job.state) ?? 0) + 1);
        for (const [state, n] of counts) this.set({ state }, n);
      },
    });
    new Counter({
      name: 'flinkx_job_restarts_total',
      help: 'Restarts of a job that has not ended.',
      registers,
      labelNames: ['job_id', 'job_name'],
      collect() {
        this.reset();
        for (const job of dispatcher.jobs.values()) {
          if (!isTerminal(job.state)) this.inc({ job_id: job.id, job_name: job.spec.name }, job.restarts);
        }
      },
    });
    const liveCheckpointing = () =>
      [...dispatcher.jobs.values()]
        .filter((j) => !isTerminal(j.state) && j.checkpoints)
        .map((j) => ({ job: j, cps: j.checkpoints!.snapshot() }));
    new Counter({
      name: 'flinkx_checkpoints_total',
      help: 'Checkpoints of a job that has not ended, by final status.',
      registers,
      labelNames: ['job_id', 'job_name', 'status'],
      collect() {
        this.reset();
        for (const { job, cps } of liveCheckpointing()) {
          const labels = { job_id: job.id, job_name: job.spec.name };
          this.inc({ ...labels, status: 'COMPLETED' }, cps.counts.completed);
          this.inc({ ...labels, status: 'FAILED' }, cps.counts.failed);
        }
      },
    });
    const latestGauge = (name: string, help: string, value: (e: { duration: number; size: number }) => number) =>
      new Gauge({
        name,
        help,
        registers,
        labelNames: ['job_id', 'job_name'],
        collect() {
          this.reset();
          for (const { job, cps } of liveCheckpointing())
            if (cps.latest) this.set({ job_id: job.id, job_name: job.spec.name }, value(cps.latest));
        },
      });
    latestGauge(
      'flinkx_checkpoint_duration_seconds',
      'Duration of the latest completed checkpoint.',
      (e) => e.duration / 1000,
    );
    latestGauge('flinkx_checkpoint_size_bytes', 'Size of the latest completed checkpoint.', (e) => e.size);
    // One gauge with a state label rather than a `..._total` gauge (a Prometheus counter suffix).
    new Gauge({
      name: 'flinkx_taskmanager_slots',
      help: 'Slots of a registered TaskManager, by state (free: not allocated to a job).',
      registers,
      labelNames: ['tm', 'state'],
      collect() {
        this.reset();
        for (const tm of dispatcher.registry.all()) {
          const u = dispatcher.resourceManager.slotPool.usage(tm.id);
          this.set({ tm: tm.id, state: 'free' }, u.free);
          this.set({ tm: tm.id, state: 'used' }, u.total - u.free);
        }
      },
    });
  }

  /** `GET|HEAD /metrics`. */
  async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return void reply(res, 405, 'text/plain; charset=utf-8', `${req.method} is not allowed on /metrics\n`);
    try {
      reply(res, 200, this.registry.contentType, await this.registry.metrics(), req.method === 'HEAD');
    } catch (err) {
      if (!res.headersSent)
        reply(res, 500, 'text/plain; charset=utf-8', `metrics collection failed: ${(err as Error).message}\n`);
    }
  }

  /**
   * `GET /prometheus/targets`: the JobManager (`jmAddress`, host:port) and every registered TM that
   * reported a metrics address.
   */
  serveTargets(req: IncomingMessage, res: ServerResponse, jmAddress: string): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      return void reply(res, 405, 'text/plain; charset=utf-8', `${req.method} is not allowed on /prometheus/targets\n`);
    }
    reply(res, 200, 'application/json; charset=utf-8', JSON.stringify(this.targets(jmAddress)), req.method === 'HEAD');
  }

  targets(jmAddress: string): HttpSdTarget[] {
    const targets: HttpSdTarget[] = [{ targets: [jmAddress], labels: { flinkx_role: 'jobmanager' } }];
    for (const tm of this.dispatcher.registry.all()) {
      const hostPort = tm.metricsAddress && scrapeTarget(tm.metricsAddress);
      if (hostPort) targets.push({ targets: [hostPort], labels: { flinkx_role: 'taskmanager', tm: tm.id } });
    }
    return targets;
  }

  close(): void {
    this.registry.clear();
  }
}

/** `http://host:port` → `host:port` (a Prometheus target is host:port; the path is /metrics). */
function scrapeTarget(address: string): string | undefined {
  try {
    return new URL(address).host || undefined;
  } catch {
    return undefined;
  }
}

function reply(res: ServerResponse, status: number, contentType: string, body: string, headOnly = false): void {
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(headOnly ? undefined : body);
}
