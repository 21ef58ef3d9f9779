/**
 * A cluster with a secret: only TaskManagers that prove they hold it get in (JM registration and
 * TM↔TM data connections), REST and metrics need the bearer token, and a word count is exact.
 */
import { createHmac } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { Cluster, ROOT, secretArgs, tempDir, waitFor } from './harness';
import { expectedCounts, sinkCounts, wordcountJob, writeText } from './wordcount';

jest.setTimeout(240_000);

const SECRET = 'test-secret-0123456789abcdef';
const packr = new Packr({ useRecords: false });
/** The token as README documents it, computed here independently of flinkx. */
const TOKEN = createHmac('sha256', SECRET).update('rest').digest('hex');

test('a JobManager or TaskManager on a non-loopback address without a secret refuses to start', () => {
  const { FLINKX_SECRET: _, ...env } = process.env;
  for (const bin of ['flinkx-jm', 'flinkx-tm']) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', `${bin}.js`), 'start', '--host', '0.0.0.0'], {
      encoding: 'utf8',
      timeout: 60_000,
      env,
    });
    expect({ bin, status: r.status }).toEqual({ bin, status: 1 });
    expect(r.stderr).toMatch(/--host: 0\.0\.0\.0 is not a loopback address.*--secret-file.*--insecure/);
  }
});

describe('a cluster with a secret', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2, 2], { secret: SECRET });
  });
  afterAll(() => cluster.stop());

  test('REST and metrics answer 401 without the token, the dashboard files are served', async () => {
    const tms = await cluster.get<{ id: string; metricsAddress: string }[]>('/taskmanagers');
    expect(tms).toHaveLength(2);
    for (const url of [
      `${cluster.url}/jobs`,
      `${cluster.url}/taskmanagers`,
      `${cluster.url}/metrics`,
      `${cluster.url}/prometheus/targets`,
      `${tms[0].metricsAddress}/metrics`,
    ]) {
      for (const headers of [
        {} as Record<string, string>,
        { authorization: 'Bearer wrong' },
        { authorization: `Basic ${TOKEN}` },
      ]) {
        const res = await fetch(url, { headers });
        expect({ url, headers, status: res.status }).toEqual({ url, headers, status: 401 });
        expect(await res.json()).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.any(String) } });
      }
      expect((await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    }
    const post = await fetch(`${cluster.url}/jobs`, { method: 'POST', body: '{"job": {}}' });
    expect(post.status).toBe(401);
    expect((await fetch(`${cluster.url}/`)).status).toBe(200);
    expect(cluster.logs()).toMatch(/refused an HTTP request.*peer=127\.0\.0\.1/);
  });

  test('the CLI needs the secret; `flinkx token` prints the documented token', () => {
    const flinkx = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync(process.execPath, [join(ROOT, 'bin', 'flinkx.js'), ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
        timeout: 60_000,
      });
    const without = flinkx(['list', '--jobmanager', cluster.url]);
    expect(without.status).toBe(1);
    expect(without.stderr).toMatch(/Bearer/);
    expect(flinkx(['list', '--jobmanager', cluster.url], { FLINKX_SECRET: SECRET }).status).toBe(0);
    expect(cluster.cli(['list']).status).toBe(0);
    expect(flinkx(['token', ...secretArgs(SECRET)]).stdout.trim()).toBe(TOKEN);
    expect(flinkx(['token'], { FLINKX_SECRET: SECRET }).stdout.trim()).toBe(TOKEN);
  });

  test('a TaskManager without the secret or with a wrong one is refused and never gets slots', async () => {
    const none = cluster.startTaskManager(4, { securityArgs: [] });
    const wrong = cluster.startTaskManager(4, { securityArgs: secretArgs('another-secret-0123456789') });
    const idOf = (p: { output: string }) => /tm=(tm-\w+) /.exec(p.output)?.[1];
    const ids = await waitFor(
      'both TaskManagers started',
      () => (idOf(none) && idOf(wrong) ? [idOf(none)!, idOf(wrong)!] : undefined),
      60_000,
    );
    await waitFor(
      'the JobManager refusing both',
      () => {
        const jm = cluster.procs[0].output;
        return (
          (new RegExp(`refused a TaskManager peer=127\\.0\\.0\\.1 reason="?${ids[0]}: no proof`).test(jm) &&
            new RegExp(`refused a TaskManager peer=127\\.0\\.0\\.1 reason="?${ids[1]}: wrong proof`).test(jm)) ||
          undefined
        );
      },
      30_000,
      cluster.logs,
    );
    const registered = (await cluster.get<{ id: string }[]>('/taskmanagers')).map((t) => t.id);
    expect(registered).toHaveLength(2);
    expect(registered).not.toContain(ids[0]);
    expect(registered).not.toContain(ids[1]);
    await Promise.all([none.stop(), wrong.stop()]);
  });

  test('a data connection without the proof is refused before any frame of it is taken', async () => {
    const [tm] = await cluster.get<{ dataAddress: string }[]>('/taskmanagers');
    for (const proof of [undefined, 'f'.repeat(64)]) {
      const code = await new Promise<number>((resolve) => {
        const ws = new WebSocket(tm.dataAddress);
        ws.on('error', () => undefined);
        ws.on('message', () => {
          ws.send(packr.pack({ v: 1, t: 'hello', tmId: 'intruder', ...(proof ? { proof } : {}) }));
          ws.send(packr.pack({ v: 1, t: 'credit', ch: 'x/0/a/0/0', slot: 0, n: 1 }));
        });
        ws.on('close', (c) => resolve(c));
      });
      expect(code).toBe(1008);
    }
    await waitFor(
      'the refusal logged',
      () =>
        /refused a data connection peer=127\.0\.0\.1 reason="?intruder: wrong proof/.test(cluster.logs(100_000)) ||
        undefined,
      10_000,
    );
  });

  test('a word count across both TaskManagers is exact', async () => {
    const dir = tempDir();
    const input = join(dir, 'input.txt');
    writeText(input, 20_000, 3);
    writeFileSync(join(dir, 'job.json'), JSON.stringify(wordcountJob(input, join(dir, 'out'), 4)));
    const jobId = await cluster.submit(join(dir, 'job.json'));
    const job = await cluster.waitForState(jobId, ['FINISHED']);
    expect(new Set(job.vertices.flatMap((v: any) => v.subtasks.map((s: any) => s.tm))).size).toBe(2);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(input, 'utf8')));
  });
});
