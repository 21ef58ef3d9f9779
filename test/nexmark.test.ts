/**
 * jobs/nexmark/q0–q2 as a person runs them (`flinkx run`), with the discarding sink swapped for files:
 * the rows must be exactly what the query's SQL gives over the generator's events, computed here.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NexmarkConnectorSchema } from '../taskmanager/connectors/nexmark/options';
import { nexmarkEvent, type Bid } from '../taskmanager/connectors/nexmark/events';
import { ROOT, tempDir } from './harness';

jest.setTimeout(120_000);

const COUNT = 5000;

function runQuery(query: string): string[] {
  const dir = tempDir();
  const spec = JSON.parse(readFileSync(join(ROOT, 'jobs', 'nexmark', `${query}.json`), 'utf8'));
  spec.functions = join(ROOT, 'jobs', 'nexmark', spec.functions);
  for (const n of spec.nodes) {
    if (n.type === 'source') n.connector.count = COUNT;
    if (n.type === 'sink') n.connector = { kind: 'file', path: join(dir, 'out') };
  }
  writeFileSync(join(dir, 'job.json'), JSON.stringify(spec));
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'flinkx.js'), 'run', join(dir, 'job.json')], { encoding: 'utf8', timeout: 100_000 });
  expect({ status: r.status, stderr: r.stderr }).toEqual({ status: 0, stderr: expect.stringContaining('FINISHED') });
  const out = join(dir, 'out');
  return readdirSync(out).flatMap((f) => readFileSync(join(out, f), 'utf8').split('\n').filter(Boolean)).sort();
}

const bids = (): Bid[] => {
  const c = NexmarkConnectorSchema.parse({ kind: 'nexmark' });
  return Array.from({ length: COUNT }, (_, n) => nexmarkEvent(c, n)).filter((e): e is Bid => e.type === 'bid');
};
const rows = (xs: object[]) => xs.map((x) => JSON.stringify(x)).sort();

test('q0 passes every bid through: auction, bidder, price, dateTime, extra', () => {
  const expected = bids().map(({ auction, bidder, price, dateTime, extra }) => ({ auction, bidder, price, dateTime, extra }));
  expect(expected).toHaveLength((COUNT / 50) * 46);
  expect(runQuery('q0')).toEqual(rows(expected));
});

test('q1 converts every price to euros (0.908 × dollars)', () => {
  const expected = bids().map(({ auction, bidder, price, dateTime, extra }) => ({ auction, bidder, price: price * 0.908, dateTime, extra }));
  expect(runQuery('q1')).toEqual(rows(expected));
});

test('q2 selects auction and price of the bids on auctions whose id is a multiple of 123', () => {
  const expected = bids().filter((b) => b.auction % 123 === 0).map(({ auction, price }) => ({ auction, price }));
  expect(expected.length).toBeGreaterThan(0);
  expect(runQuery('q2')).toEqual(rows(expected));
});
