import { configureLogging } from '../../common/log';
import { NO_SECURITY } from '../../common/net/security-options';
import { DataServer, PeerConnection } from './data-connections';

configureLogging('error', 'text');

/** Resolves once `pred` holds; rejects after 5 s. */
async function until(pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('condition not reached within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('data connections', () => {
  test('a connection released when no attempt uses it closes in order: everything sent before arrives, and neither end counts it as lost; a broken one is lost at the accepting end', async () => {
    const frames: string[] = [];
    const serverLost: string[] = [];
    const server = new DataServer(
      NO_SECURITY,
      (f) => frames.push(f.ch),
      (peer, why) => serverLost.push(`${peer}: ${why}`),
    );
    const port = await server.listen('127.0.0.1', 0);
    try {
      const dialLost: string[] = [];
      const idle = new PeerConnection(`ws://127.0.0.1:${port}`, 'tm-a', NO_SECURITY, (why) => dialLost.push(why));
      for (let i = 0; i < 3; i++) idle.send({ t: 'credit', ch: `j/0/e/${i}`, slot: 0, n: 1 });
      idle.release();
      await until(() => frames.length === 3 && idle.closed && server.connections === 0);
      expect(frames).toEqual(['j/0/e/0', 'j/0/e/1', 'j/0/e/2']);
      expect([serverLost, dialLost]).toEqual([[], []]);

      const broken = new PeerConnection(`ws://127.0.0.1:${port}`, 'tm-b', NO_SECURITY, (why) => dialLost.push(why));
      broken.send({ t: 'credit', ch: 'k/0/e/0', slot: 0, n: 1 });
      await until(() => frames.length === 4);
      broken.close();
      await until(() => serverLost.length === 1);
      expect(serverLost).toEqual(['tm-b: inbound data connection closed']);
    } finally {
      await server.close();
    }
  });
});
