/** `flinkx`: submit, list, status, cancel, and run a job embedded. */
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { Command, Option } from 'commander';
import { InvalidOptionsError } from '../../common/errors';
import { configureLogging } from '../../common/log';
import { RestClient, type JobDetails, type JobSummary } from './client';
import { jobsTable, jobStatus } from './format';
import { main } from './main';
import { planMermaid, planOf, planText } from './plan';
import { runEmbedded } from './embedded';
import { loadJob, submitJob, waitForJob, WAIT_UNREACHABLE_MS, type FromSavepoint } from './submit';
import type { SavepointResponse } from '../../common/protocol/rest';

/** The directory is resolved here: the JobManager writes it, and a relative path means this command's. */
const savepointBody = (dir: string | undefined) => (dir ? { dir: resolve(dir) } : {});
/** No progress lines while `stop` waits for the job to end. */
const nowhere = { isTTY: false, write: () => true } as unknown as NodeJS.WriteStream;
import { parseSecurity, securityFlags } from './options';

const DEFAULT_JM = 'http://127.0.0.1:8081';

const program = new Command('flinkx').description('submit and inspect flinkx jobs').showHelpAfterError();
const jmOption = (c: Command) =>
  securityFlags(c, false).option(
    '--jobmanager <url>',
    'JobManager address (or FLINKX_JOBMANAGER); submit --wait takes a comma-separated list (active, standbys)',
    process.env.FLINKX_JOBMANAGER ?? DEFAULT_JM,
  );
/** A client of the JobManager named by the command's flags, with the token if there is a secret. */
const clientOf = (opts: { jobmanager: string }) => clientsOf(opts)[0];
/** One client per address of a comma-separated `--jobmanager` (the active JobManager, then standbys). */
const clientsOf = (opts: { jobmanager: string }) => {
  const { secret, tls } = parseSecurity(opts);
  return opts.jobmanager.split(',').map((url) => new RestClient(url, secret?.restToken, tls.ca));
};

/** Restore flags of submit and run (Flink's -s/--fromSavepoint and -n/--allowNonRestoredState). */
const savepointOptions = (c: Command) =>
  c
    .option(
      '-s, --from-savepoint <path>',
      'start from this savepoint (its directory or _metadata), at any parallelism up to maxParallelism',
    )
    .option(
      '-n, --allow-non-restored-state',
      'drop savepoint state whose uid matches no operator of the job instead of refusing',
    );

/** `--no-typecheck` of submit and run. */
const typecheckOption = (c: Command) =>
  c.option('--no-typecheck', 'do not type-check a job module with the tsconfig.json beside or above it');

typecheckOption(
  savepointOptions(
    jmOption(
      program
        .command('submit <job>')
        .description('submit a job file (JSON) or job module (.ts/.js); prints the job id'),
    ),
  ),
)
  .option('--wait', 'wait until the job ends; exit non-zero unless it FINISHED')
  .option(
    '--wait-timeout <ms>',
    `with --wait, how long to keep asking the --jobmanager addresses in turn while none answers (a failover) (default: ${WAIT_UNREACHABLE_MS})`,
  )
  .action(
    async (
      file: string,
      opts: { jobmanager: string; wait?: boolean; waitTimeout?: string; typecheck: boolean } & FromSavepoint,
    ) => {
      const [client, ...others] = clientsOf(opts);
      const unreachableMs = opts.waitTimeout === undefined ? undefined : Number(opts.waitTimeout);
      if (unreachableMs !== undefined && !(Number.isInteger(unreachableMs) && unreachableMs >= 0)) {
        throw new InvalidOptionsError([{ path: '--wait-timeout', message: 'must be an integer ≥ 0' }]);
      }
      const jobId = await submitJob(client, await loadJob(file, { typecheck: opts.typecheck }), opts);
      process.stdout.write(jobId + '\n');
      if (opts.wait) {
        const job = await waitForJob(client, jobId, process.stderr, { others, unreachableMs });
        if (job.state !== 'FINISHED') {
          process.stderr.write(`job ${jobId} ${job.state}${job.failure ? `: ${job.failure.message}` : ''}\n`);
          process.exitCode = 1;
        }
      }
    },
  );

jmOption(program.command('list').description('list jobs'))
  .option('--json', 'print JSON')
  .action(async (opts: { jobmanager: string; json?: boolean }) => {
    const jobs = await clientOf(opts).request<JobSummary[]>('GET', '/jobs');
    process.stdout.write((opts.json ? JSON.stringify(jobs, null, 2) : jobsTable(jobs)) + '\n');
  });

jmOption(program.command('status <job-id>').description('vertices, subtasks, their states and throughput'))
  .option('--json', 'print JSON')
  .action(async (id: string, opts: { jobmanager: string; json?: boolean }) => {
    const job = await clientOf(opts).request<JobDetails>('GET', `/jobs/${encodeURIComponent(id)}`);
    process.stdout.write((opts.json ? JSON.stringify(job, null, 2) : jobStatus(job)) + '\n');
  });

jmOption(program.command('savepoint <job-id>').description('take a savepoint of a running job; prints its path'))
  .option('--dir <dir>', "where to put it (default: the JobManager's --savepoint-dir)")
  .action(async (id: string, opts: { jobmanager: string; dir?: string }) => {
    const r = await clientOf(opts).request<SavepointResponse>(
      'POST',
      `/jobs/${encodeURIComponent(id)}/savepoints`,
      savepointBody(opts.dir),
    );
    process.stdout.write(r.path + '\n');
  });

jmOption(
  program
    .command('stop <job-id>')
    .description('stop a job with a final savepoint (sources stop, sinks commit, FINISHED); prints its path'),
)
  .option('--savepoint', "take the final savepoint (always, as Flink's stop does)")
  .option('--dir <dir>', "where to put it (default: the JobManager's --savepoint-dir)")
  .action(async (id: string, opts: { jobmanager: string; dir?: string }) => {
    const client = clientOf(opts);
    const r = await client.request<SavepointResponse>(
      'POST',
      `/jobs/${encodeURIComponent(id)}/stop`,
      savepointBody(opts.dir),
    );
    const job = await waitForJob(client, r.jobId, nowhere);
    process.stdout.write(r.path + '\n');
    if (job.state !== 'FINISHED') {
      process.stderr.write(
        `job ${r.jobId} ${job.state} after its savepoint${job.failure ? `: ${job.failure.message}` : ''}\n`,
      );
      process.exitCode = 1;
    }
  });

jmOption(program.command('cancel <job-id>').description('cancel a job')).action(
  async (id: string, opts: { jobmanager: string }) => {
    const r = await clientOf(opts).request<{ jobId: string; state: string }>(
      'POST',
      `/jobs/${encodeURIComponent(id)}/cancel`,
    );
    process.stdout.write(`${r.jobId} ${r.state}\n`);
  },
);

securityFlags(program.command('token'), false)
  .description('print the REST bearer token of the cluster secret (for curl, Prometheus, the dashboard)')
  .action((opts: Record<string, unknown>) => {
    const { secret } = parseSecurity(opts);
    if (!secret)
      throw new InvalidOptionsError([
        { path: '--secret-file', message: 'required (or FLINKX_SECRET): the token is derived from the cluster secret' },
      ]);
    process.stdout.write(secret.restToken + '\n');
  });

program
  .command('plan <job>')
  .description('print the job graph a job file or job module compiles to, without running it')
  .addOption(
    new Option('--format <format>', 'text, json or mermaid').choices(['text', 'json', 'mermaid']).default('text'),
  )
  .option('--json', 'same as --format json')
  .action(async (file: string, opts: { format: string; json?: boolean }) => {
    const plan = planOf((await loadJob(file)).spec);
    const format = opts.json ? 'json' : opts.format;
    const text =
      format === 'json' ? JSON.stringify(plan, null, 2) : format === 'mermaid' ? planMermaid(plan) : planText(plan);
    process.stdout.write(text + '\n');
  });

typecheckOption(savepointOptions(program.command('run <job>')))
  .description('run a job in this process: an embedded JobManager and TaskManager, no cluster needed')
  .option('--slots <n>', 'slots of the embedded TaskManager (default: CPU cores, at least the job needs)', (v) =>
    parseInt(v, 10),
  )
  .option('--log-level <level>', 'debug, info, warn or error', 'warn')
  .action(
    async (
      file: string,
      opts: { slots?: number; logLevel: 'debug' | 'info' | 'warn' | 'error'; typecheck: boolean } & FromSavepoint,
    ) => {
      configureLogging(opts.logLevel, 'text');
      const ok = await runEmbedded(file, opts.slots ?? availableParallelism(), opts, opts.typecheck);
      if (!ok) process.exitCode = 1;
    },
  );

void main(program);
