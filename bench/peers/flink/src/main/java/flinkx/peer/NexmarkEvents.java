package flinkx.peer;

import org.apache.flink.connector.datagen.source.GeneratorFunction;

/**
 * flinkx's Nexmark generator (taskmanager/connectors/nexmark/events.ts) in Java: the same draws in
 * the same order from the same PRNG, so event n here equals event n there, field for field. A change
 * there needs the same change here; the bench's output check catches a mismatch.
 */
public final class NexmarkEvents implements GeneratorFunction<Long, NexmarkEvents.Event> {
  /** One event: exactly one of person, auction, bid is set (Nexmark's own Event has this shape). */
  public static class Event {
    public Person person;
    public Auction auction;
    public Bid bid;
  }

  public static class Person {
    public long id;
    public String name, emailAddress, creditCard, city, state, extra;
    public long dateTime;
  }

  public static class Auction {
    public long id, initialBid, reserve, dateTime, expires, seller, category;
    public String itemName, description, extra;
  }

  public static class Bid {
    public long auction, bidder, price, dateTime;
    public String channel, url, extra;
  }

  private static final int PERSONS = 1, AUCTIONS = 3, BIDS = 46, TOTAL = PERSONS + AUCTIONS + BIDS;
  private static final long FIRST_PERSON_ID = 1000, FIRST_AUCTION_ID = 1000, FIRST_CATEGORY_ID = 10;
  private static final int CATEGORIES = 5, ACTIVE_PEOPLE = 1000, IN_FLIGHT_AUCTIONS = 100;
  private static final int HOT_SELLERS_RATIO = 4, HOT_BIDDERS_RATIO = 4, HOT_AUCTION_RATIO = 2, HOT_BATCH = 100;
  private static final int ID_LEAD = 10, CHANNELS = 10_000;
  private static final String[] HOT_CHANNELS = {"Google", "Facebook", "Baidu", "Apple"};
  private static final String[] US_STATES = {"AZ", "CA", "ID", "OR", "WA", "WY"};
  private static final String[] US_CITIES = {
    "Phoenix", "Los Angeles", "San Francisco", "Boise", "Portland", "Bend", "Redmond", "Seattle", "Kent", "Cheyenne"
  };
  private static final String[] FIRST_NAMES = {
    "Peter", "Paul", "Luke", "John", "Saul", "Vicky", "Kate", "Julie", "Sarah", "Deiter", "Walter"
  };
  private static final String[] LAST_NAMES = {"Shultz", "Abrams", "Spencer", "White", "Bartels", "Walton", "Smith", "Jones", "Noris"};
  private static final int AVG_PERSON_BYTES = 200, AVG_AUCTION_BYTES = 500, AVG_BID_BYTES = 100;

  /** mulberry32, as in events.ts (JavaScript's Math.imul and >>> are Java's int * and >>>). */
  static final class Random {
    private int state;

    Random(int state) {
      this.state = state;
    }

    static int mix(int a) {
      a += 0x6d2b79f5;
      int t = (a ^ (a >>> 15)) * (1 | a);
      t = (t + ((t ^ (t >>> 7)) * (61 | t))) ^ t;
      return t ^ (t >>> 14);
    }

    double next() {
      int out = mix(state);
      state += 0x6d2b79f5;
      return (out & 0xffffffffL) / 4294967296.0;
    }

    int nextInt(int bound) {
      return (int) Math.floor(next() * bound);
    }

    String string(int maxLength, char special) {
      StringBuilder s = new StringBuilder();
      for (int len = 3 + nextInt(maxLength - 3); len > 0; len--) {
        s.append(nextInt(13) == 0 ? special : (char) (97 + nextInt(26)));
      }
      return s.toString().trim();
    }

    /**
     * V8's Math.pow and Java's pow differ in the last bit for about 4% of draws; rounded to cents they
     * agreed on all of 4M draws tried. A disagreement would fail the bench's output check.
     */
    long price() {
      return Math.round(StrictMath.pow(10, next() * 6) * 100);
    }
  }

  private static final String[] HOT_URLS = new String[HOT_CHANNELS.length];
  private static final String[] CHANNEL_URLS = new String[CHANNELS];
  private static final String TEXT;

  static {
    Random r = new Random(0x4e584d4b);
    for (int i = 0; i < HOT_URLS.length; i++) HOT_URLS[i] = baseUrl(r);
    for (int i = 0; i < CHANNELS; i++) {
      String url = baseUrl(r);
      CHANNEL_URLS[i] = r.nextInt(10) > 0 ? url + "&channel_id=" + Integer.toUnsignedString(Integer.reverse(i)) : url;
    }
    byte[] letters = new byte[1 << 20];
    for (int i = 0; i < letters.length; i++) letters[i] = (byte) (97 + r.nextInt(26));
    TEXT = new String(letters, java.nio.charset.StandardCharsets.ISO_8859_1);
  }

  private static String baseUrl(Random r) {
    return "https://www.nexmark.com/" + r.string(5, '_') + "/" + r.string(5, '_') + "/" + r.string(5, '_') + "/item.htm?query=1";
  }

  private static String extra(Random r, int size, int average) {
    if (size > average) return "";
    int wanted = average - size;
    int delta = (int) Math.round(wanted * 0.2);
    int length = wanted - delta + (delta == 0 ? 0 : r.nextInt(2 * delta));
    int at = r.nextInt(TEXT.length() - length);
    return TEXT.substring(at, at + length);
  }

  private static long lastPerson(long n) {
    return (n / TOTAL) * PERSONS + Math.min(n % TOTAL, PERSONS - 1);
  }

  private static long lastAuction(long n) {
    long epoch = n / TOTAL, offset = n % TOTAL;
    if (offset < PERSONS) return (epoch - 1) * AUCTIONS + AUCTIONS - 1;
    if (offset >= PERSONS + AUCTIONS) return epoch * AUCTIONS + AUCTIONS - 1;
    return epoch * AUCTIONS + offset - PERSONS;
  }

  private static long randomPerson(Random r, long n) {
    long people = lastPerson(n) + 1;
    long active = Math.min(people, ACTIVE_PEOPLE);
    return people - active + r.nextInt((int) active + ID_LEAD);
  }

  private static long randomAuction(Random r, long n) {
    long newest = lastAuction(n);
    long oldest = Math.max(newest - IN_FLIGHT_AUCTIONS, 0);
    return oldest + r.nextInt((int) (newest - oldest) + 1 + ID_LEAD);
  }

  private final int seed;
  private final long eventsPerSecond;
  private final long baseTime;

  public NexmarkEvents(int seed, long eventsPerSecond, long baseTime) {
    this.seed = seed;
    this.eventsPerSecond = eventsPerSecond;
    this.baseTime = baseTime;
  }

  private long time(long m) {
    return baseTime + (long) Math.floor(m * 1000.0 / eventsPerSecond);
  }

  @Override
  public Event map(Long number) {
    long n = number;
    Random r = new Random(Random.mix(Random.mix(seed ^ (int) n) ^ (int) (n >>> 32)));
    long dateTime = time(n);
    long offset = n % TOTAL;
    Event e = new Event();
    if (offset < PERSONS) {
      Person p = e.person = new Person();
      p.name = FIRST_NAMES[r.nextInt(FIRST_NAMES.length)] + " " + LAST_NAMES[r.nextInt(LAST_NAMES.length)];
      p.emailAddress = r.string(7, ' ') + "@" + r.string(5, ' ') + ".com";
      StringBuilder card = new StringBuilder();
      for (int i = 0; i < 4; i++) card.append(i > 0 ? " " : "").append(String.format("%04d", r.nextInt(10000)));
      p.creditCard = card.toString();
      p.city = US_CITIES[r.nextInt(US_CITIES.length)];
      p.state = US_STATES[r.nextInt(US_STATES.length)];
      int size = 8 + p.name.length() + p.emailAddress.length() + p.creditCard.length() + p.city.length() + p.state.length();
      p.id = lastPerson(n) + FIRST_PERSON_ID;
      p.dateTime = dateTime;
      p.extra = extra(r, size, AVG_PERSON_BYTES);
    } else if (offset < PERSONS + AUCTIONS) {
      Auction a = e.auction = new Auction();
      a.seller = FIRST_PERSON_ID
          + (r.nextInt(HOT_SELLERS_RATIO) > 0 ? (lastPerson(n) / HOT_BATCH) * HOT_BATCH : randomPerson(r, n));
      a.category = FIRST_CATEGORY_ID + r.nextInt(CATEGORIES);
      a.initialBid = r.price();
      long horizon = time(n + (IN_FLIGHT_AUCTIONS * TOTAL) / AUCTIONS) - dateTime;
      a.expires = dateTime + 1 + r.nextInt((int) Math.max(horizon * 2, 1));
      a.itemName = r.string(20, ' ');
      a.description = r.string(100, ' ');
      a.reserve = a.initialBid + r.price();
      int size = 8 + a.itemName.length() + a.description.length() + 40;
      a.id = lastAuction(n) + FIRST_AUCTION_ID;
      a.dateTime = dateTime;
      a.extra = extra(r, size, AVG_AUCTION_BYTES);
    } else {
      Bid b = e.bid = new Bid();
      b.auction = FIRST_AUCTION_ID
          + (r.nextInt(HOT_AUCTION_RATIO) > 0 ? (lastAuction(n) / HOT_BATCH) * HOT_BATCH : randomAuction(r, n));
      b.bidder = FIRST_PERSON_ID
          + (r.nextInt(HOT_BIDDERS_RATIO) > 0 ? (lastPerson(n) / HOT_BATCH) * HOT_BATCH + 1 : randomPerson(r, n));
      b.price = r.price();
      if (r.nextInt(2) > 0) {
        int i = r.nextInt(HOT_CHANNELS.length);
        b.channel = HOT_CHANNELS[i];
        b.url = HOT_URLS[i];
      } else {
        int i = r.nextInt(CHANNELS);
        b.channel = "channel-" + i;
        b.url = CHANNEL_URLS[i];
      }
      b.dateTime = dateTime;
      b.extra = extra(r, 32, AVG_BID_BYTES);
    }
    return e;
  }
}
