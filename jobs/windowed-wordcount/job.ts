/**
 * jobs/windowed-wordcount in the DataStream API: words per 30 s of event time, records up to 5 s out
 * of order, windows updated for 10 s after they close, later records to out/late.
 * `npx flinkx run jobs/windowed-wordcount/job.ts`.
 */
import { FileSink, FileSource, StreamExecutionEnvironment, TumblingEventTimeWindows } from 'flinkx';

interface WordEvent {
  word: string;
  /** Epoch milliseconds. */
  ts: number;
}

const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);

const counts = env
  .fromSource(FileSource.lines('events.jsonl'))
  .uid('lines')
  .map((line) => JSON.parse(line) as WordEvent)
  .uid('events')
  .assignTimestampsAndWatermarks({ field: 'ts', unit: 'ms', maxOutOfOrderness: '5s' })
  .keyBy('word')
  .window(TumblingEventTimeWindows.of('30s'))
  .allowedLateness('10s')
  .count()
  .uid('counts');

counts.sinkTo(FileSink.jsonLines('out')).uid('out');
counts.getSideOutput('late').sinkTo(FileSink.jsonLines('out/late')).uid('too-late');

env.execute('windowed-wordcount');
