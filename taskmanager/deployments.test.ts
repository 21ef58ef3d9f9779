import { configureLogging } from '../common/log';
import { Deployments } from './deployments';

configureLogging('warn', 'text');

const tasks = [
  { vertex: 'src', subtask: 0 },
  { vertex: 'sink', subtask: 0 },
];
/** Slot i hosts subtask i. */
const slotOf = (t: { subtask: number }) => t.subtask;

function warnings(spy: jest.SpyInstance): string[] {
  return spy.mock.calls.map((c) => String(c[0])).filter((l) => l.includes('dropping data frames'));
}

describe('Deployments', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => stderr.mockRestore());

  test('a cut-off drops the frames of its attempt only, to and from the lost peer only', () => {
    const d = new Deployments();
    d.deployed('j', 1, ['tm-b', 'tm-c'], tasks, slotOf);
    d.deployed('k', 1, ['tm-b'], tasks, slotOf);
    d.cut('tm-b');
    expect(d.isCutOff('tm-b', 'j/1/src.0->sink.0')).toBe(true);
    expect(d.isCutOff('tm-c', 'j/1/src.0->sink.0')).toBe(false);
    expect(d.isCutOff('tm-b', 'j/2/src.0->sink.0')).toBe(false);
    expect(d.isCutOff('tm-b', 'k/1/src.0->sink.0')).toBe(true);
  });

  test('an attempt that ends takes only its own cut-offs along: another attempt cut off from the same peer stays cut off', () => {
    const d = new Deployments();
    d.deployed('j', 1, ['tm-b'], tasks, slotOf);
    d.deployed('k', 1, ['tm-b'], tasks, slotOf);
    d.cut('tm-b');
    d.cut('tm-b');
    for (const t of tasks) d.taskState('j', 1, t.vertex, t.subtask, 'CANCELED');
    expect(d.isCutOff('tm-b', 'k/1/src.0->sink.0')).toBe(true);
    for (const t of tasks) d.taskState('k', 1, t.vertex, t.subtask, 'CANCELED');
    d.deployed('k', 1, ['tm-b'], tasks, slotOf);
    expect(d.isCutOff('tm-b', 'k/1/src.0->sink.0')).toBe(false);
  });

  test('a cut-off goes with the last task of its attempt: the same attempt deployed again exchanges frames', () => {
    const d = new Deployments();
    d.deployed('j', 1, ['tm-b'], tasks, slotOf);
    d.cut('tm-b');
    d.taskState('j', 1, 'src', 0, 'RUNNING');
    d.taskState('j', 1, 'src', 0, 'FAILED');
    expect(d.isCutOff('tm-b', 'j/1/x')).toBe(true); // the sink still runs
    d.taskState('j', 1, 'sink', 0, 'CANCELED');
    expect(d.isCutOff('tm-b', 'j/1/x')).toBe(false);
    expect(d.taskCount).toBe(0);
    d.deployed('j', 1, ['tm-b'], tasks, slotOf);
    expect(d.isCutOff('tm-b', 'j/1/x')).toBe(false);
  });

  test('dropped frames are logged once per attempt and peer, not per frame', () => {
    const d = new Deployments();
    d.deployed('j', 1, ['tm-b', 'tm-c'], tasks, slotOf);
    d.cut('tm-b');
    d.cut('tm-c');
    for (let i = 0; i < 5; i++) {
      d.isCutOff('tm-b', 'j/1/a');
      d.isCutOff('tm-c', 'j/1/b');
    }
    const lines = warnings(stderr);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/job=j attempt=1 peer=tm-b/);
    expect(lines[1]).toMatch(/job=j attempt=1 peer=tm-c/);
  });

  test('a lost JobManager orphans every job with a task here, including one deployed a moment ago; the last one ending is logged and resolves orphansGone', async () => {
    const d = new Deployments();
    d.deployed('j', 1, [], tasks, slotOf);
    d.deployed('k', 3, [], [{ vertex: 'src', subtask: 1 }], slotOf);
    expect(d.orphan().sort()).toEqual(['j', 'k']);
    expect(d.taskCount).toBe(3);
    let gone = false;
    const whenGone = d.orphansGone().then(() => (gone = true));
    configureLogging('info', 'text');
    try {
      d.taskState('k', 3, 'src', 1, 'CANCELED');
      d.taskState('j', 1, 'src', 0, 'CANCELED');
      expect(stderr.mock.calls.some((c) => String(c[0]).includes('every task of the lost JobManager ended'))).toBe(
        false,
      );
      await Promise.resolve();
      expect(gone).toBe(false);
      d.taskState('j', 1, 'sink', 0, 'CANCELED');
      expect(stderr.mock.calls.some((c) => String(c[0]).includes('every task of the lost JobManager ended'))).toBe(
        true,
      );
    } finally {
      configureLogging('warn', 'text');
    }
    await whenGone;
    expect(d.orphan()).toEqual([]);
    await d.orphansGone(); // none left: at once
  });

  test('the tasks not ended yet, of a job or in a slot, each with its attempt and slot', () => {
    const d = new Deployments();
    d.deployed('j', 1, [], tasks, slotOf);
    d.deployed('j', 2, [], [{ vertex: 'src', subtask: 1 }], slotOf);
    d.deployed('k', 0, [], [{ vertex: 'a/b', subtask: 1 }], slotOf);
    d.taskState('j', 1, 'sink', 0, 'FINISHED');
    expect(d.unended('j')).toEqual([
      { jobId: 'j', attempt: 1, vertex: 'src', subtask: 0, slot: 0 },
      { jobId: 'j', attempt: 2, vertex: 'src', subtask: 1, slot: 1 },
    ]);
    expect(d.inSlot(1)).toEqual([
      { jobId: 'j', attempt: 2, vertex: 'src', subtask: 1, slot: 1 },
      { jobId: 'k', attempt: 0, vertex: 'a/b', subtask: 1, slot: 1 },
    ]);
  });

  test('the peers in use are those named by an attempt with a task here', () => {
    const d = new Deployments();
    d.deployed('j', 1, ['tm-b', 'tm-c'], tasks, slotOf);
    d.deployed('k', 0, ['tm-c'], [{ vertex: 'src', subtask: 1 }], slotOf);
    expect([...d.peersInUse()].sort()).toEqual(['tm-b', 'tm-c']);
    d.taskState('j', 1, 'src', 0, 'FINISHED');
    d.taskState('j', 1, 'sink', 0, 'CANCELED');
    expect([...d.peersInUse()]).toEqual(['tm-c']);
    d.taskState('k', 0, 'src', 1, 'FAILED');
    expect([...d.peersInUse()]).toEqual([]);
  });
});
