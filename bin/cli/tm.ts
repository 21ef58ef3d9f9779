/** `flinkx-tm start`: a TaskManager. */
import { availableParallelism } from 'node:os';
import { Command } from 'commander';
import { configureLogging, type LogLevel } from '../../common/log';
import { TaskManager } from '../../taskmanager/taskmanager';
import { main } from './main';
import { positiveInt } from './options';

const program = new Command('flinkx-tm').description('the flinkx TaskManager').showHelpAfterError();
program
  .command('start')
  .description('start a TaskManager and register its slots with the JobManager')
  .option('--slots <n>', 'slots (worker threads); default: CPU cores', positiveInt('--slots'), availableParallelism())
  .option('--jobmanager <url>', 'JobManager address', process.env.FLINKX_JOBMANAGER ?? 'ws://127.0.0.1:8081')
  .option('--host <host>', 'address for the data port', '127.0.0.1')
  .option('--data-port <port>', 'port for data from other TaskManagers (0: any free port)', positiveInt('--data-port', true), 0)
  .option('--metrics-port <port>', 'port for Prometheus /metrics (0: any free port)', positiveInt('--metrics-port', true), 0)
  .option('--log-level <level>', 'debug, info, warn or error', 'info')
  .option('--log-format <format>', 'text or json', 'text')
  .action(async (o: { slots: number; jobmanager: string; host: string; dataPort: number; metricsPort: number; logLevel: LogLevel; logFormat: 'text' | 'json' }) => {
    configureLogging(o.logLevel, o.logFormat);
    const jobmanager = o.jobmanager.replace(/^http(s?):/, 'ws$1:');
    const tm = new TaskManager({ slots: o.slots, jobmanager, host: o.host, dataPort: o.dataPort, metricsPort: o.metricsPort });
    await tm.start();
    const stop = () => void tm.stop().then(() => process.exit(0));
    process.once('SIGTERM', stop).once('SIGINT', stop);
  });
void main(program);
