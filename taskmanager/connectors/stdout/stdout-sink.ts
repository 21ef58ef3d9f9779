/** Each record as one JSON line on the TaskManager's standard output (at-least-once on restart). */
import type { SinkWriter } from '../types';

export class StdoutSink implements SinkWriter {
  async write(records: unknown[]): Promise<void> {
    let text = '';
    for (const r of records) text += JSON.stringify(r) + '\n';
    if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
  }
  async snapshot(): Promise<unknown> {
    return null;
  }
  async commit(): Promise<void> {}
  async restore(): Promise<void> {}
  async finish(): Promise<void> {}
  async close(): Promise<void> {}
}
