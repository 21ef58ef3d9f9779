/**
 * job.json in the DataStream API: `npx flinkx run jobs/kafka-wordcount/job.ts`. The brokers come from
 * KAFKA_BROKERS (default 127.0.0.1:9092); configuration may differ where the module is evaluated,
 * the shape of the graph may not.
 */
import { KafkaSink, KafkaSource, StreamExecutionEnvironment } from 'flinkx';
import { tokenize } from '../wordcount-ts/functions';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

const env = StreamExecutionEnvironment.getExecutionEnvironment()
  .setParallelism(2)
  .enableCheckpointing(1000, 'exactly-once')
  .setRestartStrategy({ attempts: 10, delay: 1000 });

env
  .fromSource(
    KafkaSource.strings({ brokers, topic: 'lines', startFrom: 'earliest', groupId: 'flinkx-kafka-wordcount' }),
  )
  .uid('lines')
  .flatMap(tokenize)
  .uid('words')
  .keyBy('word')
  .sum('count')
  .uid('counts')
  .sinkTo(KafkaSink.json({ brokers, topic: 'word-counts', key: 'word' }))
  .uid('out');

env.execute('kafka-wordcount');
