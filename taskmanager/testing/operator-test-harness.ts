/**
 * `flinkx/testing`: runs user functions through the real operators (taskmanager/operators) in this
 * thread, as Flink's OneInputStreamOperatorTestHarness does: no TaskManager, threads or sockets.
 * A pipeline is written with the DataStream API on a test input; records pushed in come out of
 * its last operator synchronously, each with its event time, and each keyed operator's state can be
 * read. `snapshot()` takes what a checkpoint of the task would (through the task's own snapshot
 * path): keyed state, timers with the watermark, operator state, asyncMap queues; a harness
 * restored from it goes on as a restored task does, its windows and timers firing at the next
 * watermarks. Unlike Flink's, whose checkpoints leave it out, it also starts from the watermark it had.
 *
 * It runs one subtask: every key is local, so the shuffle of `keyBy` is not exercised here.
 * asyncMap calls run for real; `settle()` waits for them. Watermarks are fed by hand
 * (`processWatermark`) and fire event-time timers and windows; processing time is a manual clock
 * (`advanceProcessingTime`); side outputs (a window's late records) are kept by tag.
 */
import { StreamExecutionEnvironment, type DataStream } from '../../common/datastream';
import { parseJobSpec } from '../../common/jobfile';
import { operatorUid } from '../../common/operator-uids';
import { decodeSnapshot, encodeSnapshot } from '../../common/protocol/snapshot';
import { DEFAULT_MAX_PARALLELISM } from '../../common/key-groups';
import type { KeyedState } from '../state/keyed-state';
import { FunctionRegistry } from '../operators/functions';
import { createChain, type Chain } from '../operators/operators';
import { restoreOperators, snapshotOperators, type OperatorsSnapshot } from '../tasks/subtask-checkpoint-coordinator';
import { ManualTime } from '../time/manual-time';

/** A record with its event time, if it has one (Flink's StreamRecord). */
export interface StreamRecord<T> {
  value: T;
  timestamp?: number;
}

const record = <T>(value: T, timestamp: number | undefined): StreamRecord<T> =>
  timestamp === undefined ? { value } : { value, timestamp };

/**
 * What a task's checkpoint holds of these operators, by uid: keyed state, timers with the
 * watermark, operator state and asyncMap queues.
 */
export type HarnessSnapshot = OperatorsSnapshot;

export interface HarnessOptions {
  maxParallelism?: number;
  /** State from `snapshot()` of an earlier harness: the operators start as a task restored from a checkpoint does. */
  restore?: HarnessSnapshot;
}

function keyedOperator(chain: Chain, id: string): KeyedState<unknown> {
  const state = chain.states.get(id);
  if (!state)
    throw new Error(`no keyed operator "${id}" (keyed operators: ${[...chain.states.keys()].join(', ') || 'none'})`);
  return state;
}

/** As a task restores, but state of an operator not in the pipeline is an error (a task's is checked at submission). */
function restore(chain: Chain, snapshot: HarnessSnapshot): void {
  const uids = new Set([
    ...chain.states.keys(),
    ...chain.operatorStates.keys(),
    ...chain.async.list.map((op) => operatorUid(op.node)),
  ]);
  for (const uid of [
    ...Object.keys(snapshot.keyed),
    ...Object.keys(snapshot.operators ?? {}),
    ...Object.keys(snapshot.async ?? {}),
  ]) {
    if (!uids.has(uid))
      throw new Error(
        `the snapshot holds state of "${uid}", which is no operator of this pipeline (operators with state: ${[...uids].join(', ') || 'none'})`,
      );
  }
  restoreOperators(chain, snapshot);
}

const INPUT = 'harness-input';
const OUTPUT = 'harness-output';
const LATE = 'late';
const LATE_OUTPUT = 'harness-late-output';

export class OperatorTestHarness<I, O> {
  private readonly chain: Chain;
  private readonly output: StreamRecord<O>[] = [];
  private readonly watermarks: number[] = [];
  private readonly sides = new Map<string, StreamRecord<unknown>[]>();
  private readonly time = new ManualTime();

  private constructor(build: (harness: OperatorTestHarness<I, O>) => Chain) {
    this.chain = build(this);
  }

  /**
   * A harness for the operators `pipeline` applies to a stream of I; they must form one line (each
   * reads the one before). Ids and names are those the job would have, so `keyedState` takes the uid.
   */
  static of<I, O>(
    pipeline: (input: DataStream<I>) => DataStream<O>,
    options: HarnessOptions = {},
  ): OperatorTestHarness<I, O> {
    const env = StreamExecutionEnvironment.getExecutionEnvironment();
    // The source is never run: records come from processElement, with the event time it is given,
    // which the source's `timestamps` stand for so that event-time windows validate.
    const input = env.fromSource<I>({ connector: { kind: 'generator', count: 0 } }).uid(INPUT);
    input.transformation.timestamps = { field: 'processElement(record, timestamp)' };
    const last = pipeline(input);
    last.sinkTo({ connector: { kind: 'stdout' } }).uid(OUTPUT);
    // A window keyed by a selector emits its late records wrapped, as its input is; the job's
    // getSideOutput adds the map that unwraps them, so the harness asks for it and runs it too.
    const withSide = last as DataStream<O> & { getSideOutput?: (tag: typeof LATE) => DataStream<unknown> };
    withSide
      .getSideOutput?.(LATE)
      .sinkTo({ connector: { kind: 'stdout' } })
      .uid(LATE_OUTPUT);
    const { spec, functions } = env.buildJob('harness');
    const all = parseJobSpec(spec).nodes.filter((n) => n.id !== INPUT && n.id !== OUTPUT && n.id !== LATE_OUTPUT);
    const sideMaps = all.filter((n) => n.inputs.some((i) => i.endsWith(`.${LATE}`)));
    const nodes = all.filter((n) => !sideMaps.includes(n));
    let previous = INPUT;
    for (const n of nodes) {
      if (n.type === 'sink')
        throw new Error(`the harness collects the last operator's output itself; "${n.id}" is a sink`);
      if (n.inputs.length !== 1 || n.inputs[0] !== previous) {
        throw new Error(
          `the harness runs one line of operators: "${n.id}" reads ${JSON.stringify(n.inputs)}, not only "${previous}"`,
        );
      }
      previous = n.id;
    }
    const maxParallelism = options.maxParallelism ?? DEFAULT_MAX_PARALLELISM;
    return new OperatorTestHarness<I, O>((h) => {
      const keep = (tag: string, r: unknown, ts?: number) =>
        void (h.sides.get(tag) ?? h.sides.set(tag, []).get(tag)!).push(record(r, ts));
      let unwrap: Chain | undefined;
      const ctx = {
        fns: FunctionRegistry.ofJobModule(functions),
        maxParallelism,
        time: h.time,
        side: (tag: string, r: unknown, ts?: number) =>
          tag === LATE && unwrap ? unwrap.push(r, ts) : keep(tag, r, ts),
      };
      const out = {
        push: (r: unknown, ts?: number) => void h.output.push(record(r as O, ts)),
        watermark: (w: number) => void h.watermarks.push(w),
        status: () => undefined,
      };
      const chain = createChain(nodes, ctx, out);
      if (sideMaps.length > 0) {
        unwrap = createChain(sideMaps, ctx, {
          push: (r, ts) => keep(LATE, r, ts),
          watermark: () => undefined,
          status: () => undefined,
        });
      }
      if (options.restore) restore(chain, options.restore);
      return chain;
    });
  }

  /** One record, with its event time if the pipeline works in event time. */
  processElement(value: I, timestamp?: number): this {
    // A source's timestamps stage gives a record a finite time or fails; so does the harness.
    if (timestamp !== undefined && !Number.isFinite(timestamp))
      throw new TypeError(`event time ${timestamp} of ${JSON.stringify(value)} is not a number of ms`);
    this.chain.push(value, timestamp);
    return this;
  }

  /** A watermark into the first operator: windows and event-time timers up to it fire. */
  processWatermark(watermark: number): this {
    this.chain.watermark(watermark);
    return this;
  }

  /** Moves the manual processing-time clock on, firing the processing-time timers that fall due. */
  advanceProcessingTime(ms: number): this {
    this.time.advance(ms);
    return this;
  }

  /** The watermarks the last operator passed on. */
  extractWatermarks(): number[] {
    return [...this.watermarks];
  }

  /** Records sent to side output `tag` (e.g. "late"), in order. */
  sideOutput<T = unknown>(tag: string): T[] {
    return this.sideOutputStreamRecords<T>(tag).map((r) => r.value);
  }

  /** Records sent to side output `tag`, each with its event time. */
  sideOutputStreamRecords<T = unknown>(tag: string): StreamRecord<T>[] {
    return [...(this.sides.get(tag) ?? [])] as StreamRecord<T>[];
  }

  processElements(records: Iterable<I>): this {
    for (const r of records) this.chain.push(r);
    return this;
  }

  /**
   * Waits until every asyncMap call has finished and its result is out, as the task's loop would
   * emit them; a failed or timed-out call throws here.
   */
  async settle(): Promise<this> {
    const ops = this.chain.async;
    for (;;) {
      ops.drain();
      if (ops.idle) return this;
      await ops.nextSettle();
    }
  }

  /** Every record the last operator emitted so far, in order. */
  extractOutputValues(): O[] {
    return this.output.map((r) => r.value);
  }

  /** Every record the last operator emitted so far, in order, each with its event time (none: no `timestamp`). */
  extractOutputStreamRecords(): StreamRecord<O>[] {
    return [...this.output];
  }

  clearOutput(): this {
    this.output.length = 0;
    return this;
  }

  /** The keyed state of operator `id` (its uid), key → value; object keys in their JSON form. */
  keyedState<V = unknown>(id: string): Map<unknown, V> {
    return new Map(
      keyedOperator(this.chain, id)
        .snapshot()
        .flatMap(([, entries]) => entries) as [unknown, V][],
    );
  }

  /**
   * The operators' state as a checkpoint of the task holds it, for `OperatorTestHarness.of(..., { restore })`.
   * Encoded and decoded as a checkpoint's is: it is what a restore reads, however the operators go on.
   */
  snapshot(): HarnessSnapshot {
    const { keyed, async, operators } = decodeSnapshot(
      encodeSnapshot(snapshotOperators(this.chain)),
      'harness snapshot',
    );
    return { keyed, ...(async && { async }), ...(operators && { operators }) };
  }
}
