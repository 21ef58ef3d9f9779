/** A CA and a server certificate for 127.0.0.1 made with openssl at test time, in a temp dir. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './harness';

export interface TestCertificates {
  dir: string;
  ca: string;
  cert: string;
  key: string;
}

export function makeCertificates(): TestCertificates {
  const dir = tempDir('flinkx-tls-');
  const f = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=flinkx test CA',
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('node.key'),
    '-out',
    f('node.csr'),
  );
  const ext = f('ext.cnf');
  writeFileSync(ext, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    f('node.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    ext,
    '-out',
    f('node.pem'),
  );
  return { dir, ca: f('ca.pem'), cert: f('node.pem'), key: f('node.key') };
}
