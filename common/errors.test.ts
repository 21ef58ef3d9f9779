import { errorInfo, FlinkxError, isNonRetriable, NonRetriableError, UserFunctionError } from './errors';

describe('non-retriable failures', () => {
  it('a NonRetriableError, or any error of that name, is non-retriable, also as the cause of another', () => {
    class UsersOwn extends Error {
      override name = 'NonRetriableError';
    }
    expect(isNonRetriable(new NonRetriableError('no'))).toBe(true);
    expect(isNonRetriable(new UsersOwn('no'))).toBe(true);
    expect(isNonRetriable(new UserFunctionError('check', new UsersOwn('bad record')))).toBe(true);
  });

  it('other errors are retriable, whatever their `retriable` flag says about retrying a request', () => {
    expect(isNonRetriable(new Error('flaky'))).toBe(false);
    expect(isNonRetriable(new FlinkxError('X', 'x'))).toBe(false);
    expect(isNonRetriable(new UserFunctionError('check', new Error('poison')))).toBe(false);
    expect(isNonRetriable('a string')).toBe(false);
  });

  it('errorInfo carries the flag only when set', () => {
    expect(errorInfo(new NonRetriableError('no'))).toMatchObject({ message: 'no', nonRetriable: true });
    expect(errorInfo(new Error('flaky'))).not.toHaveProperty('nonRetriable');
    expect(errorInfo('thrown string')).toEqual({ message: 'thrown string', stack: undefined });
  });
});
