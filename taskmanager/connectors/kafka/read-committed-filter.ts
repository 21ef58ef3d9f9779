/**
 * Which fetched records belong to aborted transactions, by Kafka's own rule (the Java consumer's
 * Fetcher): a producer is aborted from the first offset of each aborted transaction the broker
 * lists for the fetch until that producer's abort marker; transactional records of an aborted
 * producer are skipped. The broker's list is not sorted, and one record may step into several
 * aborted transactions at once (what kafkajs 2.2.4's own filter gets wrong; see
 * kafkajs-workarounds.ts).
 */

/** A record as kafkajs's record batch decoder gives it (only the fields used here). */
export interface FetchedMessage {
  offset: string;
  key: Buffer | null;
  isControlRecord?: boolean;
  batchContext: { producerId: string; inTransaction: boolean };
}

/** One entry of a fetch response's aborted_transactions. */
export interface AbortedTransaction {
  producerId: string;
  firstOffset: string;
}

/** Control record key: version 0, type 0 (ABORT). */
const ABORT_MARKER_KEY = Buffer.from([0, 0, 0, 0]);

/** The data records of `messages` (in offset order) that belong to an aborted transaction. */
export function abortedRecords(
  messages: readonly FetchedMessage[],
  abortedTransactions: readonly AbortedTransaction[] | undefined,
): Set<FetchedMessage> {
  const out = new Set<FetchedMessage>();
  if (!abortedTransactions || abortedTransactions.length === 0) return out;
  const upcoming = [...abortedTransactions].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : 1));
  const aborted = new Set<string>();
  for (const m of messages) {
    const offset = BigInt(m.offset);
    while (upcoming.length > 0 && offset >= BigInt(upcoming[0].firstOffset))
      aborted.add(String(upcoming.shift()!.producerId));
    const producerId = String(m.batchContext.producerId);
    if (m.isControlRecord) {
      if (m.key && Buffer.from(m.key).equals(ABORT_MARKER_KEY)) aborted.delete(producerId);
    } else if (m.batchContext.inTransaction && aborted.has(producerId)) {
      out.add(m);
    }
  }
  return out;
}
