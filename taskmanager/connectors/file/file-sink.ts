/**
 * JSON Lines into a folder: sink subtask i writes `part-<i>.jsonl`, one record per line.
 * Without checkpoints a run starts the file afresh. At-least-once: every checkpoint syncs the file
 * to disk, and a restored attempt appends to it (records after the checkpoint are written again).
 */
import { mkdir, open } from 'node:fs/promises';
import { join } from 'node:path';
import { ConnectorError } from '../../../common/errors';
import type { SinkWriter, SubtaskInfo } from '../types';
import { JsonLinesEncoder } from '../json-lines';
import { WriteBehind } from './write-behind';

export function partFileName(subtask: number): string {
  return `part-${subtask}.jsonl`;
}

export async function openIn(folder: string, name: string, flags: string): Promise<WriteBehind> {
  const path = join(folder, name);
  try {
    await mkdir(folder, { recursive: true });
    return new WriteBehind(await open(path, flags));
  } catch (err) {
    throw new ConnectorError(`file sink cannot write ${path}: ${(err as Error).message}`, { cause: err });
  }
}

export class FileSink implements SinkWriter {
  private handle: WriteBehind | undefined;
  private restored = false;
  private readonly json = new JsonLinesEncoder();

  constructor(
    private readonly folder: string,
    private readonly task: SubtaskInfo,
  ) {}

  private async file(): Promise<WriteBehind> {
    this.handle ??= await openIn(this.folder, partFileName(this.task.subtask), this.restored ? 'a' : 'w');
    return this.handle;
  }

  async write(records: unknown[]): Promise<void> {
    await (await this.file()).append(this.json.lines(records));
  }

  async snapshot(): Promise<unknown> {
    await (await this.file()).sync(true);
    return null;
  }

  async commit(): Promise<void> {}

  async restore(): Promise<void> {
    this.restored = true;
  }

  async finish(): Promise<void> {
    await (await this.file()).sync();
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
