/**
 * The web dashboard at `/`, driven in headless Chromium (playwright-core) against real processes started
 * from dist/: a JobManager, one TaskManager with 2 slots, and an unbounded event-time windowed word count (with checkpoints) submitted with the
 * CLI. It finds the job on the overview, opens its page, sees the SVG graph (vertices, an edge labelled
 * hash(word)), live records/s, the window vertex's watermark and lag, the per-vertex charts (records/s,
 * back-pressure, watermark lag as SVG polylines over several polls), the checkpoint summary line and the
 * subtasks, then cancels the job with the button and checks over REST
 * that it ends CANCELED. A second test serves the page with canned API answers (and no CSP, so escaping
 * alone is what keeps hostile strings inert) to cover the checkpoint history and a branching graph.
 * A third runs against a cluster with a secret: the page asks for the REST token once and sends it.
 *
 *   npm run build && npx jest test/dashboard.test.ts
 *
 * Needs Chromium at /usr/bin/chromium (or CHROMIUM_PATH); test/run-all.sh installs it.
 * A screenshot of the job page is written to /tmp/dashboard.png.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ClusterSecret } from '../common/net/cluster-secret';
import { CheckpointsSchema, JobDetailsSchema, TaskManagerInfoSchema } from '../common/protocol/rest';
import { Cluster, ROOT, tempDir, waitFor } from './harness';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const SCREENSHOT = '/tmp/dashboard.png';
/** The dashboard's static files, as the build copies them. */
const DASHBOARD_DIR = join(ROOT, 'dist', 'jobmanager', 'dashboard');
const UI_TIMEOUT_MS = 30_000;

// test/run-all.sh installs Debian's chromium; a missing browser fails the suite rather than skipping it.
if (!existsSync(CHROMIUM))
  throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium, or set CHROMIUM_PATH`);

jest.setTimeout(120_000);

interface JobDetails {
  state: string;
  vertices: { id: string; subtasks: { state: string }[] }[];
}

/** Console errors that mean the page itself is broken (a 404 from probing /checkpoints is expected). */
function watchPage(page: Page): string[] {
  const problems: string[] = [];
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 404/.test(m.text())) problems.push(`console error: ${m.text()}`);
  });
  return problems;
}

let browser: Browser | undefined;
let cluster: Cluster | undefined;
let dir: string | undefined;
let mockServer: Server | undefined;

beforeAll(async () => {
  if (!existsSync(join(DASHBOARD_DIR, 'index.html')))
    throw new Error('dist/ is missing the dashboard: run `npm run build` first');
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
  await cluster?.stop(5_000);
  await new Promise<void>((r) => (mockServer ? mockServer.close(() => r()) : r()));
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('dashboard', () => {
  it('shows a running job, its graph and subtasks, and cancels it', async () => {
    dir = tempDir('flinkx-dashboard-');
    const c = (cluster = await Cluster.start([2]));
    const base = c.url;
    await waitFor(
      'the TaskManager to register',
      async () => {
        const body = await c.get<{ slots: number }[]>('/taskmanagers');
        return body.length === 1 && body[0].slots === 2 ? true : undefined;
      },
      UI_TIMEOUT_MS,
      c.logs,
    );

    // A name with markup in it: it must show up as text, never as HTML.
    const name = `dashboard <i>e2e</i> & "words" ${randomBytes(3).toString('hex')}`;
    const jobFile = join(dir, 'job.json');
    // An unbounded event-time windowed count: words stamped with the wall clock, so its watermark
    // trails the clock by about the out-of-orderness bound.
    writeFileSync(join(dir, 'functions.js'), 'exports.stamp = (r) => ({ ...r, ts: Date.now() });\n');
    writeFileSync(
      jobFile,
      JSON.stringify({
        name,
        parallelism: 2,
        functions: 'functions.js',
        checkpointing: { interval: 500 },
        nodes: [
          { id: 'lines', type: 'source', connector: { kind: 'generator', rate: 500 } },
          { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
          {
            id: 'stamped',
            type: 'map',
            inputs: ['words'],
            fn: 'stamp',
            timestamps: { field: 'ts', maxOutOfOrderness: '1s' },
          },
          {
            id: 'counts',
            type: 'window',
            inputs: ['stamped'],
            keyBy: 'word',
            window: { kind: 'tumbling', size: '1s' },
            aggregate: 'count',
          },
          { id: 'out', type: 'sink', inputs: ['counts'], connector: { kind: 'file', path: 'out' } },
        ],
      }),
    );
    const jobId = (await c.submit(jobFile)).split(/\s+/).pop()!;
    expect(jobId).toMatch(/^[0-9a-f]+$/);

    const page = await browser!.newPage({ viewport: { width: 1360, height: 1000 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    const problems = watchPage(page);

    // Overview: the TaskManager with its slots, the job by name.
    await page.goto(`${base}/`);
    await page.locator('#taskmanagers tbody tr').filter({ hasText: '2 / 2' }).waitFor();
    const link = page.getByRole('link', { name, exact: true });
    await link.waitFor();
    await page.locator(`#jobs tr[data-job-id="${jobId}"] .badge`).filter({ hasText: 'RUNNING' }).waitFor();
    expect(await page.locator('#jobs i').count()).toBe(0); // the <i> in the name stayed text

    // Job page.
    await link.click();
    await page.waitForURL((url) => url.hash === `#/jobs/${jobId}`);
    await page.locator('#job-name').filter({ hasText: name }).waitFor();
    const graph = page.locator('svg#job-graph');
    const source = graph.locator('g.vertex[data-vertex-id="lines"]');
    const keyed = graph.locator('g.vertex[data-vertex-id="counts"]');
    await source.filter({ hasText: 'lines -> words' }).filter({ hasText: 'parallelism 2' }).waitFor();
    await keyed.filter({ hasText: 'counts -> out' }).waitFor();
    await graph.locator('text.elabel', { hasText: 'hash(word)' }).waitFor();
    expect(await graph.locator('path.edge').count()).toBe(1);
    const [sx, kx] = [(await source.boundingBox())!.x, (await keyed.boundingBox())!.x];
    expect(sx).toBeLessThan(kx); // laid out left to right by depth

    // Live figures: records/s arrive with the heartbeats after the page was drawn.
    await page.waitForFunction(() =>
      /in [1-9]/.test(document.querySelector('[data-vertex-id="lines"] .vrate')?.textContent ?? ''),
    );
    await page.waitForFunction(() =>
      /back-pressure \d+%/.test(document.querySelector('[data-vertex-id="counts"] .vbp')?.textContent ?? ''),
    );
    await page.waitForFunction(() => {
      const rows = [...document.querySelectorAll('#subtasks tbody tr')];
      return rows.length === 4 && rows.every((r) => r.textContent!.includes('RUNNING') && /tm-/.test(r.textContent!));
    });
    await page.locator('#exceptions').filter({ hasText: 'No exceptions.' }).waitFor();

    // Event time: the window vertex shows a watermark (a clock time) and its lag; the subtasks theirs.
    await page.waitForFunction(() => {
      const row = document.querySelector('#vertices tr[data-vertex-id="counts"]');
      return (
        /\d:\d\d/.test(row?.querySelector('.vwm')?.textContent ?? '') &&
        /\d(ms|s)/.test(row?.querySelector('.vlag')?.textContent ?? '')
      );
    });
    // `flinkx status` shows the same: as text (an ISO instant and its lag) and in --json.
    expect(c.cli(['status', jobId]).stdout).toMatch(
      /WATERMARK[\s\S]*counts -> out .* \d{4}-\d\d-\d\dT[\d:.]+Z \((lag|ahead) [\d.]+s\)/,
    );
    const status = JSON.parse(c.cli(['status', jobId, '--json']).stdout) as {
      vertices: { id: string; watermark?: number; watermarkLag?: number }[];
    };
    const counts = status.vertices.find((v) => v.id === 'counts')!;
    expect(typeof counts.watermark).toBe('number');
    expect(typeof counts.watermarkLag).toBe('number');

    // Charts: per vertex, records/s, back-pressure and watermark lag, each a polyline of several polls.
    const chartPoints = (vertex: string, metric: string) =>
      page.waitForFunction(
        ([v, m]) => {
          const pts =
            document
              .querySelector(`#charts tr[data-vertex-id="${v}"] svg.spark[data-metric="${m}"] polyline`)
              ?.getAttribute('points') ?? '';
          return pts.trim().split(/\s+/).filter(Boolean).length >= 3;
        },
        [vertex, metric],
      );
    await chartPoints('lines', 'records-per-second');
    await chartPoints('counts', 'back-pressure');
    await chartPoints('counts', 'watermark-lag');

    // Checkpoints (every 500ms) in one readable line.
    await page.locator('#checkpoints').waitFor({ state: 'visible' });
    await page
      .locator('#checkpoint-summary')
      .filter({
        hasText: /^[1-9]\d* completed, \d+ failed · latest #\d+ [\d.]+ (B|KiB|MiB) in [\d.]+m?s, [\d.]+(ms|s) ago$/,
      })
      .waitFor();

    await page.screenshot({ path: SCREENSHOT, fullPage: true });

    // Cancel: two clicks (button, then confirm), the page shows CANCELLING/CANCELED, REST says CANCELED.
    await page.locator('#cancel-job').click();
    await page.locator('#confirm-cancel').click();
    await page
      .locator('#job-state .badge')
      .filter({ hasText: /^CANCEL(LING|ED)$/ })
      .waitFor();
    let last: JobDetails | undefined;
    await waitFor(
      'the job to be CANCELED',
      async () => {
        last = await c.get<JobDetails>(`/jobs/${jobId}`);
        return last.state === 'CANCELED' ? true : undefined;
      },
      UI_TIMEOUT_MS,
      () =>
        `\nlast seen: ${last?.state} ${last?.vertices.map((v) => `${v.id}[${v.subtasks.map((t) => t.state)}]`).join(' ')}${c.logs()}`,
    );
    await page
      .locator('#job-state .badge')
      .filter({ hasText: /^CANCELED$/ })
      .waitFor();
    expect(await page.locator('#cancel-job').isDisabled()).toBe(true);

    // Back on the overview the job is listed as canceled.
    await page.locator('a.back').click();
    await page.locator(`#jobs tr[data-job-id="${jobId}"] .badge`).filter({ hasText: 'CANCELED' }).waitFor();

    expect(problems).toEqual([]);
    await page.close();
  });

  it('renders checkpoint history and a branching graph, keeping hostile strings as text', async () => {
    const { DASHBOARD_FILES } = require(join(DASHBOARD_DIR, 'dashboard.js')) as {
      DASHBOARD_FILES: Record<string, string>;
    };
    const evil = '<img src=x onerror="window.__pwned=1">';
    const now = Date.now();
    // Canned answers in the shapes the JobManager answers with, checked by the schemas it shares.
    const job = JobDetailsSchema.parse({
      id: 'j1',
      name: `job ${evil}`,
      state: 'RUNNING',
      parallelism: 2,
      restarts: 1,
      createdAt: now - 60_000,
      startTime: now - 60_000,
      duration: 60_000,
      attempt: 1,
      maxParallelism: 128,
      checkpointing: { interval: 1000, mode: 'exactly-once' },
      restartStrategy: { strategy: 'fixed-delay', attempts: 3, delay: 1000 },
      checkpoints: {
        latestCompleted: 3,
        completed: 2,
        failed: 1,
        latestCompletedAt: now - 900,
        latestCompletedSize: 4096,
      },
      vertices: [
        {
          id: 'a',
          name: `clicks ${evil}`,
          parallelism: 2,
          nodes: [{ id: 'a', type: 'source' }],
          recordsIn: 10,
          recordsOut: 10,
          recordsInPerSecond: 5,
          recordsOutPerSecond: 5,
          backPressuredMs: 0,
          subtasks: [],
        },
        {
          id: 'b',
          name: 'views',
          parallelism: 1,
          nodes: [{ id: 'b', type: 'source' }],
          recordsIn: 0,
          recordsOut: 0,
          recordsInPerSecond: 0,
          recordsOutPerSecond: 0,
          backPressuredMs: 0,
          subtasks: [],
        },
        {
          id: 'c',
          name: 'joined',
          parallelism: 2,
          nodes: [{ id: 'c', type: 'map' }],
          recordsIn: 0,
          recordsOut: 0,
          recordsInPerSecond: 0,
          recordsOutPerSecond: 0,
          backPressuredMs: 0,
          subtasks: [],
        },
        {
          id: 'd',
          name: 'per-user',
          parallelism: 2,
          nodes: [{ id: 'd', type: 'count' }],
          recordsIn: 0,
          recordsOut: 0,
          recordsInPerSecond: 0,
          recordsOutPerSecond: 0,
          backPressuredMs: 0,
          watermark: now - 61_000,
          watermarkLag: 61_000,
          subtasks: [],
        },
      ],
      edges: [
        { id: 'a->c', source: 'a', target: 'c', partitioner: 'forward' },
        { id: 'b->c', source: 'b', target: 'c', partitioner: 'rebalance' },
        { id: 'c->d', source: 'c', target: 'd', partitioner: 'hash', keyBy: `u${evil}` },
        { id: 'a->d', source: 'a', target: 'd', partitioner: 'broadcast' },
      ],
      exceptions: [
        { time: now - 5000, attempt: 0, task: 'c[1]', message: `boom ${evil}`, stack: `Error: boom ${evil}\n    at x` },
      ],
    });
    const latestCheckpoint = {
      id: 3,
      attempt: 1,
      status: 'COMPLETED',
      triggerTime: now - 1000,
      duration: 95,
      size: 4096,
      acknowledged: 4,
      total: 4,
    };
    const routes: Record<string, unknown> = {
      '/jobs': [job],
      '/taskmanagers': [
        TaskManagerInfoSchema.parse({
          id: `tm ${evil}`,
          slots: 4,
          freeSlots: 2,
          dataAddress: 'ws://h:1',
          registeredAt: now,
          lastHeartbeat: now,
          queuedBytes: 0,
        }),
      ],
      '/jobs/j1': job,
      '/jobs/j1/checkpoints': CheckpointsSchema.parse({
        counts: { completed: 2, failed: 1, inProgress: 0 },
        latest: latestCheckpoint,
        history: [
          latestCheckpoint,
          {
            id: 2,
            attempt: 1,
            status: 'FAILED',
            triggerTime: now - 2000,
            duration: 80,
            size: 0,
            acknowledged: 1,
            total: 4,
            failureReason: `c[1] declined: ${evil}`,
          },
          {
            id: 1,
            attempt: 1,
            status: 'COMPLETED',
            triggerTime: now - 3000,
            duration: 120,
            size: 2048,
            acknowledged: 4,
            total: 4,
          },
        ],
      }),
    };
    // No CSP here on purpose: only the page's own escaping keeps the strings above inert.
    mockServer = createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const file = path === '/' ? 'index.html' : path.slice(1);
      if (Object.hasOwn(DASHBOARD_FILES, file))
        return void res
          .writeHead(200, { 'content-type': DASHBOARD_FILES[file] })
          .end(readFileSync(join(DASHBOARD_DIR, file)));
      if (path in routes)
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(routes[path]));
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"code":"NOT_FOUND","message":"no"}}');
    });
    await new Promise<void>((r) => mockServer!.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(mockServer.address() as AddressInfo).port}`;

    const page = await browser!.newPage({ viewport: { width: 1360, height: 1000 } });
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    const problems = watchPage(page);
    await page.goto(`${base}/`);
    await page.getByRole('link', { name: `job ${evil}`, exact: true }).waitFor();
    await page
      .locator('#taskmanagers')
      .filter({ hasText: `tm ${evil}` })
      .waitFor();
    await page.goto(`${base}/#/jobs/j1`);
    await page.locator('#checkpoints').waitFor({ state: 'visible' });
    await page.waitForFunction(() => document.querySelectorAll('#checkpoints tbody tr').length === 3);
    await page
      .locator('#checkpoints')
      .filter({ hasText: `c[1] declined: ${evil}` })
      .waitFor();
    await page.locator('#checkpoints .badge', { hasText: 'FAILED' }).waitFor();
    await page
      .locator('#checkpoint-summary')
      .filter({ hasText: /^2 completed, 1 failed · latest #3 4\.0 KiB in 95ms, [\d.]+(ms|s) ago$/ })
      .waitFor();
    await page.locator('#vertices tr[data-vertex-id="d"] .vlag').filter({ hasText: '1m 1s' }).waitFor();
    expect(await page.locator('#vertices tr[data-vertex-id="c"] .vlag').textContent()).toBe('–');
    await page
      .locator('#exceptions')
      .filter({ hasText: `boom ${evil}` })
      .waitFor();
    await page.locator('#job-graph text.elabel', { hasText: 'broadcast' }).waitFor();
    expect(await page.locator('#job-graph path.edge').count()).toBe(4);

    // Depth: a, b at 0; c at 1; d at 2 (it is also fed by a directly).
    const x = async (id: string) =>
      (await page.locator(`#job-graph g.vertex[data-vertex-id="${id}"]`).boundingBox())!.x;
    const [xa, xb, xc, xd] = [await x('a'), await x('b'), await x('c'), await x('d')];
    expect(xa).toBe(xb);
    expect(xa).toBeLessThan(xc);
    expect(xc).toBeLessThan(xd);

    expect(await page.locator('img').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect(problems).toEqual([]);
    await page.screenshot({ path: join(tmpdir(), 'dashboard-mock.png'), fullPage: true });
    await page.close();
  });

  it('on a cluster with a secret, asks for the token once and sends it', async () => {
    await cluster?.stop(5_000);
    const secret = 'dashboard-secret-0123456789abcdef';
    const c = (cluster = await Cluster.start([2], { secret }));
    const token = new ClusterSecret(secret).restToken;
    const page = await browser!.newPage();
    page.setDefaultTimeout(UI_TIMEOUT_MS);
    const prompts: string[] = [];
    page.on('dialog', (d) => {
      prompts.push(d.message());
      void d.accept(token);
    });
    await page.goto(`${c.url}/`);
    await page.locator('#taskmanagers tbody tr').filter({ hasText: '0 / 2' }).waitFor();
    // Later polls and a reload (same tab: sessionStorage) send the stored token without asking.
    await page.reload();
    await page.locator('#taskmanagers tbody tr').filter({ hasText: '0 / 2' }).waitFor();
    await waitFor(
      'a few more polls',
      async () =>
        (await page.evaluate(
          () => performance.getEntriesByType('resource').filter((e) => /taskmanagers/.test(e.name)).length,
        )) >= 3 || undefined,
      UI_TIMEOUT_MS,
    );
    expect(prompts).toEqual([expect.stringMatching(/REST token/)]);
    await page.close();
  });
});
