/** Run a commander program: a failed command prints one paragraph (no stack) and exits non-zero. */
import type { Command } from 'commander';
import { FlinkxError } from '../../common/errors';

export async function main(program: Command): Promise<void> {
  try {
    await program.parseAsync(process.argv);
  } catch (err) {
    // Our errors are written for people; anything else is a bug, and its stack helps report it.
    const text = err instanceof FlinkxError ? err.message : ((err as Error).stack ?? String(err));
    process.stderr.write(`error: ${text}\n`);
    process.exitCode = err instanceof FlinkxError ? 1 : 2;
  }
}
