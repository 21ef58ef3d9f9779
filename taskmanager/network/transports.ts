/**
 * The three ways a slot reaches the other end of a channel, one ChannelTransport each, and the
 * router that picks one by where the other end runs:
 *   same slot   → straight into the consumer's input gate or output channel (nothing serialized)
 *   other slot  → a msgpack batch over the MessagePort to that slot's worker (buffer transferred)
 *   other TM    → the whole data frame, encoded here, to the TM main thread, which writes it to
 *                 its data connection with that TM
 * A batch's wire format: common/protocol/batch.ts.
 */
import type { MessagePort } from 'node:worker_threads';
import { encodeBatch, type Batch } from '../../common/protocol/batch';
import { encodeFrameOwned } from '../../common/protocol/codec';
import type { SlotRef } from '../../common/plan';
import type { MainToWorker, WorkerToMain } from '../worker-messages';
import type { ChannelTransport } from './channels';

/** What the same-slot transport hands batches and credits to: this slot's own gates and outputs. */
export interface LocalEndpoints {
  deliver(ch: string, batch: Batch): void;
  credit(ch: string, n: number): void;
}

export class SameSlotTransport implements ChannelTransport {
  constructor(private readonly local: LocalEndpoints) {}

  sendBatch(_dest: SlotRef, ch: string, batch: Batch): void {
    this.local.deliver(ch, batch);
  }

  sendCredit(_dest: SlotRef, ch: string, n: number): void {
    this.local.credit(ch, n);
  }
}

export class PeerSlotTransport implements ChannelTransport {
  /** `peers[slot]`: the port to that slot of this TM. */
  constructor(private readonly peers: (MessagePort | undefined)[]) {}

  private port(dest: SlotRef): MessagePort {
    const port = this.peers[dest.slot];
    if (!port) throw new Error(`no port to slot ${dest.slot} of this TaskManager`);
    return port;
  }

  sendBatch(dest: SlotRef, ch: string, batch: Batch): void {
    const payload = encodeBatch(batch);
    this.port(dest).postMessage({ kind: 'data', ch, payload } satisfies MainToWorker, [payload.buffer as ArrayBuffer]);
  }

  sendCredit(dest: SlotRef, ch: string, n: number): void {
    this.port(dest).postMessage({ kind: 'credit', ch, n } satisfies MainToWorker);
  }
}

export class RemoteTransport implements ChannelTransport {
  constructor(private readonly main: MessagePort) {}

  sendBatch(dest: SlotRef, ch: string, batch: Batch): void {
    // The whole data frame is encoded here: the main thread writes it to the socket as it is.
    const frame = encodeFrameOwned({
      t: 'data',
      ch,
      slot: dest.slot,
      payload: encodeBatch(batch) as Uint8Array<ArrayBuffer>,
    });
    this.main.postMessage({ kind: 'remote-data', dest, ch, frame } satisfies WorkerToMain, [frame.buffer]);
  }

  sendCredit(dest: SlotRef, ch: string, n: number): void {
    this.main.postMessage({ kind: 'remote-credit', dest, ch, n } satisfies WorkerToMain);
  }
}

/** The transport for each destination, seen from slot `self`. */
export class TransportRouter implements ChannelTransport {
  constructor(
    private readonly self: SlotRef,
    private readonly sameSlot: ChannelTransport,
    private readonly peerSlot: ChannelTransport,
    private readonly remote: ChannelTransport,
  ) {}

  private to(dest: SlotRef): ChannelTransport {
    if (dest.tm !== this.self.tm) return this.remote;
    return dest.slot === this.self.slot ? this.sameSlot : this.peerSlot;
  }

  sendBatch(dest: SlotRef, ch: string, batch: Batch): void {
    this.to(dest).sendBatch(dest, ch, batch);
  }

  sendCredit(dest: SlotRef, ch: string, n: number): void {
    this.to(dest).sendCredit(dest, ch, n);
  }
}
