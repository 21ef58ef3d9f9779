import { parseJobSpec } from '../../../common/jobfile';
import { NexmarkConnectorSchema, type NexmarkConnector } from '../../../common/connectors/nexmark';
import type { SubtaskInfo } from '../types';
import {
  FIRST_AUCTION_ID,
  FIRST_PERSON_ID,
  nexmarkEvent,
  type Auction,
  type Bid,
  type NexmarkEvent,
  type Person,
} from './events';
import { NexmarkSource } from './nexmark-source';

const subtaskOf = (subtask: number, parallelism: number): SubtaskInfo =>
  ({ subtask, parallelism, attempt: 0, mode: undefined }) as SubtaskInfo;

const connector = (c: Partial<NexmarkConnector> = {}): NexmarkConnector =>
  NexmarkConnectorSchema.parse({ kind: 'nexmark', ...c });

async function drain(src: NexmarkSource, max = 100): Promise<NexmarkEvent[]> {
  const out: NexmarkEvent[] = [];
  for (let calls = 0; ; calls++) {
    if (calls > 100_000) throw new Error('source never ended');
    const got = await src.read(max);
    if (got === null) return out;
    out.push(...(got as NexmarkEvent[]));
  }
}

const events = (count: number, c = connector()) => Array.from({ length: count }, (_, n) => nexmarkEvent(c, n));
const ofType = <T extends NexmarkEvent['type']>(es: NexmarkEvent[], type: T) =>
  es.filter((e): e is Extract<NexmarkEvent, { type: T }> => e.type === type);

describe('nexmarkEvent: proportions', () => {
  it('every 50 events hold 1 person, then 3 auctions, then 46 bids', () => {
    const es = events(5000);
    for (let block = 0; block < 100; block++) {
      const types = es.slice(block * 50, block * 50 + 50).map((e) => e.type);
      expect(types).toEqual(['person', 'auction', 'auction', 'auction', ...Array(46).fill('bid')]);
    }
  });

  it('persons and auctions get consecutive ids from 1000', () => {
    const es = events(5000);
    expect(ofType(es, 'person').map((p) => p.id)).toEqual(Array.from({ length: 100 }, (_, i) => FIRST_PERSON_ID + i));
    expect(ofType(es, 'auction').map((a) => a.id)).toEqual(Array.from({ length: 300 }, (_, i) => FIRST_AUCTION_ID + i));
  });
});

describe('nexmarkEvent: field distributions', () => {
  const es = events(100_000);
  const bids = ofType(es, 'bid');
  const auctions = ofType(es, 'auction');
  const persons = ofType(es, 'person');

  it('bids are for auctions that exist or are about to (at most 10 ahead of the newest)', () => {
    let newestAuction = FIRST_AUCTION_ID - 1;
    const wrong: Bid[] = [];
    for (const e of es) {
      if (e.type === 'auction') newestAuction = e.id;
      if (e.type === 'bid' && (e.auction < FIRST_AUCTION_ID || e.auction > newestAuction + 10)) wrong.push(e);
    }
    expect(wrong).toEqual([]);
  });

  it('about half of the bids go to a hot auction (the first of a batch of 100), about 3/4 come from a hot bidder', () => {
    const hotAuction = bids.filter((b) => (b.auction - FIRST_AUCTION_ID) % 100 === 0).length / bids.length;
    expect(hotAuction).toBeGreaterThan(0.48);
    expect(hotAuction).toBeLessThan(0.55); // a random pick lands on a hot one now and then too
    const hotBidder = bids.filter((b) => (b.bidder - FIRST_PERSON_ID) % 100 === 1).length / bids.length;
    expect(hotBidder).toBeGreaterThan(0.73);
    expect(hotBidder).toBeLessThan(0.78);
  });

  it('prices are log-uniform from $1 to $1M (in cents): each decade holds about a sixth', () => {
    const prices = [...bids.map((b) => b.price), ...auctions.map((a) => a.initialBid)];
    expect(prices.filter((p) => !Number.isInteger(p) || p < 100 || p > 100_000_000)).toEqual([]);
    for (let d = 2; d < 8; d++) {
      const share = prices.filter((p) => p >= 10 ** d && p < 10 ** (d + 1)).length / prices.length;
      expect(share).toBeGreaterThan(0.15);
      expect(share).toBeLessThan(0.185);
    }
    expect(auctions.filter((a) => a.reserve <= a.initialBid)).toEqual([]);
  });

  it('pads events to about 200, 500 and 100 bytes on average', () => {
    const avg = (xs: object[]) => xs.reduce((s, x) => s + JSON.stringify(x).length, 0) / xs.length;
    const averageOf = (xs: (Person | Auction | Bid)[]) => avg(xs.map(({ type, ...fields }) => fields));
    // JSON adds the field names and quotes to Nexmark's byte estimate
    expect(averageOf(persons)).toBeGreaterThan(200);
    expect(averageOf(persons)).toBeLessThan(400);
    expect(averageOf(auctions)).toBeGreaterThan(500);
    expect(averageOf(auctions)).toBeLessThan(700);
    expect(averageOf(bids)).toBeGreaterThan(100);
    expect(averageOf(bids)).toBeLessThan(300);
  });

  it('half of the bids come through the 4 hot channels, the rest through up to 10,000 others', () => {
    const hot = bids.filter((b) => ['Google', 'Facebook', 'Baidu', 'Apple'].includes(b.channel)).length / bids.length;
    expect(hot).toBeGreaterThan(0.48);
    expect(hot).toBeLessThan(0.52);
    const others = new Set(bids.map((b) => b.channel).filter((c) => c.startsWith('channel-')));
    expect(others.size).toBeGreaterThan(9000);
    const url = /^https:\/\/www\.nexmark\.com\/[a-z_]+\/[a-z_]+\/[a-z_]+\/item\.htm\?query=1(&channel_id=\d+)?$/;
    expect(bids.filter((b) => !url.test(b.url))).toEqual([]);
  });

  it('event time advances 1/eventsPerSecond per event from baseTime; auctions expire after they start', () => {
    const c = connector({ eventsPerSecond: 1000, baseTime: 5_000 });
    expect(nexmarkEvent(c, 0).dateTime).toBe(5_000);
    expect(nexmarkEvent(c, 999).dateTime).toBe(5_999);
    expect(nexmarkEvent(c, 1000).dateTime).toBe(6_000);
    expect(auctions.filter((a) => a.expires <= a.dateTime)).toEqual([]);
  });
});

describe('nexmarkEvent: determinism', () => {
  it('the same seed gives the same events; another seed other events', () => {
    expect(events(500, connector({ seed: 7 }))).toEqual(events(500, connector({ seed: 7 })));
    const a = events(500, connector({ seed: 1 }));
    const b = events(500, connector({ seed: 2 }));
    expect(a.filter((e, n) => JSON.stringify(e) !== JSON.stringify(b[n])).length).toBeGreaterThan(450);
  });

  it('pins event 4 of seed 0 (a change to the draws must change the Flink twin as well)', () => {
    expect(nexmarkEvent(connector(), 4)).toEqual({
      type: 'bid',
      auction: 1000,
      bidder: 1004,
      price: 2972,
      channel: 'Facebook',
      url: 'https://www.nexmark.com/drkb/lksm/tqh/item.htm?query=1',
      dateTime: Date.UTC(2026, 0, 1),
      extra: 'xcfvqyxkfaewbyiehgkxsgaloudypcwvbydozzmwopkdzqwujxudxsnmoyvqmngh',
    });
  });
});

describe('NexmarkSource', () => {
  for (const p of [1, 2, 3, 4]) {
    it(`count 1001 over ${p} subtask(s): each generates its share, together every event once`, async () => {
      const c = connector({ count: 1001, seed: 3 });
      const all = events(1001, c).map((e) => JSON.stringify(e));
      const seen: string[] = [];
      for (let i = 0; i < p; i++) {
        const got = (await drain(new NexmarkSource(c, subtaskOf(i, p)), 64)).map((e) => JSON.stringify(e));
        // subtask i generates events i, i+p, i+2p, ...
        expect(got).toEqual(all.filter((_, n) => n % p === i));
        seen.push(...got);
      }
      expect(seen.sort()).toEqual([...all].sort());
      expect(new Set(seen).size).toBe(1001); // no two events alike, so none is generated twice
    });
  }

  it('resumes from position() where it left off', async () => {
    const c = connector({ count: 300 });
    const first = new NexmarkSource(c, subtaskOf(1, 2));
    const head = (await first.read(10))!;
    const second = new NexmarkSource(c, subtaskOf(1, 2));
    second.restore(JSON.parse(JSON.stringify(first.position())));
    expect([...head, ...(await drain(second))]).toEqual(await drain(new NexmarkSource(c, subtaskOf(1, 2))));
  });

  it('rate limits events per second over all subtasks: a subtask gets its share of the elapsed time', async () => {
    jest.useFakeTimers({ now: 0 });
    try {
      const src = new NexmarkSource(connector({ rate: 200 }), subtaskOf(0, 2)); // 100 events/s for this subtask
      const waiting = src.read(1000);
      await jest.advanceTimersByTimeAsync(10);
      expect(await waiting).toEqual([]); // nothing is due at t = 0
      expect(await src.read(1000)).toHaveLength(1); // t = 10 ms
      await jest.advanceTimersByTimeAsync(90);
      expect(await src.read(1000)).toHaveLength(9); // t = 100 ms: 10 in all
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('job file', () => {
  const job = (source: object, sink: object) => ({
    name: 'q',
    nodes: [
      { id: 'events', type: 'source', connector: source },
      { id: 'out', type: 'sink', inputs: ['events'], connector: sink },
    ],
  });

  it('takes nexmark as a source and discard as a sink, with Nexmark defaults', () => {
    const spec = parseJobSpec(job({ kind: 'nexmark', count: 10 }, { kind: 'discard' }));
    expect(spec.nodes[0].connector).toEqual({
      kind: 'nexmark',
      count: 10,
      seed: 0,
      eventsPerSecond: 10000,
      baseTime: Date.UTC(2026, 0, 1),
    });
  });

  it('refuses nexmark as a sink and discard as a source, naming the path', () => {
    expect(() => parseJobSpec(job({ kind: 'discard' }, { kind: 'nexmark' }))).toThrow(
      /nodes\[0\]\.connector\.kind: "discard" can only be a sink[\s\S]*nodes\[1\]\.connector\.kind: "nexmark" can only be a source/,
    );
    expect(() => parseJobSpec(job({ kind: 'nexmark', eventsPerSecond: 0 }, { kind: 'discard' }))).toThrow(
      /nodes\[0\]\.connector\.eventsPerSecond/,
    );
  });
});
