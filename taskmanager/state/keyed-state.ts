/**
 * Keyed state of one operator, kept per key group so that it can be split by key-group range when
 * a job is restored at another parallelism.
 *
 * A new key takes its key group from the caller when it has it (the hash partitioner computed it
 * and it came with the batch, common/protocol/batch.ts), so a key is hashed once per record at most;
 * without it the key is hashed here. Reads and updates of a known key need no key group.
 */
import { canonicalKey, keyGroupFor } from '../../common/key-groups';

/** How state tells keys apart: objects and arrays by their canonical JSON form, primitives by value (so 1 and "1" differ). */
export function stateKey(key: unknown): unknown {
  return typeof key === 'object' && key !== null ? canonicalKey(key) : key;
}

export type KeyedStateSnapshot<V> = [keyGroup: number, entries: [key: unknown, value: V][]][];

/** A key's value and its key group; updated in place, so a record costs one map lookup. */
interface Entry<V> {
  value: V;
  keyGroup: number;
}

export class KeyedState<V> {
  /** One map over all keys (by stateKey): the key group is needed only on insert and in snapshots. */
  private readonly entries = new Map<unknown, Entry<V>>();

  constructor(private readonly maxParallelism: number) {}

  private insert(key: unknown, k: unknown, value: V, keyGroup = keyGroupFor(key, this.maxParallelism)): void {
    this.entries.set(k, { value, keyGroup });
  }

  /**
   * Replace the key's value with `next(previous, input)` and return it, hashing the key at most once.
   * `input` is passed through so that callers need no closure per record.
   */
  update<I>(key: unknown, next: (prev: V | undefined, input: I) => V, input: I, keyGroup?: number): V {
    const k = stateKey(key);
    const e = this.entries.get(k);
    if (e) return (e.value = next(e.value, input));
    const v = next(undefined, input);
    this.insert(key, k, v, keyGroup);
    return v;
  }

  get(key: unknown): V | undefined {
    return this.entries.get(stateKey(key))?.value;
  }

  put(key: unknown, value: V, keyGroup?: number): void {
    const k = stateKey(key);
    const e = this.entries.get(k);
    if (e) e.value = value;
    else this.insert(key, k, value, keyGroup);
  }

  remove(key: unknown): void {
    this.entries.delete(stateKey(key));
  }

  /** Replace every value by `next(value)`, removing those for which it returns undefined. */
  sweep(next: (value: V) => V | undefined): void {
    for (const [k, e] of this.entries) {
      const n = next(e.value);
      if (n === undefined) this.entries.delete(k);
      else e.value = n;
    }
  }

  /** Entries per key group, as stored (object keys in their JSON form). */
  snapshot(): KeyedStateSnapshot<V> {
    const groups = new Map<number, [unknown, V][]>();
    for (const [k, e] of this.entries) {
      let g = groups.get(e.keyGroup);
      if (!g) groups.set(e.keyGroup, (g = []));
      g.push([k, e.value]);
    }
    return [...groups];
  }

  restore(snapshot: KeyedStateSnapshot<V>): void {
    for (const [keyGroup, entries] of snapshot)
      for (const [k, value] of entries) this.entries.set(k, { value, keyGroup });
  }
}
