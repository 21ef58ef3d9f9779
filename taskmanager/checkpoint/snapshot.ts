/**
 * A task's snapshot for one checkpoint: the source position, the keyed state of each stateful
 * operator by node id, the inputs of each asyncMap's queue by node id, other operator state (timers,
 * watermarks), and the sink's state. Encoded with msgpack; the JM stores the bytes as they
 * come and hands them back on restore, so only the task reads them.
 */
import { decode, encode } from '../../common/protocol/codec';
import type { KeyedStateSnapshot } from '../state/keyed-state';

export interface TaskSnapshot {
  source?: unknown;
  keyed: Record<string, KeyedStateSnapshot<unknown>>;
  async?: Record<string, unknown[]>;
  /** Other operator state by node id: timers and watermarks of windows, a timestamps stage's progress. */
  operators?: Record<string, unknown>;
  sink?: unknown;
}

export function encodeSnapshot(s: TaskSnapshot): Uint8Array {
  return Uint8Array.prototype.slice.call(encode(s));
}

export function decodeSnapshot(bytes: Uint8Array): TaskSnapshot {
  return decode(bytes) as TaskSnapshot;
}
