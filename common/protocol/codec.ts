/**
 * The one place that owns msgpackr. Layers:
 *
 *   WebSocket binary message ⇄ codec (msgpack) ⇄ zod schema of the frame kind ⇄ runtime
 *
 * Every frame is a map with a protocol version `v` and a type tag `t`. `decodeFrame` throws a
 * ProtocolError for anything that is not a valid frame of an expected kind; callers close the
 * connection with the error's message as the reason and carry on.
 */
import { Packr } from 'msgpackr';
import type { z } from 'zod';
import type { ChallengeFrame } from './auth';
import type { JmToTmFrame, Outgoing, TmToJmFrame } from './control';
import type { DataConnectionFrame } from './data';
import { ProtocolError } from '../errors';

export const PROTOCOL_VERSION = 1;
/** Largest frame any endpoint accepts (ws `maxPayload`); a bigger one closes the connection. */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

// Plain maps, no msgpackr record extension: frames stay readable by any msgpack implementation.
const packr = new Packr({ useRecords: false, moreTypes: false });

export function encode(value: unknown): Buffer {
  return packr.pack(value);
}

export function decode(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

// Data-plane batches (./batch.ts) use msgpackr's record extension with no shared structures: each
// pack writes an object shape's field names once, inline before its first object, and later objects
// of that shape as a one-byte reference; each unpack starts with no structures. So a batch decodes
// alone, whatever was packed or unpacked before it. Maps still decode as plain objects.
const recordPackr = new Packr({ useRecords: true, moreTypes: false, mapsAsObjects: true });

/** `value` with each object shape's field names written once (see above). */
export function encodeWithShapes(value: unknown): Buffer {
  return recordPackr.pack(value);
}

/** What `encodeWithShapes` or `encode` wrote. */
export function decodeWithShapes(bytes: Uint8Array): unknown {
  return recordPackr.unpack(bytes);
}

/** Decode one frame and check it against the schema of the frame kinds this endpoint accepts. */
export function decodeFrame<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  if (!(data instanceof Uint8Array)) throw new ProtocolError('expected a binary msgpack frame');
  let value: unknown;
  try {
    value = packr.unpack(data);
  } catch (err) {
    throw new ProtocolError('frame is not valid msgpack', err);
  }
  if (typeof value !== 'object' || value === null || (value as { v?: unknown }).v !== PROTOCOL_VERSION) {
    throw new ProtocolError(`frame lacks protocol version ${PROTOCOL_VERSION}`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const tag = String((value as { t?: unknown }).t);
    const first = parsed.error.issues[0];
    throw new ProtocolError(
      `unexpected frame "${tag}": ${first ? `${first.path.join('.')} ${first.message}` : 'invalid'}`,
    );
  }
  return parsed.data;
}

/** Every frame of the protocol, whatever the connection. */
export type Frame = TmToJmFrame | JmToTmFrame | DataConnectionFrame | z.infer<typeof ChallengeFrame>;

/** Encode a frame of the protocol (the version is added here); anything else does not compile. */
export function encodeFrame(frame: Outgoing<Frame>): Buffer {
  return packr.pack({ v: PROTOCOL_VERSION, ...frame });
}

/**
 * A frame in bytes of its own (not a view of the encoder's buffer), so it can be moved to another
 * thread: the slot worker encodes a TM↔TM data frame whole and the main thread only writes it.
 */
export function encodeFrameOwned(frame: Outgoing<Frame>): Uint8Array<ArrayBuffer> {
  return Uint8Array.prototype.slice.call(encodeFrame(frame)) as Uint8Array<ArrayBuffer>;
}
