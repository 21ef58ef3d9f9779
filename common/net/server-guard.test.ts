import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { DEFAULT_SERVER_LIMITS, guardedServer } from './server-guard';

/** Send `request` on a fresh connection; resolve with whatever the server answered before closing. */
function exchange(port: number, request: string, reset = false): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const s = connect(port, '127.0.0.1', () => {
      s.write(request);
      if (reset) setTimeout(() => s.resetAndDestroy(), 5);
    });
    s.on('data', (d) => (answer += d));
    s.on('error', () => resolve(answer));
    s.on('close', () => resolve(answer));
  });
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return (server.address() as AddressInfo).port;
}

describe('guardedServer', () => {
  let server: Server;
  let port: number;
  beforeEach(async () => {
    server = guardedServer(
      'test',
      (_, res) => res.end('ok'),
      (req, socket) => {
        if (req.url !== '/ws') return false;
        socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n');
        return true;
      },
      { ...DEFAULT_SERVER_LIMITS, maxHeaderBytes: 1024, maxConnectionsPerPeer: 3, headersTimeoutMs: 300 },
    );
    port = await listen(server);
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const upgrade = (path: string) =>
    `GET ${path} HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n`;

  test('an upgrade to an unknown path is answered 404 and closed', async () => {
    expect(await exchange(port, upgrade('/nope'))).toMatch(/^HTTP\/1.1 404 /);
    expect(await exchange(port, upgrade('/ws'))).toMatch(/^HTTP\/1.1 101 /);
  });

  test('garbage gets 400, an oversized head 431, and a reset mid-request is survived', async () => {
    expect(await exchange(port, 'GARBAGE\r\n\r\n\x00\xff')).toMatch(/^HTTP\/1.1 400 /);
    expect(await exchange(port, `GET / HTTP/1.1\r\nX: ${'a'.repeat(5000)}\r\n\r\n`)).toMatch(/^HTTP\/1.1 431 /);
    await exchange(port, upgrade('/nope'), true);
    await exchange(port, 'GET / HTT', true);
    expect(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')).toMatch(/ok$/);
  });

  test('a peer past its connection limit is closed; the others stay', async () => {
    const open = await Promise.all(
      [0, 1, 2].map(
        () =>
          new Promise<ReturnType<typeof connect>>((r) => {
            const s = connect(port, '127.0.0.1', () => r(s));
          }),
      ),
    );
    // The limit counts connections the server has accepted: the fourth is closed without an answer.
    while ((await new Promise<number>((r) => server.getConnections((_, n) => r(n)))) < 3)
      await new Promise((r) => setImmediate(r));
    expect(await exchange(port, 'GET / HTTP/1.1\r\nHost: x\r\n\r\n')).toBe('');
    for (const s of open) s.destroy();
  });

  test('a connection that sends nothing is closed after the header timeout', async () => {
    const closed = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.resume(); // read, so the server's FIN is seen
      s.on('close', () => resolve(true));
      s.on('error', () => undefined);
    });
    expect(closed).toBe(true);
  });
});
