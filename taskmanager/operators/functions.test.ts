import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadJobFile } from '../../common/jobfile';
import { BUILTINS, loadFunctions } from './functions';

const API = join(__dirname, '..', '..', 'common', 'datastream', 'index.ts');
const dir = mkdtempSync(join(tmpdir(), 'flinkx-fns-'));

describe('loadFunctions', () => {
  it("a job file's functions module gives its exports", () => {
    const path = join(dir, 'fns.js');
    writeFileSync(path, 'exports.shout = (s) => s.toUpperCase();\n');
    expect(loadFunctions(path).resolve('shout')('a')).toBe('A');
  });

  it('a DataStream job module gives its closures by node id, without running anything', () => {
    const path = join(dir, 'job.js');
    writeFileSync(
      path,
      `const { StreamExecutionEnvironment } = require(${JSON.stringify(API)});
       const env = StreamExecutionEnvironment.getExecutionEnvironment();
       const suffix = '!';
       env.readTextFile('in.txt').map((s) => s + suffix).uid('bang').print();
       env.execute('job');
       exports.notAFunctionOfTheJob = () => 'no';\n`,
    );
    const fns = loadFunctions(path);
    expect(fns.resolve('bang')('hi')).toBe('hi!');
    expect(() => fns.resolve('notAFunctionOfTheJob')).toThrow(
      /the job module built no function for node "notAFunctionOfTheJob"/,
    );
    // a node id that happens to be a built-in's name is not answered by the built-in
    expect(() => fns.resolve('identity')).toThrow(/built no function for node "identity"/);
  });
});

describe("the built-ins the seed DAG's translation uses (common/seed-dag.ts)", () => {
  it('read a seed message and write a window result as a table row', async () => {
    const job = await loadJobFile(join(__dirname, '..', '..', 'jobs', 'seed-dag', 'DAG.yml'));
    const byId = Object.fromEntries(job.nodes.map((n) => [n.id, n]));
    const [rec] = BUILTINS.regexp('apple,1700000000', byId.map.args) as Record<string, unknown>[];
    expect(rec).toEqual({ k0: 'apple', time: '1700000000', value: 1 });
    expect(BUILTINS.regexp('no match here', byId.map.args)).toEqual([]);
    expect(
      BUILTINS.tableRow({ k0: 'apple', windowStart: 0, windowEnd: 30_000, sum: 3 }, byId['word_count-rows'].args),
    ).toEqual({
      table: 'word_count',
      windowStart: 0,
      windowEnd: 30_000,
      key: 'apple',
      value: 3,
    });
  });
});
