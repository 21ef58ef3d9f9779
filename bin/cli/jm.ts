/** `flinkx-jm start`: the JobManager. */
import { Command } from 'commander';
import { configureLogging, type LogLevel } from '../../common/log';
import { JobManager } from '../../jobmanager/jobmanager';
import { main } from './main';
import { positiveInt } from './options';

const program = new Command('flinkx-jm').description('the flinkx JobManager').showHelpAfterError();
program
  .command('start')
  .description('start a JobManager: REST, dashboard and the TaskManager endpoint on one port')
  .option('--host <host>', 'address to listen on', '127.0.0.1')
  .option('--port <port>', 'port for REST and TaskManagers', positiveInt('--port', true), 8081)
  .option('--data-dir <dir>', 'where checkpoints and job data are kept', '.flinkx/jm')
  .option('--heartbeat-timeout <ms>', 'a TaskManager silent this long is dead', positiveInt('--heartbeat-timeout'), 5000)
  .option('--log-level <level>', 'debug, info, warn or error', 'info')
  .option('--log-format <format>', 'text or json', 'text')
  .action(async (o: { host: string; port: number; dataDir: string; heartbeatTimeout: number; logLevel: LogLevel; logFormat: 'text' | 'json' }) => {
    configureLogging(o.logLevel, o.logFormat);
    const jm = new JobManager({ host: o.host, port: o.port, dataDir: o.dataDir, heartbeatTimeoutMs: o.heartbeatTimeout });
    await jm.start();
    const stop = () => void jm.stop().then(() => process.exit(0));
    process.once('SIGTERM', stop).once('SIGINT', stop);
  });
void main(program);
