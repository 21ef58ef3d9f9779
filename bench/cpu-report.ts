/**
 * Preloaded (`node --require`) into the processes the bench times: on exit, writes the process's CPU
 * time (user + system, all threads) and peak RSS (ru_maxrss) to the file named by FLINKX_BENCH_CPU_FILE.
 */
import { writeFileSync } from 'node:fs';

const file = process.env.FLINKX_BENCH_CPU_FILE;
if (file) {
  process.on('exit', () => {
    const { user, system } = process.cpuUsage();
    writeFileSync(
      file,
      JSON.stringify({ userMs: user / 1000, systemMs: system / 1000, maxRssKb: process.resourceUsage().maxRSS }),
    );
  });
}
