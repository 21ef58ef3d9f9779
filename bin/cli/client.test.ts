import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { JobManagerError, RestClient } from './client';

let server: Server;
let base: string;
const answers = new Map<string, [number, unknown]>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const [status, body] = answers.get(req.url ?? '') ?? [404, { error: { code: 'NOT_FOUND', message: 'no' } }];
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const summary = { id: 'j1', name: 'n', state: 'RUNNING', parallelism: 2, restarts: 0, createdAt: 1, duration: 5 };

it('an answer of the expected shape comes back parsed', async () => {
  answers.set('/jobs', [200, [summary]]);
  await expect(new RestClient(base).request('GET', '/jobs')).resolves.toEqual([summary]);
});

it('an answer of another shape (another version of the JobManager) is an error naming the field', async () => {
  answers.set('/jobs', [200, [{ ...summary, state: 'SLEEPING' }]]);
  const err = await new RestClient(base).request('GET', '/jobs').catch((e: unknown) => e);
  expect(err).toBeInstanceOf(JobManagerError);
  expect((err as JobManagerError).code).toBe('UNEXPECTED_RESPONSE');
  expect((err as Error).message).toMatch(/answered GET \/jobs with an unexpected shape: 0\.state: /);
});

it('an error answer keeps its code, message and problems', async () => {
  answers.set('/jobs/x/cancel', [
    400,
    { error: { code: 'INVALID_JOB_FILE', message: 'bad', problems: [{ path: 'nodes[0].id', message: 'required' }] } },
  ]);
  const err = (await new RestClient(base)
    .request('POST', '/jobs/x/cancel')
    .catch((e: unknown) => e)) as JobManagerError;
  expect([err.code, err.message, err.problems]).toEqual([
    'INVALID_JOB_FILE',
    'bad',
    [{ path: 'nodes[0].id', message: 'required' }],
  ]);
});
