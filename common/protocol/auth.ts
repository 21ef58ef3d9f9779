/**
 * The challenge-response that proves a TaskManager holds the cluster secret
 * (common/net/cluster-secret.ts), on the JM `/tm` connection and on every TM↔TM data connection:
 *
 *   server → client  challenge {nonce}     first frame on the connection, always sent
 *   client → server  register / hello {…, proof?}   proof = HMAC-SHA256(secret, purpose:nonce)
 *
 * A server with a secret refuses a first frame without the right proof; one without ignores it.
 */
import { z } from 'zod';

export const ChallengeFrame = z.object({
  v: z.literal(1),
  t: z.literal('challenge'),
  nonce: z.string().min(16).max(200),
});
/** The hex HMAC answering the challenge; absent from a client without a secret. */
export const ProofField = z.string().max(200).optional();
