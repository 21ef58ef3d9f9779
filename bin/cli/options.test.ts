import { availableParallelism } from 'node:os';
import { InvalidOptionsError } from '../../common/errors';
import { JOBMANAGER_DEFAULTS, jobManagerAdvice, JobManagerOptionsSchema } from '../../jobmanager/jobmanager-options';
import { TaskManagerOptionsSchema } from '../../taskmanager/taskmanager-options';
import { flagOf, parseOptions } from './options';

function problems(fn: () => unknown): { path: string; message: string }[] {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionsError);
    return (err as InvalidOptionsError).problems;
  }
  throw new Error('expected the options to be refused');
}

describe('JobManager options', () => {
  it('no flags: the exported defaults', () => {
    expect(parseOptions(JobManagerOptionsSchema, {})).toEqual(JOBMANAGER_DEFAULTS);
  });

  it('flags arrive as strings and are checked by name', () => {
    expect(
      parseOptions(JobManagerOptionsSchema, { port: '0', heartbeatTimeoutMs: '3000', host: undefined }),
    ).toMatchObject({ port: 0, heartbeatTimeoutMs: 3000, host: '127.0.0.1' });
    expect(
      problems(() => parseOptions(JobManagerOptionsSchema, { port: '70000', heartbeatIntervalMs: 'soon' })),
    ).toEqual([
      { path: '--port', message: 'must be ≤ 65535' },
      { path: '--heartbeat-interval', message: 'must be a number' },
    ]);
  });

  it('a heartbeat timeout not above the interval is refused with advice; a tight one is warned about', () => {
    const [p] = problems(() =>
      parseOptions(JobManagerOptionsSchema, { heartbeatIntervalMs: '1000', heartbeatTimeoutMs: '1000' }),
    );
    expect(p.path).toBe('--heartbeat-timeout');
    expect(p.message).toMatch(/not longer than the heartbeat interval \(1000 ms\).*at least 3000/);
    expect(jobManagerAdvice(parseOptions(JobManagerOptionsSchema, { heartbeatTimeoutMs: 2000 }))).toEqual([
      expect.stringMatching(/--heartbeat-timeout 2000 ms spans fewer than 3 heartbeat intervals of 1000 ms/),
    ]);
    expect(jobManagerAdvice(parseOptions(JobManagerOptionsSchema, {}))).toEqual([]);
  });
});

describe('TaskManager options', () => {
  it('defaults to one slot per core; an http:// JobManager address means its ws:// endpoint', () => {
    const c = parseOptions(TaskManagerOptionsSchema, { jobmanager: 'http://127.0.0.1:9000' });
    expect(c).toEqual({
      slots: availableParallelism(),
      jobmanager: 'ws://127.0.0.1:9000',
      host: '127.0.0.1',
      dataPort: 0,
      metricsPort: 0,
      batchRecords: 512,
      flushInterval: 5,
      creditsPerChannel: 4,
      taskCancellationTimeout: 180_000,
    });
    expect(
      parseOptions(TaskManagerOptionsSchema, {
        batchRecords: '64',
        flushInterval: '0',
        creditsPerChannel: '2',
        taskCancellationTimeout: '0',
      }),
    ).toMatchObject({ batchRecords: 64, flushInterval: 0, creditsPerChannel: 2, taskCancellationTimeout: 0 });
    expect(problems(() => parseOptions(TaskManagerOptionsSchema, { creditsPerChannel: '0' }))).toEqual([
      { path: '--credits-per-channel', message: 'must be ≥ 1' },
    ]);
    expect(
      problems(() => parseOptions(TaskManagerOptionsSchema, { slots: '0', jobmanager: 'localhost:8081' })),
    ).toEqual([
      { path: '--slots', message: 'must be ≥ 1' },
      { path: '--jobmanager', message: 'must be a ws:// or http:// address, or a comma-separated list of them' },
    ]);
  });

  it('takes a comma-separated list of JobManagers (active and standbys), each http:// meaning ws://', () => {
    const c = parseOptions(TaskManagerOptionsSchema, { jobmanager: 'http://127.0.0.1:9000,ws://127.0.0.1:9001' });
    expect(c.jobmanager).toBe('ws://127.0.0.1:9000,ws://127.0.0.1:9001');
    expect(problems(() => parseOptions(TaskManagerOptionsSchema, { jobmanager: 'ws://127.0.0.1:9000,' }))).toHaveLength(
      1,
    );
  });
});

it('flag names drop the Ms of durations', () => {
  expect(flagOf('heartbeatTimeoutMs')).toBe('--heartbeat-timeout');
  expect(flagOf('dataDir')).toBe('--data-dir');
});
