import { errorInfo, UserFunctionError } from '../../common/errors';
import { Mailbox } from './mailbox';
import { ManualTime } from './manual-time';
import { InternalTimerService, InvalidTimerError, type Timer } from './timer-service';
import { BoundedOutOfOrdernessWatermarks, extractTimestamp } from './watermark-generator';
import { StatusWatermarkValve } from './watermark-valve';

const spec = (extra: object = {}) => ({ field: 'ts', unit: 'ms' as const, maxOutOfOrderness: 0, ...extra });

describe('extractTimestamp', () => {
  it('reads ms, seconds and ISO dates', () => {
    expect(extractTimestamp('n', spec(), { ts: 1500 })).toBe(1500);
    expect(extractTimestamp('n', spec({ unit: 's' }), { ts: 1.5 })).toBe(1500);
    expect(extractTimestamp('n', spec({ unit: 's' }), { ts: '1700000000' })).toBe(1_700_000_000_000);
    expect(extractTimestamp('n', spec({ unit: 'iso' }), { ts: '2026-01-01T00:00:01Z' })).toBe(
      Date.UTC(2026, 0, 1, 0, 0, 1),
    );
  });

  it('fails naming the node and field when the value is no timestamp', () => {
    expect(() => extractTimestamp('events', spec(), { other: 1 })).toThrow(UserFunctionError);
    expect(() => extractTimestamp('events', spec({ unit: 'iso' }), { ts: 'yesterday' })).toThrow(
      /operator "events" threw: field "ts" of .* is not an ISO-8601/,
    );
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

  it('holds one timer per key, namespace and time, whatever the field order of an object key', () => {
    const s = new InternalTimerService(128, new ManualTime(), log('event'), log('proc'));
    s.registerEventTimeTimer({ a: 1, b: 2 }, 'w', 10);
    s.registerEventTimeTimer({ b: 2, a: 1 }, 'w', 10);
    s.advanceWatermark(10);
    expect(fired).toHaveLength(1);
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
  it('refuses a timer at a time that is no number, to register or to delete, saying where event time comes from', () => {
    const s = new InternalTimerService(128, new ManualTime(), log('event'), log('proc'));
    const noTime = undefined as unknown as number;
    for (const t of [NaN, noTime, '1000' as unknown as number]) {
      expect(() => s.registerEventTimeTimer('k', '', t)).toThrow(InvalidTimerError);
      expect(() => s.deleteEventTimeTimer('k', '', t)).toThrow(InvalidTimerError);
      expect(() => s.registerProcessingTimeTimer('k', '', t)).toThrow(InvalidTimerError);
      expect(() => s.deleteProcessingTimeTimer('k', '', t)).toThrow(InvalidTimerError);
    }
    expect(() => s.registerEventTimeTimer('k', '', noTime + 60_000)).toThrow(
      /event-time timer at NaN: .*ctx\.timestamp is undefined for a record without event time: .*assignTimestampsAndWatermarks.*"timestamps"/,
    );
    expect(() => s.registerProcessingTimeTimer('k', '', NaN)).toThrow(
      /processing-time timer at NaN: .*ctx\.currentProcessingTime\(\)/,
    );
    // A restart cannot fix it: the job fails at once, with the code.
    const err = (() => {
      try {
        s.registerEventTimeTimer('k', '', NaN);
      } catch (e) {
        return e;
      }
    })();
    expect(errorInfo(new UserFunctionError('alerts', err))).toMatchObject({
      nonRetriable: true,
      message: expect.stringMatching(/^operator "alerts" threw: event-time timer at NaN/),
    });
    expect(err).toMatchObject({ code: 'INVALID_TIMER' });
    s.advanceWatermark(Infinity);
    expect(fired).toEqual([]);
  });

  it('takes the ends of time: -Infinity fires at the next watermark, Infinity at the end of input, as distinct timers', () => {
    const s = new InternalTimerService(128, new ManualTime(), log('event'), log('proc'));
    s.registerEventTimeTimer('k', '', Infinity);
    s.registerEventTimeTimer('k', '', -Infinity);
    s.advanceWatermark(0);
    expect(fired).toEqual(['event k  -Infinity']);
    s.advanceWatermark(Number.MAX_SAFE_INTEGER);
    expect(fired).toHaveLength(1);
    s.advanceWatermark(Infinity);
    expect(fired).toEqual(['event k  -Infinity', 'event k  Infinity']);
    expect(new InternalTimerService(128, new ManualTime(), log('event'), log('proc')).snapshot()).toEqual({
      watermark: -Infinity,
      event: [],
      processing: [],
    });
  });

  it('fires an event-time timer already behind the watermark at the next watermark, a processing-time one at the next chance', () => {
    const time = new ManualTime(100);
    const s = new InternalTimerService(128, time, log('event'), log('proc'));
    s.advanceWatermark(50);
    s.registerEventTimeTimer('k', '', 10);
    s.registerProcessingTimeTimer('k', '', 20);
    expect(fired).toEqual([]);
    time.advance(0);
    expect(fired).toEqual(['proc k  20']);
    s.advanceWatermark(51);
    expect(fired).toEqual(['proc k  20', 'event k  10']);
  });

  it('a processing-time timer at Infinity never fires and holds no earlier one back', () => {
    const time = new ManualTime();
    const s = new InternalTimerService(128, time, log('event'), log('proc'));
    s.registerProcessingTimeTimer('k', '', Infinity);
    s.registerProcessingTimeTimer('k', '', 10);
    time.advance(1e15);
    expect(fired).toEqual(['proc k  10']);
  });
});

describe('Mailbox', () => {
  afterEach(() => jest.useRealTimers());

  it("runs a callback due in the past at the next chance, and one beyond setTimeout's range only when it is due", () => {
    jest.useFakeTimers({ now: 1_000_000 });
    let wakes = 0;
    const ran: string[] = [];
    const mailbox = new Mailbox(() => wakes++);
    mailbox.schedule(0, () => ran.push('past'));
    mailbox.schedule(Date.now() + 2 ** 31 + 10, () => ran.push('far'));
    mailbox.schedule(Infinity, () => ran.push('never'));
    jest.advanceTimersByTime(0);
    expect(mailbox.runDue()).toBe(true);
    expect(ran).toEqual(['past']);
    // setTimeout runs a delay over 2^31 - 1 ms after 1 ms: that would wake the task every ms.
    jest.advanceTimersByTime(1000);
    expect([wakes, mailbox.runDue()]).toEqual([1, false]);
    jest.advanceTimersByTime(2 ** 31 + 9 - 1000);
    expect(mailbox.runDue()).toBe(false);
    jest.advanceTimersByTime(1);
    expect(mailbox.runDue()).toBe(true);
    expect(ran).toEqual(['past', 'far']);
    mailbox.close();
    expect(jest.getTimerCount()).toBe(0);
  });
});
