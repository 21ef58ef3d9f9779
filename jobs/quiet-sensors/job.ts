/**
 * jobs/quiet-sensors in the DataStream API: an alert when a sensor has sent nothing for 10 s of
 * event time, from a keyed process function with list state and event-time timers (quiet.ts).
 * `npx flinkx run jobs/quiet-sensors/job.ts`.
 */
import { FileSink, FileSource, StreamExecutionEnvironment } from 'flinkx';
import { quietSensors, type Reading } from './quiet';

const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);

env
  .fromSource(FileSource.lines('readings.jsonl'))
  .uid('lines')
  .map((line) => JSON.parse(line) as Reading)
  .uid('readings')
  .assignTimestampsAndWatermarks({ field: 'ts', maxOutOfOrderness: '5s' })
  .keyBy('sensor')
  .process(quietSensors)
  .uid('alerts')
  .sinkTo(FileSink.jsonLines('out'))
  .uid('out');

env.execute('quiet-sensors');
