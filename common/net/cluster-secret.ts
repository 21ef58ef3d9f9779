/**
 * The cluster secret (`--secret-file FILE` or `FLINKX_SECRET`) and what is derived from it. The secret
 * itself never crosses the wire: a TaskManager proves it holds it by answering a random nonce of the
 * server with HMAC-SHA256(secret, purpose + nonce), and REST clients send a bearer token that is
 * HMAC-SHA256(secret, "rest"), so a leaked token lets a client use REST but not join the cluster.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { Logger } from '../log';

/** What a proof is for, so that an answer given for one handshake cannot be replayed in another. */
export type ProofPurpose = 'tm-register' | 'tm-data';

/** A fresh random challenge for one connection. */
export function newNonce(): string {
  return randomBytes(32).toString('base64');
}

const log = new Logger('auth');

/** Log a refused peer: one line with its address and why. */
export function logRefused(what: string, peer: string | undefined, reason: string): void {
  log.warn(`refused ${what}`, { peer: peer ?? '?', reason });
}

export class ClusterSecret {
  /** The REST bearer token, as printed by `flinkx token`. */
  readonly restToken: string;

  constructor(private readonly secret: string) {
    this.restToken = this.hmac('rest');
  }

  proof(purpose: ProofPurpose, nonce: string): string {
    return this.hmac(`${purpose}:${nonce}`);
  }

  /** Whether `given` is the proof for `nonce`, compared in constant time. */
  verify(purpose: ProofPurpose, nonce: string, given: unknown): boolean {
    return typeof given === 'string' && equal(given, this.proof(purpose, nonce));
  }

  /** Whether the request carries `Authorization: Bearer <restToken>`. */
  authorizes(req: IncomingMessage): boolean {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
    return m !== null && equal(m[1], this.restToken);
  }

  private hmac(data: string): string {
    return createHmac('sha256', this.secret).update(data).digest('hex');
  }
}

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Answer 401 with the REST error shape (common/protocol/rest.ts) and log the refusal. */
export function unauthorized(req: IncomingMessage, res: ServerResponse): void {
  const message = req.headers.authorization
    ? 'wrong bearer token'
    : 'this cluster has a secret: send Authorization: Bearer <token> (`flinkx token` prints it)';
  logRefused('an HTTP request', req.socket.remoteAddress, `${req.method} ${req.url?.slice(0, 100)}: ${message}`);
  const body = JSON.stringify({ error: { code: 'UNAUTHORIZED', message } });
  res.writeHead(401, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'www-authenticate': 'Bearer',
  });
  res.end(body);
}

/** `handler` behind the bearer token, if there is a secret. */
export function requireToken(secret: ClusterSecret | undefined, handler: RequestListener): RequestListener {
  if (!secret) return handler;
  return (req, res) => (secret.authorizes(req) ? handler(req, res) : unauthorized(req, res));
}
