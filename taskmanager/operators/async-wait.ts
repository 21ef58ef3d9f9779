/**
 * asyncMap: Flink's AsyncWaitOperator. Each record starts one call of the user's async function; at
 * most `capacity` calls run at once, and a record whose result has not been emitted yet stays in the
 * queue. The task stops taking input while a queue is full (back-pressure) and emits results from
 * its own loop (`drain`), so output, flushing and barriers stay in the task's order: `ordered` emits
 * in input order, otherwise as calls complete.
 *
 * A watermark never overtakes the records before it, nor a record the watermark before it: it waits
 * in the queue, in its place, and leaves once the records before it have (in unordered mode records
 * complete in any order only between two watermarks, Flink's segments).
 *
 * A checkpoint holds the queue (records started, finished or not yet started, each with its event
 * time, and the watermarks between them), and a restore puts it back in the same order and starts
 * the calls again, so each record's result is emitted once relative to the checkpoint, with the
 * event time it came with, and each watermark after the records before it.
 */
import { FlinkxError, UserFunctionError } from '../../common/errors';
import type { AsyncSpec, NodeSpec } from '../../common/jobfile';
import { operatorUid } from '../../common/operator-uids';
import type { AsyncElement } from '../../common/protocol/snapshot';
import type { UserFunction } from './functions';

export class AsyncTimeoutError extends FlinkxError {
  constructor(node: string, timeout: number, input: unknown) {
    super(
      'ASYNC_TIMEOUT',
      `operator "${node}": no result within ${timeout} ms for ${JSON.stringify(input)?.slice(0, 200)}`,
    );
  }
}

interface RecordEntry {
  input: unknown;
  timestamp?: number;
  /** The number of watermarks queued before it: unordered mode emits only the first segment's records. */
  segment: number;
  done: boolean;
  /** false when the call timed out under onTimeout "drop". */
  emit: boolean;
  result?: unknown;
  timer?: NodeJS.Timeout;
}

interface WatermarkEntry {
  watermark: number;
}

type Entry = RecordEntry | WatermarkEntry;

const isWatermark = (e: Entry): e is WatermarkEntry => 'watermark' in e;

export class AsyncWaitOperator {
  /** Records not yet emitted and the watermarks between them, in input order. */
  private queue: Entry[] = [];
  /** Records whose call has not started: more than `capacity` wait after a batch or a restore, in input order. */
  private waiting: RecordEntry[] = [];
  /** Finished records not yet emitted, in completion order (unordered mode). */
  private completed: RecordEntry[] = [];
  private running = 0;
  /** Watermarks queued so far, and emitted from the queue so far: the segment of new records, and of the first. */
  private queuedWatermarks = 0;
  private emittedWatermarks = 0;
  private failure: Error | undefined;
  private closed = false;

  constructor(
    readonly node: NodeSpec,
    private readonly fn: UserFunction,
    private readonly options: AsyncSpec,
    private readonly out: (record: unknown, timestamp?: number) => void,
    /** Called when a call finishes, so the task wakes up to drain. */
    private readonly onSettled: () => void,
    private readonly outWatermark: (watermark: number) => void = () => undefined,
  ) {}

  readonly push = (input: unknown, timestamp?: number): void => {
    const e: RecordEntry = { input, timestamp, segment: this.queuedWatermarks, done: false, emit: false };
    this.queue.push(e);
    this.waiting.push(e);
    this.startWaiting();
  };

  watermark(w: number): void {
    if (this.queue.length === 0) this.outWatermark(w);
    else this.enqueueWatermark(w);
  }

  /** Take no more input: the queue holds `capacity` elements (records and watermarks, as Flink counts). */
  get full(): boolean {
    return this.queue.length >= this.options.capacity;
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Emit what is ready; a failed or timed-out call (under "fail") fails the task here. */
  drain(): void {
    if (this.failure) throw this.failure;
    if (this.options.ordered) this.drainOrdered();
    else this.drainUnordered();
  }

  /** The queue, for a checkpoint. */
  snapshot(): AsyncElement[] {
    return this.queue.map((e): AsyncElement => {
      if (isWatermark(e)) return { kind: 'watermark', watermark: e.watermark };
      return e.timestamp === undefined
        ? { kind: 'record', value: e.input }
        : { kind: 'record', value: e.input, timestamp: e.timestamp };
    });
  }

  /**
   * The queue of a checkpoint, in its order; nothing leaves before the task's first drain (the
   * operators after this one are restored after it).
   */
  restore(elements: AsyncElement[]): void {
    for (const e of elements) {
      if (e.kind === 'watermark') this.enqueueWatermark(e.watermark);
      else this.push(e.value, e.timestamp);
    }
  }

  /** Stop: timers cleared, late results ignored. */
  close(): void {
    this.closed = true;
    for (const e of this.queue) if (!isWatermark(e)) clearTimeout(e.timer);
  }

  /** Behind the records before it; the records after it are of the next segment. */
  private enqueueWatermark(w: number): void {
    this.queue.push({ watermark: w });
    this.queuedWatermarks++;
  }

  private drainOrdered(): void {
    let n = 0;
    while (n < this.queue.length) {
      const e = this.queue[n];
      if (!isWatermark(e) && !e.done) break;
      n++;
    }
    // Out of the queue first: an operator after this one that throws leaves no element emitted twice.
    for (const e of this.queue.splice(0, n)) {
      if (isWatermark(e)) this.outWatermark(e.watermark);
      else if (e.emit) this.out(e.result, e.timestamp);
    }
  }

  private drainUnordered(): void {
    for (;;) {
      const first = this.emittedWatermarks;
      const ready = this.completed.filter((e) => e.segment === first);
      if (ready.length > 0) {
        this.completed = this.completed.filter((e) => e.segment !== first);
        const gone = new Set<Entry>(ready);
        this.queue = this.queue.filter((e) => !gone.has(e));
        for (const e of ready) if (e.emit) this.out(e.result, e.timestamp);
      }
      const head = this.queue[0];
      if (!head || !isWatermark(head)) return;
      this.queue.shift();
      this.emittedWatermarks++;
      this.outWatermark(head.watermark);
    }
  }

  private startWaiting(): void {
    while (this.running < this.options.capacity && this.waiting.length > 0) this.start(this.waiting.shift()!);
  }

  private start(e: RecordEntry): void {
    this.running++;
    e.timer = setTimeout(() => this.settle(e, 'timeout'), this.options.timeout);
    // A function that throws instead of rejecting fails the same way.
    new Promise((resolve) => resolve(this.fn(e.input))).then(
      (value) => this.settle(e, 'ok', value),
      (err: unknown) => this.settle(e, 'error', err),
    );
  }

  private settle(e: RecordEntry, how: 'ok' | 'error' | 'timeout', value?: unknown): void {
    if (e.done || this.closed) return;
    clearTimeout(e.timer);
    e.done = true;
    this.running--;
    if (how === 'ok') [e.emit, e.result] = [true, value];
    else if (how === 'error') this.failure ??= new UserFunctionError(this.node.id, value);
    else if (this.options.onTimeout === 'fail')
      this.failure ??= new AsyncTimeoutError(this.node.id, this.options.timeout, e.input);
    if (!this.options.ordered) this.completed.push(e);
    this.startWaiting();
    this.onSettled();
  }
}

/** The asyncMap operators of one chain, head first, as its task drives them. */
export class AsyncOperators {
  readonly list: AsyncWaitOperator[] = [];
  /** A call settled since the last drain; and who waits for one. */
  private settled = false;
  private waiter: (() => void) | undefined;

  /** `wake` also gets every settle: the task uses it to leave a wait for input. */
  constructor(private readonly wake: () => void) {}

  readonly onSettled = (): void => {
    this.settled = true;
    this.waiter?.();
    this.wake();
  };

  get full(): boolean {
    return this.list.some((op) => op.full);
  }

  get idle(): boolean {
    return this.list.every((op) => op.idle);
  }

  /** Head first: its results feed the operators after it. */
  drain(): void {
    this.settled = false;
    for (const op of this.list) op.drain();
  }

  /** Resolves when a call settles (at once if one did since the last drain) or on `interrupt`. */
  async nextSettle(): Promise<void> {
    if (!this.settled) await new Promise<void>((resolve) => (this.waiter = resolve));
    this.waiter = undefined;
  }

  interrupt(): void {
    this.waiter?.();
  }

  snapshot(): Record<string, AsyncElement[]> | undefined {
    return this.list.length > 0
      ? Object.fromEntries(this.list.map((op) => [operatorUid(op.node), op.snapshot()]))
      : undefined;
  }

  restore(snapshot: Record<string, AsyncElement[]> | undefined): void {
    for (const op of this.list) op.restore(snapshot?.[operatorUid(op.node)] ?? []);
  }

  close(): void {
    for (const op of this.list) op.close();
  }
}
