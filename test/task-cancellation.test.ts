/**
 * A task that never ends on cancel (a user function that never returns) would keep its slot for
 * good. With --task-cancellation-timeout (Flink's task.cancellation.timeout) the TaskManager
 * terminates that slot's worker and starts a fresh one: the next job runs in the slot.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster, tempDir, waitFor } from './harness';
import { pacedWordcountJob, writeText } from './wordcount';

jest.setTimeout(120_000);

/** A word count whose map, from its first record on, blocks its worker thread forever. */
function stuckJob(started: string, block: string): string {
  const dir = tempDir();
  writeText(join(dir, 'input.txt'), 100, 3);
  writeFileSync(
    join(dir, 'pace.js'),
    `exports.pace = (r) => { require('node:fs').writeFileSync(${JSON.stringify(started)}, ''); ${block} };\n`,
  );
  writeFileSync(join(dir, 'job.json'), JSON.stringify(pacedWordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 1)));
  return join(dir, 'job.json');
}

function finiteJob(): string {
  const dir = tempDir();
  writeText(join(dir, 'input.txt'), 100, 5);
  writeFileSync(join(dir, 'pace.js'), 'exports.pass = (r) => r;\n');
  writeFileSync(
    join(dir, 'job.json'),
    JSON.stringify(pacedWordcountJob(join(dir, 'input.txt'), join(dir, 'out'), 1, {}, 'pass')),
  );
  return join(dir, 'job.json');
}

describe('task cancellation timeout', () => {
  const blocks = {
    'a busy loop': 'for (;;) {}',
    'a wait that never ends': 'Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);',
  };
  for (const [what, block] of Object.entries(blocks)) {
    test(`a cancelled task stuck in ${what}: its slot worker is replaced after the timeout and the next job runs in the slot`, async () => {
      const cluster = await Cluster.start([]);
      try {
        const tm = cluster.startTaskManager(1, { extraArgs: ['--task-cancellation-timeout', '1000'] });
        await cluster.waitForTaskManagers(1);
        const started = join(tempDir(), 'started');
        const stuck = await cluster.submit(stuckJob(started, block));
        await waitFor('the first record in the stuck map', () => existsSync(started), 30_000, cluster.logs);
        expect(cluster.cli(['cancel', stuck]).status).toBe(0);
        await cluster.waitForState(stuck, ['CANCELED'], 60_000);
        const next = await cluster.submit(finiteJob());
        await cluster.waitForState(next, ['FINISHED'], 60_000);
        expect(tm.output).toMatch(
          /tasks did not end within the task cancellation timeout; terminating their slot worker .*slot=0 afterMs=1000 tasks=\S+/,
        );
        expect(tm.output).toMatch(/slot worker replaced slot=0/);
      } finally {
        await cluster.stop();
      }
    });
  }
});
