/**
 * The output channels of one edge of a task and how a record picks among them: its partitioner.
 * `hash` routes by key group exactly as Flink does, so a key reaches the same subtask on every run;
 * the key group goes with the record, so the keyed operator at the other end does not hash again.
 */
import { keyGroupFor, keyOf, operatorIndexForKeyGroup } from '../../common/key-groups';
import type { PlanEdge } from '../../common/plan';
import type { OutputChannel } from './channels';

export class OutputEdge {
  private next = 0;
  constructor(
    readonly channels: OutputChannel[],
    private readonly edge: PlanEdge,
    private readonly maxParallelism: number,
    subtask: number,
  ) {
    this.next = subtask % channels.length;
  }

  emit(record: unknown, timestamp?: number): void {
    const cs = this.channels;
    switch (this.edge.partitioner) {
      case 'forward':
        cs[0].emit(record, timestamp);
        return;
      case 'rebalance':
        cs[this.next].emit(record, timestamp);
        this.next = (this.next + 1) % cs.length;
        return;
      case 'hash': {
        const keyGroup = keyGroupFor(keyOf(record, this.edge.keyBy!, this.edge.target), this.maxParallelism);
        cs[operatorIndexForKeyGroup(this.maxParallelism, cs.length, keyGroup)].emit(record, timestamp, keyGroup);
        return;
      }
      case 'broadcast':
        for (const c of cs) c.emit(record, timestamp);
    }
  }
}
