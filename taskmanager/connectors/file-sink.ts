/**
 * JSON Lines into a folder: sink subtask i writes `part-<i>.jsonl`, one record per line.
 */
import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ConnectorError } from '../../common/errors';
import type { SinkWriter, SubtaskInfo } from './types';

export function partFileName(subtask: number): string {
  return `part-${subtask}.jsonl`;
}

export class FileSink implements SinkWriter {
  private handle: FileHandle | undefined;

  constructor(
    private readonly folder: string,
    private readonly task: SubtaskInfo,
  ) {}

  private async file(): Promise<FileHandle> {
    if (this.handle) return this.handle;
    const path = join(this.folder, partFileName(this.task.subtask));
    try {
      await mkdir(this.folder, { recursive: true });
      this.handle = await open(path, 'w');
    } catch (err) {
      throw new ConnectorError(`file sink cannot write ${path}: ${(err as Error).message}`, { cause: err });
    }
    return this.handle;
  }

  async write(records: unknown[]): Promise<void> {
    const handle = await this.file();
    let text = '';
    for (const r of records) text += JSON.stringify(r) + '\n';
    await handle.write(text);
  }

  async finish(): Promise<void> {
    const handle = await this.file();
    await handle.sync();
  }

  async close(): Promise<void> {
    await this.handle?.close();
    this.handle = undefined;
  }
}
