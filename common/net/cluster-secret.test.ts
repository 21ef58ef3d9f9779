import { createHmac } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { ClusterSecret, newNonce } from './cluster-secret';

const req = (authorization?: string) =>
  ({ headers: authorization === undefined ? {} : { authorization } }) as IncomingMessage;

describe('ClusterSecret', () => {
  const secret = new ClusterSecret('s'.repeat(32));

  it('a proof holds only for its own nonce, purpose and secret', () => {
    const nonce = newNonce();
    const proof = secret.proof('tm-register', nonce);
    expect(proof).toBe(createHmac('sha256', 's'.repeat(32)).update(`tm-register:${nonce}`).digest('hex'));
    expect(secret.verify('tm-register', nonce, proof)).toBe(true);
    expect(secret.verify('tm-register', newNonce(), proof)).toBe(false);
    expect(secret.verify('tm-data', nonce, proof)).toBe(false);
    expect(new ClusterSecret('t'.repeat(32)).verify('tm-register', nonce, proof)).toBe(false);
    for (const bad of [undefined, '', proof.slice(1), 42, proof.toUpperCase()])
      expect(secret.verify('tm-register', nonce, bad)).toBe(false);
  });

  it('the REST token is HMAC(secret, "rest") and is asked for as a bearer token', () => {
    expect(secret.restToken).toBe(createHmac('sha256', 's'.repeat(32)).update('rest').digest('hex'));
    expect(secret.authorizes(req(`Bearer ${secret.restToken}`))).toBe(true);
    expect(secret.authorizes(req(`bearer  ${secret.restToken} `))).toBe(true);
    for (const h of [
      undefined,
      '',
      secret.restToken,
      `Basic ${secret.restToken}`,
      `Bearer ${secret.restToken}x`,
      'Bearer ',
    ])
      expect(secret.authorizes(req(h))).toBe(false);
  });
});
