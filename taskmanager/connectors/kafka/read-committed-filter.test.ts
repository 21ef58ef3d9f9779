import { abortedRecords, type FetchedMessage } from './read-committed-filter';

const ABORT = Buffer.from([0, 0, 0, 0]);
const COMMIT = Buffer.from([0, 0, 0, 1]);
const data = (offset: number, producerId: string, inTransaction = true): FetchedMessage => ({
  offset: String(offset),
  key: null,
  batchContext: { producerId, inTransaction },
});
const marker = (offset: number, producerId: string, key: Buffer): FetchedMessage => ({
  offset: String(offset),
  key,
  isControlRecord: true,
  batchContext: { producerId, inTransaction: true },
});
const offsets = (s: Set<FetchedMessage>) => [...s].map((m) => Number(m.offset)).sort((a, b) => a - b);

describe('abortedRecords (Kafka read_committed rule)', () => {
  test('nothing is aborted without aborted transactions', () => {
    const messages = [data(0, '1'), data(1, '2')];
    expect(abortedRecords(messages, undefined).size).toBe(0);
    expect(abortedRecords(messages, []).size).toBe(0);
  });

  test('several aborted transactions open at the first record of the fetch, listed unsorted', () => {
    // Producers 1, 2, 3 each began a transaction before offset 10 that was later aborted; 4 commits.
    const messages = [
      data(10, '3'), // aborted: its transaction began at 7
      data(11, '1'),
      data(12, '4'), // committed producer
      data(13, '2'),
      marker(14, '1', ABORT),
      data(15, '1'), // a new transaction of 1, not listed as aborted
      data(16, '2', false), // not transactional: never filtered
      marker(17, '2', ABORT),
      data(18, '3'),
      marker(19, '3', ABORT),
      marker(20, '4', COMMIT),
    ];
    const aborted = [
      { producerId: '3', firstOffset: '7' },
      { producerId: '1', firstOffset: '2' },
      { producerId: '2', firstOffset: '5' },
    ];
    expect(offsets(abortedRecords(messages, aborted))).toEqual([10, 11, 13, 18]);
  });

  test('an aborted transaction starts at its first offset, not before', () => {
    const messages = [
      data(0, '1'),
      data(1, '1'),
      marker(2, '1', COMMIT),
      data(3, '1'),
      data(4, '1'),
      marker(5, '1', ABORT),
      data(6, '1'),
    ];
    expect(offsets(abortedRecords(messages, [{ producerId: '1', firstOffset: '3' }]))).toEqual([3, 4]);
  });

  test('two aborted transactions of one producer in one fetch', () => {
    const messages = [
      data(0, '1'),
      marker(1, '1', ABORT),
      data(2, '1'),
      marker(3, '1', COMMIT),
      data(4, '1'),
      marker(5, '1', ABORT),
    ];
    const aborted = [
      { producerId: '1', firstOffset: '4' },
      { producerId: '1', firstOffset: '0' },
    ];
    expect(offsets(abortedRecords(messages, aborted))).toEqual([0, 4]);
  });
});
