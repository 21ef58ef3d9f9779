import { durationSchema, parseDuration } from './duration';

describe('parseDuration', () => {
  it('reads numbers as milliseconds and strings with a unit', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('500ms')).toBe(500);
    expect(parseDuration('30s')).toBe(30_000);
    expect(parseDuration('5m')).toBe(300_000);
    expect(parseDuration('1h')).toBe(3_600_000);
    expect(parseDuration('1.5s')).toBe(1500);
    expect(parseDuration(' 2 s ')).toBe(2000);
  });

  it('refuses what is not a duration', () => {
    for (const bad of ['30', '5 minutes', 's', '', '-5s', -1, Infinity, NaN, null, {}])
      expect(parseDuration(bad)).toBeUndefined();
  });

  it('takes a sign only when asked', () => {
    expect(parseDuration('-5s', true)).toBe(-5000);
    expect(parseDuration('+5s', true)).toBe(5000);
    expect(parseDuration(-20, true)).toBe(-20);
  });
});

describe('durationSchema', () => {
  it('parses to whole ms and names the expected form on error', () => {
    expect(durationSchema().parse('2s')).toBe(2000);
    const r = durationSchema().safeParse('2 weeks');
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].message).toMatch(/"500ms", "30s"/);
    expect(durationSchema({ min: 1 }).safeParse(0).success).toBe(false);
  });
});
