/**
 * How the exactly-once Kafka sink treats commit errors: transient ones are retried with back-off
 * until a deadline, a transaction the coordinator no longer has is told committed (by its mark) from
 * lost, and a lost one fails the job naming the transaction and the checkpoint. Time is driven by
 * hand; errors are kafkajs's own, as the broker's answers make them (the EndTxn answers were checked
 * against the deploy/kafka broker: a committed transaction answers success under its epoch, and both
 * a committed one whose id was initialized again and an expired one answer INVALID_PRODUCER_EPOCH).
 */
import { ConnectorError, isNonRetriable, NonRetriableError } from '../../../common/errors';
import {
  classifyCommitError,
  FIRST_RETRY_MS,
  MAX_RETRY_MS,
  retryTransient,
  type RetryTime,
} from './transaction-commit';
import { commitPending, type PendingTransaction, type TransactionCommitter } from './transactional-kafka-sink';

const kafkajsErrors = require('kafkajs/src/errors');
const { createErrorFromCode } = require('kafkajs/src/protocol/error') as { createErrorFromCode(code: number): Error };

const protocol = (code: number) => createErrorFromCode(code);
const CODES = {
  REQUEST_TIMED_OUT: 7,
  COORDINATOR_LOAD_IN_PROGRESS: 14,
  COORDINATOR_NOT_AVAILABLE: 15,
  NOT_COORDINATOR: 16,
  INVALID_PRODUCER_EPOCH: 47,
  INVALID_TXN_STATE: 48,
  INVALID_PRODUCER_ID_MAPPING: 49,
  INVALID_TRANSACTION_TIMEOUT: 50,
  CONCURRENT_TRANSACTIONS: 51,
  TRANSACTIONAL_ID_AUTHORIZATION_FAILED: 53,
};

class ManualTime implements RetryTime {
  t = 1_000;
  readonly sleeps: number[] = [];
  now = () => this.t;
  sleep = async (ms: number) => {
    this.sleeps.push(ms);
    this.t += ms;
  };
}

describe('classifyCommitError', () => {
  it.each([
    ['COORDINATOR_LOAD_IN_PROGRESS', protocol(CODES.COORDINATOR_LOAD_IN_PROGRESS)],
    ['COORDINATOR_NOT_AVAILABLE', protocol(CODES.COORDINATOR_NOT_AVAILABLE)],
    ['NOT_COORDINATOR', protocol(CODES.NOT_COORDINATOR)],
    ['CONCURRENT_TRANSACTIONS', protocol(CODES.CONCURRENT_TRANSACTIONS)],
    ['REQUEST_TIMED_OUT', protocol(CODES.REQUEST_TIMED_OUT)],
    ["UNKNOWN_SERVER_ERROR (an EndTxn meeting the broker's own abort of the expired transaction)", protocol(-1)],
    [
      'a request timeout (the broker does not answer)',
      new kafkajsErrors.KafkaJSRequestTimeoutError('Request EndTxn(key: 26, version: 1) timed out'),
    ],
    ['a broken connection', new kafkajsErrors.KafkaJSConnectionError('Connection error: ECONNREFUSED')],
    ['a request on a connection that is down', new Error('Broker not connected')],
    [
      'retries exhausted on a transient error',
      new kafkajsErrors.KafkaJSNumberOfRetriesExceeded(protocol(CODES.NOT_COORDINATOR), {
        retryCount: 5,
        retryTime: 300,
      }),
    ],
    [
      'a ConnectorError around one',
      new ConnectorError('cannot commit', { cause: protocol(CODES.COORDINATOR_LOAD_IN_PROGRESS) }),
    ],
  ])('%s is transient', (_what, err) => expect(classifyCommitError(err)).toBe('transient'));

  it.each([
    [
      'INVALID_PRODUCER_EPOCH (old epoch: expired, fenced, or committed and the id initialized again)',
      protocol(CODES.INVALID_PRODUCER_EPOCH),
    ],
    ['INVALID_TXN_STATE', protocol(CODES.INVALID_TXN_STATE)],
    ['INVALID_PRODUCER_ID_MAPPING', protocol(CODES.INVALID_PRODUCER_ID_MAPPING)],
    [
      'the same behind retries',
      new kafkajsErrors.KafkaJSNumberOfRetriesExceeded(protocol(CODES.INVALID_PRODUCER_EPOCH), {
        retryCount: 1,
        retryTime: 300,
      }),
    ],
  ])('%s: the transaction is gone', (_what, err) => expect(classifyCommitError(err)).toBe('gone'));

  it.each([
    ['INVALID_TRANSACTION_TIMEOUT', protocol(CODES.INVALID_TRANSACTION_TIMEOUT)],
    ['TRANSACTIONAL_ID_AUTHORIZATION_FAILED', protocol(CODES.TRANSACTIONAL_ID_AUTHORIZATION_FAILED)],
    ['a plain Error', new Error('boom')],
    ['not an error', 'boom'],
  ])('%s is fatal', (_what, err) => expect(classifyCommitError(err)).toBe('fatal'));
});

describe('retryTransient', () => {
  it('retries transient errors with doubling back-off, at most MAX_RETRY_MS, until it succeeds', async () => {
    const time = new ManualTime();
    let calls = 0;
    const result = await retryTransient(
      async () => {
        if (++calls < 8) throw protocol(CODES.COORDINATOR_LOAD_IN_PROGRESS);
        return 'done';
      },
      { deadline: time.t + 60_000, time },
    );
    expect(result).toBe('done');
    expect(time.sleeps).toEqual([FIRST_RETRY_MS, 200, 400, 800, 1600, MAX_RETRY_MS, MAX_RETRY_MS]);
  });

  it('gives up with the last transient error once the next try would start after the deadline', async () => {
    const time = new ManualTime();
    const err = new kafkajsErrors.KafkaJSRequestTimeoutError('timed out');
    await expect(retryTransient(async () => Promise.reject(err), { deadline: time.t + 1_000, time })).rejects.toBe(err);
    expect(time.sleeps).toEqual([100, 200, 400]);
  });

  it('does not retry a gone or fatal error', async () => {
    const time = new ManualTime();
    for (const err of [protocol(CODES.INVALID_PRODUCER_EPOCH), new Error('boom')]) {
      await expect(retryTransient(async () => Promise.reject(err), { deadline: time.t + 60_000, time })).rejects.toBe(
        err,
      );
    }
    expect(time.sleeps).toEqual([]);
  });

  it('stops when the client is closed', async () => {
    const time = new ManualTime();
    let stopped = false;
    const attempt = async () => {
      stopped = true;
      throw protocol(CODES.NOT_COORDINATOR);
    };
    await expect(
      retryTransient(attempt, { deadline: time.t + 60_000, time, stopped: () => stopped }),
    ).rejects.toMatchObject({ type: 'NOT_COORDINATOR_FOR_GROUP' });
  });
});

describe('commitPending', () => {
  const p: PendingTransaction = {
    checkpointId: 12,
    transactionalId: 'flinkx-job-out-0-3',
    producerId: '4001',
    producerEpoch: 5,
  };
  const o = (time: RetryTime) => ({ topic: 'counts', transactionTimeout: 30_000, time });

  function committer(outcome: 'committed' | 'gone', mark?: number): TransactionCommitter & { deadlines: number[] } {
    const deadlines: number[] = [];
    return {
      deadlines,
      commitTransaction: async (id, pid, epoch, deadline) => {
        expect([id, pid, epoch]).toEqual([p.transactionalId, p.producerId, p.producerEpoch]);
        deadlines.push(deadline);
        return outcome;
      },
      committed: async (group, topic) => {
        expect([group, topic]).toEqual([p.transactionalId, 'counts']);
        return new Map(mark === undefined ? [] : [[0, mark]]);
      },
    };
  }

  it('commits, retrying until the transaction timeout from now', async () => {
    const time = new ManualTime();
    const c = committer('committed');
    await expect(commitPending(c, p, o(time))).resolves.toBe('committed');
    expect(c.deadlines).toEqual([time.t + 30_000]);
  });

  it('a gone transaction whose mark is its checkpoint or later was committed before', async () => {
    await expect(commitPending(committer('gone', 12), p, o(new ManualTime()))).resolves.toBe('committed before');
    await expect(commitPending(committer('gone', 15), p, o(new ManualTime()))).resolves.toBe('committed before');
  });

  it.each([
    ['without a mark', undefined],
    ['with an older mark', 11],
  ])(
    'a gone transaction %s was aborted: the job fails, naming the transaction and the checkpoint',
    async (_what, mark) => {
      const err = await commitPending(committer('gone', mark), p, o(new ManualTime())).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonRetriableError);
      expect(isNonRetriable(err)).toBe(true);
      expect((err as NonRetriableError).code).toBe('KAFKA_TRANSACTION_LOST');
      expect((err as Error).message).toContain(
        'transaction "flinkx-job-out-0-3" (producer id 4001, epoch 5) of completed checkpoint 12 was aborted',
      );
      expect((err as Error).message).toContain('transactionTimeout of 30000 ms');
    },
  );
});
