/**
 * The JobManager process: one HTTP port serving REST and the `/tm` WebSocket for TaskManagers.
 * A TM connection must open with `register`; any frame that breaks the protocol closes that
 * connection with the reason, and the TM counts as lost. `/metrics` (Prometheus) and
 * `/prometheus/targets` (http_sd discovery of the JM and every TM) are served by ./metrics.
 * With a cluster secret, `register` must answer the connection's challenge, and every HTTP request
 * but the dashboard's static files needs the bearer token (`/metrics` too, unless --metrics-public).
 */
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ProtocolError } from '../common/errors';
import { Logger } from '../common/log';
import { logRefused, newNonce, unauthorized } from '../common/net/cluster-secret';
import { NO_SECURITY, type Security } from '../common/net/security-options';
import { DEFAULT_SERVER_LIMITS, guardedServer, pathOf } from '../common/net/server-guard';
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from '../common/protocol/codec';
import type { HealthProblem } from '../common/protocol/rest';
import { TmToJmFrame } from '../common/protocol/control';
import { Dispatcher } from './dispatcher';
import { LeaderLock } from './ha/leader-lock';
import type { JobManagerConfig } from './jobmanager-options';
import { JobManagerMetrics } from './metrics';
import { handle, restRoutes } from './rest/rest';
import type { RegisteredTaskManager } from './scheduler/tm-registry';

const log = new Logger('jobmanager');

/** Parsed once at the edge (jobmanager-options.ts), defaults included. */
export type JobManagerOptions = JobManagerConfig;

/** What a browser needs before it has the token: the dashboard's own files. */
const PUBLIC_PATHS = new Set(['/', '/index.html', '/app.js', '/style.css']);
const METRICS_PATHS = new Set(['/metrics', '/prometheus/targets']);

export class JobManager {
  readonly dispatcher: Dispatcher;
  private readonly metrics: JobManagerMetrics;
  private port = 0;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  /** One active JobManager per data dir (./ha/leader-lock.ts). */
  private readonly lock: LeaderLock;

  constructor(
    private readonly options: JobManagerOptions,
    private readonly security: Security = NO_SECURITY,
  ) {
    this.dispatcher = new Dispatcher(options);
    this.lock = new LeaderLock(options.dataDir);
    this.metrics = new JobManagerMetrics(this.dispatcher);
    const routes = restRoutes(this.dispatcher, () => this.problems());
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    this.http = guardedServer(
      'jobmanager',
      (req, res) => {
        const path = pathOf(req).replace(/(.)\/$/, '$1');
        if (!this.mayRequest(path, req)) unauthorized(req, res);
        else if (path === '/metrics') void this.metrics.serve(req, res);
        else if (path === '/prometheus/targets') this.metrics.serveTargets(req, res, this.scrapeAddress(req));
        else void handle(routes, req, res);
      },
      (req, socket, head) => {
        if (pathOf(req) !== '/tm') return false;
        this.wss.handleUpgrade(req, socket, head, (ws) => this.acceptTaskManager(ws, req.socket.remoteAddress));
        return true;
      },
      DEFAULT_SERVER_LIMITS,
      security.tls,
    );
  }

  private mayRequest(path: string, req: IncomingMessage): boolean {
    const { secret, metricsPublic } = this.security;
    if (!secret || PUBLIC_PATHS.has(path) || (metricsPublic && METRICS_PATHS.has(path))) return true;
    return secret.authorizes(req);
  }

  private acceptTaskManager(ws: WebSocket, peer: string | undefined): void {
    let tm: RegisteredTaskManager | undefined;
    const nonce = newNonce();
    ws.on('error', () => undefined);
    ws.send(encodeFrame({ t: 'challenge', nonce }));
    ws.on('message', (data, isBinary) => {
      try {
        if (!isBinary) throw new ProtocolError('text frames are not part of the protocol');
        const frame = decodeFrame(TmToJmFrame, data);
        if (frame.t === 'register') {
          if (tm) throw new ProtocolError('register sent twice on one connection');
          const { secret } = this.security;
          if (secret && !secret.verify('tm-register', nonce, frame.proof)) {
            logRefused(
              'a TaskManager',
              peer,
              `${frame.tmId}: ${frame.proof === undefined ? 'no proof of the cluster secret' : 'wrong proof of the cluster secret'}`,
            );
            return void ws.close(1008, 'authentication failed: the cluster secret is required');
          }
          tm = this.dispatcher.registry.register(ws, frame.tmId, frame.slots, frame.dataAddress, frame.metricsAddress);
        } else if (!tm) {
          throw new ProtocolError(`"${frame.t}" before register`);
        } else if (frame.t === 'heartbeat' && frame.tmId !== tm.id) {
          throw new ProtocolError(`frame for TaskManager ${frame.tmId} on the connection of ${tm.id}`);
        } else {
          this.dispatcher.onTaskManagerFrame(tm, frame);
        }
      } catch (err) {
        const reason = (err as Error).message.slice(0, 120);
        log.warn('closing TaskManager connection', { tm: tm?.id ?? 'unregistered', reason });
        ws.close(1008, reason);
        if (tm) this.dispatcher.registry.lose(tm.id, `protocol error: ${reason}`);
      }
    });
    ws.on('close', (code) => {
      // 1001 (going away) is a TaskManager that stopped on purpose; anything else is a loss.
      const reason = code === 1001 ? 'stopped' : 'connection closed';
      if (tm && this.dispatcher.registry.get(tm.id) === tm) this.dispatcher.registry.lose(tm.id, reason);
    });
  }

  /** Writes to the data dir that fail and are retried: the lock's and the jobs' statuses (GET /health). */
  private problems(): HealthProblem[] {
    const lock = this.lock.updateFailure;
    const own = lock
      ? [{ what: `the lock ${this.lock.path}`, code: lock.error.code, message: lock.error.message, since: lock.since }]
      : [];
    return [...own, ...this.dispatcher.storeProblems()];
  }

  /** Waits for the data dir's lock (a standby waits here), listens, then resumes the jobs a previous JobManager left. */
  async start(): Promise<number> {
    mkdirSync(this.options.dataDir, { recursive: true });
    const me = { pid: process.pid, host: this.options.host, port: this.options.port };
    await this.lock.acquire(me);
    let port: number;
    try {
      await new Promise<void>((resolve, reject) => {
        this.http.once('error', reject);
        this.http.listen(this.options.port, this.options.host, () => resolve());
      });
      port = (this.http.address() as AddressInfo).port;
      this.port = port;
      this.lock.update({ ...me, port });
      await this.dispatcher.recover();
    } catch (err) {
      // A JobManager that cannot serve or recover its jobs must not hold the port and the lock.
      await this.stop().catch(() => undefined);
      throw err;
    }
    const s = this.security.tls.cert ? 's' : '';
    log.info('started', {
      rest: `http${s}://${this.options.host}:${port}`,
      taskmanagers: `ws${s}://${this.options.host}:${port}/tm`,
      secret: this.security.secret ? 'required' : 'none',
    });
    return port;
  }

  /** host:port where Prometheus scrapes this JM: the listen address, or the Host asked for if it is a wildcard. */
  private scrapeAddress(req: IncomingMessage): string {
    const host = this.options.host;
    if (host === '0.0.0.0' || host === '::' || host === '') return req.headers.host ?? `127.0.0.1:${this.port}`;
    return `${host.includes(':') ? `[${host}]` : host}:${this.port}`;
  }

  async stop(): Promise<void> {
    this.dispatcher.close();
    this.metrics.close();
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    this.lock.release();
    log.info('stopped');
  }
}
