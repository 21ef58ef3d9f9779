/** A key selector's key is checked where the selector runs: null or undefined fails the task for good. */
import { errorInfo, UserFunctionError } from '../errors';
import { StreamExecutionEnvironment } from './index';

type Account = { accountId?: string | null; amount: number };

/** The selector helper of the keyed node `id`, as the TaskManager finds it in the bundle. */
function keyHelper(keyBy: (r: Account) => unknown, id: string) {
  const env = StreamExecutionEnvironment.getExecutionEnvironment();
  const accounts = env.readTextFile('in').map((l): Account => JSON.parse(l));
  const keyed = accounts.keyBy(keyBy);
  if (id === 'sums') keyed.sum('amount').uid('sums').print();
  else if (id === 'counts') keyed.count().uid('counts').print();
  else
    keyed
      .process((r, ctx) => ctx.emit(r))
      .uid(id)
      .print();
  return env.buildJob('accounts').functions.get(`${id}-key`) as (r: Account) => unknown;
}

/** What the helper threw, as the operator running it reports it to the JobManager. */
function failure(f: () => unknown) {
  try {
    f();
  } catch (err) {
    return errorInfo(new UserFunctionError('sums-key', err));
  }
  throw new Error('it did not throw');
}

test('a key selector returning a key passes the record on with it', () => {
  expect(keyHelper((r) => r.accountId, 'sums')({ accountId: 'a1', amount: 3 })).toEqual({
    accountId: 'a1',
    amount: 3,
    __flinkxKey: 'a1',
  });
});

test.each(['sums', 'counts', 'p'])(
  '%s: a key selector returning undefined or null fails for good, naming the selector and the record',
  (id) => {
    // A misspelling no type check caught: `r.acountId` is undefined on every record.
    const helper = keyHelper((r) => (r as Record<string, unknown>).acountId, id);
    const undef = failure(() => helper({ accountId: 'a1', amount: 3 }));
    expect(undef).toMatchObject({ nonRetriable: true });
    // The selector's source as the bundle has it (the compiler may drop spaces).
    expect(undef.message).toMatch(
      /^operator "sums-key" threw: key selector \(r\) ?=> ?r\.acountId returned undefined for record \{"accountId":"a1","amount":3\}; a key must not be null or undefined$/,
    );
    expect(failure(() => keyHelper((r) => r.accountId, id)({ accountId: null, amount: 1 })).message).toMatch(
      /returned null for record \{"accountId":null,"amount":1\}/,
    );
  },
);

test('a composite key with a missing part fails for good instead of keying every record by its other parts', () => {
  const helper = keyHelper((r) => [r.accountId, (r as Record<string, unknown>).curency], 'sums');
  const f = failure(() => helper({ accountId: 'a1', amount: 3 }));
  expect(f).toMatchObject({ nonRetriable: true });
  expect(f.message).toMatch(
    /returned \["a1",null\] for record \{"accountId":"a1","amount":3\}; it cannot be a key: it holds undefined \(a missing field\?\)$/,
  );
});
