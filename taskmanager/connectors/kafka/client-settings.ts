/**
 * How the connector's kafkajs clients are set up: timeouts, retries, logging, error text.
 *
 * Timeouts and retry limits are small on purpose: an unreachable broker or a dead one fails the
 * task with a ConnectorError within about 30 s instead of retrying for minutes.
 */
import type { LogEntry } from 'kafkajs';
import { Logger } from '../../../common/log';
import { install } from './kafkajs-workarounds';

const log = new Logger('kafka');

export const CONNECTION_TIMEOUT_MS = 3_000;
export const REQUEST_TIMEOUT_MS = 10_000;
/** About 10 s of back-off in all (300, 600, 1200, 2400, 4800 ms, ±20 %). */
export const RETRY = { retries: 5, initialRetryTime: 300, maxRetryTime: 5_000 };

/** kafkajs logs every retriable error response at ERROR before retrying; these are expected. */
const EXPECTED_NOISE =
  /coordinator is not available|coordinator is loading|not the correct coordinator|concurrent operation on the same transaction|group is rebalancing|There is no leader for this topic-partition|Limiting retries for the idempotent producer/i;

/** kafkajs's log lines into ours, expected retries at debug level. */
export const logCreator = () => {
  const { ERROR, WARN } = install().lib.logLevel;
  return ({ level, log: entry }: LogEntry): void => {
    const { message, ...fields } = entry as { message: string } & Record<string, unknown>;
    delete fields.timestamp;
    delete fields.logger;
    delete fields.stack;
    const text = `${message} ${(fields.error as string | undefined) ?? ''}`;
    if (level <= ERROR && !EXPECTED_NOISE.test(text)) log.warn(`kafkajs: ${message}`, fields);
    else if (level === WARN && !EXPECTED_NOISE.test(text)) log.info(`kafkajs: ${message}`, fields);
    else log.debug(`kafkajs: ${message}`, fields);
  };
};

/** A kafkajs error as a one-line reason. */
export function reason(err: unknown): string {
  const e = err as { message?: string; type?: string; cause?: unknown; originalError?: { message?: string } };
  let text = e?.message ?? String(err);
  const inner = e?.originalError?.message ?? (e?.cause as { message?: string } | undefined)?.message;
  if (inner && !text.includes(inner)) text += ` (${inner})`;
  return text;
}

/** What a kafkajs error says of itself: its broker error type, and whether kafkajs would retry it. */
export interface KafkajsError {
  name?: string;
  type?: string;
  retriable?: boolean;
  message?: string;
  originalError?: unknown;
  cause?: unknown;
}

/** An error and the errors it wraps (kafkajs's retries exceeded, our ConnectorError), outermost first. */
export function* kafkaErrorChain(err: unknown): Generator<KafkajsError> {
  for (let e = err as KafkajsError | undefined, depth = 0; e && typeof e === 'object' && depth < 10; depth++) {
    yield e;
    e = (e.originalError ?? e.cause) as KafkajsError | undefined;
  }
}
