import { UserFunctionError } from '../../common/errors';
import { ManualTime } from './manual-time';
import { InternalTimerService, type Timer } from './timer-service';
import { BoundedOutOfOrdernessWatermarks, extractTimestamp } from './watermark-generator';
import { StatusWatermarkValve } from './watermark-valve';

const spec = (extra: object = {}) => ({ field: 'ts', unit: 'ms' as const, maxOutOfOrderness: 0, ...extra });

describe('extractTimestamp', () => {
  it('reads ms, seconds and ISO dates', () => {
    expect(extractTimestamp('n', spec(), { ts: 1500 })).toBe(1500);
    expect(extractTimestamp('n', spec({ unit: 's' }), { ts: 1.5 })).toBe(1500);
    expect(extractTimestamp('n', spec({ unit: 's' }), { ts: '1700000000' })).toBe(1_700_000_000_000);
    expect(extractTimestamp('n', spec({ unit: 'iso' }), { ts: '2026-01-01T00:00:01Z' })).toBe(Date.UTC(2026, 0, 1, 0, 0, 1));
  });

  it('fails naming the node and field when the value is no timestamp', () => {
    expect(() => extractTimestamp('events', spec(), { other: 1 })).toThrow(UserFunctionError);
    expect(() => extractTimestamp('events', spec({ unit: 'iso' }), { ts: 'yesterday' })).toThrow(/operator "events" threw: field "ts" of .* is not an ISO-8601/);
  });
});

describe('BoundedOutOfOrdernessWatermarks', () => {
  it('emits the largest timestamp minus the bound minus 1', () => {
    const g = new BoundedOutOfOrdernessWatermarks(spec({ maxOutOfOrderness: 100 }), 0);
    expect(g.onPeriodicEmit(0)).toEqual({ watermark: -Infinity });
    g.onEvent(1000, 0);
    g.onEvent(900, 0);
    expect(g.onPeriodicEmit(0)).toEqual({ watermark: 899 });
  });

  it('goes idle once after idleTimeout without records, and active with the next record', () => {
    const g = new BoundedOutOfOrdernessWatermarks(spec({ idleTimeout: 50 }), 0);
    g.onEvent(10, 0);
    expect(g.onPeriodicEmit(49)).toEqual({ watermark: 9 });
    expect(g.onPeriodicEmit(50)).toBe('idle');
    expect(g.onPeriodicEmit(100)).toBeUndefined();
    expect(g.onEvent(20, 120)).toBe(true);
    expect(g.onPeriodicEmit(130)).toEqual({ watermark: 19 });
  });
});

describe('BoundedOutOfOrdernessWatermarks per split (Kafka partitions)', () => {
  it('is the smallest over the splits, a declared split holding it back until its first record', () => {
    const g = new BoundedOutOfOrdernessWatermarks(spec({ idleTimeout: 100 }), 0);
    g.declareSplits(['0', '1'], 0);
    g.onEvent(500, 10, '0');
    expect(g.onPeriodicEmit(20)).toEqual({ watermark: -Infinity });
    g.onEvent(300, 30, '1');
    g.onEvent(900, 40, '0');
    expect(g.onPeriodicEmit(50)).toEqual({ watermark: 299 });
  });

  it('leaves a quiet split out, and is idle when every split is quiet', () => {
    const g = new BoundedOutOfOrdernessWatermarks(spec({ idleTimeout: 100 }), 0);
    g.onEvent(300, 0, '1');
    g.onEvent(900, 60, '0');
    expect(g.onPeriodicEmit(120)).toEqual({ watermark: 899 });
    expect(g.onPeriodicEmit(160)).toBe('idle');
    expect(g.onEvent(950, 170, '1')).toBe(true);
    expect(g.onPeriodicEmit(180)).toEqual({ watermark: 949 });
  });
});

describe('StatusWatermarkValve', () => {
  it('is the minimum over its channels and only moves forward', () => {
    const v = new StatusWatermarkValve(['a', 'b']);
    expect(v.inputWatermark('a', 10)).toEqual({});
    expect(v.inputWatermark('b', 5)).toEqual({ watermark: 5 });
    expect(v.inputWatermark('b', 20)).toEqual({ watermark: 10 });
    expect(v.inputWatermark('a', 8)).toEqual({});
  });

  it('leaves idle channels out, and is idle at the largest watermark when all are', () => {
    const v = new StatusWatermarkValve(['a', 'b', 'c']);
    v.inputWatermark('a', 30);
    v.inputWatermark('b', 10);
    expect(v.inputStatus('c', true)).toEqual({ watermark: 10 });
    expect(v.inputStatus('b', true)).toEqual({ watermark: 30 });
    expect(v.inputStatus('a', true)).toEqual({ idle: true });
    // An idle channel's watermarks do not count; once active again it counts from where it is.
    expect(v.inputWatermark('b', 100)).toEqual({});
    expect(v.inputStatus('b', false)).toEqual({ idle: false });
    expect(v.inputWatermark('b', 40)).toEqual({ watermark: 40 });
  });

  it('counts an ended channel as the end of time', () => {
    const v = new StatusWatermarkValve(['a', 'b']);
    v.inputWatermark('a', 7);
    expect(v.endOfInput('b')).toEqual({ watermark: 7 });
    expect(v.endOfInput('a')).toEqual({ watermark: Infinity });
  });
});

describe('InternalTimerService', () => {
  const fired: string[] = [];
  const log = (kind: string) => (t: Timer) => fired.push(`${kind} ${String(t.key)} ${t.namespace} ${t.timestamp}`);
  beforeEach(() => (fired.length = 0));

  it('fires event-time timers in timestamp order once the watermark passes, each once', () => {
    const time = new ManualTime();
    const s = new InternalTimerService(128, time, log('event'), log('proc'));
    s.registerEventTimeTimer('k', 'w2', 20);
    s.registerEventTimeTimer('j', 'w1', 10);
    s.registerEventTimeTimer('j', 'w1', 10);
    s.registerEventTimeTimer('k', 'w3', 30);
    s.deleteEventTimeTimer('k', 'w3', 30);
    s.advanceWatermark(19);
    expect(fired).toEqual(['event j w1 10']);
    s.advanceWatermark(Infinity);
    expect(fired).toEqual(['event j w1 10', 'event k w2 20']);
  });

  it('fires processing-time timers when the clock passes them', () => {
    const time = new ManualTime();
    const s = new InternalTimerService(128, time, log('event'), log('proc'));
    s.registerProcessingTimeTimer('k', 'a', 100);
    s.registerProcessingTimeTimer('k', 'b', 50);
    time.advance(60);
    expect(fired).toEqual(['proc k b 50']);
    time.advance(40);
    expect(fired).toEqual(['proc k b 50', 'proc k a 100']);
  });

  it('restores its timers and watermark from a snapshot', () => {
    const s = new InternalTimerService(128, new ManualTime(), log('event'), log('proc'));
    s.registerEventTimeTimer('k', 'w', 20);
    s.registerEventTimeTimer(7, 'w', 40);
    s.advanceWatermark(10);
    const restored = new InternalTimerService(128, new ManualTime(), log('event'), log('proc'));
    restored.restore(structuredClone(s.snapshot()));
    expect(restored.currentWatermark).toBe(10);
    restored.advanceWatermark(50);
    expect(fired).toEqual(['event k w 20', 'event 7 w 40']);
  });
});
