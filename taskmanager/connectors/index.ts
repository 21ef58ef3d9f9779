/** Connector kind → reader or writer for one subtask. */
import { ConnectorError } from '../../common/errors';
import type { Connector } from '../../common/jobfile';
import { DiscardSink } from './discard/discard-sink';
import { CommittingFileSink } from './file/committing-file-sink';
import { FileSink } from './file/file-sink';
import { FileSource } from './file/file-source';
import { GeneratorSource } from './generator/generator';
import { KafkaSink } from './kafka/kafka-sink';
import { KafkaSource } from './kafka/kafka-source';
import { TransactionalKafkaSink } from './kafka/transactional-kafka-sink';
import { NexmarkSource } from './nexmark/nexmark-source';
import { StdoutSink } from './stdout/stdout-sink';
import type { SinkWriter, SourceReader, SubtaskInfo } from './types';

export function createSource(c: Connector, task: SubtaskInfo): SourceReader {
  switch (c.kind) {
    case 'generator':
      return new GeneratorSource(c, task);
    case 'nexmark':
      return new NexmarkSource(c, task);
    case 'file':
      return new FileSource(c.path, task);
    case 'kafka':
      return new KafkaSource(c, task);
    default:
      throw new ConnectorError(`"${c.kind}" cannot be used as a source here`);
  }
}

export function createSink(c: Connector, task: SubtaskInfo): SinkWriter {
  switch (c.kind) {
    case 'file':
      return task.mode === 'exactly-once' ? new CommittingFileSink(c.path, task) : new FileSink(c.path, task);
    case 'stdout':
      return new StdoutSink();
    case 'discard':
      return new DiscardSink();
    case 'kafka':
      return task.mode === 'exactly-once' ? new TransactionalKafkaSink(c, task) : new KafkaSink(c, task);
    default:
      throw new ConnectorError(`"${c.kind}" cannot be used as a sink here`);
  }
}
