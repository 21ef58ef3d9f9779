/** The flinkx DataStream API: `import { StreamExecutionEnvironment } from 'flinkx'`. */
export { StreamExecutionEnvironment } from './environment';
export { DataStream, DataStreamSink, KeyedStream, SingleOutputStreamOperator, WindowedStream } from './datastream';
export type { AggregateFunction, LateOutput, WindowOperator, WindowResult } from './datastream';
export {
  EventTimeSessionWindows,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
} from './time';
export type { TimeField, WatermarkStrategy, WindowAssigner } from './time';
export type {
  KeyedProcessContext,
  KeyedProcessFunction,
  ListState,
  MapState,
  StateOptions,
  ValueState,
} from './process';
export type { Collector, KeyField, KeySelector, NumberField, ProcessFunction } from './datastream';
export { FileSink, FileSource, GeneratorSource, KafkaSink, KafkaSource, PrintSink } from './connectors';
export type { Sink, Source } from './connectors';
export type { BuiltJob, JobSpecInput } from './transformation';
