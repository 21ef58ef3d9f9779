/**
 * The loop of a source task (what Flink's SourceStreamTask runs): read a batch from the source
 * reader once every output channel has credit (so a slow consumer stops its sources), push it
 * through the operator chain, and between two reads take the checkpoint the task was triggered
 * for, emitting its barrier behind what was sent. After a terminal savepoint it reads nothing and
 * waits for its completion. A source's end of input is the watermark +infinity, so every window
 * fires.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { TaskCounters } from '../../common/protocol/control';
import type { SourceReader } from '../connectors/types';
import type { OperatorChain } from './operator-chain';
import type { SubtaskCheckpointCoordinator } from './subtask-checkpoint-coordinator';

const SOURCE_READ_RECORDS = 256;

export class SourceLoop {
  constructor(
    private readonly source: SourceReader,
    private readonly chain: OperatorChain,
    private readonly checkpoints: SubtaskCheckpointCoordinator,
    private readonly counters: TaskCounters,
    private readonly checkCanceled: () => void,
  ) {}

  async run(): Promise<void> {
    const { source, chain } = this;
    for (;;) {
      await chain.awaitWritable();
      const id = this.checkpoints.takeTriggered();
      if (id !== undefined) {
        await this.checkpoints.checkpoint(id);
        if (this.checkpoints.stopsWith(id)) return this.checkpoints.awaitStop();
        continue;
      }
      await chain.runMails();
      const records = await source.read(SOURCE_READ_RECORDS);
      this.checkCanceled();
      if (records === null) {
        chain.operators.watermark(Infinity);
        await chain.afterBatch(performance.now());
        return;
      }
      const t0 = performance.now();
      this.counters.recordsIn += records.length;
      const timed = chain.operators.sourceTimestamps && source.eventTime?.();
      if (timed) {
        chain.operators.sourceTimestamps!.declareSplits(timed.owned);
        for (let i = 0; i < records.length; i++) chain.push(records[i], timed.timestamps[i], timed.splits[i]);
      } else for (const r of records) chain.push(r);
      chain.observeOperators(t0);
      await chain.afterBatch(t0);
      await chain.awaitAsync('room');
      await yieldToEventLoop();
    }
  }
}
