import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidOptionsError } from '../../common/errors';
import { parseOptions } from './options';
import { SecurityOptionsSchema, securityAdvice } from '../../common/net/security-options';

function problems(input: Record<string, unknown>): { path: string; message: string }[] {
  try {
    parseOptions(SecurityOptionsSchema, input);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidOptionsError);
    return (err as InvalidOptionsError).problems;
  }
  throw new Error('expected the options to be refused');
}

describe('security options', () => {
  const dir = mkdtempSync(join(tmpdir(), 'flinkx-sec-'));
  const secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'abcdefghijklmnopqrstuvwxyz\n');

  it('none: no secret, no TLS', () => {
    expect(parseOptions(SecurityOptionsSchema, {})).toEqual({ secret: undefined, tls: {}, metricsPublic: false });
  });

  it('the secret comes from --secret-file (trailing newline dropped) before FLINKX_SECRET', () => {
    const fromFile = parseOptions(SecurityOptionsSchema, { secretFile, secret: 'x'.repeat(20) }).secret!;
    const same = parseOptions(SecurityOptionsSchema, { secret: 'abcdefghijklmnopqrstuvwxyz' }).secret!;
    expect(fromFile.restToken).toBe(same.restToken);
  });

  it('unreadable files and short secrets are named by their flag or variable', () => {
    expect(problems({ secretFile: join(dir, 'missing') })).toEqual([
      { path: '--secret-file', message: expect.stringMatching(/cannot read .*missing: ENOENT/) },
    ]);
    expect(problems({ secret: 'short' })).toEqual([
      { path: 'FLINKX_SECRET', message: expect.stringMatching(/at least 16 characters/) },
    ]);
    expect(problems({ tlsCert: secretFile })).toEqual([{ path: '--tls-key', message: 'required with --tls-cert' }]);
  });

  it('a non-loopback address without a secret refuses to start and says how to set one', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1'])
      expect(() => parseOptions(SecurityOptionsSchema, { host })).not.toThrow();
    for (const host of ['0.0.0.0', '::', '10.0.0.5', 'example.org']) {
      expect(problems({ host })).toEqual([
        {
          path: '--host',
          message: expect.stringMatching(/not a loopback address.*--secret-file.*FLINKX_SECRET.*--insecure/),
        },
      ]);
    }
    const withSecret = parseOptions(SecurityOptionsSchema, { host: '0.0.0.0', secretFile });
    expect(securityAdvice({ host: '0.0.0.0' }, withSecret)).toEqual([]);
    const insecure = parseOptions(SecurityOptionsSchema, { host: '0.0.0.0', insecure: true });
    expect(securityAdvice({ host: '0.0.0.0' }, insecure)).toEqual([
      expect.stringMatching(/--insecure: listening on 0\.0\.0\.0 without a secret/),
    ]);
  });
});
