/**
 * How a key selector's key travels with its records. The engine keys on a record field: a key
 * selector's key is computed into a field by a map chained to the input before the shuffle and
 * removed by a map chained after the keyed node, so the user's functions and the results see
 * records as they were.
 */
import { checkedKey } from '../key-groups';

/** Records of the key selector's key, in a field only the API's own helper maps see. */
export const KEY_FIELD = '__flinkxKey';
export type Keyed = Record<string, unknown>;

/** How a keyed node's input carries a selector's key, and how its output loses it again. */
export interface KeyCarrier {
  wrap(record: unknown, key: unknown): Keyed;
  unwrap(result: Keyed): unknown;
}
/** Numeric aggregates read and keep the record's fields: the key rides along as one more field. */
export const besideFields: KeyCarrier = {
  wrap: (r, key) => ({ ...(r as Keyed), [KEY_FIELD]: key }),
  unwrap: ({ [KEY_FIELD]: _, ...r }) => r,
};
/** Records of any type (strings too) travel in an envelope, so user functions see them as they are. */
export const inEnvelope: KeyCarrier = {
  wrap: (value, key) => ({ [KEY_FIELD]: key, value }),
  unwrap: (e) => e.value,
};

/**
 * The selector's key of `record`. A selector that returns null or undefined (a misspelled field in a
 * job whose types nobody checked), or what cannot be a key, fails the task for good, as a record
 * without its key field does.
 */
export function selectedKey<T>(selector: (value: T) => unknown, record: T): unknown {
  const key = selector(record);
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') return key; // no message built per record
  return checkedKey(key, `key selector ${String(selector).replace(/\s+/g, ' ').slice(0, 100)} returned`, record);
}

/** The object's functions with `this` bound, as the runtime calls them detached. */
export function bound(code: {
  processElement: (...a: never[]) => void;
  onTimer?: (...a: never[]) => void;
}): Record<string, (...a: never[]) => void> {
  return {
    processElement: code.processElement.bind(code),
    ...(code.onTimer && { onTimer: code.onTimer.bind(code) }),
  };
}
