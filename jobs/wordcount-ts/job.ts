/** jobs/wordcount in the DataStream API: `npx flinkx run jobs/wordcount-ts/job.ts`. */
import { FileSink, StreamExecutionEnvironment } from 'flinkx';
import { tokenize } from './functions';

const env = StreamExecutionEnvironment.getExecutionEnvironment().setParallelism(2);

env
  .readTextFile('input.txt')
  .uid('lines')
  .flatMap(tokenize)
  .uid('words')
  .keyBy('word')
  .sum('count')
  .uid('counts')
  .sinkTo(FileSink.jsonLines('out'))
  .uid('out');

env.execute('wordcount');
