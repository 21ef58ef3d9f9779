import { FetchBuffer, HIGH_WATER, LOW_WATER, type FetchControl } from './fetch-buffer';
import type { KafkaRecord } from './partition-fetcher';

const rec = (offset: number, value: string | null = `v${offset}`): KafkaRecord => ({
  offset,
  timestamp: 1000 + offset,
  key: null,
  value: value === null ? null : Buffer.from(value),
});
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => rec(from + i));

/** Records what the buffer asked of the fetcher. */
class TestingFetcher implements FetchControl {
  readonly calls: string[] = [];
  pause(partitions: number[]): void {
    this.calls.push(`pause ${partitions.join(',')}`);
  }
  resume(partitions: number[]): void {
    this.calls.push(`resume ${partitions.join(',')}`);
  }
}

function buffer(owned: number[]) {
  const fetcher = new TestingFetcher();
  const b = new FetchBuffer(
    new Set(owned),
    () => fetcher,
    (r) => r.value!.toString(),
  );
  return { b, fetcher };
}

describe('FetchBuffer', () => {
  it('hands out records in fetch order and moves the positions with them', () => {
    const { b } = buffer([0, 1]);
    b.startAt(0, 0);
    b.startAt(1, 10);
    expect(b.add({ partition: 0, records: range(0, 3), next: 3 })).toBe(true);
    expect(b.add({ partition: 1, records: range(10, 12), next: 12 })).toBe(true);
    expect(b.take(4)).toEqual(['v0', 'v1', 'v2', 'v10']);
    expect(Object.fromEntries(b.positions)).toEqual({ 0: 3, 1: 11 });
    expect(b.lastSplits).toEqual(['0', '0', '0', '1']);
    expect(b.lastTimestamps).toEqual([1000, 1001, 1002, 1010]);
    expect(b.take(10)).toEqual(['v11']);
    expect(Object.fromEntries(b.positions)).toEqual({ 0: 3, 1: 12 });
  });

  it('skips tombstones but moves past them, and past what the fetch covered (transaction markers)', () => {
    const { b } = buffer([0]);
    b.startAt(0, 0);
    b.add({ partition: 0, records: [rec(0), rec(1, null), rec(2)], next: 5 });
    expect(b.take(10)).toEqual(['v0', 'v2']);
    expect(b.positions.get(0)).toBe(5);
    expect(b.startOffset(0)).toBe(5);
  });

  it('drops a fetch from before a seek, the part before the expected offset, and partitions not owned', () => {
    const { b } = buffer([0]);
    b.startAt(0, 5);
    expect(b.add({ partition: 0, records: range(2, 5), next: 5 })).toBe(false);
    expect(b.add({ partition: 3, records: range(0, 2), next: 2 })).toBe(false);
    expect(b.add({ partition: 0, records: range(3, 8), next: 8 })).toBe(true);
    expect(b.take(10)).toEqual(['v5', 'v6', 'v7']);
  });

  it('bounded: cuts at the end, pauses the finished partition and is exhausted once all is handed out', () => {
    const { b, fetcher } = buffer([0, 1]);
    b.startAt(0, 0);
    b.startAt(1, 0);
    b.ends = new Map([
      [0, 3],
      [1, 0],
    ]);
    expect(b.paused([0, 1])).toEqual([1]);
    b.add({ partition: 0, records: range(0, 6), next: 6 });
    expect(fetcher.calls).toEqual(['pause 0']);
    expect(b.isDone(0)).toBe(true);
    expect(b.exhausted()).toBe(false);
    expect(b.take(10)).toEqual(['v0', 'v1', 'v2']);
    expect(b.positions.get(0)).toBe(3);
    expect(b.exhausted()).toBe(true);
  });

  it('pauses every owned partition above the high water mark and resumes them below the low one', () => {
    const { b, fetcher } = buffer([0, 1]);
    b.startAt(0, 0);
    b.startAt(1, 0);
    b.add({ partition: 0, records: range(0, HIGH_WATER), next: HIGH_WATER });
    expect(fetcher.calls).toEqual([]);
    b.add({ partition: 1, records: range(0, 1), next: 1 });
    expect(fetcher.calls).toEqual(['pause 0,1']);
    expect(b.paused([0, 1])).toEqual([0, 1]);
    b.take(HIGH_WATER + 1 - LOW_WATER);
    expect(fetcher.calls).toEqual(['pause 0,1']);
    b.take(1);
    expect(fetcher.calls).toEqual(['pause 0,1', 'resume 0,1']);
    expect(b.paused([0, 1])).toEqual([]);
  });
});
