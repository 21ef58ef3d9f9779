package flinkx.peer;

import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.flink.api.common.functions.FlatMapFunction;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.Collector;

/**
 * jobs/wordcount in the DataStream API: lines of a file, tokenized as flinkx's built-in `tokenize`
 * (lowercase, split on runs of non-letters/digits, drop empty tokens), a running count per word
 * (one changelog record per word occurrence, as flinkx's `sum`) written as JSON lines.
 */
public final class WordCount {
  private static final Pattern WORD_SPLIT = Pattern.compile("[^\\p{L}\\p{N}]+");

  static final class Tokenize implements FlatMapFunction<String, Tuple2<String, Long>> {
    @Override
    public void flatMap(String line, Collector<Tuple2<String, Long>> out) {
      for (String word : WORD_SPLIT.split(line.toLowerCase(Locale.ROOT))) {
        if (!word.isEmpty()) out.collect(Tuple2.of(word, 1L));
      }
    }
  }

  static void build(StreamExecutionEnvironment env, String input, String output) {
    // readTextFile, not FileSource: TextLineInputFormat reads a file as one split (one reader);
    // readTextFile splits it by byte ranges across the readers, as flinkx's file source does.
    env.readTextFile(input)
        .name("lines")
        .flatMap(new Tokenize())
        .returns(Types.TUPLE(Types.STRING, Types.LONG))
        .name("words")
        .keyBy(t -> t.f0)
        .sum(1)
        .name("counts")
        .addSink(new JsonLinesSink<Tuple2<String, Long>>(
            output, t -> "{\"word\":" + JsonLinesSink.quote(t.f0) + ",\"count\":" + t.f1 + "}"))
        .name("out");
  }

  private WordCount() {}
}
