/** The flinkx DataStream API: `import { StreamExecutionEnvironment } from 'flinkx'`. */
export { StreamExecutionEnvironment } from './environment';
export { DataStream, DataStreamSink, KeyedStream, SingleOutputStreamOperator } from './datastream';
export type { Collector, KeyField, KeySelector, NumberField, ProcessFunction } from './datastream';
export { FileSink, FileSource, GeneratorSource, KafkaSink, KafkaSource, PrintSink } from './connectors';
export type { Sink, Source } from './connectors';
export type { BuiltJob, JobSpecInput } from './transformation';
