/**
 * A real Prometheus server (Debian's package; test/run-all.sh installs it) configured only with
 * http_sd_configs pointing at the JobManager's /prometheus/targets scrapes the whole cluster.
 */
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, freePort, Proc, tempDir, waitFor } from './harness';

jest.setTimeout(120_000);

const PROMETHEUS = process.env.PROMETHEUS_PATH ?? '/usr/bin/prometheus';
if (!existsSync(PROMETHEUS))
  throw new Error(`no Prometheus at ${PROMETHEUS}: apt-get install prometheus, or set PROMETHEUS_PATH`);

describe('Prometheus with http_sd discovery', () => {
  let cluster: Cluster;
  let prometheus: Proc;
  let api: string;

  beforeAll(async () => {
    cluster = await Cluster.start([1, 1]);
    const dir = tempDir();
    const port = await freePort();
    api = `http://127.0.0.1:${port}/api/v1`;
    writeFileSync(
      join(dir, 'prometheus.yml'),
      `global: { scrape_interval: 1s }\nscrape_configs:\n  - job_name: flinkx\n    http_sd_configs: [{ url: "${cluster.url}/prometheus/targets", refresh_interval: 1s }]\n`,
    );
    prometheus = new Proc(
      spawn(
        PROMETHEUS,
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--web.listen-address=127.0.0.1:${port}`,
        ],
        {
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      ),
    );
  });
  afterAll(async () => {
    prometheus?.kill('SIGKILL');
    await cluster.stop();
  });

  const query = async (q: string): Promise<number | undefined> => {
    const body = (await (await fetch(`${api}/query?query=${encodeURIComponent(q)}`)).json()) as {
      data: { result: { value: [number, string] }[] };
    };
    const v = body.data.result[0]?.value[1];
    return v === undefined ? undefined : Number(v);
  };

  test('scrapes the JM and both TMs, and sum(flinkx_task_records_in_total) grows while an unbounded job runs', async () => {
    const targets = await waitFor(
      'three healthy targets',
      async () => {
        const body = (await (await fetch(`${api}/targets`)).json()) as {
          data: { activeTargets: { labels: Record<string, string>; health: string }[] };
        };
        const active = body.data.activeTargets;
        return active.length === 3 && active.every((t) => t.health === 'up') ? active : undefined;
      },
      60_000,
    );
    expect(targets.map((t) => t.labels.flinkx_role).sort()).toEqual(['jobmanager', 'taskmanager', 'taskmanager']);

    const dir = tempDir();
    const job = {
      name: 'prometheus-unbounded',
      parallelism: 2,
      nodes: [
        { id: 'gen', type: 'source', connector: { kind: 'generator', rate: 3000 } },
        { id: 'words', type: 'flatMap', inputs: ['gen'], fn: 'tokenize' },
        { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
        { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: join(dir, 'out') } },
      ],
    };
    writeFileSync(join(dir, 'job.json'), JSON.stringify(job));
    await cluster.submit(join(dir, 'job.json'));
    const first = await waitFor(
      'records in scraped',
      async () => {
        const v = await query('sum(flinkx_task_records_in_total)');
        return v !== undefined && v > 0 ? v : undefined;
      },
      60_000,
    );
    await waitFor(
      'records in to grow',
      async () => ((await query('sum(flinkx_task_records_in_total)'))! > first ? true : undefined),
      60_000,
    );
    expect(await query('count(count by (instance) (flinkx_task_records_in_total))')).toBe(2);
  });
});
