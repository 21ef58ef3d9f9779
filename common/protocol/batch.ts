/**
 * The data-plane batch: what one channel carries per credit, from a producer subtask to a
 * consumer subtask in another slot or on another TaskManager (./data.ts carries its bytes between
 * TaskManagers as a `data` frame's payload). A msgpack map (or a msgpackr record, see below):
 *
 *   v   BATCH_VERSION                  the format's version; a reader refuses any other
 *   r   unknown[]                      the records, in order
 *   t?  (number | null)[]              event time of r[i] (null: that record has none); absent when no record has one
 *   k?  number[]                       key group of r[i]'s key, on hash-partitioned channels: the partitioner
 *                                      computed it to pick the channel, so the keyed operator need not hash again
 *   m?  Marker                         an in-band marker behind every record of the batch
 *
 * Absent fields are left out, not sent as nil. Markers keep their order with the records: a
 * barrier or watermark never overtakes a record sent before it.
 *
 * Version 2 writes every object (the envelope, records, nested objects) with msgpackr's record
 * extension scoped to the batch: the first object of a shape is preceded by that shape's field
 * names (`d4 72 <id> [names…]`), later ones of that shape are `<id>` and their values only. Version 1
 * wrote every record as a map with its field names. Definitions never outlive their batch: a batch
 * decodes alone, on any thread or TaskManager, before or after a restart. A reader also takes the
 * envelope and records as plain msgpack maps.
 *
 * `decodeBatch` checks the envelope and the markers on every receive, not the records: those are
 * the user's values, and walking them would cost as much as decoding them again.
 */
import { z } from 'zod';
import { BatchFormatError } from '../errors';
import { MAX_MAX_PARALLELISM } from '../key-groups';
import { decodeWithShapes, encodeWithShapes } from './codec';

export const BATCH_VERSION = 2;

/** A watermark's time; +Infinity is the end of input (every window fires). */
const WatermarkTime = z.custom<number>((x) => typeof x === 'number' && !Number.isNaN(x), 'expected a number');

export const MarkerSchema = z.discriminatedUnion('kind', [
  /** End of partition: the producer sends nothing more on this channel. */
  z.object({ kind: z.literal('eop') }),
  /** Checkpoint barrier `id`. */
  z.object({ kind: z.literal('barrier'), id: z.number().int().positive() }),
  z.object({ kind: z.literal('watermark'), timestamp: WatermarkTime }),
  /** Watermark status: the producer went idle, or is active again. */
  z.object({ kind: z.literal('status'), idle: z.boolean() }),
]);
export type Marker = z.infer<typeof MarkerSchema>;

/** A batch in memory, as channels hand it on (same-slot channels never encode it). */
export interface Batch {
  records: unknown[];
  timestamps?: (number | null)[];
  /** Key group of each record's key, index for index, when a hash partitioner sent it. */
  keyGroups?: number[];
  marker?: Marker;
  /** Encoded size when the batch crossed a thread; 0 for same-slot channels. Not on the wire. */
  bytes: number;
}

const array = <T>(what: string) => z.custom<T[]>(Array.isArray, `${what} must be an array`);

/** The wire form. Arrays are checked as arrays, their lengths and numbers by hand: zod per element would add a third to the decode. */
export const WireBatchSchema = z
  .object({
    v: z.literal(BATCH_VERSION),
    r: array<unknown>('records'),
    t: array<number | null>('timestamps').optional(),
    k: array<number>('key groups').optional(),
    m: MarkerSchema.optional(),
  })
  .superRefine((w, ctx) => {
    const n = w.r.length;
    const t = w.t;
    if (t && (t.length !== n || !t.every((x) => x === null || typeof x === 'number'))) {
      ctx.addIssue({ code: 'custom', path: ['t'], message: `must be ${n} numbers or nulls, one per record` });
    }
    const k = w.k;
    if (k && (k.length !== n || !k.every((x) => Number.isInteger(x) && x >= 0 && x < MAX_MAX_PARALLELISM))) {
      ctx.addIssue({
        code: 'custom',
        path: ['k'],
        message: `must be ${n} key groups (integers 0…${MAX_MAX_PARALLELISM - 1}), one per record`,
      });
    }
  });
export type WireBatch = z.infer<typeof WireBatchSchema>;

/** The batch's bytes, in a buffer of their own: msgpackr reuses its output buffer, and callers transfer ours. */
export function encodeBatch(batch: Batch): Uint8Array {
  const w: WireBatch = { v: BATCH_VERSION, r: batch.records };
  if (batch.timestamps) w.t = batch.timestamps;
  if (batch.keyGroups) w.k = batch.keyGroups;
  if (batch.marker) w.m = batch.marker;
  return Uint8Array.prototype.slice.call(encodeWithShapes(w));
}

/** A batch from its bytes; a BatchFormatError (code BATCH_FORMAT) for anything else. */
export function decodeBatch(payload: unknown): Batch {
  if (!(payload instanceof Uint8Array)) throw new BatchFormatError('a batch must be bytes');
  let value: unknown;
  try {
    value = decodeWithShapes(payload);
  } catch (err) {
    throw new BatchFormatError(`batch is not msgpack: ${(err as Error).message}`, err);
  }
  const v = typeof value === 'object' && value !== null ? (value as { v?: unknown }).v : undefined;
  if (v !== BATCH_VERSION)
    throw new BatchFormatError(`batch has version ${String(v)} (this build reads version ${BATCH_VERSION})`);
  const r = WireBatchSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new BatchFormatError(`batch is not valid: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  const w = r.data;
  return { records: w.r, timestamps: w.t, keyGroups: w.k, marker: w.m, bytes: payload.byteLength };
}
