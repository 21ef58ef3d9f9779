/**
 * Process-function timers with real processes (a JobManager, one TaskManager): a job module whose
 * function registers an event-time timer at `ctx.timestamp + 60000` without event time FAILS at
 * once with the reason, where it used to FINISH with no output; with event time it alerts per key.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, tempDir } from './harness';

jest.setTimeout(180_000);

const SENSORS = 41;

/** The quiet-sensor job of the issue, with or without `assignTimestampsAndWatermarks`. */
function writeJob(dir: string, eventTime: boolean): string {
  const readings = Array.from({ length: SENSORS }, (_, i) => JSON.stringify({ sensor: `s${i}`, ts: 1_000 * i }));
  writeFileSync(join(dir, 'readings.jsonl'), `${readings.join('\n')}\n`);
  writeFileSync(
    join(dir, 'job.ts'),
    `import { FileSink, FileSource, StreamExecutionEnvironment } from 'flinkx';
type Reading = { sensor: string; ts: number };
const env = StreamExecutionEnvironment.getExecutionEnvironment()
  .setRestartStrategy({ strategy: 'fixed-delay', attempts: 3, delay: 100 });
const readings = env.fromSource(FileSource.lines('readings.jsonl')).map((l): Reading => JSON.parse(l));
${eventTime ? "readings.assignTimestampsAndWatermarks({ field: 'ts' })" : 'readings'}
  .keyBy('sensor')
  .process<{ sensor: string; quietAt: number }>({
    processElement(r, ctx) {
      ctx.registerEventTimeTimer((ctx.timestamp as number) + 60_000);
    },
    onTimer(t, ctx) {
      ctx.emit({ sensor: ctx.key, quietAt: t });
    },
  }).uid('alerts')
  .sinkTo(FileSink.jsonLines('out'));
env.execute('quiet-${eventTime ? 'event-time' : 'no-event-time'}');
`,
  );
  return join(dir, 'job.ts');
}

function sinkRows(folder: string): unknown[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder)
    .filter((n) => n.endsWith('.jsonl'))
    .flatMap((n) =>
      readFileSync(join(folder, n), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
    );
}

describe('process-function timers', () => {
  let cluster: Cluster;
  beforeAll(async () => {
    cluster = await Cluster.start([2]);
  });
  afterAll(() => cluster.stop());

  test('a timer at ctx.timestamp + 60000 without event time fails the job at once, saying where event time comes from', async () => {
    const dir = tempDir();
    const jobId = await cluster.submit(writeJob(dir, false));
    const failed = await cluster.waitForState(jobId, ['FAILED', 'FINISHED']);
    expect(failed.state).toBe('FAILED');
    expect(failed.restarts).toBe(0);
    expect(failed.failure).toMatchObject({
      message: expect.stringMatching(
        /^operator "alerts" threw: event-time timer at NaN: .*assignTimestampsAndWatermarks/,
      ),
      nonRetriable: true,
    });
  });

  test('with assignTimestampsAndWatermarks the same job alerts for every sensor', async () => {
    const dir = tempDir();
    const jobId = await cluster.submit(writeJob(dir, true));
    expect((await cluster.waitForState(jobId, ['FINISHED'])).state).toBe('FINISHED');
    const alerts = sinkRows(join(dir, 'out')) as { sensor: string; quietAt: number }[];
    expect(alerts.map((a) => a.sensor).sort()).toEqual(Array.from({ length: SENSORS }, (_, i) => `s${i}`).sort());
    expect(alerts.find((a) => a.sensor === 's3')!.quietAt).toBe(63_000);
  });
});
