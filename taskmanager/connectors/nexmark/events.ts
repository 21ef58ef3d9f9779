/**
 * Nexmark's online auction events, after the reference generator (github.com/nexmark/nexmark): in
 * every 50 events, 1 person, 3 auctions and 46 bids; ids, hot sellers/bidders/auctions, prices and
 * padding ("extra" fields to an average of 200/500/100 bytes) drawn with its distributions. Event n
 * is a pure function of (seed, n), so a split over subtasks or a restart regenerates the same events.
 *
 * bench/peers/flink/.../NexmarkEvents.java draws the same numbers in the same order, so both engines
 * read identical events; a change here needs the same change there.
 */
import type { NexmarkConnector } from '../../../common/connectors/nexmark';

export interface Person {
  type: 'person';
  id: number;
  name: string;
  emailAddress: string;
  creditCard: string;
  city: string;
  state: string;
  dateTime: number;
  extra: string;
}

export interface Auction {
  type: 'auction';
  id: number;
  itemName: string;
  description: string;
  initialBid: number;
  reserve: number;
  dateTime: number;
  expires: number;
  seller: number;
  category: number;
  extra: string;
}

export interface Bid {
  type: 'bid';
  auction: number;
  bidder: number;
  price: number;
  channel: string;
  url: string;
  dateTime: number;
  extra: string;
}

export type NexmarkEvent = Person | Auction | Bid;

export const PERSON_PROPORTION = 1;
export const AUCTION_PROPORTION = 3;
export const BID_PROPORTION = 46;
const TOTAL = PERSON_PROPORTION + AUCTION_PROPORTION + BID_PROPORTION;
export const FIRST_PERSON_ID = 1000;
export const FIRST_AUCTION_ID = 1000;
const FIRST_CATEGORY_ID = 10;
const CATEGORIES = 5;
// Nexmark's defaults: people bidding/selling at any time, auctions open at any time, and the
// 1-in-N odds of a *random* rather than a hot seller, bidder and auction.
const ACTIVE_PEOPLE = 1000;
const IN_FLIGHT_AUCTIONS = 100;
const HOT_SELLERS_RATIO = 4;
const HOT_BIDDERS_RATIO = 4;
const HOT_AUCTION_RATIO = 2;
/** Hot sellers, bidders and auctions are the first of each batch of this many. */
const HOT_BATCH = 100;
/** Ids a little past the newest, so some events refer to a person or auction not yet seen. */
const ID_LEAD = 10;
const CHANNELS = 10_000;
const HOT_CHANNELS = ['Google', 'Facebook', 'Baidu', 'Apple'];
const US_STATES = ['AZ', 'CA', 'ID', 'OR', 'WA', 'WY'];
const US_CITIES = [
  'Phoenix',
  'Los Angeles',
  'San Francisco',
  'Boise',
  'Portland',
  'Bend',
  'Redmond',
  'Seattle',
  'Kent',
  'Cheyenne',
];
const FIRST_NAMES = ['Peter', 'Paul', 'Luke', 'John', 'Saul', 'Vicky', 'Kate', 'Julie', 'Sarah', 'Deiter', 'Walter'];
const LAST_NAMES = ['Shultz', 'Abrams', 'Spencer', 'White', 'Bartels', 'Walton', 'Smith', 'Jones', 'Noris'];
const AVG_PERSON_BYTES = 200;
const AVG_AUCTION_BYTES = 500;
const AVG_BID_BYTES = 100;

/** mulberry32 from a 32-bit state: small, fast, and the same bits in Java's int arithmetic. */
class Random {
  constructor(private state: number) {}

  /** Uniform in [0, 1), 32 bits of resolution. */
  next(): number {
    const a = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** Uniform in 0..bound-1. */
  int(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  /** 3 to maxLength-1 characters: lowercase letters, 1 in 13 `special`, trimmed. */
  string(maxLength: number, special = ' '): string {
    let s = '';
    for (let len = 3 + this.int(maxLength - 3); len > 0; len--)
      s += this.int(13) === 0 ? special : String.fromCharCode(97 + this.int(26));
    return s.trim();
  }

  /** Cents, log-uniform from $1 to $1M. (Java's pow differs from V8's in the last bit now and then; not in cents.) */
  price(): number {
    return Math.round(Math.pow(10, this.next() * 6) * 100);
  }
}

/** The 32-bit mixer of mulberry32, to seed one event's Random from (seed, n). */
function mix(x: number): number {
  return new Random(x).next() * 4294967296;
}

interface Tables {
  hotUrls: string[];
  channelUrls: string[];
  text: string;
}

let built: Tables | undefined;

/**
 * Fixed tables (a fixed seed, not the job's): channel URLs and the text "extra" padding is cut from.
 * Built on first use: every slot worker loads this module, and the million draws cost ~50 ms of its start.
 */
function tables(): Tables {
  return (built ??= buildTables());
}

function buildTables(): Tables {
  const r = new Random(0x4e584d4b);
  const baseUrl = () =>
    `https://www.nexmark.com/${r.string(5, '_')}/${r.string(5, '_')}/${r.string(5, '_')}/item.htm?query=1`;
  const hotUrls = HOT_CHANNELS.map(baseUrl);
  const channelUrls: string[] = [];
  for (let i = 0; i < CHANNELS; i++) {
    const url = baseUrl();
    channelUrls.push(r.int(10) > 0 ? `${url}&channel_id=${reverseBits(i)}` : url);
  }
  const letters = Buffer.alloc(1 << 20);
  for (let i = 0; i < letters.length; i++) letters[i] = 97 + r.int(26);
  return { hotUrls, channelUrls, text: letters.toString('latin1') };
}

/** The 32 bits of i in reverse order, unsigned: channel ids that do not look sequential. */
function reverseBits(i: number): number {
  let out = 0;
  for (let b = 0; b < 32; b++, i >>>= 1) out = (out << 1) | (i & 1);
  return out >>> 0;
}

/** Padding that brings an event of `size` bytes to about `average` (±20%). */
function extra(r: Random, size: number, average: number): string {
  if (size > average) return '';
  const wanted = average - size;
  const delta = Math.round(wanted * 0.2);
  const length = wanted - delta + (delta === 0 ? 0 : r.int(2 * delta));
  const { text } = tables();
  const at = r.int(text.length - length);
  return text.slice(at, at + length);
}

/** 0-based id of the newest person at event n (the one it creates, for a person event). */
function lastPerson(n: number): number {
  const epoch = Math.floor(n / TOTAL);
  const offset = n % TOTAL;
  return epoch * PERSON_PROPORTION + Math.min(offset, PERSON_PROPORTION - 1);
}

/** 0-based id of the newest auction at event n (the one it creates, for an auction event). */
function lastAuction(n: number): number {
  const epoch = Math.floor(n / TOTAL);
  const offset = n % TOTAL;
  if (offset < PERSON_PROPORTION) return (epoch - 1) * AUCTION_PROPORTION + AUCTION_PROPORTION - 1;
  if (offset >= PERSON_PROPORTION + AUCTION_PROPORTION) return epoch * AUCTION_PROPORTION + AUCTION_PROPORTION - 1;
  return epoch * AUCTION_PROPORTION + offset - PERSON_PROPORTION;
}

/** Someone among the active people (or just past the newest). */
function randomPerson(r: Random, n: number): number {
  const people = lastPerson(n) + 1;
  const active = Math.min(people, ACTIVE_PEOPLE);
  return people - active + r.int(active + ID_LEAD);
}

/** One of the auctions likely still open (or just past the newest). */
function randomAuction(r: Random, n: number): number {
  const newest = lastAuction(n);
  const oldest = Math.max(newest - IN_FLIGHT_AUCTIONS, 0);
  return oldest + r.int(newest - oldest + 1 + ID_LEAD);
}

export function nexmarkEvent(c: NexmarkConnector, n: number): NexmarkEvent {
  const r = new Random(mix(mix(c.seed ^ n) ^ Math.floor(n / 4294967296)));
  const time = (m: number) => c.baseTime + Math.floor((m * 1000) / c.eventsPerSecond);
  const dateTime = time(n);
  const offset = n % TOTAL;
  if (offset < PERSON_PROPORTION) {
    const name = `${FIRST_NAMES[r.int(FIRST_NAMES.length)]} ${LAST_NAMES[r.int(LAST_NAMES.length)]}`;
    const emailAddress = `${r.string(7)}@${r.string(5)}.com`;
    const creditCard = [0, 1, 2, 3].map(() => String(r.int(10000)).padStart(4, '0')).join(' ');
    const city = US_CITIES[r.int(US_CITIES.length)];
    const state = US_STATES[r.int(US_STATES.length)];
    const size = 8 + name.length + emailAddress.length + creditCard.length + city.length + state.length;
    const id = lastPerson(n) + FIRST_PERSON_ID;
    return {
      type: 'person',
      id,
      name,
      emailAddress,
      creditCard,
      city,
      state,
      dateTime,
      extra: extra(r, size, AVG_PERSON_BYTES),
    };
  }
  if (offset < PERSON_PROPORTION + AUCTION_PROPORTION) {
    const seller =
      FIRST_PERSON_ID +
      (r.int(HOT_SELLERS_RATIO) > 0 ? Math.floor(lastPerson(n) / HOT_BATCH) * HOT_BATCH : randomPerson(r, n));
    const category = FIRST_CATEGORY_ID + r.int(CATEGORIES);
    const initialBid = r.price();
    // Open for a random time averaging how long the next IN_FLIGHT_AUCTIONS auctions take to appear.
    const horizon = time(n + Math.floor((IN_FLIGHT_AUCTIONS * TOTAL) / AUCTION_PROPORTION)) - dateTime;
    const expires = dateTime + 1 + r.int(Math.max(horizon * 2, 1));
    const itemName = r.string(20);
    const description = r.string(100);
    const reserve = initialBid + r.price();
    const size = 8 + itemName.length + description.length + 40;
    const id = lastAuction(n) + FIRST_AUCTION_ID;
    return {
      type: 'auction',
      id,
      itemName,
      description,
      initialBid,
      reserve,
      dateTime,
      expires,
      seller,
      category,
      extra: extra(r, size, AVG_AUCTION_BYTES),
    };
  }
  const auction =
    FIRST_AUCTION_ID +
    (r.int(HOT_AUCTION_RATIO) > 0 ? Math.floor(lastAuction(n) / HOT_BATCH) * HOT_BATCH : randomAuction(r, n));
  // The second of the batch, so hot bidders are not the hot sellers.
  const bidder =
    FIRST_PERSON_ID +
    (r.int(HOT_BIDDERS_RATIO) > 0 ? Math.floor(lastPerson(n) / HOT_BATCH) * HOT_BATCH + 1 : randomPerson(r, n));
  const price = r.price();
  let channel: string;
  let url: string;
  if (r.int(2) > 0) {
    const i = r.int(HOT_CHANNELS.length);
    [channel, url] = [HOT_CHANNELS[i], tables().hotUrls[i]];
  } else {
    const i = r.int(CHANNELS);
    [channel, url] = [`channel-${i}`, tables().channelUrls[i]];
  }
  return { type: 'bid', auction, bidder, price, channel, url, dateTime, extra: extra(r, 32, AVG_BID_BYTES) };
}
