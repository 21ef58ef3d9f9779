/** `flinkx-tm start`: a TaskManager. */
import { Command } from 'commander';
import { configureLogging, Logger, type LogLevel } from '../../common/log';
import { securityAdvice } from '../../common/net/security-options';
import { parseOptions, parseSecurity, securityFlags } from './options';
import { MAX_WINDOW_GROWTH, WINDOW_BYTES } from '../../taskmanager/network/channels';
import { TaskManager } from '../../taskmanager/taskmanager';
import { TASKMANAGER_DEFAULTS as D, TaskManagerOptionsSchema } from '../../taskmanager/taskmanager-options';
import { main } from './main';

const program = new Command('flinkx-tm').description('the flinkx TaskManager').showHelpAfterError();
securityFlags(program.command('start'), true)
  .description('start a TaskManager and register its slots with the JobManager')
  .option('--slots <n>', 'slots (worker threads) (default: CPU cores)')
  .option(
    '--jobmanager <urls>',
    `JobManager address, or a comma-separated list (active and standbys) tried in turn (default: FLINKX_JOBMANAGER or ${D.jobmanager})`,
  )
  .option('--host <host>', `address for the data port (default: ${D.host})`)
  .option('--data-port <port>', `port for data from other TaskManagers; 0: any free port (default: ${D.dataPort})`)
  .option('--metrics-port <port>', `port for Prometheus /metrics; 0: any free port (default: ${D.metricsPort})`)
  .option('--batch-records <n>', `records per channel batch (default: ${D.batchRecords})`)
  .option('--flush-interval <ms>', `send a partly filled batch after this long (default: ${D.flushInterval})`)
  .option(
    '--credits-per-channel <n>',
    `batches in flight per channel, at least; up to ${MAX_WINDOW_GROWTH}x that while they fit in ${WINDOW_BYTES / 1024} KiB (default: ${D.creditsPerChannel})`,
  )
  .option(
    '--task-cancellation-timeout <ms>',
    `terminate and replace a slot's worker when a cancelled task in it has not ended after this long; 0: never (default: ${D.taskCancellationTimeout})`,
  )
  .option('--log-level <level>', 'debug, info, warn or error', 'info')
  .option('--log-format <format>', 'text or json', 'text')
  .action(
    async (
      o: Record<string, string | undefined> & {
        logLevel: LogLevel;
        metricsPublic?: boolean;
        insecure?: boolean;
        logFormat: 'text' | 'json';
      },
    ) => {
      const config = parseOptions(TaskManagerOptionsSchema, {
        slots: o.slots,
        jobmanager: o.jobmanager ?? process.env.FLINKX_JOBMANAGER,
        host: o.host,
        dataPort: o.dataPort,
        metricsPort: o.metricsPort,
        batchRecords: o.batchRecords,
        flushInterval: o.flushInterval,
        creditsPerChannel: o.creditsPerChannel,
        taskCancellationTimeout: o.taskCancellationTimeout,
      });
      const security = parseSecurity(o, config.host);
      configureLogging(o.logLevel, o.logFormat);
      for (const advice of securityAdvice(config, security)) new Logger('taskmanager').warn(advice);
      const tm = new TaskManager(config, security);
      await tm.start();
      const stop = () => void tm.stop().then(() => process.exit(0));
      process.once('SIGTERM', stop).once('SIGINT', stop);
    },
  );
void main(program);
