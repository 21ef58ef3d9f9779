/**
 * asyncMap: Flink's AsyncWaitOperator. Each record starts one call of the user's async function; at
 * most `capacity` calls run at once, and a record whose result has not been emitted yet stays in the
 * queue. The task stops taking input while a queue is full (back-pressure) and emits results from
 * its own loop (`drain`), so output, flushing and barriers stay in the task's order: `ordered` emits
 * in input order, otherwise as calls complete.
 *
 * A checkpoint holds the inputs still in the queue (started, finished or not yet started), and a
 * restore starts them again, so each record's result is emitted once relative to the checkpoint.
 * A watermark never overtakes the records before it: it is held until the queue has emitted them.
 */
import { FlinkxError, UserFunctionError } from '../../common/errors';
import type { AsyncSpec, NodeSpec } from '../../common/jobfile';
import { operatorUid } from '../../common/operator-uids';
import type { UserFunction } from './functions';

export class AsyncTimeoutError extends FlinkxError {
  constructor(node: string, timeout: number, input: unknown) {
    super('ASYNC_TIMEOUT', `operator "${node}": no result within ${timeout} ms for ${JSON.stringify(input)?.slice(0, 200)}`);
  }
}

interface Entry {
  input: unknown;
  timestamp?: number;
  started: boolean;
  done: boolean;
  /** false when the call timed out under onTimeout "drop". */
  emit: boolean;
  result?: unknown;
  timer?: NodeJS.Timeout;
}

export class AsyncWaitOperator {
  /** Entries not yet emitted, in input order. */
  private queue: Entry[] = [];
  /** Finished entries not yet emitted, in completion order (unordered mode). */
  private completed: Entry[] = [];
  private running = 0;
  private nextToStart = 0;
  private failure: Error | undefined;
  private closed = false;
  /** The latest watermark that arrived while records were queued. */
  private heldWatermark: number | undefined;

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
    this.queue.push({ input, timestamp, started: false, done: false, emit: false });
    this.startWaiting();
  };

  watermark(w: number): void {
    if (this.queue.length === 0) this.outWatermark(w);
    else this.heldWatermark = Math.max(w, this.heldWatermark ?? -Infinity);
  }

  /** Take no more input: the queue holds `capacity` records. */
  get full(): boolean {
    return this.queue.length >= this.options.capacity;
  }

  get idle(): boolean {
    return this.queue.length === 0;
  }

  /** Emit what is ready; a failed or timed-out call (under "fail") fails the task here. */
  drain(): void {
    if (this.failure) throw this.failure;
    if (this.options.ordered) {
      let n = 0;
      while (n < this.queue.length && this.queue[n].done) n++;
      const ready = this.queue.splice(0, n);
      this.nextToStart -= n;
      for (const e of ready) if (e.emit) this.out(e.result, e.timestamp);
    } else if (this.completed.length > 0) {
      const ready = this.completed;
      this.completed = [];
      const gone = new Set(ready);
      this.queue = this.queue.filter((e) => !gone.has(e));
      this.nextToStart = this.queue.findIndex((e) => !e.started);
      if (this.nextToStart < 0) this.nextToStart = this.queue.length;
      for (const e of ready) if (e.emit) this.out(e.result, e.timestamp);
    }
    if (this.queue.length === 0 && this.heldWatermark !== undefined) {
      const w = this.heldWatermark;
      this.heldWatermark = undefined;
      this.outWatermark(w);
    }
  }

  /** The inputs whose results are not emitted yet, for a checkpoint. */
  snapshot(): unknown[] {
    return this.queue.map((e) => e.input);
  }

  restore(inputs: unknown[]): void {
    for (const input of inputs) this.push(input);
  }

  /** Stop: timers cleared, late results ignored. */
  close(): void {
    this.closed = true;
    for (const e of this.queue) clearTimeout(e.timer);
  }

  private startWaiting(): void {
    while (this.running < this.options.capacity && this.nextToStart < this.queue.length) {
      this.start(this.queue[this.nextToStart++]);
    }
  }

  private start(e: Entry): void {
    e.started = true;
    this.running++;
    e.timer = setTimeout(() => this.settle(e, 'timeout'), this.options.timeout);
    // A function that throws instead of rejecting fails the same way.
    new Promise((resolve) => resolve(this.fn(e.input))).then(
      (value) => this.settle(e, 'ok', value),
      (err: unknown) => this.settle(e, 'error', err),
    );
  }

  private settle(e: Entry, how: 'ok' | 'error' | 'timeout', value?: unknown): void {
    if (e.done || this.closed) return;
    clearTimeout(e.timer);
    e.done = true;
    this.running--;
    if (how === 'ok') [e.emit, e.result] = [true, value];
    else if (how === 'error') this.failure ??= new UserFunctionError(this.node.id, value);
    else if (this.options.onTimeout === 'fail') this.failure ??= new AsyncTimeoutError(this.node.id, this.options.timeout, e.input);
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

  snapshot(): Record<string, unknown[]> | undefined {
    return this.list.length > 0 ? Object.fromEntries(this.list.map((op) => [operatorUid(op.node), op.snapshot()])) : undefined;
  }

  restore(snapshot: Record<string, unknown[]> | undefined): void {
    for (const op of this.list) op.restore(snapshot?.[operatorUid(op.node)] ?? []);
  }

  close(): void {
    for (const op of this.list) op.close();
  }
}
