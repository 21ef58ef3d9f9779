import type { TaskCounters } from '../common/protocol/control';
import { TaskManagerMetrics } from './metrics';

const counters = (extra: Partial<TaskCounters>): TaskCounters => ({
  jobId: 'j1',
  attempt: 0,
  vertex: 'w',
  subtask: 0,
  recordsIn: 0,
  recordsOut: 0,
  bytesIn: 0,
  backPressuredMs: 0,
  busyMs: 0,
  operatorBuckets: [],
  operatorSeconds: 0,
  operatorCount: 0,
  ...extra,
});

describe('TaskManager metrics of event time', () => {
  it("exports each subtask's watermark, late records and open windows; no watermark series before it has one", async () => {
    const slots = [
      [counters({ watermark: 1_700_000_000_000, lateRecords: 3, openWindows: 12 })],
      [counters({ subtask: 1 })],
    ];
    const metrics = new TaskManagerMetrics({ slotTasks: () => slots, jobName: () => 'job' });
    const text = await metrics.registry.metrics();
    const labels = 'job_id="j1",job_name="job",vertex="w",subtask="0"';
    expect(text).toContain(`flinkx_task_watermark_milliseconds{${labels}} 1700000000000`);
    expect(text).toContain(`flinkx_task_late_records_total{${labels}} 3`);
    expect(text).toContain(`flinkx_task_open_windows{${labels}} 12`);
    expect(text).not.toMatch(/flinkx_task_watermark_milliseconds\{[^}]*subtask="1"/);
    await metrics.close();
  });
});
