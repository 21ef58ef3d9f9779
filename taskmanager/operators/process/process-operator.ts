/**
 * The `process` node (Flink's KeyedProcessFunction). `fn` names an export of the functions module:
 * a function `(record, ctx)`, or an object `{processElement(record, ctx), onTimer(timestamp, ctx)}`.
 * The context is scoped to the current key: typed state handles (value, list, map; optional TTL),
 * `emit`, the current watermark and processing time, and event-time and processing-time timers,
 * which call `onTimer` with a context for the timer's key. State and timers are keyed state in key
 * groups, in checkpoints like the rest.
 */
import type { KeyedProcessContext, StateOptions } from '../../../common/datastream/process';
import { UserFunctionError } from '../../../common/errors';
import { parseDuration } from '../../../common/duration';
import { keyField, type NodeSpec } from '../../../common/jobfile';
import { keyOf } from '../../../common/key-groups';
import { KeyedState } from '../../state/keyed-state';
import { StateHandles, type KeyStates } from '../../state/state-handles';
import type { Timer } from '../../time/timer-service';
import type { UserFunction } from '../functions';
import type { OperatorContext, Output } from '../output';
import { TimerOperator } from '../timer-operator';

/** What a process function sees besides the record: the API's context, which this node implements. */
export type ProcessContext = KeyedProcessContext<unknown, unknown>;

const TIMER_NAMESPACE = '';

export class ProcessOperator extends TimerOperator {
  readonly store: KeyedState<KeyStates>;
  private readonly handles: StateHandles;
  private readonly processElement: UserFunction;
  private readonly onTimer: UserFunction | undefined;
  private key: unknown = null;
  private timestamp: number | undefined;
  private timeDomain: 'event' | 'processing' | undefined;
  private readonly context: ProcessContext;

  constructor(
    private readonly node: NodeSpec,
    ctx: OperatorContext,
    out: Output,
  ) {
    super(ctx, out);
    const exported = ctx.fns.exported(node.fn!) as
      UserFunction | { processElement?: unknown; onTimer?: unknown } | undefined;
    if (typeof exported === 'function') this.processElement = exported;
    else if (typeof exported?.processElement === 'function') {
      this.processElement = exported.processElement as UserFunction;
      if (typeof exported.onTimer === 'function') this.onTimer = exported.onTimer as UserFunction;
    } else {
      throw new UserFunctionError(
        node.id,
        new TypeError(
          `"${node.fn}" must be a function or an object with processElement (and onTimer) exported by the functions module`,
        ),
      );
    }
    this.store = new KeyedState(ctx.maxParallelism);
    this.handles = new StateHandles(this.store, ctx.time, () => this.key);
    this.context = this.createContext(ctx);
  }

  private createContext(ctx: OperatorContext): ProcessContext {
    // The getters below run with `this` the context: they read the operator's current key and time.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    const op = this;
    const ttl = (options?: StateOptions) => {
      if (options?.ttl === undefined) return {};
      const ms = parseDuration(options.ttl);
      if (ms === undefined || ms <= 0)
        throw new TypeError(`state ttl ${JSON.stringify(options.ttl)} is not a positive duration`);
      return { ttl: ms };
    };
    return {
      get key() {
        return op.key;
      },
      get timestamp() {
        return op.timestamp;
      },
      get timeDomain() {
        return op.timeDomain;
      },
      emit: (record) => this.out.push(record, this.timestamp),
      currentWatermark: () => this.timers.currentWatermark,
      currentProcessingTime: () => ctx.time.now(),
      registerEventTimeTimer: (t) => this.timers.registerEventTimeTimer(this.key, TIMER_NAMESPACE, t),
      deleteEventTimeTimer: (t) => this.timers.deleteEventTimeTimer(this.key, TIMER_NAMESPACE, t),
      registerProcessingTimeTimer: (t) => this.timers.registerProcessingTimeTimer(this.key, TIMER_NAMESPACE, t),
      deleteProcessingTimeTimer: (t) => this.timers.deleteProcessingTimeTimer(this.key, TIMER_NAMESPACE, t),
      valueState: (name, options) => this.handles.value(name, ttl(options)),
      listState: (name, options) => this.handles.list(name, ttl(options)),
      mapState: (name, options) => this.handles.map(name, ttl(options)),
    };
  }

  private call(fn: UserFunction, ...args: unknown[]): void {
    try {
      fn(...args);
    } catch (err) {
      throw new UserFunctionError(this.node.id, err);
    }
  }

  push(record: unknown, timestamp?: number): void {
    this.key = keyOf(record, keyField(this.node), this.node.id);
    this.timestamp = timestamp;
    this.timeDomain = undefined;
    this.call(this.processElement, record, this.context);
  }

  protected onEventTime(timer: Timer): void {
    this.fire(timer, 'event');
  }

  protected override onProcessingTime(timer: Timer): void {
    this.fire(timer, 'processing');
  }

  private fire(timer: Timer, domain: 'event' | 'processing'): void {
    if (!this.onTimer)
      throw new UserFunctionError(this.node.id, new TypeError(`a timer fired but "${this.node.fn}" has no onTimer`));
    this.key = timer.key;
    // As in Flink, what onTimer emits for an event-time timer has the timer's time as event time.
    this.timestamp = domain === 'event' ? timer.timestamp : undefined;
    this.timeDomain = domain;
    this.call(this.onTimer, timer.timestamp, this.context);
  }
}
