import { createSink, createSource } from '../index';
import { NexmarkConnectorSchema } from '../../../common/connectors/nexmark';
import { NexmarkSource } from '../nexmark/nexmark-source';
import type { SubtaskInfo } from '../types';
import { DiscardSink } from './discard-sink';

const task = { jobId: 'j', node: 'n', subtask: 0, parallelism: 1, attempt: 0, mode: 'exactly-once' } as SubtaskInfo;

describe('discard and nexmark connectors', () => {
  it('"discard" is a sink that takes every record and keeps none, through checkpoints too', async () => {
    const sink = createSink({ kind: 'discard' }, task);
    expect(sink).toBeInstanceOf(DiscardSink);
    await sink.write([{ a: 1 }, 'b']);
    await expect(sink.snapshot(1)).resolves.toBeNull();
    await sink.commit(1);
    await sink.finish();
    await sink.close();
  });

  it('"nexmark" is a source', () => {
    expect(createSource(NexmarkConnectorSchema.parse({ kind: 'nexmark', count: 1 }), task)).toBeInstanceOf(
      NexmarkSource,
    );
  });
});
