/** A hand-written ChannelTransport for unit tests: it records what it is asked to send, and sends nothing. */
import type { SlotRef } from '../../common/plan';
import type { Batch } from '../../common/protocol/batch';
import type { ChannelTransport } from './channels';

export class TestingChannelTransport implements ChannelTransport {
  readonly batches: { dest: SlotRef; ch: string; batch: Batch }[] = [];
  readonly credits: { dest: SlotRef; ch: string; n: number }[] = [];

  sendBatch(dest: SlotRef, ch: string, batch: Batch): void {
    this.batches.push({ dest, ch, batch });
  }

  sendCredit(dest: SlotRef, ch: string, n: number): void {
    this.credits.push({ dest, ch, n });
  }
}
