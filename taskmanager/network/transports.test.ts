import { MessageChannel } from 'node:worker_threads';
import { decodeBatch, encodeBatch, type Batch } from '../../common/protocol/batch';
import { decodeFrame, encodeFrame } from '../../common/protocol/codec';
import { DataConnectionFrame } from '../../common/protocol/data';
import { TestingChannelTransport } from './testing-channel-transport';
import { PeerSlotTransport, RemoteTransport, SameSlotTransport, TransportRouter } from './transports';

const batch = (): Batch => ({ records: [{ word: 'a', count: 1 }, 'b'], keyGroups: [3, 4], bytes: 0 });
const next = (port: MessageChannel['port2']) => new Promise<any>((resolve) => port.once('message', resolve));

describe('channel transports', () => {
  test('the router picks the same slot, another slot of this TM, or another TM by the destination', () => {
    const [same, peer, remote] = [
      new TestingChannelTransport(),
      new TestingChannelTransport(),
      new TestingChannelTransport(),
    ];
    const router = new TransportRouter({ tm: 'tm-1', slot: 0 }, same, peer, remote);
    const b0 = batch();
    const b2 = batch();
    router.sendBatch({ tm: 'tm-1', slot: 0 }, 'c0', b0);
    router.sendCredit({ tm: 'tm-1', slot: 1 }, 'c1', 2);
    router.sendBatch({ tm: 'tm-2', slot: 0 }, 'c2', b2);
    router.sendCredit({ tm: 'tm-2', slot: 1 }, 'c3', 4);
    expect([same.batches, same.credits]).toEqual([[{ dest: { tm: 'tm-1', slot: 0 }, ch: 'c0', batch: b0 }], []]);
    expect([peer.batches, peer.credits]).toEqual([[], [{ dest: { tm: 'tm-1', slot: 1 }, ch: 'c1', n: 2 }]]);
    expect([remote.batches, remote.credits]).toEqual([
      [{ dest: { tm: 'tm-2', slot: 0 }, ch: 'c2', batch: b2 }],
      [{ dest: { tm: 'tm-2', slot: 1 }, ch: 'c3', n: 4 }],
    ]);
  });

  test('the same slot hands the batch object itself to the gate: nothing is serialized', () => {
    const got: [string, unknown][] = [];
    const t = new SameSlotTransport({ deliver: (ch, b) => got.push([ch, b]), credit: (ch, n) => got.push([ch, n]) });
    const b = batch();
    t.sendBatch({ tm: 'x', slot: 0 }, 'c', b);
    t.sendCredit({ tm: 'x', slot: 0 }, 'c', 3);
    expect(got[0]![1]).toBe(b);
    expect(got[1]).toEqual(['c', 3]);
  });

  test('another slot gets the encoded batch over its port; a slot with no port is an error', async () => {
    const { port1, port2 } = new MessageChannel();
    const t = new PeerSlotTransport([undefined, port1]);
    const arrived = next(port2);
    t.sendBatch({ tm: 'x', slot: 1 }, 'c', batch());
    const m = await arrived;
    expect(m.kind).toBe('data');
    expect(decodeBatch(m.payload)).toMatchObject({ records: [{ word: 'a', count: 1 }, 'b'], keyGroups: [3, 4] });
    expect(() => t.sendCredit({ tm: 'x', slot: 2 }, 'c', 1)).toThrow(/no port to slot 2/);
    port1.close();
  });

  test('another TM: the whole data frame is encoded in the slot, the same bytes encodeFrame writes', async () => {
    const { port1, port2 } = new MessageChannel();
    const t = new RemoteTransport(port1 as never);
    const arrived = next(port2);
    const b = batch();
    t.sendBatch({ tm: 'tm-9', slot: 3 }, 'c', b);
    const m = await arrived;
    expect(m).toMatchObject({ kind: 'remote-data', dest: { tm: 'tm-9', slot: 3 }, ch: 'c' });
    expect(Buffer.from(m.frame)).toEqual(
      encodeFrame({ t: 'data', ch: 'c', slot: 3, payload: encodeBatch(b) as Uint8Array<ArrayBuffer> }),
    );
    const frame = decodeFrame(DataConnectionFrame, m.frame);
    expect(frame).toMatchObject({ t: 'data', ch: 'c', slot: 3 });
    expect(decodeBatch((frame as { payload: Uint8Array }).payload).records).toEqual([{ word: 'a', count: 1 }, 'b']);
    port1.close();
  });
});
