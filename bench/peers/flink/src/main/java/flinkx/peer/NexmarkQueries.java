package flinkx.peer;

import flinkx.peer.NexmarkEvents.Event;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple5;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * jobs/nexmark/q0–q2 in the DataStream API, over the same events (NexmarkEvents): Nexmark's `bid`
 * view (the bid events), then q0 pass-through, q1 price in euros (0.908 × dollars), q2 the bids on
 * auctions whose id is a multiple of 123. Into a DiscardingSink, or JSON lines when checking outputs.
 */
public final class NexmarkQueries {
  /** Event time of event 0 and its rate: the defaults of flinkx's `nexmark` connector. */
  static final long BASE_TIME = 1767225600000L; // 2026-01-01T00:00:00Z
  static final long EVENTS_PER_SECOND = 10_000;

  static void build(StreamExecutionEnvironment env, String query, long count, int seed, String output) {
    // Nexmark runs these as SQL, where filter and projection fuse into one operator that copies nothing;
    // as chained DataStream operators, Flink's default would copy every event between them.
    env.getConfig().enableObjectReuse();
    DataStream<Event> events = env.fromSource(
        new DataGeneratorSource<>(new NexmarkEvents(seed, EVENTS_PER_SECOND, BASE_TIME), count, TypeInformation.of(Event.class)),
        WatermarkStrategy.noWatermarks(), "events");
    DataStream<Event> bids = events.filter(e -> e.bid != null).name("bids");
    switch (query) {
      case "q0":
        sink(bids.map(e -> Tuple5.of(e.bid.auction, e.bid.bidder, e.bid.price, e.bid.dateTime, e.bid.extra))
            .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG, Types.LONG, Types.STRING)).name("q0"),
            output, t -> "{\"auction\":" + t.f0 + ",\"bidder\":" + t.f1 + ",\"price\":" + t.f2
                + ",\"dateTime\":" + t.f3 + ",\"extra\":" + JsonLinesSink.quote(t.f4) + "}");
        break;
      case "q1":
        sink(bids.map(e -> Tuple5.of(e.bid.auction, e.bid.bidder, 0.908 * e.bid.price, e.bid.dateTime, e.bid.extra))
            .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.DOUBLE, Types.LONG, Types.STRING)).name("q1"),
            output, t -> "{\"auction\":" + t.f0 + ",\"bidder\":" + t.f1 + ",\"price\":" + t.f2
                + ",\"dateTime\":" + t.f3 + ",\"extra\":" + JsonLinesSink.quote(t.f4) + "}");
        break;
      case "q2":
        sink(bids.filter(e -> e.bid.auction % 123 == 0).name("q2-select")
            .map(e -> Tuple2.of(e.bid.auction, e.bid.price)).returns(Types.TUPLE(Types.LONG, Types.LONG)).name("q2"),
            output, t -> "{\"auction\":" + t.f0 + ",\"price\":" + t.f1 + "}");
        break;
      default:
        throw new IllegalArgumentException("unknown query " + query + " (q0, q1, q2)");
    }
  }

  private static <T> void sink(DataStream<T> rows, String output, JsonLinesSink.Format<T> format) {
    if (output == null) rows.sinkTo(new DiscardingSink<>()).name("out");
    else rows.addSink(new JsonLinesSink<>(output, format)).name("out");
  }

  private NexmarkQueries() {}
}
