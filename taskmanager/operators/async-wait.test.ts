import { parseJobSpec, type AsyncSpec, type NodeSpec } from '../../common/jobfile';
import { AsyncOperators, AsyncWaitOperator } from './async-wait';

/** Calls whose results the test hands out, in any order. */
class Calls {
  readonly started: { input: unknown; resolve: (v: unknown) => void; reject: (e: unknown) => void }[] = [];
  readonly fn = (input: unknown) => new Promise((resolve, reject) => this.started.push({ input, resolve, reject }));
  resolve(input: unknown, value: unknown = `r(${String(input)})`): void {
    this.started.find((c) => c.input === input)!.resolve(value);
  }
}

const created: AsyncWaitOperator[] = [];
afterEach(() => created.splice(0).forEach((op) => op.close()));

function operator(async: Partial<AsyncSpec> & { timeout?: number }, fn: (x: unknown) => unknown) {
  const node: NodeSpec = parseJobSpec({
    name: 't',
    nodes: [
      { id: 'in', type: 'source', connector: { kind: 'generator' } },
      { id: 'enrich', type: 'asyncMap', inputs: ['in'], fn: 'f', async: { timeout: 60_000, ...async } },
      { id: 'out', type: 'sink', inputs: ['enrich'], connector: { kind: 'stdout' } },
    ],
  }).nodes[1];
  const out: unknown[] = [];
  let settled = 0;
  let wake: (() => void) | undefined;
  const op = new AsyncWaitOperator(node, fn, node.async!, (r) => out.push(r), () => {
    settled++;
    wake?.();
  });
  created.push(op);
  /** Resolves once `n` calls in all have settled. */
  const settledCount = async (n: number) => {
    while (settled < n) await new Promise<void>((r) => (wake = r));
  };
  return { op, out, settledCount };
}

test('ordered: results leave in input order whatever order the calls finish in', async () => {
  const calls = new Calls();
  const { op, out, settledCount } = operator({}, calls.fn);
  [1, 2, 3].forEach(op.push);
  calls.resolve(3);
  calls.resolve(2);
  await settledCount(2);
  op.drain();
  expect(out).toEqual([]);
  calls.resolve(1);
  await settledCount(3);
  op.drain();
  expect(out).toEqual(['r(1)', 'r(2)', 'r(3)']);
  expect(op.idle).toBe(true);
});

test('unordered: results leave as the calls finish', async () => {
  const calls = new Calls();
  const { op, out, settledCount } = operator({ ordered: false }, calls.fn);
  [1, 2, 3].forEach(op.push);
  calls.resolve(3);
  await settledCount(1);
  op.drain();
  calls.resolve(1);
  await settledCount(2);
  op.drain();
  expect(out).toEqual(['r(3)', 'r(1)']);
  expect(op.snapshot()).toEqual([2]);
});

test('at most `capacity` calls run; the queue is full at `capacity` records', async () => {
  const calls = new Calls();
  const { op, out, settledCount } = operator({ capacity: 2 }, calls.fn);
  op.push('a');
  expect(op.full).toBe(false);
  op.push('b');
  op.push('c');
  expect(calls.started.map((c) => c.input)).toEqual(['a', 'b']);
  expect(op.full).toBe(true);
  calls.resolve('a');
  await settledCount(1);
  expect(calls.started.map((c) => c.input)).toEqual(['a', 'b', 'c']);
  op.drain();
  expect(out).toEqual(['r(a)']);
  expect(op.full).toBe(true);
  calls.resolve('b');
  await settledCount(2);
  op.drain();
  expect(op.full).toBe(false);
});

test('a snapshot holds every input not emitted yet; a restore calls them again', async () => {
  const calls = new Calls();
  const { op, settledCount } = operator({ capacity: 2 }, calls.fn);
  ['done', 'running', 'waiting'].forEach(op.push);
  calls.resolve('running');
  await settledCount(1);
  op.drain();
  expect(op.snapshot()).toEqual(['done', 'running', 'waiting']);

  const again = new Calls();
  const restored = operator({ capacity: 2 }, again.fn);
  restored.op.restore(op.snapshot());
  op.close();
  expect(again.started.map((c) => c.input)).toEqual(['done', 'running']);
  for (const x of ['done', 'running']) again.resolve(x);
  await restored.settledCount(2);
  restored.op.drain();
  again.resolve('waiting');
  await restored.settledCount(3);
  restored.op.drain();
  expect(restored.out).toEqual(['r(done)', 'r(running)', 'r(waiting)']);
});

test('a timeout fails the task by default, or drops the record with onTimeout "drop"', async () => {
  const never = () => new Promise(() => undefined);
  const failing = operator({ timeout: 20 }, never);
  failing.op.push({ id: 7 });
  await failing.settledCount(1);
  expect(() => failing.op.drain()).toThrow(/operator "enrich": no result within 20 ms for \{"id":7\}/);

  const dropping = operator({ timeout: 20, onTimeout: 'drop' }, (x) => (x === 'slow' ? never() : Promise.resolve(x)));
  ['slow', 'fast'].forEach(dropping.op.push);
  await dropping.settledCount(2);
  dropping.op.drain();
  expect(dropping.out).toEqual(['fast']);
  expect(dropping.op.idle).toBe(true);
});

test('a rejected or throwing call fails the task with the user error, naming the operator', async () => {
  const { op, settledCount } = operator({}, () => {
    throw new Error('lookup failed');
  });
  op.push(1);
  await settledCount(1);
  expect(() => op.drain()).toThrow(/operator "enrich" threw: lookup failed/);
});

test('the job file requires `async` for asyncMap and refuses it elsewhere', () => {
  expect(() =>
    parseJobSpec({
      name: 't',
      nodes: [
        { id: 'in', type: 'source', connector: { kind: 'generator' }, async: { timeout: 1 } },
        { id: 'a', type: 'asyncMap', inputs: ['in'], fn: 'f' },
        { id: 'out', type: 'sink', inputs: ['a'], connector: { kind: 'stdout' } },
      ],
    }),
  ).toThrow(/nodes\[0\]\.async: not allowed for type "source"[\s\S]*nodes\[1\]\.async: required for type "asyncMap"/);
});

describe('AsyncOperators (a chain of two asyncMaps as the task drives them)', () => {
  const chainOfTwo = () => {
    const spec = parseJobSpec({
      name: 't',
      nodes: [
        { id: 'in', type: 'source', connector: { kind: 'generator' } },
        { id: 'a', type: 'asyncMap', inputs: ['in'], fn: 'f', async: { timeout: 60_000 } },
        { id: 'b', type: 'asyncMap', inputs: ['a'], fn: 'f', async: { timeout: 60_000 } },
        { id: 'out', type: 'sink', inputs: ['b'], connector: { kind: 'stdout' } },
      ],
    });
    const out: unknown[] = [];
    let wakes = 0;
    const ops = new AsyncOperators(() => wakes++);
    const b = new AsyncWaitOperator(spec.nodes[2], (x) => Promise.resolve(`b(${String(x)})`), spec.nodes[2].async!, (r) => out.push(r), ops.onSettled);
    const a = new AsyncWaitOperator(spec.nodes[1], (x) => Promise.resolve(`a(${String(x)})`), spec.nodes[1].async!, b.push, ops.onSettled);
    ops.list.push(a, b);
    created.push(a, b);
    return { ops, a, out, wakes: () => wakes };
  };

  it('a settle before the wait is not lost, and draining head first feeds the next operator', async () => {
    const { ops, a, out, wakes } = chainOfTwo();
    a.push(1);
    await new Promise<void>((resolve) => setImmediate(resolve));
    // `a` settled while nobody waited: the wait returns at once instead of hanging
    await ops.nextSettle();
    expect(wakes()).toBe(1);
    ops.drain();
    while (!ops.idle) {
      await ops.nextSettle();
      ops.drain();
    }
    expect(out).toEqual(['b(a(1))']);
    expect(ops.snapshot()).toEqual({ a: [], b: [] });
  });
});
