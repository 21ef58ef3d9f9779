import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HealthSchema, type HealthProblem } from '../../common/protocol/rest';
import type { Dispatcher } from '../dispatcher';
import { JobStoreError } from '../ha/job-store';
import { handle, restRoutes } from './rest';

/** The routes on a loopback port, with a dispatcher that has only what a test gives it. */
async function serve(
  dispatcher: Partial<Dispatcher>,
  problems: () => HealthProblem[],
): Promise<{ url: string; server: Server }> {
  const routes = restRoutes(dispatcher as Dispatcher, problems);
  const server = createServer((req, res) => void handle(routes, req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('REST on a full data dir', () => {
  it('GET /health: UP (200) while every write succeeds, DEGRADED (503) with each failing write while one does not', async () => {
    let problems: HealthProblem[] = [];
    const { url, server } = await serve({}, () => problems);
    try {
      const up = await fetch(`${url}/health`);
      expect(up.status).toBe(200);
      expect(HealthSchema.parse(await up.json())).toEqual({ status: 'UP', problems: [] });
      problems = [
        {
          what: 'the status of job j',
          code: 'JOB_STORE',
          message: 'cannot store the status of job j under /d/jobs: ENOSPC: no space left on device, write',
          since: 5,
        },
      ];
      const degraded = await fetch(`${url}/health`);
      expect(degraded.status).toBe(503);
      expect(HealthSchema.parse(await degraded.json())).toEqual({ status: 'DEGRADED', problems });
    } finally {
      server.close();
    }
  });

  it('GET /health only: another method, a longer path or a body of garbage gets a JSON error, and the server answers on', async () => {
    const { url, server } = await serve({}, () => []);
    try {
      const post = await fetch(`${url}/health`, { method: 'POST', body: '\u0000{garbage' });
      expect(post.status).toBe(405);
      expect(((await post.json()) as { error: { code: string } }).error.code).toBe('METHOD_NOT_ALLOWED');
      const deeper = await fetch(`${url}/health/../health/x`);
      expect(deeper.status).toBe(404);
      expect((await fetch(`${url}/health?%zz`)).status).toBe(200);
    } finally {
      server.close();
    }
  });

  it('a job that cannot be stored at submission is refused with 503 JOB_STORE: it may be accepted once space is freed', async () => {
    const submit = () =>
      Promise.reject(new JobStoreError('cannot store job x under /d/jobs: ENOSPC: no space left on device, write'));
    const { url, server } = await serve({ submit } as Partial<Dispatcher>, () => []);
    try {
      const res = await fetch(`${url}/jobs`, { method: 'POST', body: JSON.stringify({ job: {} }) });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({
        error: {
          code: 'JOB_STORE',
          message: 'cannot store job x under /d/jobs: ENOSPC: no space left on device, write',
        },
      });
    } finally {
      server.close();
    }
  });
});
