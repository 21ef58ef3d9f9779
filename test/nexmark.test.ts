/**
 * jobs/nexmark/q0–q2, q5, q7, q8 as a person runs them (`flinkx run`), with the discarding sink swapped
 * for files: the rows must be exactly what the query's SQL gives over the generator's events, computed
 * here (the windowed ones from each event's dateTime, window by window).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NexmarkConnectorSchema } from '../common/connectors/nexmark';
import {
  nexmarkEvent,
  type Auction,
  type Bid,
  type NexmarkEvent,
  type Person,
} from '../taskmanager/connectors/nexmark/events';
import { ROOT, tempDir } from './harness';

jest.setTimeout(120_000);

const COUNT = 5000;
/** The windowed queries: 20,000 events at 500 events/s of event time span 40 s, so several windows. */
const WINDOWED = { count: 20_000, eventsPerSecond: 500 };

function runQuery(query: string, source: { count: number; eventsPerSecond?: number } = { count: COUNT }): string[] {
  const dir = tempDir();
  const spec = JSON.parse(readFileSync(join(ROOT, 'jobs', 'nexmark', `${query}.json`), 'utf8'));
  spec.functions = join(ROOT, 'jobs', 'nexmark', spec.functions);
  for (const n of spec.nodes) {
    if (n.type === 'source') n.connector = { ...n.connector, ...source };
    if (n.type === 'sink') n.connector = { kind: 'file', path: join(dir, 'out') };
  }
  writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'flinkx.js'), 'run', join(dir, 'job.json')], {
    encoding: 'utf8',
    timeout: 100_000,
  });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('FINISHED') });
  const out = join(dir, 'out');
  return readdirSync(out)
    .flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean))
    .sort();
}

/** The events the job's source generates with these settings (the connector's own nexmarkEvent). */
const events = ({ count, eventsPerSecond }: { count: number; eventsPerSecond?: number }): NexmarkEvent[] => {
  const c = NexmarkConnectorSchema.parse({ kind: 'nexmark', eventsPerSecond });
  return Array.from({ length: count }, (_, n) => nexmarkEvent(c, n));
};
const bids = (): Bid[] => events({ count: COUNT }).filter((e): e is Bid => e.type === 'bid');
const rows = (xs: object[]) => xs.map((x) => JSON.stringify(x)).sort();

test('q0 passes every bid through: auction, bidder, price, dateTime, extra', () => {
  const expected = bids().map(({ auction, bidder, price, dateTime, extra }) => ({
    auction,
    bidder,
    price,
    dateTime,
    extra,
  }));
  expect(expected).toHaveLength((COUNT / 50) * 46);
  expect(runQuery('q0')).toEqual(rows(expected));
});

test('q1 converts every price to euros (0.908 × dollars)', () => {
  const expected = bids().map(({ auction, bidder, price, dateTime, extra }) => ({
    auction,
    bidder,
    price: price * 0.908,
    dateTime,
    extra,
  }));
  expect(runQuery('q1')).toEqual(rows(expected));
});

test('q2 selects auction and price of the bids on auctions whose id is a multiple of 123', () => {
  const expected = bids()
    .filter((b) => b.auction % 123 === 0)
    .map(({ auction, price }) => ({ auction, price }));
  expect(expected.length).toBeGreaterThan(0);
  expect(runQuery('q2')).toEqual(rows(expected));
});

/** Start of the tumbling window of `size` ms that holds time t (windows aligned to the epoch). */
const tumble = (t: number, size: number) => t - (t % size);

test('q5 finds, per 10 s window sliding by 2 s, the auctions with the most bids (all ties)', () => {
  const counts = new Map<number, Map<number, number>>(); // windowStart → auction → bids
  for (const b of events(WINDOWED).filter((e): e is Bid => e.type === 'bid')) {
    for (let start = tumble(b.dateTime, 2000); start > b.dateTime - 10_000; start -= 2000) {
      const perAuction = counts.get(start) ?? new Map<number, number>();
      perAuction.set(b.auction, (perAuction.get(b.auction) ?? 0) + 1);
      counts.set(start, perAuction);
    }
  }
  const expected = [...counts].flatMap(([windowStart, perAuction]) => {
    const num = Math.max(...perAuction.values());
    return [...perAuction]
      .filter(([, n]) => n === num)
      .map(([auction]) => ({ auction, num, windowStart, windowEnd: windowStart + 10_000 }));
  });
  expect(counts.size).toBeGreaterThanOrEqual(20);
  expect(runQuery('q5', WINDOWED)).toEqual(rows(expected));
});

test('q7 emits, per tumbling 10 s window, the bids at its highest price', () => {
  const windows = new Map<number, Bid[]>();
  for (const b of events(WINDOWED).filter((e): e is Bid => e.type === 'bid')) {
    const start = tumble(b.dateTime, 10_000);
    const highest = windows.get(start);
    if (!highest || b.price > highest[0].price) windows.set(start, [b]);
    else if (b.price === highest[0].price) highest.push(b);
  }
  const expected = [...windows.values()]
    .flat()
    .map(({ auction, price, bidder, dateTime, extra }) => ({ auction, price, bidder, dateTime, extra }));
  expect(windows.size).toBe(4);
  expect(runQuery('q7', WINDOWED)).toEqual(rows(expected));
});

test('q8 emits each person who opened an auction in the tumbling 10 s window they joined in, once', () => {
  const all = events(WINDOWED);
  const sellers = new Set(
    all.filter((e): e is Auction => e.type === 'auction').map((a) => `${a.seller}@${tumble(a.dateTime, 10_000)}`),
  );
  const expected = all
    .filter((e): e is Person => e.type === 'person' && sellers.has(`${e.id}@${tumble(e.dateTime, 10_000)}`))
    .map((p) => ({ id: p.id, name: p.name, starttime: tumble(p.dateTime, 10_000) }));
  expect(new Set(expected.map((r) => r.starttime)).size).toBe(4);
  expect(runQuery('q8', WINDOWED)).toEqual(rows(expected));
});
