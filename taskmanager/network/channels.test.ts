/**
 * OutputChannel, InputGate and their options (./channels.ts), one file like the module they test;
 * a little over 300 lines, which a split would not make easier to read.
 */
import type { SlotRef } from '../../common/plan';
import type { Batch } from '../../common/protocol/batch';
import { BATCH_RECORDS, INITIAL_CREDITS, InputChannel, InputGate, OutputChannel } from './channels';
import { TestingChannelTransport } from './testing-channel-transport';

const consumer: SlotRef = { tm: 'tm-b', slot: 3 };

function output(): { ch: OutputChannel; t: TestingChannelTransport; writable: jest.Mock } {
  const t = new TestingChannelTransport();
  const writable = jest.fn();
  return { ch: new OutputChannel('job/0/a->b/0/1', consumer, t, writable), t, writable };
}

const batchOf = (records: unknown[], marker?: Batch['marker']): Batch => ({ records, marker, bytes: 0 });

describe('OutputChannel', () => {
  it('sends nothing without credit, however much is sealed', () => {
    const { ch, t } = output();
    ch.emit(1);
    ch.seal();
    ch.emit(2);
    ch.seal({ kind: 'eop' });
    expect(t.batches).toEqual([]);
    expect(ch.backlogged).toBe(true);
  });

  it('buffers records until sealed, then sends them as one batch to the consumer slot', () => {
    const { ch, t } = output();
    ch.addCredit(1);
    ch.emit('a');
    ch.emit('b');
    expect(ch.hasBuffered).toBe(true);
    expect(t.batches).toEqual([]);
    ch.seal();
    expect(ch.hasBuffered).toBe(false);
    expect(t.batches).toEqual([{ dest: consumer, ch: 'job/0/a->b/0/1', batch: batchOf(['a', 'b']) }]);
  });

  it('carries event times index for index and a watermark behind the records before it', () => {
    const { ch, t } = output();
    ch.addCredit(2);
    ch.emit('untimed');
    ch.emit('a', 10);
    ch.seal({ kind: 'watermark', timestamp: 9 });
    ch.emit('b');
    ch.seal({ kind: 'status', idle: true });
    expect(t.batches.map((b) => b.batch)).toEqual([
      { records: ['untimed', 'a'], timestamps: [null, 10], marker: { kind: 'watermark', timestamp: 9 }, bytes: 0 },
      { records: ['b'], marker: { kind: 'status', idle: true }, bytes: 0 },
    ]);
    expect(t.batches[1].batch.timestamps).toBeUndefined();
  });

  it('carries key groups index for index, and none in the next batch without them', () => {
    const { ch, t } = output();
    ch.addCredit(2);
    ch.emit('a', undefined, 7);
    ch.emit('b', 5, 0);
    ch.seal();
    ch.emit('c');
    ch.seal();
    expect(t.batches.map((b) => b.batch)).toEqual([
      { records: ['a', 'b'], timestamps: [null, 5], keyGroups: [7, 0], bytes: 0 },
      { records: ['c'], bytes: 0 },
    ]);
    expect(t.batches[1].batch.keyGroups).toBeUndefined();
  });

  it('seals a batch by itself once it reaches BATCH_RECORDS records', () => {
    const { ch, t } = output();
    ch.addCredit(INITIAL_CREDITS);
    for (let i = 0; i < BATCH_RECORDS - 1; i++) ch.emit(i);
    expect(t.batches).toHaveLength(0);
    ch.emit(BATCH_RECORDS - 1);
    expect(t.batches).toHaveLength(1);
    expect(t.batches[0].batch.records).toHaveLength(BATCH_RECORDS);
    expect(ch.hasBuffered).toBe(false);
  });

  it('sends at most `credits` batches, in order, and keeps the rest', () => {
    const { ch, t } = output();
    ch.addCredit(2);
    for (let i = 0; i < 5; i++) {
      ch.emit(i);
      ch.seal();
    }
    expect(t.batches.map((b) => b.batch.records)).toEqual([[0], [1]]);
    expect(ch.backlogged).toBe(true);
    ch.addCredit(1);
    expect(t.batches.map((b) => b.batch.records)).toEqual([[0], [1], [2]]);
    ch.addCredit(5);
    expect(t.batches.map((b) => b.batch.records)).toEqual([[0], [1], [2], [3], [4]]);
    expect(ch.backlogged).toBe(false);
    // 8 credits granted, 5 used: three more batches may go without waiting
    for (let i = 5; i < 9; i++) {
      ch.emit(i);
      ch.seal();
    }
    expect(t.batches).toHaveLength(8);
    expect(ch.backlogged).toBe(true);
  });

  it('seal with a marker puts the marker behind the buffered records', () => {
    const { ch, t } = output();
    ch.addCredit(1);
    ch.emit('x');
    ch.emit('y');
    ch.seal({ kind: 'eop' });
    expect(t.batches).toHaveLength(1);
    expect(t.batches[0].batch).toEqual(batchOf(['x', 'y'], { kind: 'eop' }));
  });

  it('seal with a marker and nothing buffered still sends a (marker-only) batch; plain seal of nothing does not', () => {
    const { ch, t } = output();
    ch.addCredit(2);
    ch.seal();
    expect(t.batches).toHaveLength(0);
    ch.seal({ kind: 'eop' });
    expect(t.batches.map((b) => b.batch)).toEqual([batchOf([], { kind: 'eop' })]);
  });

  it('keeps a marker behind records of earlier batches still waiting for credit', () => {
    const { ch, t } = output();
    ch.emit(1);
    ch.seal();
    ch.emit(2);
    ch.seal({ kind: 'eop' });
    ch.addCredit(10);
    expect(t.batches.map((b) => b.batch)).toEqual([batchOf([1]), batchOf([2], { kind: 'eop' })]);
  });

  it('is backlogged exactly while sealed batches wait for credit', () => {
    const { ch } = output();
    expect(ch.backlogged).toBe(false);
    ch.emit(1);
    expect(ch.backlogged).toBe(false); // buffered, not sealed
    ch.seal();
    expect(ch.backlogged).toBe(true);
    ch.addCredit(1);
    expect(ch.backlogged).toBe(false);
  });

  it('addCredit sends waiting batches and then calls onWritable', () => {
    const { ch, t, writable } = output();
    ch.emit(1);
    ch.seal();
    writable.mockImplementation(() => {
      // by the time the producer is told it may write, the batch has gone out
      expect(t.batches).toHaveLength(1);
      expect(ch.backlogged).toBe(false);
    });
    ch.addCredit(1);
    expect(writable).toHaveBeenCalledTimes(1);
  });

  it('addCredit does not call onWritable while still backlogged', () => {
    const { ch, writable } = output();
    for (let i = 0; i < 3; i++) {
      ch.emit(i);
      ch.seal();
    }
    ch.addCredit(1);
    ch.addCredit(1);
    expect(writable).not.toHaveBeenCalled();
    ch.addCredit(1);
    expect(writable).toHaveBeenCalledTimes(1);
  });
});

describe('InputGate', () => {
  const producerA: SlotRef = { tm: 'tm-a', slot: 0 };
  const producerB: SlotRef = { tm: 'tm-a', slot: 1 };

  function gate(): { g: InputGate; t: TestingChannelTransport; a: InputChannel; b: InputChannel } {
    const t = new TestingChannelTransport();
    const g = new InputGate(t);
    const a = new InputChannel('ch-a', producerA);
    const b = new InputChannel('ch-b', producerB);
    g.add(a);
    g.add(b);
    return { g, t, a, b };
  }

  it('open grants INITIAL_CREDITS to every channel, addressed to its producer', () => {
    const { g, t } = gate();
    expect(t.credits).toEqual([]);
    g.open();
    expect(t.credits).toEqual([
      { dest: producerA, ch: 'ch-a', n: INITIAL_CREDITS },
      { dest: producerB, ch: 'ch-b', n: INITIAL_CREDITS },
    ]);
    expect(g.channelIds()).toEqual(['ch-a', 'ch-b']);
  });

  it('release returns exactly one credit to the producer of that channel', () => {
    const { g, t, b } = gate();
    g.release(b);
    expect(t.credits).toEqual([{ dest: producerB, ch: 'ch-b', n: 1 }]);
  });

  it('release returns no credit once the channel has ended', () => {
    const { g, t, a } = gate();
    a.ended = true;
    g.release(a);
    expect(t.credits).toEqual([]);
  });

  it('next() returns batches already delivered, in arrival order across channels', async () => {
    const { g, a, b } = gate();
    g.deliver('ch-b', batchOf([1]));
    g.deliver('ch-a', batchOf([2]));
    g.deliver('ch-b', batchOf([3]));
    const got = [await g.next(), await g.next(), await g.next()];
    expect(got.map((x) => [x!.channel, x!.batch.records])).toEqual([
      [b, [1]],
      [a, [2]],
      [b, [3]],
    ]);
    expect(b.queue).toEqual([]);
  });

  it('next() waits and resolves when a batch is delivered', async () => {
    const { g, a } = gate();
    const pending = g.next();
    let settled = false;
    void pending.then(() => (settled = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(settled).toBe(false);
    const batch = batchOf(['r'], { kind: 'eop' });
    g.deliver('ch-a', batch);
    await expect(pending).resolves.toEqual({ channel: a, batch });
  });

  it('ignores batches for channels it does not have', async () => {
    const { g, a } = gate();
    g.deliver('nope', batchOf([0]));
    g.deliver('ch-a', batchOf([1]));
    const got = await g.next();
    expect(got!.channel).toBe(a);
    expect(got!.batch.records).toEqual([1]);
  });

  it('interrupt wakes a waiting next() with undefined', async () => {
    const { g } = gate();
    const pending = g.next();
    g.interrupt();
    await expect(pending).resolves.toBeUndefined();
    // still usable afterwards
    g.deliver('ch-a', batchOf([7]));
    await expect(g.next()).resolves.toMatchObject({ batch: { records: [7] } });
  });

  it('tracks ended channels and queued bytes', () => {
    const { g, a, b } = gate();
    expect(g.allEnded).toBe(false);
    g.deliver('ch-a', { records: [1], bytes: 100 });
    g.deliver('ch-b', { records: [2], bytes: 20 });
    expect(g.queuedBytes).toBe(120);
    a.ended = true;
    expect(g.allEnded).toBe(false);
    b.ended = true;
    expect(g.allEnded).toBe(true);
  });

  it('round-trips with an OutputChannel: at most INITIAL_CREDITS batches in flight until released', async () => {
    // wire a producer to a gate through recording transports, delivering by hand
    const toConsumer = new TestingChannelTransport();
    const toProducer = new TestingChannelTransport();
    const out = new OutputChannel('ch-a', consumer, toConsumer, () => undefined);
    const g = new InputGate(toProducer);
    const inCh = new InputChannel('ch-a', producerA);
    g.add(inCh);
    g.open();
    for (const c of toProducer.credits.splice(0)) out.addCredit(c.n);
    for (let i = 0; i < INITIAL_CREDITS + 3; i++) {
      out.emit(i);
      out.seal();
    }
    expect(toConsumer.batches).toHaveLength(INITIAL_CREDITS);
    for (const b of toConsumer.batches.splice(0)) g.deliver(b.ch, b.batch);
    const first = (await g.next())!;
    expect(first.batch.records).toEqual([0]);
    g.release(first.channel);
    for (const c of toProducer.credits.splice(0)) out.addCredit(c.n);
    expect(toConsumer.batches.map((b) => b.batch.records)).toEqual([[INITIAL_CREDITS]]);
  });
});

describe('network options', () => {
  it('a channel seals at its configured batch size; a gate grants its configured credits', () => {
    const t = new TestingChannelTransport();
    const ch = new OutputChannel('job/0/e/0/0', consumer, t, () => undefined, 3);
    ch.addCredit(10);
    for (let i = 0; i < 7; i++) ch.emit(i);
    expect(t.batches.map((b) => b.batch.records)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    const g = new InputGate(t, 1);
    g.add(new InputChannel('ch', { tm: 'tm-a', slot: 0 }));
    g.open();
    expect(t.credits).toEqual([{ dest: { tm: 'tm-a', slot: 0 }, ch: 'ch', n: 1 }]);
  });
});
