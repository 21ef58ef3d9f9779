/**
 * Nexmark's events as a source: subtask i of p generates events n = i, i+p, ... (events.ts), up to
 * `count` in all (absent = unbounded), at most `rate` events/s over all subtasks (absent = as fast as
 * it can). Its position is the next n, so a restored attempt regenerates exactly what follows.
 */
import type { NexmarkConnector } from '../../../common/connectors/nexmark';
import { SequenceSource } from '../generator/generator';
import type { SubtaskInfo } from '../types';
import { nexmarkEvent } from './events';

export class NexmarkSource extends SequenceSource {
  constructor(c: NexmarkConnector, task: SubtaskInfo) {
    super(c, task, (n) => nexmarkEvent(c, n));
  }
}
