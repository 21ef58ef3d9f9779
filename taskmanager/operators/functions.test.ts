import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadFunctions } from './functions';

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
