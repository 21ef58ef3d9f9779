/**
 * Nexmark's q0–q2 as functions for jobs/nexmark/*.json. `isBid` is Nexmark's `bid` view (the events
 * of type bid); each query then projects (and q2 selects) as its SQL does.
 */
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

export const isBid = (e: { type: string }): boolean => e.type === 'bid';

/** q0, pass-through: SELECT auction, bidder, price, dateTime, extra FROM bid. */
export const q0 = ({ auction, bidder, price, dateTime, extra }: Bid) => ({ auction, bidder, price, dateTime, extra });

/** q1, currency conversion: the price in euros, 0.908 × dollars. */
export const q1 = ({ auction, bidder, price, dateTime, extra }: Bid) => ({ auction, bidder, price: 0.908 * price, dateTime, extra });

/** q2, selection: WHERE MOD(auction, 123) = 0 ... */
export const q2Select = (b: Bid): boolean => b.auction % 123 === 0;

/** ... SELECT auction, price. */
export const q2 = ({ auction, price }: Bid) => ({ auction, price });
