/**
 * kafkajs 2.2.4's read_committed filter lets records of aborted transactions through when one fetch
 * covers several of them (it activates one aborted transaction per record and expects the list
 * sorted). Test readers replace it (`jest.mock('kafkajs/src/consumer/filterAbortedMessages', ...)`)
 * with Kafka's own rule (Java Fetcher), written here independently of the connector's fix: a
 * producer is aborted from the first offset of each aborted transaction the broker lists until its
 * abort marker.
 */
type Message = { offset: string; key: Buffer | null; isControlRecord?: boolean; batchContext: { producerId: string; inTransaction: boolean } };

const ABORT_KEY = Buffer.from([0, 0, 0, 0]);

export function filterAbortedMessages({
  messages,
  abortedTransactions,
}: {
  messages: Message[];
  abortedTransactions?: { producerId: string; firstOffset: string }[];
}): Message[] {
  const upcoming = [...(abortedTransactions ?? [])].sort((a, b) => (BigInt(a.firstOffset) < BigInt(b.firstOffset) ? -1 : 1));
  const aborted = new Set<string>();
  return messages.filter((m) => {
    while (upcoming.length > 0 && BigInt(m.offset) >= BigInt(upcoming[0].firstOffset)) aborted.add(String(upcoming.shift()!.producerId));
    if (m.isControlRecord) {
      if (m.key && Buffer.from(m.key).equals(ABORT_KEY)) aborted.delete(String(m.batchContext.producerId));
      return true;
    }
    return !(m.batchContext.inTransaction && aborted.has(String(m.batchContext.producerId)));
  });
}
