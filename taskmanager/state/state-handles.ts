/**
 * Typed state handles of a `process` function (Flink's ValueState, ListState and MapState), each
 * scoped to the key of the record or timer being processed. All of a key's named states live in one
 * entry of the operator's KeyedState, so they are in key groups and checkpoints like other keyed
 * state. With a TTL (Flink's StateTtlConfig: processing time, refreshed on create and write,
 * expired values never returned), every value, list element and map entry carries its write time;
 * expired ones are dropped when read, and all keys are swept once per TTL so that state of keys
 * never seen again does not stay forever.
 */
import type { ListState, MapState, ValueState } from '../../common/datastream/process';
import type { ProcessingTimeService } from '../time/timer-service';
import type { KeyedState } from './keyed-state';

/** A stored value and when it was last written. */
type Cell = [value: unknown, writtenAt: number];

/** A key's named states by kind. */
export interface KeyStates {
  value?: Record<string, Cell>;
  list?: Record<string, Cell[]>;
  map?: Record<string, Record<string, Cell>>;
}

/** A state's options as the handles take them: the API's StateOptions with the TTL in ms. */
export interface StateTtl {
  /** Time to live in ms (processing time); absent = forever. */
  ttl?: number;
}

type Kind = keyof KeyStates;

export class StateHandles {
  /** TTL of each named state of a kind, as first declared. */
  private readonly ttls = new Map<string, number | undefined>();
  private sweepScheduled = false;

  constructor(
    private readonly store: KeyedState<KeyStates>,
    private readonly time: ProcessingTimeService,
    private readonly currentKey: () => unknown,
  ) {}

  /** The current key's states of `kind`; created on write. */
  private slot<T>(kind: Kind, create: boolean): Record<string, T> | undefined {
    const key = this.currentKey();
    let s = this.store.get(key);
    if (!s) {
      if (!create) return undefined;
      this.store.put(key, (s = {}));
    }
    if (!s[kind] && create) s[kind] = {};
    return s[kind] as Record<string, T> | undefined;
  }

  private alive(kind: Kind, name: string, cell: Cell): boolean {
    const ttl = this.ttls.get(`${kind}/${name}`);
    return ttl === undefined || this.time.now() - cell[1] < ttl;
  }

  private declare(kind: Kind, name: string, options: StateTtl): void {
    const id = `${kind}/${name}`;
    if (this.ttls.has(id)) return;
    this.ttls.set(id, options.ttl);
    if (options.ttl !== undefined) this.scheduleSweep(options.ttl);
  }

  private clear(kind: Kind, name: string): void {
    const s = this.store.get(this.currentKey());
    if (!s?.[kind]) return;
    delete s[kind]![name];
    if (Object.keys(s[kind]!).length === 0) delete s[kind];
    if (Object.keys(s).length === 0) this.store.remove(this.currentKey());
  }

  value<V>(name: string, options: StateTtl = {}): ValueState<V> {
    this.declare('value', name, options);
    return {
      value: () => {
        const cell = this.slot<Cell>('value', false)?.[name];
        if (cell && this.alive('value', name, cell)) return cell[0] as V;
        if (cell) this.clear('value', name);
        return undefined;
      },
      update: (v) => void (this.slot<Cell>('value', true)![name] = [v, this.time.now()]),
      clear: () => this.clear('value', name),
    };
  }

  list<V>(name: string, options: StateTtl = {}): ListState<V> {
    this.declare('list', name, options);
    const cells = () => (this.slot<Cell[]>('list', false)?.[name] ?? []).filter((c) => this.alive('list', name, c));
    return {
      get: () => cells().map((c) => c[0] as V),
      add: (v) => void (this.slot<Cell[]>('list', true)![name] = [...cells(), [v, this.time.now()]]),
      update: (vs) => void (this.slot<Cell[]>('list', true)![name] = vs.map((v) => [v, this.time.now()])),
      clear: () => this.clear('list', name),
    };
  }

  map<V>(name: string, options: StateTtl = {}): MapState<V> {
    this.declare('map', name, options);
    const entries = (create: boolean) => {
      const maps = this.slot<Record<string, Cell>>('map', create);
      if (maps && create && !maps[name]) maps[name] = {};
      return maps?.[name];
    };
    const live = (k: string): Cell | undefined => {
      const m = entries(false);
      const cell = m?.[k];
      if (!cell || this.alive('map', name, cell)) return cell;
      delete m![k];
      return undefined;
    };
    return {
      get: (k) => live(String(k))?.[0] as V | undefined,
      put: (k, v) => void (entries(true)![String(k)] = [v, this.time.now()]),
      remove: (k) => void delete entries(false)?.[String(k)],
      contains: (k) => live(String(k)) !== undefined,
      entries: () =>
        Object.keys(entries(false) ?? {}).flatMap((k) => {
          const cell = live(k);
          return cell ? [[k, cell[0] as V] as [string, V]] : [];
        }),
      clear: () => this.clear('map', name),
    };
  }

  private scheduleSweep(ttl: number): void {
    if (this.sweepScheduled) return;
    this.sweepScheduled = true;
    this.time.schedule(this.time.now() + ttl, () => {
      this.sweepScheduled = false;
      this.store.sweep((s) => this.expire(s));
      const ttls = [...this.ttls.values()].filter((t): t is number => t !== undefined);
      this.scheduleSweep(Math.min(...ttls));
    });
  }

  /** A key's states without what has expired; undefined if nothing is left. */
  private expire(s: KeyStates): KeyStates | undefined {
    const out: KeyStates = {};
    const keep = <T>(kind: Kind, all: Record<string, T> | undefined, f: (name: string, v: T) => T | undefined) => {
      const kept: Record<string, T> = {};
      for (const [name, v] of Object.entries(all ?? {})) {
        const r = f(name, v);
        if (r !== undefined) kept[name] = r;
      }
      if (Object.keys(kept).length > 0) (out as Record<Kind, unknown>)[kind] = kept;
    };
    keep<Cell>('value', s.value, (name, c) => (this.alive('value', name, c) ? c : undefined));
    keep<Cell[]>('list', s.list, (name, cs) => {
      const live = cs.filter((c) => this.alive('list', name, c));
      return live.length > 0 ? live : undefined;
    });
    keep<Record<string, Cell>>('map', s.map, (name, m) => {
      const live = Object.fromEntries(Object.entries(m).filter(([, c]) => this.alive('map', name, c)));
      return Object.keys(live).length > 0 ? live : undefined;
    });
    return Object.keys(out).length > 0 ? out : undefined;
  }
}
