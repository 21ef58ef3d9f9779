/**
 * Options every flinkx command shares: the cluster secret, TLS files, and what may stay open.
 * Parsed once at the command-line edge with the process's own options (bin/cli/options.ts).
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ClusterSecret } from './cluster-secret';

/** Shorter secrets are refused: the HMACs are only as strong as the secret. */
export const MIN_SECRET_CHARS = 16;
const HOW_TO_SET =
  'set a cluster secret on every process: `openssl rand -hex 32 > secret` and --secret-file secret (or FLINKX_SECRET)';

/** Files as read; `cert` and `key` make this process serve https/wss, `ca` verifies the servers it dials. */
export interface TlsFiles {
  cert?: Buffer;
  key?: Buffer;
  ca?: Buffer;
}

export interface Security {
  secret?: ClusterSecret;
  tls: TlsFiles;
  /** `/metrics` and `/prometheus/targets` without the bearer token. */
  metricsPublic: boolean;
}

export const NO_SECURITY: Security = { tls: {}, metricsPublic: false };

const flag = z.coerce.boolean().default(false);

export const SecurityOptionsSchema = z
  .object({
    /** File whose content (trailing newline removed) is the cluster secret. */
    secretFile: z.string().min(1, 'must not be empty').optional(),
    /** The secret itself, from the FLINKX_SECRET environment variable. */
    secret: z.string().optional(),
    tlsCert: z.string().min(1, 'must not be empty').optional(),
    tlsKey: z.string().min(1, 'must not be empty').optional(),
    tlsCa: z.string().min(1, 'must not be empty').optional(),
    metricsPublic: flag,
    /** Listen on a non-loopback address without a secret. */
    insecure: flag,
    /** The address this process listens on (its --host), if it listens at all. */
    host: z.string().optional(),
  })
  .transform((o, ctx): Security => {
    const read = (path: string | undefined, key: string): Buffer | undefined => {
      if (path === undefined) return undefined;
      try {
        return readFileSync(path);
      } catch (err) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        });
        return undefined;
      }
    };
    const fromFile = read(o.secretFile, 'secretFile')
      ?.toString('utf8')
      .replace(/\r?\n$/, '');
    const secret = fromFile ?? o.secret;
    const where = fromFile !== undefined ? 'secretFile' : 'FLINKX_SECRET';
    if (secret !== undefined && secret.length < MIN_SECRET_CHARS) {
      ctx.addIssue({
        code: 'custom',
        path: [where],
        message: `the secret must have at least ${MIN_SECRET_CHARS} characters (\`openssl rand -hex 32\` makes one)`,
      });
    }
    const tls = { cert: read(o.tlsCert, 'tlsCert'), key: read(o.tlsKey, 'tlsKey'), ca: read(o.tlsCa, 'tlsCa') };
    if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) {
      ctx.addIssue({
        code: 'custom',
        path: [o.tlsCert ? 'tlsKey' : 'tlsCert'],
        message: 'required with ' + (o.tlsCert ? '--tls-cert' : '--tls-key'),
      });
    }
    if (o.host !== undefined && !isLoopback(o.host) && secret === undefined && !o.insecure) {
      ctx.addIssue({
        code: 'custom',
        path: ['host'],
        message: `${o.host} is not a loopback address, and without a secret anyone who reaches it can run code on the cluster: ${HOW_TO_SET}; or accept the risk with --insecure`,
      });
    }
    return {
      secret: secret === undefined ? undefined : new ClusterSecret(secret),
      tls,
      metricsPublic: o.metricsPublic,
    };
  });

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Warnings to log at start for settings that are allowed but open. */
export function securityAdvice(input: { host?: string }, security: Security): string[] {
  if (input.host === undefined || isLoopback(input.host) || security.secret) return [];
  return [
    `--insecure: listening on ${input.host} without a secret; anyone who reaches it can run code on the cluster (${HOW_TO_SET})`,
  ];
}
