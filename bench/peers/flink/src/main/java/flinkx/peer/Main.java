package flinkx.peer;

import java.lang.management.ManagementFactory;
import org.apache.flink.api.common.JobExecutionResult;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;

/**
 * One bench job in a local MiniCluster (this JVM), then one JSON line on stdout with the job's
 * net runtime and the CPU time of the whole JVM (all threads, start-up included).
 *
 *   wordcount PARALLELISM INPUT OUTPUT_DIR
 *   nexmark PARALLELISM QUERY COUNT SEED [OUTPUT_DIR]   (without OUTPUT_DIR: a discarding sink)
 */
public final class Main {
  public static void main(String[] args) throws Exception {
    if (args.length < 2) usage();
    int parallelism = Integer.parseInt(args[1]);
    StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment();
    env.setParallelism(parallelism);
    switch (args[0]) {
      case "wordcount":
        if (args.length != 4) usage();
        WordCount.build(env, args[2], args[3]);
        break;
      case "nexmark":
        if (args.length != 5 && args.length != 6) usage();
        NexmarkQueries.build(env, args[2], Long.parseLong(args[3]), Integer.parseInt(args[4]), args.length == 6 ? args[5] : null);
        break;
      default:
        usage();
    }
    JobExecutionResult result = env.execute("flinkx-bench " + args[0]);
    long cpuNs = ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    System.out.println("{\"netRuntimeMs\":" + result.getNetRuntime() + ",\"cpuMs\":" + cpuNs / 1_000_000 + "}");
  }

  private static void usage() {
    System.err.println("usage: wordcount PARALLELISM INPUT OUTPUT_DIR | nexmark PARALLELISM QUERY COUNT SEED [OUTPUT_DIR]");
    System.exit(2);
  }

  private Main() {}
}
