/** Each record as one JSON line on the TaskManager's standard output (at-least-once on restart). */
import { JsonLinesEncoder } from '../json-lines';
import type { SinkWriter } from '../types';

export class StdoutSink implements SinkWriter {
  private readonly json = new JsonLinesEncoder();

  async write(records: unknown[]): Promise<void> {
    const bytes = this.json.lines(records);
    if (bytes.length === 0) return;
    if (!process.stdout.write(bytes)) await new Promise((r) => process.stdout.once('drain', r));
  }
  async snapshot(): Promise<unknown> {
    return null;
  }
  async commit(): Promise<void> {}
  async restore(): Promise<void> {}
  async finish(): Promise<void> {}
  async close(): Promise<void> {}
}
