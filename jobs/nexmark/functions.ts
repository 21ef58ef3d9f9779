/**
 * Nexmark's queries as functions for jobs/nexmark/*.json. `isBid` is Nexmark's `bid` view (the events
 * of type bid), `isPerson` and `isAuction` its `person` and `auction` views; each query then projects,
 * selects or finishes its windows as its SQL in Flink's nexmark repository does.
 */
import type { KeyedProcessFunction } from 'flinkx';

interface Bid {
  type: 'bid';
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

interface Person {
  type: 'person';
  id: number;
  name: string;
}

export const isBid = (e: { type: string }): boolean => e.type === 'bid';
export const isPerson = (e: { type: string }): boolean => e.type === 'person';
export const isAuction = (e: { type: string }): boolean => e.type === 'auction';

/** q0, pass-through: SELECT auction, bidder, price, dateTime, extra FROM bid. */
export const q0 = ({ auction, bidder, price, dateTime, extra }: Bid) => ({ auction, bidder, price, dateTime, extra });

/** q1, currency conversion: the price in euros, 0.908 × dollars. */
export const q1 = ({ auction, bidder, price, dateTime, extra }: Bid) => ({
  auction,
  bidder,
  price: 0.908 * price,
  dateTime,
  extra,
});

/** q2, selection: WHERE MOD(auction, 123) = 0 ... */
export const q2Select = (b: Bid): boolean => b.auction % 123 === 0;

/** ... SELECT auction, price. */
export const q2 = ({ auction, price }: Bid) => ({ auction, price });

/** A sliding window's bid count of one auction (the `window` node's result). */
interface AuctionCount {
  auction: number;
  windowStart: number;
  windowEnd: number;
  count: number;
}

interface HotItems {
  windowStart: number;
  num: number;
  auctions: number[];
}

/**
 * q5, hot items, keyed by windowEnd: of every auction's count in that window, those equal to the
 * largest (AuctionBids.num >= MaxBids.maxn). The counts carry the window's last timestamp as event
 * time, so a timer there fires once the watermark says every count of the window has arrived.
 */
export const q5HotItems: KeyedProcessFunction<
  number,
  AuctionCount,
  { auction: number; num: number; windowStart: number; windowEnd: number }
> = {
  processElement({ auction, windowStart, count }, ctx) {
    const state = ctx.valueState<HotItems>('hot');
    const hot = state.value();
    if (hot === undefined) {
      state.update({ windowStart, num: count, auctions: [auction] });
      ctx.registerEventTimeTimer(ctx.timestamp!);
    } else if (count > hot.num) state.update({ windowStart, num: count, auctions: [auction] });
    else if (count === hot.num) state.update({ ...hot, auctions: [...hot.auctions, auction] });
  },
  onTimer(_timestamp, ctx) {
    const state = ctx.valueState<HotItems>('hot');
    const hot = state.value()!;
    for (const auction of hot.auctions)
      ctx.emit({ auction, num: hot.num, windowStart: hot.windowStart, windowEnd: ctx.key });
    state.clear();
  },
};

type HighestBid = Pick<Bid, 'auction' | 'price' | 'bidder' | 'dateTime' | 'extra'>;
interface HighestBids {
  price: number;
  bids: HighestBid[];
}

/** q7, the window's highest bids (every bid at the maximum price) as a custom window aggregate. */
export const q7HighestBids = {
  create: (): HighestBids => ({ price: -1, bids: [] }),
  add(acc: HighestBids, { auction, price, bidder, dateTime, extra }: Bid): HighestBids {
    if (price > acc.price) return { price, bids: [{ auction, price, bidder, dateTime, extra }] };
    if (price === acc.price) acc.bids.push({ auction, price, bidder, dateTime, extra });
    return acc;
  },
  merge: (a: HighestBids, b: HighestBids): HighestBids =>
    a.price > b.price ? a : b.price > a.price ? b : { price: a.price, bids: [...a.bids, ...b.bids] },
  result: (acc: HighestBids): HighestBid[] => acc.bids,
};

/** ... SELECT auction, price, bidder, dateTime, extra: one row per highest bid. */
export const q7 = (w: { q7HighestBids: HighestBid[] }): HighestBid[] => w.q7HighestBids;

/** q8's person side: only what the query returns is buffered in the join's windows. */
export const q8Person = ({ id, name }: Person) => ({ id, name });

/** q8, new users: SELECT P.id, P.name, P.starttime of each person joined with a seller window. */
export const q8 = ({ windowStart, persons }: { windowStart: number; persons: { id: number; name: string } }) => ({
  id: persons.id,
  name: persons.name,
  starttime: windowStart,
});
