/** Drops every record, as Flink's DiscardingSink (Nexmark's "blackhole"): for measuring what comes before it. */
import type { SinkWriter } from '../types';

export class DiscardSink implements SinkWriter {
  async write(): Promise<void> {}
  async snapshot(): Promise<unknown> {
    return null;
  }
  async commit(): Promise<void> {}
  async restore(): Promise<void> {}
  async finish(): Promise<void> {}
  async close(): Promise<void> {}
}
