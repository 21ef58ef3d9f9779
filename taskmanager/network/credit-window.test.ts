/** The credit window of an input channel (./channels.ts InputGate.release): batches, and bytes while they are small. */
import type { Batch } from '../../common/protocol/batch';
import { INITIAL_CREDITS, InputChannel, InputGate, MAX_WINDOW_GROWTH, WINDOW_BYTES } from './channels';
import { TestingChannelTransport } from './testing-channel-transport';

const batch = (bytes: number, records = 512): Batch => ({ records: new Array<number>(records).fill(0), bytes });

/** A gate with a channel from another slot (batches come encoded) and one from its own slot, opened. */
function gate() {
  const t = new TestingChannelTransport();
  const g = new InputGate(t);
  const other = new InputChannel('other', { tm: 'tm-a', slot: 0 });
  const own = new InputChannel('own', { tm: 'tm-a', slot: 1 });
  g.add(other);
  g.add(own);
  g.open();
  const sent = (ch: string) =>
    t.credits
      .splice(0)
      .filter((c) => c.ch === ch)
      .reduce((n, c) => n + c.n, 0);
  sent('');
  return { g, other, own, sent };
}

describe('credit window', () => {
  it('a channel of small encoded batches gets credit for what fits in WINDOW_BYTES, up to MAX_WINDOW_GROWTH × its credits', () => {
    const { g, other, sent } = gate();
    g.release(other, batch(WINDOW_BYTES / 8));
    expect(sent('other')).toBe(1 + 8 - INITIAL_CREDITS); // its window: 8 batches
    for (let i = 0; i < 20; i++) g.release(other, batch(100));
    // One credit per batch processed, and the window grown from 8 to its cap.
    expect(sent('other')).toBe(20 + INITIAL_CREDITS * MAX_WINDOW_GROWTH - 8);
    g.release(other, batch(100));
    expect(sent('other')).toBe(1);
  });

  it('when its batches grow, the window shrinks back to its credits: no credit until it is there', () => {
    const { g, other, sent } = gate();
    for (let i = 0; i < 20; i++) g.release(other, batch(100));
    sent('other');
    const extra = INITIAL_CREDITS * (MAX_WINDOW_GROWTH - 1);
    for (let i = 0; i < extra; i++) g.release(other, batch(WINDOW_BYTES));
    expect(sent('other')).toBe(0);
    g.release(other, batch(WINDOW_BYTES));
    expect(sent('other')).toBe(1);
  });

  it('big batches, markers alone and batches never encoded keep the window at its credits', () => {
    const { g, other, own, sent } = gate();
    g.release(own, batch(0));
    expect(sent('own')).toBe(1);
    g.release(other, batch(20, 0)); // a watermark alone
    expect(sent('other')).toBe(1);
    g.release(other, batch(WINDOW_BYTES));
    expect(sent('other')).toBe(1);
  });

  it("a same-slot channel goes by the gate's encoded channels, which carry the same edge's records", () => {
    const { g, other, own, sent } = gate();
    g.release(other, batch(WINDOW_BYTES / 16));
    g.release(own, batch(0));
    expect(sent('own')).toBe(1 + 16 - INITIAL_CREDITS);
  });

  it('an ended channel gets no credit', () => {
    const { g, other, sent } = gate();
    other.ended = true;
    g.release(other, batch(100));
    expect(sent('other')).toBe(0);
  });
});
