import { InputChannel, InputGate, type ChannelTransport } from '../network/channels';
import { BarrierAligner } from './barrier-aligner';

const transport: ChannelTransport = { sendBatch: () => undefined, sendCredit: () => undefined };

function gateOf(n: number): { gate: InputGate; channels: InputChannel[] } {
  const gate = new InputGate(transport);
  const channels = Array.from({ length: n }, (_, i) => new InputChannel(`c${i}`, { tm: 't', slot: 0 }));
  for (const c of channels) gate.add(c);
  return { gate, channels };
}

describe('BarrierAligner', () => {
  test('exactly-once: a channel that delivered the barrier is blocked until every channel has', () => {
    const {
      gate,
      channels: [a, b, c],
    } = gateOf(3);
    const aligner = new BarrierAligner(gate, true);
    expect(aligner.onBarrier(a, 1)).toBeUndefined();
    expect(a.blocked).toBe(true);
    expect(aligner.onBarrier(b, 1)).toBeUndefined();
    expect(aligner.onBarrier(c, 1)).toBe(1);
    aligner.release();
    expect([a, b, c].map((ch) => ch.blocked)).toEqual([false, false, false]);
  });

  test('at-least-once never blocks, and still snapshots once all barriers are in', () => {
    const {
      gate,
      channels: [a, b],
    } = gateOf(2);
    const aligner = new BarrierAligner(gate, false);
    expect(aligner.onBarrier(a, 4)).toBeUndefined();
    expect(a.blocked).toBe(false);
    expect(aligner.onBarrier(b, 4)).toBe(4);
  });

  test('an ended channel counts as aligned', () => {
    const {
      gate,
      channels: [a, b],
    } = gateOf(2);
    const aligner = new BarrierAligner(gate, true);
    expect(aligner.onBarrier(a, 2)).toBeUndefined();
    b.ended = true;
    expect(aligner.onEndOfPartition()).toBe(2);
  });

  test('a newer barrier abandons an older alignment and unblocks; an older one is ignored', () => {
    const {
      gate,
      channels: [a, b],
    } = gateOf(2);
    const aligner = new BarrierAligner(gate, true);
    aligner.onBarrier(a, 1);
    expect(aligner.onBarrier(b, 2)).toBeUndefined();
    expect(a.blocked).toBe(false);
    expect(b.blocked).toBe(true);
    expect(aligner.onBarrier(a, 1)).toBeUndefined();
    expect(aligner.onBarrier(a, 2)).toBe(2);
  });
});
