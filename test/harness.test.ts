/** The harness's waitFor, which every cluster test waits with. */
import { StopWaiting, waitFor } from './harness';

describe('waitFor', () => {
  it('polls until the probe gives a value; undefined and false mean not yet', async () => {
    const answers = [undefined, false, 'ready'];
    await expect(waitFor('the third poll', () => answers.shift(), 10_000)).resolves.toBe('ready');
  }, 30_000);

  it('a probe that throws is polled again; at the deadline its last error says why', async () => {
    let polls = 0;
    const probe = () => {
      polls++;
      throw new Error(`refused ${polls}`);
    };
    await expect(waitFor('the JobManager', probe, 300, () => '\nlog tail')).rejects.toThrow(
      /^timed out after 300 ms waiting for the JobManager: refused \d+\nlog tail$/,
    );
    expect(polls).toBeGreaterThan(1);
  }, 30_000);

  it('StopWaiting fails the wait at once with its message', async () => {
    let polls = 0;
    const probe = () => {
      polls++;
      throw new StopWaiting('job FAILED before the broker was back');
    };
    await expect(waitFor('the broker', probe, 60_000)).rejects.toThrow('job FAILED before the broker was back');
    expect(polls).toBe(1);
  }, 30_000);
});
