/** `flinkx-jm start`: the JobManager. */
import { Command } from 'commander';
import { configureLogging, Logger, type LogLevel } from '../../common/log';
import { securityAdvice } from '../../common/net/security-options';
import { parseOptions, parseSecurity, securityFlags } from './options';
import { JobManager } from '../../jobmanager/jobmanager';
import {
  JOBMANAGER_DEFAULTS as D,
  jobManagerAdvice,
  JobManagerOptionsSchema,
} from '../../jobmanager/jobmanager-options';
import { main } from './main';

const program = new Command('flinkx-jm').description('the flinkx JobManager').showHelpAfterError();
securityFlags(program.command('start'), true)
  .description('start a JobManager: REST, dashboard and the TaskManager endpoint on one port')
  .option('--host <host>', `address to listen on (default: ${D.host})`)
  .option('--port <port>', `port for REST and TaskManagers (default: ${D.port})`)
  .option('--data-dir <dir>', `where checkpoints and job data are kept (default: ${D.dataDir})`)
  .option(
    '--savepoint-dir <dir>',
    'where savepoints go when `flinkx savepoint` names no --dir (default: <data-dir>/savepoints)',
  )
  .option('--heartbeat-interval <ms>', `how often TaskManagers send heartbeats (default: ${D.heartbeatIntervalMs})`)
  .option('--heartbeat-timeout <ms>', `a TaskManager silent this long is lost (default: ${D.heartbeatTimeoutMs})`)
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
      const config = parseOptions(JobManagerOptionsSchema, {
        host: o.host,
        port: o.port,
        dataDir: o.dataDir,
        savepointDir: o.savepointDir,
        heartbeatIntervalMs: o.heartbeatInterval,
        heartbeatTimeoutMs: o.heartbeatTimeout,
      });
      const security = parseSecurity(o, config.host);
      configureLogging(o.logLevel, o.logFormat);
      for (const advice of [...jobManagerAdvice(config), ...securityAdvice(config, security)])
        new Logger('jobmanager').warn(advice);
      const jm = new JobManager(config, security);
      await jm.start();
      const stop = () => void jm.stop().then(() => process.exit(0));
      process.once('SIGTERM', stop).once('SIGINT', stop);
    },
  );
void main(program);
