/**
 * Prometheus metrics of a real cluster: a JobManager and two TaskManagers (1 slot each) started from
 * the built dist/ on loopback and free ports, killed afterwards.
 *
 *   - JM and TM `/metrics` pass a strict exposition-format (text 0.0.4) parser (./exposition-format.ts);
 *   - `GET /prometheus/targets` (http_sd) lists the JM and both TMs, and every target scrapes;
 *   - while an unbounded job runs, the sum of `flinkx_task_records_in_total` over the TMs grows;
 *   - a bounded job's TM series are gone once it FINISHED, and its per-job JM series too.
 *
 *   npx tsc -p tsconfig.json && npx jest test/metrics.test.ts
 */
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseExposition, type Family, type Sample } from './exposition-format';
import { Cluster, tempDir, waitFor } from './harness';

const DEADLINE_MS = 30_000;

// Each test starts processes and tools (promtool) on a loaded machine: jest's 5 s default is too short.
jest.setTimeout(180_000);

let cluster: Cluster;
let workDir: string;
let jm: string;
/** tm id → metrics address http://host:port, from each TM's "started" log line. */
const tmMetrics = new Map<string, string>();

async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(url);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text}`);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseExposition(text);
}

function samples(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): Sample[] {
  return [...families.values()]
    .flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
}

async function submit(job: unknown): Promise<string> {
  const { status, body } = await cluster.post<{ jobId: string }>('/jobs', { job });
  if (status !== 201) throw new Error(`submit: ${status} ${JSON.stringify(body)}`);
  return body.jobId;
}

const waitForState = (jobId: string, states: string[]): Promise<any> =>
  cluster.waitForState(jobId, states, DEADLINE_MS);

/** Sum of a TM metric over every TM, for one job. */
async function sumOverTms(name: string, jobId: string): Promise<{ sum: number; series: number }> {
  let sum = 0;
  let series = 0;
  for (const address of tmMetrics.values()) {
    for (const s of samples(await scrape(`${address}/metrics`), name, { job_id: jobId })) {
      sum += s.value;
      series++;
    }
  }
  return { sum, series };
}

/**
 * The lint problems `promtool check metrics` (Debian's `prometheus` package; PROMTOOL overrides the
 * path) reports for an exposition text, one line each, starting with the metric name.
 */
function promtoolCheck(text: string): Promise<string[]> {
  const promtool = process.env.PROMTOOL ?? 'promtool';
  return new Promise((resolve, reject) => {
    const child = execFile(promtool, ['check', 'metrics'], (err, stdout, stderr) => {
      if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') {
        return reject(
          new Error(
            `${promtool} not found: install Prometheus's promtool (Debian: apt-get install prometheus) or set PROMTOOL`,
          ),
        );
      }
      const lines = `${stdout}${stderr}`
        .split('\n')
        .map((l) => l.trim())
        .filter(Boolean);
      // Exit code 3: lint problems only; anything else non-zero is a parse error.
      if (err && (err as { code?: unknown }).code !== 3)
        return reject(new Error(`promtool check metrics failed: ${lines.join('; ')}`));
      resolve(lines);
    });
    child.stdin!.end(text);
  });
}

beforeAll(async () => {
  workDir = tempDir('flinkx-metrics-test-');
  cluster = await Cluster.start([1, 1]);
  jm = cluster.url;
  for (const tm of cluster.taskManagers) {
    const m = await waitFor(
      'a TaskManager "started" line with its metrics address',
      () => /taskmanager: started tm=(\S+) .*metrics=(http:\/\/\S+)\/metrics/.exec(tm.output) ?? undefined,
      DEADLINE_MS,
    );
    tmMetrics.set(m[1], m[2]);
  }
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

// ---------------------------------------------------------------------------------------------

describe('the exposition-format parser', () => {
  test('accepts well-formed text and rejects broken lines', () => {
    const ok =
      '# HELP a_total A.\n# TYPE a_total counter\na_total{x="1",y="q\\"\\\\\\n"} 3\n# TYPE h histogram\nh_bucket{le="+Inf"} 1\nh_sum 0.5\nh_count 1\n';
    const f = parseExposition(ok);
    expect(samples(f, 'a_total')[0]).toEqual({ name: 'a_total', labels: { x: '1', y: 'q"\\\n' }, value: 3 });
    expect(samples(f, 'h_bucket')[0].value).toBe(1);
    expect(samples(f, 'h_bucket')[0].labels.le).toBe('+Inf');
    expect(samples(parseExposition('# TYPE g gauge\ng Nan\n'), 'g')[0].value).toBeNaN();
    for (const bad of [
      'a 1',
      'a{x=1} 1\n',
      'a{x="1"}1\n',
      '1a 1\n',
      'a one\n',
      'a{x="1",x="2"} 1\n',
      'a 1\na 2\n',
      '# TYPE a counter\na -1\n',
      'a 1\nb 1\na 2\n',
    ]) {
      expect(() => parseExposition(bad)).toThrow();
    }
  });
});

describe('metrics of a cluster', () => {
  test('JM and TM /metrics are valid exposition text with flinkx and process metrics', async () => {
    const jmFamilies = await scrape(`${jm}/metrics`);
    expect(
      samples(jmFamilies, 'flinkx_jobs')
        .map((s) => s.labels.state)
        .sort(),
    ).toEqual(['CANCELED', 'CANCELLING', 'CREATED', 'FAILED', 'FINISHED', 'RESTARTING', 'RUNNING']);
    expect(jmFamilies.get('flinkx_jobs')!.type).toBe('gauge');
    expect(jmFamilies.get('flinkx_job_restarts_total')!.type).toBe('counter');
    expect(jmFamilies.get('flinkx_taskmanager_slots')!.type).toBe('gauge');
    for (const tm of tmMetrics.keys()) {
      const slots = samples(jmFamilies, 'flinkx_taskmanager_slots', { tm });
      expect(slots.map((s) => s.labels.state).sort()).toEqual(['free', 'used']);
      expect(slots.reduce((n, s) => n + s.value, 0)).toBe(1);
    }
    expect(samples(jmFamilies, 'process_cpu_user_seconds_total')).toHaveLength(1);
    expect(samples(jmFamilies, 'nodejs_heap_size_total_bytes')).toHaveLength(1);

    for (const address of tmMetrics.values()) {
      const f = await scrape(`${address}/metrics`);
      const slots = samples(f, 'flinkx_taskmanager_slots');
      expect(slots.map((s) => s.labels.state).sort()).toEqual(['free', 'used']);
      expect(slots.reduce((n, s) => n + s.value, 0)).toBe(1);
      expect(f.get('flinkx_taskmanager_slots')!.type).toBe('gauge');
      for (const name of [
        'flinkx_task_records_in_total',
        'flinkx_task_records_out_total',
        'flinkx_task_bytes_in_total',
        'flinkx_task_backpressured_seconds_total',
        'flinkx_task_busy_seconds_total',
      ]) {
        expect(f.get(name)?.type).toBe('counter');
      }
      expect(samples(f, 'process_cpu_user_seconds_total')).toHaveLength(1);
      expect(samples(f, 'nodejs_eventloop_lag_seconds')).toHaveLength(1);
    }
  });

  test("promtool check metrics flags nothing of JM or TM output but prom-client's own nodejs_/process_ defaults", async () => {
    for (const url of [`${jm}/metrics`, ...[...tmMetrics.values()].map((a) => `${a}/metrics`)]) {
      const problems = await promtoolCheck(await (await fetch(url)).text());
      expect({ url, problems: problems.filter((p) => !/^(nodejs|process)_/.test(p)) }).toEqual({ url, problems: [] });
    }
    // The check itself works: a gauge named like a counter is flagged.
    expect(await promtoolCheck('# HELP flinkx_x_total X.\n# TYPE flinkx_x_total gauge\nflinkx_x_total 1\n')).toEqual([
      expect.stringMatching(/^flinkx_x_total\b.*_total/),
    ]);
  });

  test('a TM answers 404 off /metrics and 405 to other methods', async () => {
    const address = [...tmMetrics.values()][0];
    expect((await fetch(`${address}/nope`)).status).toBe(404);
    expect((await fetch(`${address}/metrics`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${jm}/metrics`, { method: 'POST' })).status).toBe(405);
  });

  test('GET /prometheus/targets lists the JM and both TMs in http_sd format, and each target scrapes', async () => {
    const targets = await cluster.get<{ targets: string[]; labels: Record<string, string> }[]>('/prometheus/targets');
    expect(targets).toContainEqual({ targets: [`127.0.0.1:${cluster.port}`], labels: { flinkx_role: 'jobmanager' } });
    const tms = targets.filter((t) => t.labels.flinkx_role === 'taskmanager');
    expect(
      tms.map((t) => ({ tm: t.labels.tm, target: t.targets[0] })).sort((a, b) => a.tm.localeCompare(b.tm)),
    ).toEqual(
      [...tmMetrics]
        .map(([tm, address]) => ({ tm, target: address.replace(/^http:\/\//, '') }))
        .sort((a, b) => a.tm.localeCompare(b.tm)),
    );
    expect(targets).toHaveLength(3);
    for (const t of targets) {
      expect(t.targets).toHaveLength(1);
      const families = await scrape(`http://${t.targets[0]}/metrics`);
      expect(families.has('flinkx_taskmanager_slots')).toBe(true);
    }
  });

  test('records in across TMs grow while an unbounded job runs; its series go when it is cancelled', async () => {
    const jobId = await submit({
      name: 'metrics-unbounded',
      parallelism: 2,
      checkpointing: { interval: 100, mode: 'exactly-once' },
      nodes: [
        { id: 'gen', type: 'source', connector: { kind: 'generator', rate: 2000, format: 'sequence' } },
        { id: 'out', type: 'sink', inputs: ['gen'], connector: { kind: 'file', path: join(workDir, 'unbounded') } },
      ],
    });
    try {
      await runningUnboundedJob(jobId);
      // The sink subtasks' operator chains are timed per batch: a histogram per subtask.
      await waitFor(
        'operator time histograms of the job',
        async () => {
          const r = await sumOverTms('flinkx_operator_duration_seconds_count', jobId);
          return r.series === 2 && r.sum > 0 ? true : undefined;
        },
        DEADLINE_MS,
      );
      for (const address of tmMetrics.values()) {
        const f = await scrape(`${address}/metrics`);
        expect(f.get('flinkx_operator_duration_seconds')?.type).toBe('histogram');
        const buckets = samples(f, 'flinkx_operator_duration_seconds_bucket', { job_id: jobId });
        expect(buckets.some((b) => b.labels.le === '+Inf')).toBe(true);
      }
      const families = await waitFor(
        'a completed checkpoint in the JM metrics',
        async () => {
          const f = await scrape(`${jm}/metrics`);
          return (samples(f, 'flinkx_checkpoints_total', { job_id: jobId, status: 'COMPLETED' })[0]?.value ?? 0) > 0
            ? f
            : undefined;
        },
        DEADLINE_MS,
      );
      expect(families.get('flinkx_checkpoints_total')!.type).toBe('counter');
      expect(samples(families, 'flinkx_checkpoint_size_bytes', { job_id: jobId })[0].value).toBeGreaterThan(0);
      expect(samples(families, 'flinkx_checkpoint_duration_seconds', { job_id: jobId })).toHaveLength(1);
    } finally {
      await fetch(`${jm}/jobs/${jobId}/cancel`, { method: 'POST' });
    }
    await waitForState(jobId, ['CANCELED']);
    await waitFor(
      'the TM series of the cancelled job to go',
      async () => ((await sumOverTms('flinkx_task_records_in_total', jobId)).series === 0 ? true : undefined),
      DEADLINE_MS,
    );
    const after = await scrape(`${jm}/metrics`);
    expect(samples(after, 'flinkx_job_restarts_total', { job_id: jobId })).toHaveLength(0);
    expect(samples(after, 'flinkx_jobs', { state: 'CANCELED' }).map((s) => s.value)).toEqual([1]);
  }, 180_000);

  async function runningUnboundedJob(jobId: string): Promise<void> {
    await waitForState(jobId, ['RUNNING']);
    const first = await waitFor(
      'records in on both TMs',
      async () => {
        const r = await sumOverTms('flinkx_task_records_in_total', jobId);
        return r.series === 2 && r.sum > 0 ? r.sum : undefined;
      },
      DEADLINE_MS,
    );
    await waitFor(
      'records in to grow',
      async () => ((await sumOverTms('flinkx_task_records_in_total', jobId)).sum > first ? true : undefined),
      DEADLINE_MS,
    );

    for (const address of tmMetrics.values()) {
      const f = await scrape(`${address}/metrics`);
      const [s] = samples(f, 'flinkx_task_records_out_total', { job_id: jobId });
      expect(s.labels).toEqual({
        job_id: jobId,
        job_name: 'metrics-unbounded',
        vertex: expect.any(String),
        subtask: expect.stringMatching(/^[01]$/),
      });
      expect(samples(f, 'flinkx_taskmanager_slots', { state: 'free' }).map((x) => x.value)).toEqual([0]);
      expect(samples(f, 'flinkx_taskmanager_slots', { state: 'used' }).map((x) => x.value)).toEqual([1]);
    }
    const jmFamilies = await scrape(`${jm}/metrics`);
    expect(
      samples(jmFamilies, 'flinkx_job_restarts_total', { job_id: jobId, job_name: 'metrics-unbounded' }).map(
        (s) => s.value,
      ),
    ).toEqual([0]);
    expect(samples(jmFamilies, 'flinkx_jobs', { state: 'RUNNING' }).map((s) => s.value)).toEqual([1]);
    for (const tm of tmMetrics.keys())
      expect(samples(jmFamilies, 'flinkx_taskmanager_slots', { tm, state: 'free' }).map((s) => s.value)).toEqual([0]);
  }

  test('a bounded job reads 5000 records and its TM series are gone once it FINISHED', async () => {
    const jobId = await submit({
      name: 'metrics-bounded',
      parallelism: 2,
      nodes: [
        { id: 'gen', type: 'source', connector: { kind: 'generator', count: 5000, format: 'sequence' } },
        { id: 'out', type: 'sink', inputs: ['gen'], connector: { kind: 'file', path: join(workDir, 'bounded') } },
      ],
    });
    const job = await waitForState(jobId, ['FINISHED']);
    expect(job.vertices.reduce((n: number, v: { recordsIn: number }) => n + v.recordsIn, 0)).toBe(5000);
    await waitFor(
      'the TM series of the finished job to go',
      async () => {
        for (const name of [
          'flinkx_task_records_in_total',
          'flinkx_task_records_out_total',
          'flinkx_task_busy_seconds_total',
        ]) {
          if ((await sumOverTms(name, jobId)).series > 0) return undefined;
        }
        return true;
      },
      DEADLINE_MS,
    );
    for (const address of tmMetrics.values()) {
      await waitFor(
        'a free slot on every TM',
        async () => {
          const [free] = samples(await scrape(`${address}/metrics`), 'flinkx_taskmanager_slots', { state: 'free' });
          return free?.value === 1 ? true : undefined;
        },
        DEADLINE_MS,
      );
    }
    const jmFamilies = await scrape(`${jm}/metrics`);
    expect(samples(jmFamilies, 'flinkx_job_restarts_total', { job_id: jobId })).toHaveLength(0);
    expect(samples(jmFamilies, 'flinkx_jobs', { state: 'FINISHED' }).map((s) => s.value)).toEqual([1]);
  }, 180_000);
});
