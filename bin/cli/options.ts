/**
 * The command-line edge of the processes' options: flags become the option schema's input, parsed
 * once (undefined flags take the schema's defaults), so the rest of the code gets one complete config.
 */
import type { Command } from 'commander';
import type { z } from 'zod';
import { InvalidOptionsError } from '../../common/errors';
import { SecurityOptionsSchema, type Security } from '../../common/net/security-options';

/** `heartbeatTimeoutMs` → `--heartbeat-timeout`: flags give durations in ms without the suffix. */
export function flagOf(key: string): string {
  if (/^[A-Z_]+$/.test(key)) return key; // an environment variable, e.g. FLINKX_SECRET
  return `--${key.replace(/Ms$/, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** Throws InvalidOptionsError naming each problem by its flag. */
export function parseOptions<S extends z.ZodType>(schema: S, input: Record<string, unknown>): z.output<S> {
  const defined = Object.fromEntries(Object.entries(input).filter(([, v]) => v !== undefined));
  const result = schema.safeParse(defined);
  if (result.success) return result.data;
  throw new InvalidOptionsError(
    result.error.issues.map((iss) => ({
      path: iss.path.map((k) => flagOf(String(k))).join(' '),
      message: iss.message,
    })),
  );
}

/** The flags of common/net/security-options.ts; `server`: the command listens (JM, TM). */
export function securityFlags(c: Command, server: boolean): Command {
  c.option('--secret-file <file>', 'file holding the cluster secret (or FLINKX_SECRET)').option(
    '--tls-ca <file>',
    'CA certificate (PEM) that signed the servers this process connects to',
  );
  if (!server) return c;
  return c
    .option('--tls-cert <file>', 'certificate (PEM) to serve https/wss with, on every port')
    .option('--tls-key <file>', 'private key (PEM) of --tls-cert')
    .option('--metrics-public', '/metrics and /prometheus/targets without the bearer token')
    .option('--insecure', 'allow listening on a non-loopback address without a secret');
}

/** Parse the security flags (and FLINKX_SECRET) of a command; `host`: where it listens, if it does. */
export function parseSecurity(o: Record<string, unknown>, host?: string): Security {
  return parseOptions(SecurityOptionsSchema, {
    secretFile: o.secretFile,
    secret: process.env.FLINKX_SECRET || undefined,
    tlsCert: o.tlsCert,
    tlsKey: o.tlsKey,
    tlsCa: o.tlsCa,
    metricsPublic: o.metricsPublic,
    insecure: o.insecure,
    host,
  });
}
