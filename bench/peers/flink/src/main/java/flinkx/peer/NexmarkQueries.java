package flinkx.peer;

import flinkx.peer.NexmarkEvents.Event;
import flinkx.peer.NexmarkWindowFunctions.CountPerWindow;
import flinkx.peer.NexmarkWindowFunctions.HighestBids;
import flinkx.peer.NexmarkWindowFunctions.HotItems;
import flinkx.peer.NexmarkWindowFunctions.WithWindow;
import java.time.Duration;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.TypeInformation;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.api.java.tuple.Tuple2;
import org.apache.flink.api.java.tuple.Tuple3;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.api.java.tuple.Tuple5;
import org.apache.flink.streaming.api.windowing.assigners.SlidingEventTimeWindows;
import org.apache.flink.streaming.api.windowing.assigners.TumblingEventTimeWindows;
import org.apache.flink.connector.datagen.source.DataGeneratorSource;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.streaming.api.functions.sink.v2.DiscardingSink;

/**
 * jobs/nexmark/q0–q2, q5, q7, q8 in the DataStream API, over the same events (NexmarkEvents): Nexmark's
 * `bid` view (the bid events), then q0 pass-through, q1 price in euros (0.908 × dollars), q2 the bids
 * on auctions whose id is a multiple of 123; in event time (each event's dateTime, monotonous per
 * reader, as flinkx's timestamps without out-of-orderness), q5 hot items, q7 highest bid and q8 new
 * users with the windows of their job files. Into a DiscardingSink, or JSON lines when checking outputs.
 */
public final class NexmarkQueries {
  /** Event time of event 0 and its rate: the defaults of flinkx's `nexmark` connector. */
  static final long BASE_TIME = 1767225600000L; // 2026-01-01T00:00:00Z
  static final long EVENTS_PER_SECOND = 10_000;

  static void build(StreamExecutionEnvironment env, String query, long count, int seed, String output) {
    // Nexmark runs these as SQL, where filter and projection fuse into one operator that copies nothing;
    // as chained DataStream operators, Flink's default would copy every event between them.
    env.getConfig().enableObjectReuse();
    boolean windowed = query.equals("q5") || query.equals("q7") || query.equals("q8");
    DataStream<Event> events = env.fromSource(
        new DataGeneratorSource<>(new NexmarkEvents(seed, EVENTS_PER_SECOND, BASE_TIME), count, TypeInformation.of(Event.class)),
        windowed
            ? WatermarkStrategy.<Event>forMonotonousTimestamps().withTimestampAssigner((e, t) -> NexmarkQueries.dateTime(e))
            : WatermarkStrategy.noWatermarks(),
        "events");
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
      case "q5":
        // Bids per auction and sliding window, then per window (keyed by its end) the auctions at the most.
        sink(bids.keyBy(e -> e.bid.auction)
            .window(SlidingEventTimeWindows.of(Duration.ofSeconds(10), Duration.ofSeconds(2)))
            .aggregate(new CountPerWindow(), new WithWindow()).name("auction-bids")
            .keyBy(t -> t.f2)
            .process(new HotItems(10_000)).name("q5"),
            output, t -> "{\"auction\":" + t.f0 + ",\"num\":" + t.f1 + ",\"windowStart\":" + t.f2 + ",\"windowEnd\":" + t.f3 + "}");
        break;
      case "q7":
        // One key for every bid (the job file keys by `type`): Nexmark's global MAX(price) per window.
        sink(bids.keyBy(e -> 0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
            .aggregate(new HighestBids()).name("max-bids")
            .flatMap(HighestBids::rows)
            .returns(Types.TUPLE(Types.LONG, Types.LONG, Types.LONG, Types.LONG, Types.STRING)).name("q7"),
            output, t -> "{\"auction\":" + t.f0 + ",\"price\":" + t.f1 + ",\"bidder\":" + t.f2
                + ",\"dateTime\":" + t.f3 + ",\"extra\":" + JsonLinesSink.quote(t.f4) + "}");
        break;
      case "q8": {
        DataStream<Tuple2<Long, String>> persons = events.filter(e -> e.person != null).name("person-events")
            .map(e -> Tuple2.of(e.person.id, e.person.name)).returns(Types.TUPLE(Types.LONG, Types.STRING)).name("persons");
        // One record per seller and window with auctions (seller, windowStart, windowEnd, count).
        DataStream<Tuple4<Long, Long, Long, Long>> sellers = events.filter(e -> e.auction != null).name("auctions")
            .keyBy(e -> e.auction.seller)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
            .aggregate(new CountPerWindow(), new WithWindow()).name("sellers");
        sink(persons.join(sellers).where(p -> p.f0).equalTo(s -> s.f0)
            .window(TumblingEventTimeWindows.of(Duration.ofSeconds(10)))
            .apply((p, s) -> Tuple3.of(p.f0, p.f1, s.f1), Types.TUPLE(Types.LONG, Types.STRING, Types.LONG)),
            output, t -> "{\"id\":" + t.f0 + ",\"name\":" + JsonLinesSink.quote(t.f1) + ",\"starttime\":" + t.f2 + "}");
        break;
      }
      default:
        throw new IllegalArgumentException("unknown query " + query + " (q0, q1, q2, q5, q7, q8)");
    }
  }

  /** The event's time, whichever of person, auction, bid it is. */
  static long dateTime(Event e) {
    return e.bid != null ? e.bid.dateTime : e.auction != null ? e.auction.dateTime : e.person.dateTime;
  }

  private static <T> void sink(DataStream<T> rows, String output, JsonLinesSink.Format<T> format) {
    if (output == null) rows.sinkTo(new DiscardingSink<>()).name("out");
    else rows.addSink(new JsonLinesSink<>(output, format)).name("out");
  }

  private NexmarkQueries() {}
}
