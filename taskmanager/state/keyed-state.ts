/**
 * Keyed state of one operator, kept per key group so that it can be split by key-group range when
 * a job is restored at another parallelism.
 *
 * Every access takes the key's key group when the caller has it (the hash partitioner computed it
 * and it came with the batch, common/protocol/batch.ts), so the key is hashed once per record; without
 * it the key is hashed here.
 */
import { keyGroupFor } from './key-groups';

/** How state tells keys apart: objects and arrays by their JSON form, primitives by value (so 1 and "1" differ). */
export function stateKey(key: unknown): unknown {
  return typeof key === 'object' && key !== null ? JSON.stringify(key) : key;
}

export type KeyedStateSnapshot<V> = [keyGroup: number, entries: [key: unknown, value: V][]][];

export class KeyedState<V> {
  private readonly groups = new Map<number, Map<unknown, V>>();

  constructor(private readonly maxParallelism: number) {}

  private group(key: unknown, kg = keyGroupFor(key, this.maxParallelism)): Map<unknown, V> {
    let g = this.groups.get(kg);
    if (!g) this.groups.set(kg, (g = new Map()));
    return g;
  }

  /** Replace the key's value with `next(previous)` and return it, hashing the key at most once. */
  update(key: unknown, next: (prev: V | undefined) => V, keyGroup?: number): V {
    const g = this.group(key, keyGroup);
    const k = stateKey(key);
    const v = next(g.get(k));
    g.set(k, v);
    return v;
  }

  get(key: unknown, keyGroup?: number): V | undefined {
    return this.group(key, keyGroup).get(stateKey(key));
  }

  put(key: unknown, value: V, keyGroup?: number): void {
    this.group(key, keyGroup).set(stateKey(key), value);
  }

  remove(key: unknown): void {
    this.group(key).delete(stateKey(key));
  }

  /** Replace every value by `next(value)`, removing those for which it returns undefined. */
  sweep(next: (value: V) => V | undefined): void {
    for (const g of this.groups.values()) {
      for (const [k, v] of g) {
        const n = next(v);
        if (n === undefined) g.delete(k);
        else g.set(k, n);
      }
    }
  }

  /** Entries per key group, as stored (object keys in their JSON form). */
  snapshot(): KeyedStateSnapshot<V> {
    return [...this.groups].map(([kg, g]) => [kg, [...g]]);
  }

  restore(snapshot: KeyedStateSnapshot<V>): void {
    for (const [kg, entries] of snapshot) this.groups.set(kg, new Map(entries));
  }
}
