/**
 * A severed KafkaClient reaches no broker: its open sockets are destroyed and every later
 * connection attempt (kafkajs retrying a request, say) is refused inside the process. A closed
 * exactly-once sink relies on it: a producer of a failed attempt must never initialize later and
 * fence the next attempt's transactions. The "broker" is a TCP server that accepts and never
 * answers, which counts its connections.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { KafkaClient } from './kafka-client';
import { configureLogging } from '../../../common/log';

configureLogging('error', 'text');

async function waitUntil(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let server: Server;
const sockets: Socket[] = [];

beforeAll(async () => {
  server = createServer((s) => {
    sockets.push(s);
    s.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((r) => server.close(r));
});

test('after sever(), a request being retried fails without opening another connection', async () => {
  const { port } = server.address() as AddressInfo;
  const client = new KafkaClient([`127.0.0.1:${port}`], 'sever-test');
  const request = client.partitions('t').then(
    () => undefined,
    (err: Error) => err,
  );
  await waitUntil('the client to connect', () => sockets.length === 1);
  client.sever();
  const err = await request;
  expect(err).toBeInstanceOf(Error);
  expect(sockets).toHaveLength(1);
  await client.close();
}, 60_000);

/** `p`'s value if it settles within `ms`, else 'timed out'. */
async function within<T>(p: Promise<T>, ms: number): Promise<T | 'timed out'> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([p, new Promise<'timed out'>((r) => (timer = setTimeout(() => r('timed out'), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

test('after sever(), a request in flight fails and close() resolves without waiting for the request timeout', async () => {
  const { port } = server.address() as AddressInfo;
  const client = new KafkaClient([`127.0.0.1:${port}`], 'sever-close-test');
  const before = sockets.length;
  // Connecting the internal cluster sends ApiVersions, which the silent broker never answers.
  const request = client.commitOffsets('g', 't', new Map([[0, 1]])).then(
    () => 'answered',
    (err: Error) => err,
  );
  await waitUntil('the client to connect', () => sockets.length === before + 1);
  client.sever();
  // The request timeout is 10 s (client-settings.ts): well past this bound.
  expect(await within(Promise.all([request, client.close()]), 5_000)).not.toBe('timed out');
  expect(await request).toBeInstanceOf(Error);
}, 60_000);
