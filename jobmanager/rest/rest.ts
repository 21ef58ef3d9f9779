/**
 * The REST API (JSON; every answer's shape is a schema in common/protocol/rest.ts). Errors answer
 * with `{error: {code, message, problems?}}` and a 4xx status; no request can take the JobManager down.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FlinkxError, JobFileError } from '../../common/errors';
import type {
  Checkpoints,
  ErrorResponse,
  Health,
  HealthProblem,
  SavepointResponse,
  SubmitResponse,
  TaskManagerInfo,
} from '../../common/protocol/rest';
import { serveDashboard } from '../dashboard/dashboard';
import type { Dispatcher } from '../dispatcher';
import { jobDetails, jobSummary } from './job-views';

const MAX_BODY_BYTES = 32 * 1024 * 1024;

export class HttpError extends FlinkxError {
  constructor(
    readonly status: number,
    code: string,
    message: string,
  ) {
    super(code, message);
  }
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES)
      throw new HttpError(413, 'BODY_TOO_LARGE', `request body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'INVALID_JSON', 'request body is not valid JSON');
  }
}

export function sendJson<T>(res: ServerResponse, status: number, body: T): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

const optionalString = (v: unknown): v is string | undefined =>
  v === undefined || (typeof v === 'string' && v.length > 0);

/** Savepoint errors the request can fix (400) or that the job's state explains (409). */
const BAD_SAVEPOINT = new Set(['SAVEPOINT_RESTORE', 'SAVEPOINT_STORAGE', 'SNAPSHOT_FORMAT']);
const CONFLICT = new Set(['SAVEPOINT_UNAVAILABLE', 'CHECKPOINT_FAILED']);

function statusOf(err: unknown): number {
  if (err instanceof HttpError) return err.status;
  if (err instanceof JobFileError) return 400;
  if (err instanceof FlinkxError && BAD_SAVEPOINT.has(err.code)) return 400;
  if (err instanceof FlinkxError && CONFLICT.has(err.code)) return 409;
  if (err instanceof FlinkxError && err.code === 'UNKNOWN_JOB') return 404;
  // The data dir cannot be written (a full disk): the request may succeed once space is freed.
  if (err instanceof FlinkxError && err.code === 'JOB_STORE') return 503;
  return 500;
}

export type Route = (req: IncomingMessage, res: ServerResponse, params: string[]) => Promise<void> | void;

/** `problems`: every write to the data dir that fails and is retried (the JobManager adds its lock's to the jobs'). */
export function restRoutes(
  dispatcher: Dispatcher,
  problems: () => HealthProblem[] = () => dispatcher.storeProblems(),
): [string, RegExp, Route][] {
  return [
    [
      'GET',
      /^\/health\/?$/,
      (_, res) => {
        const p = problems();
        sendJson<Health>(res, p.length ? 503 : 200, { status: p.length ? 'DEGRADED' : 'UP', problems: p });
      },
    ],
    [
      'POST',
      /^\/jobs\/?$/,
      async (req, res) => {
        const body = (await readJson(req)) as {
          job?: unknown;
          functionsCode?: unknown;
          savepointPath?: unknown;
          allowNonRestoredState?: unknown;
        } | null;
        if (
          typeof body !== 'object' ||
          body === null ||
          body.job === undefined ||
          !optionalString(body.savepointPath)
        ) {
          throw new HttpError(
            400,
            'INVALID_REQUEST',
            'expected {"job": <job file>, "functionsCode"?: <string>, "savepointPath"?: <string>, "allowNonRestoredState"?: <boolean>}',
          );
        }
        const code = typeof body.functionsCode === 'string' ? body.functionsCode : undefined;
        const savepoint =
          body.savepointPath === undefined
            ? undefined
            : { path: body.savepointPath, allowNonRestoredState: body.allowNonRestoredState === true };
        const job = await dispatcher.submit(body.job, code, savepoint);
        sendJson<SubmitResponse>(res, 201, { jobId: job.id, state: job.state });
      },
    ],
    ['GET', /^\/jobs\/?$/, (_, res) => sendJson(res, 200, [...dispatcher.jobs.values()].map(jobSummary))],
    ['GET', /^\/jobs\/([^/]+)\/?$/, (_, res, [id]) => sendJson(res, 200, jobDetails(dispatcher.get(id)))],
    ['GET', /^\/jobs\/([^/]+)\/exceptions\/?$/, (_, res, [id]) => sendJson(res, 200, dispatcher.get(id).exceptions)],
    [
      'GET',
      /^\/jobs\/([^/]+)\/checkpoints\/?$/,
      (_, res, [id]) =>
        sendJson<Checkpoints>(
          res,
          200,
          dispatcher.get(id).checkpoints?.snapshot() ?? {
            counts: { completed: 0, failed: 0, inProgress: 0 },
            latest: null,
            history: [],
          },
        ),
    ],
    [
      'POST',
      /^\/jobs\/([^/]+)\/cancel\/?$/,
      (_, res, [id]) => {
        const job = dispatcher.cancel(id);
        sendJson<SubmitResponse>(res, 202, { jobId: job.id, state: job.state });
      },
    ],
    ...(['savepoints', 'stop'] as const).map((what): [string, RegExp, Route] => [
      'POST',
      new RegExp(`^/jobs/([^/]+)/${what}/?$`),
      async (req, res, [id]) => {
        const job = dispatcher.get(id);
        const body = (await readJson(req)) as { dir?: unknown } | null;
        if (typeof body !== 'object' || body === null || !optionalString(body.dir))
          throw new HttpError(400, 'INVALID_REQUEST', 'expected {"dir"?: <string>}');
        const path = await job.triggerSavepoint(body.dir, what === 'stop');
        sendJson<SavepointResponse>(res, 200, { jobId: job.id, path });
      },
    ]),
    [
      'GET',
      /^\/taskmanagers\/?$/,
      (_, res) =>
        sendJson<TaskManagerInfo[]>(
          res,
          200,
          dispatcher.registry.all().map((tm) => ({
            id: tm.id,
            slots: tm.slots,
            freeSlots: dispatcher.resourceManager.slotPool.usage(tm.id).free,
            dataAddress: tm.dataAddress,
            metricsAddress: tm.metricsAddress,
            registeredAt: tm.registeredAt,
            lastHeartbeat: tm.lastHeartbeat,
            queuedBytes: tm.queuedBytes,
          })),
        ),
    ],
    ['GET', /^\/(?:index\.html)?$/, (req, res) => serveDashboard('index.html', req, res)],
    ['GET', /^\/(app\.js|style\.css)$/, (req, res, [file]) => serveDashboard(file, req, res)],
  ];
}

export async function handle(
  routes: [string, RegExp, Route][],
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  try {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const matches = routes.filter(([, re]) => re.test(path));
    if (matches.length === 0) throw new HttpError(404, 'NOT_FOUND', `no such resource: ${path}`);
    const route = matches.find(([method]) => method === req.method);
    if (!route) throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not allowed on ${path}`);
    await route[2](req, res, route[1].exec(path)!.slice(1).map(decodeURIComponent));
  } catch (err) {
    const status = statusOf(err);
    const e = err as FlinkxError;
    if (res.headersSent) return void res.destroy();
    sendJson<ErrorResponse>(res, status, {
      error: {
        code: e.code ?? 'INTERNAL',
        message: e.message ?? String(err),
        ...(err instanceof JobFileError ? { problems: err.problems } : {}),
      },
    });
  }
}
