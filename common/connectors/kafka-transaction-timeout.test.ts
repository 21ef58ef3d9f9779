/**
 * The exactly-once Kafka sink's transaction timeout: derived from the checkpoint timeout and the
 * restart strategy's longest delay, or given; a job whose timeout cannot cover those is refused when
 * it is loaded or submitted (parseJobSpec), with the option's path and why.
 */
import { JobFileError } from '../errors';
import { parseJobSpec } from '../jobfile';
import {
  BROKER_MAX_TRANSACTION_TIMEOUT_MS,
  derivedTransactionTimeout,
  requiredTransactionTimeout,
} from './kafka-transaction-timeout';

function job(o: { checkpointing?: object | null; restart?: object; transactionTimeout?: unknown } = {}) {
  return {
    name: 'kafka-counts',
    ...(o.checkpointing !== null && { checkpointing: o.checkpointing ?? { interval: 1000 } }),
    ...(o.restart && { restart: o.restart }),
    nodes: [
      { id: 'lines', type: 'source', connector: { kind: 'kafka', brokers: ['k:9092'], topic: 'lines' } },
      { id: 'words', type: 'flatMap', inputs: ['lines'], fn: 'tokenize' },
      { id: 'counts', type: 'sum', inputs: ['words'], keyBy: 'word', field: 'count' },
      {
        id: 'out',
        type: 'sink',
        inputs: ['counts'],
        connector: {
          kind: 'kafka',
          brokers: ['k:9092'],
          topic: 'counts',
          ...(o.transactionTimeout !== undefined && { transactionTimeout: o.transactionTimeout }),
        },
      },
    ],
  };
}

const sinkOf = (spec: ReturnType<typeof parseJobSpec>) => spec.nodes[3].connector as { transactionTimeout?: number };

function problems(input: unknown): string[] {
  try {
    parseJobSpec(input);
  } catch (err) {
    if (err instanceof JobFileError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  return [];
}

describe('the timeout a job needs', () => {
  it("is the checkpoint timeout plus the restart strategy's longest delay", () => {
    const checkpointing = { interval: 1000, mode: 'exactly-once' as const, timeout: 60_000 };
    // Flink's default with checkpointing: exponential delay up to 1 min.
    expect(requiredTransactionTimeout({ checkpointing })).toBe(120_000);
    expect(
      requiredTransactionTimeout({ checkpointing, restart: { strategy: 'fixed-delay', attempts: 3, delay: 70_000 } }),
    ).toBe(130_000);
    expect(requiredTransactionTimeout({ checkpointing, restart: { strategy: 'none' } })).toBe(60_000);
  });

  it("derived: twice that, at least 1 min, at most the broker's default maximum", () => {
    const at = (timeout: number, delay: number) =>
      derivedTransactionTimeout({
        checkpointing: { interval: 100, mode: 'exactly-once', timeout },
        restart: { strategy: 'fixed-delay', attempts: 1, delay },
      });
    expect(at(60_000, 70_000)).toBe(260_000);
    expect(at(5_000, 1_000)).toBe(60_000);
    expect(at(400_000, 60_000)).toBe(BROKER_MAX_TRANSACTION_TIMEOUT_MS);
  });
});

describe('parseJobSpec', () => {
  it("fills in the derived timeout of an exactly-once Kafka sink (the issue's 70 s restart delay: 260 s, not 60 s)", () => {
    expect(
      sinkOf(parseJobSpec(job({ restart: { strategy: 'fixed-delay', attempts: 10, delay: '70s' } })))
        .transactionTimeout,
    ).toBe(260_000);
    expect(sinkOf(parseJobSpec(job())).transactionTimeout).toBe(240_000);
  });

  it('keeps a given timeout that covers a checkpoint and a restart', () => {
    const spec = parseJobSpec(
      job({
        checkpointing: { interval: 200, timeout: '2s' },
        restart: { attempts: 5, delay: '3s' },
        transactionTimeout: '5s',
      }),
    );
    expect(sinkOf(spec).transactionTimeout).toBe(5_000);
  });

  it('fills in nothing without exactly-once checkpointing (the sink runs no transactions)', () => {
    expect(sinkOf(parseJobSpec(job({ checkpointing: null }))).transactionTimeout).toBeUndefined();
    expect(
      sinkOf(parseJobSpec(job({ checkpointing: { interval: 1000, mode: 'at-least-once' } }))).transactionTimeout,
    ).toBeUndefined();
  });

  it('refuses a given timeout that cannot cover the checkpoint timeout and the longest restart delay', () => {
    expect(
      problems(
        job({
          checkpointing: { interval: 200, timeout: '2s' },
          restart: { attempts: 5, delay: '4s' },
          transactionTimeout: '5s',
        }),
      ),
    ).toEqual([
      "nodes[3].connector.transactionTimeout: 5000 ms cannot cover checkpointing.timeout 2000 ms + the restart strategy's longest " +
        'delay 4000 ms = 6000 ms: a transaction of a completed checkpoint could be aborted by the broker before a restarted job ' +
        'commits it, and its records lost',
    ]);
    // The default exponential delay waits up to 1 min.
    expect(problems(job({ transactionTimeout: '90s' }))).toHaveLength(1);
  });

  it("refuses a job whose derived timeout would exceed the broker's default maximum", () => {
    const found = problems(
      job({
        checkpointing: { interval: 1000, timeout: '10m' },
        restart: { strategy: 'exponential-delay', maxBackoff: '10m' },
      }),
    );
    expect(found).toHaveLength(1);
    expect(found[0]).toMatch(
      /^nodes\[3\]\.connector: exactly-once Kafka transactions must outlive .* = 1200000 ms, more than the broker's default transaction\.max\.timeout\.ms \(900000 ms\)/,
    );
    // A longer timeout given for a broker that allows it is taken.
    const given = job({
      checkpointing: { interval: 1000, timeout: '10m' },
      restart: { strategy: 'exponential-delay', maxBackoff: '10m' },
      transactionTimeout: '30m',
    });
    expect(sinkOf(parseJobSpec(given)).transactionTimeout).toBe(1_800_000);
  });
});
