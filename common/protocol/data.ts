/**
 * Data frames between TaskManagers (the TM data port). A connection carries one direction of
 * traffic: batches of records from producers on the dialling TM, and credits for channels whose
 * producers live on the accepting TM.
 *
 *   challenge {nonce}              accepting TM → dialling TM, first (./auth.ts)
 *   hello   {tmId, proof?}         first frame from the dialling TM, answering the challenge
 *   data    {ch, slot, payload}    one encoded batch for channel `ch`, consumed in `slot`
 *   credit  {ch, slot, n}          the consumer of `ch` can take `n` more batches; producer in `slot`
 */
import { z } from 'zod';
import { ProofField } from './auth';

export { ChallengeFrame } from './auth';
export const HelloFrame = z.object({ v: z.literal(1), t: z.literal('hello'), tmId: z.string(), proof: ProofField });
export const DataFrame = z.object({
  v: z.literal(1),
  t: z.literal('data'),
  ch: z.string(),
  slot: z.number().int().nonnegative(),
  payload: z.instanceof(Uint8Array),
});
export const CreditFrame = z.object({
  v: z.literal(1),
  t: z.literal('credit'),
  ch: z.string(),
  slot: z.number().int().nonnegative(),
  n: z.number().int().positive(),
});
export const DataConnectionFrame = z.discriminatedUnion('t', [HelloFrame, DataFrame, CreditFrame]);
export type DataConnectionFrame = z.infer<typeof DataConnectionFrame>;
