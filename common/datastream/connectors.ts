/**
 * Sources and sinks of the DataStream API: typed descriptors of the job file's connectors
 * (see README "Job file" and "Kafka" for what each option does). The record type a source declares
 * is what its connector emits; paths are relative to the job module's file.
 */
import type { ConnectorInput } from './transformation';

type Options<K extends ConnectorInput['kind']> = Omit<Extract<ConnectorInput, { kind: K }>, 'kind'>;
type Without<O, K extends keyof O> = Omit<O, K>;

/** A source of records of type T. The type parameter is only for the compiler. */
export interface Source<T> {
  readonly connector: ConnectorInput;
  readonly __record?: T;
}

/** A sink taking records of type T. */
export interface Sink<T> {
  readonly connector: ConnectorInput;
  readonly __record?: (record: T) => void;
}

export const FileSource = {
  /** One string record per line of the file at `path`, split by byte ranges across subtasks. */
  lines: (path: string): Source<string> => ({ connector: { kind: 'file', path } }),
};

export const GeneratorSource = {
  /** Lines of random words, reproducible from `seed`. */
  text: (options: Without<Options<'generator'>, 'format'> = {}): Source<string> => ({
    connector: { kind: 'generator', ...options, format: 'text' },
  }),
  /** `{seq: n}` for n = 0, 1, 2, ... */
  sequence: (options: Pick<Options<'generator'>, 'count' | 'rate'> = {}): Source<{ seq: number }> => ({
    connector: { kind: 'generator', ...options, format: 'sequence' },
  }),
};

type KafkaSourceOptions = Without<Options<'kafka'>, 'format' | 'key'>;
type KafkaSinkOptions = Without<Options<'kafka'>, 'format' | 'startFrom' | 'bounded' | 'groupId' | 'key'>;

export const KafkaSource = {
  /** Each message value as UTF-8 text. */
  strings: (options: KafkaSourceOptions): Source<string> => ({
    connector: { kind: 'kafka', ...options, format: 'string' },
  }),
  /** Each message value parsed as JSON; T is what the producer wrote, which nothing can check here. */
  json: <T = unknown>(options: KafkaSourceOptions): Source<T> => ({
    connector: { kind: 'kafka', ...options, format: 'json' },
  }),
};

export const FileSink = {
  /** A folder with one `part-<subtask>.jsonl` per sink subtask, one JSON record per line. */
  jsonLines: <T>(path: string): Sink<T> => ({ connector: { kind: 'file', path } }),
};

export const KafkaSink = {
  /** Each record as JSON text; `key` names a field whose value becomes the message key. */
  json: <T>(options: KafkaSinkOptions & { key?: keyof T & string }): Sink<T> => ({
    connector: { kind: 'kafka', ...options, format: 'json' },
  }),
  /** String records as they are. */
  strings: (options: KafkaSinkOptions): Sink<string> => ({
    connector: { kind: 'kafka', ...options, format: 'string' },
  }),
};

export const PrintSink = {
  /** One JSON line per record on the TaskManager's stdout. */
  create: <T>(): Sink<T> => ({ connector: { kind: 'stdout' } }),
};
