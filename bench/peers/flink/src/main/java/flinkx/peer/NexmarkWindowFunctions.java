package flinkx.peer;

import flinkx.peer.NexmarkEvents.Bid;
import flinkx.peer.NexmarkEvents.Event;
import java.util.ArrayList;
import org.apache.flink.api.common.functions.AggregateFunction;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.state.ValueState;
import org.apache.flink.api.common.state.ValueStateDescriptor;
import org.apache.flink.api.common.functions.OpenContext;
import org.apache.flink.api.java.tuple.Tuple4;
import org.apache.flink.api.java.tuple.Tuple5;
import org.apache.flink.streaming.api.functions.KeyedProcessFunction;
import org.apache.flink.streaming.api.functions.windowing.ProcessWindowFunction;
import org.apache.flink.streaming.api.windowing.windows.TimeWindow;
import org.apache.flink.util.Collector;

/**
 * The window functions of NexmarkQueries' q5, q7 and q8, as jobs/nexmark/functions.ts has them: a
 * count per key and window with the window's bounds (flinkx's `count` window result), q5's hot items
 * per window end, q7's highest bids.
 */
final class NexmarkWindowFunctions {
  /** Events per key and window (incrementally, as flinkx's `count` aggregate). */
  static final class CountPerWindow implements AggregateFunction<Event, Long, Long> {
    public Long createAccumulator() {
      return 0L;
    }

    public Long add(Event e, Long n) {
      return n + 1;
    }

    public Long getResult(Long n) {
      return n;
    }

    public Long merge(Long a, Long b) {
      return a + b;
    }
  }

  /** (key, windowStart, windowEnd, count), with the window's last timestamp as event time. */
  static final class WithWindow extends ProcessWindowFunction<Long, Tuple4<Long, Long, Long, Long>, Long, TimeWindow> {
    @Override
    public void process(Long key, Context ctx, Iterable<Long> counts, Collector<Tuple4<Long, Long, Long, Long>> out) {
      out.collect(Tuple4.of(key, ctx.window().getStart(), ctx.window().getEnd(), counts.iterator().next()));
    }
  }

  /**
   * q5 keyed by window end: the auctions whose count is the window's largest, emitted as
   * (auction, num, windowStart, windowEnd) when the watermark reaches the window's last timestamp.
   */
  static final class HotItems extends KeyedProcessFunction<Long, Tuple4<Long, Long, Long, Long>, Tuple4<Long, Long, Long, Long>> {
    private final long size;
    private transient ValueState<Long> num;
    private transient ListState<Long> auctions;

    HotItems(long size) {
      this.size = size;
    }

    @Override
    public void open(OpenContext context) {
      num = getRuntimeContext().getState(new ValueStateDescriptor<>("num", Long.class));
      auctions = getRuntimeContext().getListState(new ListStateDescriptor<>("auctions", Long.class));
    }

    @Override
    public void processElement(Tuple4<Long, Long, Long, Long> count, Context ctx, Collector<Tuple4<Long, Long, Long, Long>> out)
        throws Exception {
      Long max = num.value();
      if (max == null) ctx.timerService().registerEventTimeTimer(ctx.timestamp());
      if (max == null || count.f3 > max) {
        num.update(count.f3);
        auctions.clear();
        auctions.add(count.f0);
      } else if (count.f3.equals(max)) auctions.add(count.f0);
    }

    @Override
    public void onTimer(long timestamp, OnTimerContext ctx, Collector<Tuple4<Long, Long, Long, Long>> out) throws Exception {
      long end = ctx.getCurrentKey();
      for (Long auction : auctions.get()) out.collect(Tuple4.of(auction, num.value(), end - size, end));
      num.clear();
      auctions.clear();
    }
  }

  /** q7's accumulator: the highest price so far and every bid at it. */
  public static final class Highest {
    public long price = -1;
    public ArrayList<Bid> bids = new ArrayList<>();
  }

  /** q7: the bids at the window's highest price. */
  static final class HighestBids implements AggregateFunction<Event, Highest, Highest> {
    public Highest createAccumulator() {
      return new Highest();
    }

    public Highest add(Event e, Highest acc) {
      if (e.bid.price > acc.price) {
        acc.price = e.bid.price;
        acc.bids.clear();
      }
      if (e.bid.price == acc.price) acc.bids.add(e.bid);
      return acc;
    }

    public Highest getResult(Highest acc) {
      return acc;
    }

    public Highest merge(Highest a, Highest b) {
      if (a.price != b.price) return a.price > b.price ? a : b;
      a.bids.addAll(b.bids);
      return a;
    }

    /** One row (auction, price, bidder, dateTime, extra) per highest bid. */
    static void rows(Highest acc, Collector<Tuple5<Long, Long, Long, Long, String>> out) {
      for (Bid b : acc.bids) out.collect(Tuple5.of(b.auction, b.price, b.bidder, b.dateTime, b.extra));
    }
  }

  private NexmarkWindowFunctions() {}
}
