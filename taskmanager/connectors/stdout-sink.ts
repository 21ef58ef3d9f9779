/** Each record as one JSON line on the TaskManager's standard output. */
import type { SinkWriter } from './types';

export class StdoutSink implements SinkWriter {
  async write(records: unknown[]): Promise<void> {
    let text = '';
    for (const r of records) text += JSON.stringify(r) + '\n';
    if (!process.stdout.write(text)) await new Promise((r) => process.stdout.once('drain', r));
  }
  async finish(): Promise<void> {}
  async close(): Promise<void> {}
}
