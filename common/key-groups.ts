/**
 * Key → key group → subtask, computed the way Flink does it (KeyGroupRangeAssignment), so that a key
 * lands in the same key group as it would in a Flink job with the same maxParallelism. Key groups are
 * the unit of keyed state: rescaling moves whole key groups, never single keys.
 */
import { NonRetriableError } from './errors';

/** Flink's default lower bound of maxParallelism; the job file's default. */
export const DEFAULT_MAX_PARALLELISM = 128;
/** Flink's upper bound of maxParallelism (2^15). */
export const MAX_MAX_PARALLELISM = 32768;

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/** Java `String.hashCode`: s[0]*31^(n-1) + ... + s[n-1] over UTF-16 code units, in int32 arithmetic. */
function stringHash(s: string): number {
  let h = 0;
  for (let i = 0; i < s.length; i++) h = (Math.imul(h, 31) + s.charCodeAt(i)) | 0;
  return h;
}

/** Why a value cannot be (part of) a key. Caught where a key is taken, which names operator and record. */
class KeyTypeError extends Error {}

/** `v` in canonical form; `within`: the objects it is inside of, to refuse a cycle as JSON does. */
function canonical(v: unknown, within: object[]): string {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return JSON.stringify(v);
    case 'number':
      // NaN and the infinities in their own words: JSON would write null for each of them.
      return Number.isFinite(v) ? JSON.stringify(v) : String(v);
    case 'object': {
      if (v === null) return 'null';
      if (within.includes(v)) throw new KeyTypeError('it contains itself');
      if (v instanceof Map || v instanceof Set)
        throw new KeyTypeError(`it holds a ${v.constructor.name}, which has no JSON form`);
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') return canonical(toJSON.call(v), within); // a Date, as JSON writes it
      within.push(v);
      let text: string;
      if (Array.isArray(v)) {
        const items: string[] = [];
        for (let i = 0; i < v.length; i++) items.push(canonical(v[i], within));
        text = `[${items.join(',')}]`;
      } else {
        const o = v as Record<string, unknown>;
        text = `{${Object.keys(o)
          .sort()
          .map((k) => `${JSON.stringify(k)}:${canonical(o[k], within)}`)
          .join(',')}}`;
      }
      within.pop();
      return text;
    }
    default:
      throw new KeyTypeError(`it holds ${v === undefined ? 'undefined (a missing field?)' : `a ${typeof v}`}`);
  }
}

/**
 * The form in which an object or array key is told apart and hashed: JSON with the fields of every
 * object sorted, so equal keys are equal whatever their field order (NaN and the infinities written
 * as such). A key holding undefined, a bigint, a function, a symbol, a Map or a Set has no such form
 * (JSON would drop or merge them) and throws.
 */
export function canonicalKey(key: object): string {
  return canonical(key, []);
}

/**
 * A Java-compatible hashCode of a key, so the common key types hash as the equivalent Java
 * String/Integer/Boolean would in Flink. Floats and integers outside int32 hash as the string of
 * their `JSON.stringify` form (NaN as "null": every NaN is one key, as Java's Double.NaN is), objects
 * and arrays as their canonicalKey: the same across processes whatever their field order.
 */
export function keyHash(key: unknown): number {
  if (typeof key === 'string') return stringHash(key);
  if (typeof key === 'number' && Number.isInteger(key) && key >= INT32_MIN && key <= INT32_MAX) return key | 0;
  if (typeof key === 'boolean') return key ? 1231 : 1237;
  if (typeof key === 'object' && key !== null) return stringHash(canonicalKey(key));
  return stringHash(JSON.stringify(key) ?? 'undefined');
}

function rotl32(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/**
 * Flink's `MathUtils.murmurHash(int)`: one murmur3_32 block (seed 0, length 4) plus the finalizer,
 * then folded to a non-negative int. Spreads the poor low bits of Java hash codes over all key groups.
 */
export function murmurHash(code: number): number {
  let k = Math.imul(code | 0, 0xcc9e2d51);
  k = rotl32(k, 15);
  k = Math.imul(k, 0x1b873593);
  let h = rotl32(k, 13); // seed 0 xor k
  h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  h ^= 4; // length in bytes
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  if (h >= 0) return h;
  return h !== INT32_MIN ? -h : 0;
}

/** What a failure shows of a record: its JSON (or String form), cut to `max` characters. */
export function shortRecord(record: unknown, max = 200): string {
  let text: string;
  try {
    text = JSON.stringify(record) ?? String(record);
  } catch {
    text = String(record); // a BigInt or a cycle
  }
  return text.length > max ? `${text.slice(0, max)}... (${text.length} characters)` : text;
}

/** Code of the failure of a record whose key is null or undefined. */
export const NULL_KEY = 'NULL_KEY';
/** Code of the failure of a record whose key cannot be one (see canonicalKey). */
export const INVALID_KEY = 'INVALID_KEY';

/**
 * `key` if it can be one; else the failure of the record, `subject` saying whose key it is. As in
 * Flink ("Assigned key must not be null!"), the task fails and a restart cannot help: the same
 * record comes again. Named NonRetriableError (not a subclass) because a job bundle's copy of this
 * code throws it too, and the name is what counts.
 */
export function checkedKey(key: unknown, subject: string, record: unknown): unknown {
  if (key == null) {
    throw new NonRetriableError(
      `${subject} ${String(key)} for record ${shortRecord(record)}; a key must not be null or undefined`,
      { code: NULL_KEY },
    );
  }
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') return key;
  let reason = `a ${typeof key} cannot be a key`;
  if (typeof key === 'object') {
    try {
      canonicalKey(key);
      return key;
    } catch (err) {
      if (!(err instanceof KeyTypeError)) throw err;
      reason = `it cannot be a key: ${err.message}`;
    }
  }
  throw new NonRetriableError(`${subject} ${shortRecord(key, 100)} for record ${shortRecord(record)}; ${reason}`, {
    code: INVALID_KEY,
  });
}

/**
 * The key of a record by its key field, for the keyed node `operator`. The hash partitioner and the
 * keyed operators take keys this one way, so a key group the partitioner computed is the one the
 * operator's state would compute. A record without the field (or not an object) fails with
 * NULL_KEY instead of being keyed by null: all of them would land in one key on one subtask.
 */
export function keyOf(record: unknown, field: string, operator: string): unknown {
  const key = typeof record === 'object' && record !== null ? (record as Record<string, unknown>)[field] : undefined;
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') return key; // no message built per record
  return checkedKey(key, `operator "${operator}": key field "${field}" is`, record);
}

export function keyGroupFor(key: unknown, maxParallelism: number): number {
  return murmurHash(keyHash(key)) % maxParallelism;
}

export function operatorIndexForKeyGroup(maxParallelism: number, parallelism: number, keyGroup: number): number {
  return Math.floor((keyGroup * parallelism) / maxParallelism);
}

/** The contiguous, inclusive key groups owned by one subtask; the inverse of operatorIndexForKeyGroup. */
export function keyGroupRange(
  maxParallelism: number,
  parallelism: number,
  subtask: number,
): { start: number; end: number } {
  return {
    start: Math.ceil((subtask * maxParallelism) / parallelism),
    end: Math.ceil(((subtask + 1) * maxParallelism) / parallelism) - 1,
  };
}

export function subtaskForKey(key: unknown, maxParallelism: number, parallelism: number): number {
  return operatorIndexForKeyGroup(maxParallelism, parallelism, keyGroupFor(key, maxParallelism));
}
