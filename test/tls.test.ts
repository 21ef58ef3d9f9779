/**
 * A cluster over TLS with a secret (certificates made by openssl for this test): https and wss on
 * every port, TaskManager↔TaskManager included; a word count is exact, and plain clients are refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { connect } from 'node:net';
import { join } from 'node:path';
import WebSocket from 'ws';
import { Cluster, tempDir } from './harness';
import { makeCertificates, type TestCertificates } from './tls';
import { expectedCounts, sinkCounts, wordcountJob, writeText } from './wordcount';

jest.setTimeout(240_000);

const portOf = (url: string) => Number(new URL(url).port);

/** Status of a GET over https trusting `ca` (or, without one, the system's CAs only). */
function httpsStatus(url: string, ca?: Buffer): Promise<number | string> {
  return new Promise((resolve) => {
    const req = request(url, { ca }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
    req.end();
  });
}

describe('a cluster over TLS with a secret', () => {
  let certs: TestCertificates;
  let cluster: Cluster;
  beforeAll(async () => {
    certs = makeCertificates();
    cluster = await Cluster.start([2, 2], { secret: 'tls-secret-0123456789abcdef', tls: certs });
  });
  afterAll(() => cluster.stop());

  test('every port speaks TLS only', async () => {
    const tms = await cluster.get<{ dataAddress: string; metricsAddress: string }[]>('/taskmanagers');
    expect(tms).toHaveLength(2);
    for (const t of tms) {
      expect(t.dataAddress).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/);
      expect(t.metricsAddress).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    }
    const ca = readFileSync(certs.ca);
    const ports = [cluster.port, ...tms.flatMap((t) => [portOf(t.dataAddress), portOf(t.metricsAddress)])];
    for (const port of ports) {
      // A plain WebSocket (and plain HTTP) client gets no answer: the socket is closed at the handshake.
      const plain = await new Promise<string>((resolve) => {
        const ws = new WebSocket(`ws://127.0.0.1:${port}/tm`);
        ws.on('open', () => resolve('open'));
        ws.on('error', (err) => resolve(`error: ${err.message}`));
      });
      expect({ port, plain }).toEqual({ port, plain: expect.stringMatching(/^error: /) });
      const answer = await new Promise<string>((resolve) => {
        let got = '';
        const s = connect(port, '127.0.0.1', () => s.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'));
        s.on('data', (d) => (got += d));
        s.on('error', () => resolve(got));
        s.on('close', () => resolve(got));
      });
      expect({ port, answer: answer.startsWith('HTTP/1.1 2') }).toEqual({ port, answer: false });
      // An https client that does not trust the cluster's CA refuses the server.
      expect(await httpsStatus(`https://127.0.0.1:${port}/metrics`)).toMatch(/CERT|SELF_SIGNED|UNABLE/);
      // With the CA, TLS works and the secret still applies.
      expect(await httpsStatus(`https://127.0.0.1:${port}/metrics`, ca)).toBe(
        port === cluster.port || tms.some((t) => portOf(t.metricsAddress) === port) ? 401 : 404,
      );
    }
  });

  test('a word count across both TaskManagers (wss between them) is exact', async () => {
    const dir = tempDir();
    const input = join(dir, 'input.txt');
    writeText(input, 20_000, 5);
    writeFileSync(join(dir, 'job.json'), JSON.stringify(wordcountJob(input, join(dir, 'out'), 4)));
    const jobId = await cluster.submit(join(dir, 'job.json'));
    const job = await cluster.waitForState(jobId, ['FINISHED']);
    expect(new Set(job.vertices.flatMap((v: any) => v.subtasks.map((s: any) => s.tm))).size).toBe(2);
    expect(sinkCounts(join(dir, 'out'))).toEqual(expectedCounts(readFileSync(input, 'utf8')));
  });
});
