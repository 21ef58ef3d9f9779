/**
 * A TaskManager closes its dialled data connections once no attempt there uses them (the attempt's
 * last task on it ended), in order, so the peer does not count them as lost.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, tempDir, waitFor } from './harness';
import { wordcountJob, writeText } from './wordcount';

jest.setTimeout(120_000);

describe('data connections', () => {
  test('after a job on two TaskManagers finished, each released its connection to the other, and neither saw one lost', async () => {
    const cluster = await Cluster.start([1, 1]);
    try {
      const dir = tempDir();
      writeText(join(dir, 'input.txt'), 2000, 11);
      writeFileSync(join(dir, 'job.json'), JSON.stringify(wordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 2)));
      const job = await cluster.submit(join(dir, 'job.json'));
      await cluster.waitForState(job, ['FINISHED']);
      const ids = cluster.taskManagers.map((tm) => /tm=(\S+)/.exec(tm.output)![1]);
      for (const [i, tm] of cluster.taskManagers.entries()) {
        const other = ids[1 - i];
        await waitFor(
          `${ids[i]} releasing its connection to ${other}`,
          () => tm.output.includes(`released idle data connection peer=${other}`),
          30_000,
          cluster.logs,
        );
        expect(tm.output).not.toMatch(/data connection lost/);
      }
    } finally {
      await cluster.stop();
    }
  });
});
