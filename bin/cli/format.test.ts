import { watermarkCell } from './format';

test("a vertex's watermark prints as an instant with its lag behind (or lead over) the clock, or - before the first", () => {
  expect(watermarkCell(undefined, undefined)).toBe('-');
  expect(watermarkCell(Date.UTC(2026, 0, 1, 0, 0, 5), 3200)).toBe('2026-01-01T00:00:05.000Z (lag 3.2s)');
  expect(watermarkCell(Date.UTC(2026, 0, 1), -90_000)).toBe('2026-01-01T00:00:00.000Z (ahead 1m30s)');
});
