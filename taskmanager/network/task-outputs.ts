/**
 * The output side of a task that does not end in a sink: one OutputEdge per outgoing edge. Records
 * of the chain's main output go to the main edges, records of a side output (a window's `late`)
 * only to the edges reading that output; watermarks and watermark status go on every channel, each
 * only when it changes.
 */
import { channelId, type DeploymentPlan, type PlanVertex } from '../../common/plan';
import { OutputChannel, type ChannelTransport } from './channels';
import { OutputEdge } from './output-edge';

export class TaskOutputs {
  readonly channels: OutputChannel[];
  private readonly main: OutputEdge[] = [];
  private readonly sides: { tag: string; edge: OutputEdge }[] = [];
  private watermarkOut = -Infinity;
  private idleOut = false;

  constructor(
    plan: DeploymentPlan,
    vertex: PlanVertex,
    subtask: number,
    transport: ChannelTransport,
    onWritable: () => void,
    batchRecords?: number,
  ) {
    const parallelism = new Map(plan.vertices.map((v) => [v.id, v.parallelism]));
    for (const edge of plan.edges.filter((e) => e.source === vertex.id)) {
      const targets = edge.partitioner === 'forward' ? [subtask] : [...Array(parallelism.get(edge.target)!).keys()];
      const channels = targets.map(
        (to) =>
          new OutputChannel(
            channelId(plan.jobId, plan.attempt, edge.id, subtask, to),
            plan.slots[to],
            transport,
            onWritable,
            batchRecords,
          ),
      );
      const out = new OutputEdge(channels, edge, plan.maxParallelism, subtask);
      if (edge.sideOutput) this.sides.push({ tag: edge.sideOutput, edge: out });
      else this.main.push(out);
    }
    this.channels = [...this.main, ...this.sides.map((s) => s.edge)].flatMap((o) => o.channels);
  }

  emit(record: unknown, timestamp?: number): void {
    for (const o of this.main) o.emit(record, timestamp);
  }

  side(tag: string, record: unknown, timestamp?: number): void {
    for (const s of this.sides) if (s.tag === tag) s.edge.emit(record, timestamp);
  }

  watermark(watermark: number): void {
    if (watermark <= this.watermarkOut) return;
    this.watermarkOut = watermark;
    for (const c of this.channels) c.seal({ kind: 'watermark', timestamp: watermark });
  }

  status(idle: boolean): void {
    if (idle === this.idleOut) return;
    this.idleOut = idle;
    for (const c of this.channels) c.seal({ kind: 'status', idle });
  }
}
