/**
 * `node dist/bench/batch-codec.js`: encode + decode of one data-plane batch (common/protocol/batch.ts),
 * µs per batch of BATCH_RECORDS records, for word-count records {word, count} (as `tokenize` emits
 * them, keyed: with key groups) and Nexmark bids (as the nexmark source emits them). Beside the
 * batch format, the same records as plain msgpack maps with their field names in every record
 * (common/protocol/codec.ts `encode`/`decode`, what batch version 1 was), in the same run.
 *
 * Knobs (environment): BENCH_BATCHES (iterations per figure, default 3000), BENCH_RUNS (3; best kept).
 */
import { decodeBatch, encodeBatch, type Batch } from '../common/protocol/batch';
import { decode, encode } from '../common/protocol/codec';
import { nexmarkEvent, type Bid } from '../taskmanager/connectors/nexmark/events';
import { NEXMARK_DEFAULTS } from '../common/connectors/nexmark';
import { BATCH_RECORDS } from '../taskmanager/network/channels';
import { intEnv, load, log } from './processes';

const ITERATIONS = intEnv('BENCH_BATCHES', 3000);
const RUNS = intEnv('BENCH_RUNS', 3);

/** Words of a mixed vocabulary, 5,000 distinct, as a hash-partitioned channel carries them. */
function wordBatch(): Batch {
  const syllables = ['ka', 'lo', 'mé', 'zü', 'ßa', 'на', 'ри', 'κα', '東', '京', 'ri', 'to'];
  const records = Array.from({ length: BATCH_RECORDS }, (_, i) => {
    let n = (i * 7919) % 5000;
    let word = '';
    do {
      word += syllables[n % syllables.length];
      n = Math.floor(n / syllables.length);
    } while (n > 0);
    return { word, count: 1 };
  });
  return { records, keyGroups: records.map((_, i) => (i * 31) % 128), bytes: 0 };
}

function bidBatch(): Batch {
  const c = { kind: 'nexmark' as const, ...NEXMARK_DEFAULTS };
  const records: Bid[] = [];
  for (let n = 0; records.length < BATCH_RECORDS; n++) {
    const e = nexmarkEvent(c, n);
    if (e.type === 'bid') records.push(e);
  }
  return { records, timestamps: records.map((b) => b.dateTime), bytes: 0 };
}

interface Codec {
  encode(b: Batch): Uint8Array;
  decode(bytes: Uint8Array): unknown;
}

const CODECS: Record<string, Codec> = {
  'batch format (records with shapes once)': { encode: encodeBatch, decode: decodeBatch },
  'msgpack maps (field names per record)': {
    encode: (b) => Uint8Array.prototype.slice.call(encode({ v: 1, r: b.records, t: b.timestamps, k: b.keyGroups })),
    decode,
  },
};

interface Figures {
  encodeUs: number;
  decodeUs: number;
  bytes: number;
}

/** µs per batch of one run of ITERATIONS, for encoding and decoding apart. */
function measure(codec: Codec, batch: Batch): Figures {
  const bytes = codec.encode(batch);
  let t = performance.now();
  for (let i = 0; i < ITERATIONS; i++) codec.encode(batch);
  const encodeUs = ((performance.now() - t) * 1000) / ITERATIONS;
  t = performance.now();
  for (let i = 0; i < ITERATIONS; i++) codec.decode(bytes);
  return { encodeUs, decodeUs: ((performance.now() - t) * 1000) / ITERATIONS, bytes: bytes.byteLength };
}

function main(): void {
  log(
    `${BATCH_RECORDS} records per batch, best of ${RUNS} × ${ITERATIONS} batches, the encodings taking turns; ${load()}`,
  );
  const rows = [
    '| records | encoding | bytes | encode µs | decode µs | encode + decode µs |',
    '|---|---|--:|--:|--:|--:|',
  ];
  for (const [what, batch] of [
    ['word count {word, count}', wordBatch()],
    ['Nexmark bids', bidBatch()],
  ] as const) {
    const best = new Map<string, Figures>();
    for (let run = 0; run < RUNS; run++) {
      for (const [name, codec] of Object.entries(CODECS)) {
        const m = measure(codec, batch);
        const b = best.get(name);
        best.set(
          name,
          b
            ? { encodeUs: Math.min(b.encodeUs, m.encodeUs), decodeUs: Math.min(b.decodeUs, m.decodeUs), bytes: m.bytes }
            : m,
        );
      }
    }
    for (const [name, m] of best)
      rows.push(
        `| ${what} | ${name} | ${m.bytes} | ${m.encodeUs.toFixed(1)} | ${m.decodeUs.toFixed(1)} | ${(m.encodeUs + m.decodeUs).toFixed(1)} |`,
      );
  }
  process.stdout.write(`${rows.join('\n')}\n`);
  log(`done; ${load()}`);
}

if (require.main === module) main();
