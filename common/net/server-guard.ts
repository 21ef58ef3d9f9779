/**
 * Every listening socket of every flinkx process goes through here, so that nothing a stranger
 * sends can end the process: an error handler on every accepted socket (a reset mid-handshake
 * emits `'error'`, and an unhandled one kills Node), a plain HTTP answer to malformed requests and
 * refused upgrades, and limits on header size, time to first byte / to the end of the headers,
 * request time, and connections per peer address. With a certificate and key it serves https (and
 * wss): the same guards, behind the TLS handshake; a client that does not speak TLS is cut off.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { Logger } from '../log';

const log = new Logger('net');

export type Server = HttpServer | HttpsServer;

/** PEM files of the certificate this server presents; without both it serves plain http. */
export interface ServerTls {
  cert?: Buffer;
  key?: Buffer;
}

export interface ServerLimits {
  /** Largest request head (request line + headers) in bytes. @default 16384 */
  maxHeaderBytes: number;
  /** A connection must finish its request head within this many ms of connecting. @default 10000 */
  headersTimeoutMs: number;
  /** A whole request (head and body) must arrive within this many ms. @default 60000 */
  requestTimeoutMs: number;
  /** Open connections from one peer address; more are closed at once. @default 256 */
  maxConnectionsPerPeer: number;
  /** Open connections in all. @default 2048 */
  maxConnections: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  maxConnectionsPerPeer: 256,
  maxConnections: 2048,
};

/** Route an upgrade request: return false to refuse it (answered 404 and closed). */
export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => boolean;

/**
 * An HTTP server with the guards above. `onUpgrade` sees only sockets that already have an error
 * handler; WebSocket servers must be created with `noServer: true` and fed from it.
 */
export function guardedServer(
  name: string,
  onRequest: RequestListener,
  onUpgrade?: UpgradeHandler,
  limits: ServerLimits = DEFAULT_SERVER_LIMITS,
  tls: ServerTls = {},
): Server {
  const options = {
    maxHeaderSize: limits.maxHeaderBytes,
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    connectionsCheckingInterval: Math.min(1000, limits.headersTimeoutMs),
  };
  const server: Server =
    tls.cert && tls.key
      ? createHttpsServer(
          { ...options, cert: tls.cert, key: tls.key, handshakeTimeout: limits.headersTimeoutMs },
          onRequest,
        )
      : createServer(options, onRequest);
  // A failed handshake (plain http, garbage, a reset) ends that socket; Node destroys it after this.
  server.on('tlsClientError', () => undefined);
  server.maxConnections = limits.maxConnections;
  // headersTimeout does not cover a client that never sends a byte: an idle socket is closed too
  // (upgraded WebSockets clear it; keep-alive idles out sooner, at keepAliveTimeout).
  server.timeout = limits.headersTimeoutMs;
  const perPeer = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => undefined);
    const peer = socket.remoteAddress ?? '?';
    const open = (perPeer.get(peer) ?? 0) + 1;
    if (open > limits.maxConnectionsPerPeer) {
      log.warn('refused a connection: too many from one peer', {
        server: name,
        peer,
        limit: limits.maxConnectionsPerPeer,
      });
      socket.destroy();
      return;
    }
    perPeer.set(peer, open);
    socket.once('close', () => {
      const n = (perPeer.get(peer) ?? 1) - 1;
      if (n <= 0) perPeer.delete(peer);
      else perPeer.set(peer, n);
    });
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (socket.writable && !(socket as Socket).bytesWritten) {
      const status =
        err.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : err.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? '408 Request Timeout'
            : '400 Bad Request';
      return refuse(socket, status);
    }
    socket.destroy();
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    if (onUpgrade?.(req, socket, head)) return;
    refuse(socket, '404 Not Found');
  });
  return server;
}

/** Answer with a bare status and close; a peer that does not read the answer is cut off. */
export function refuse(socket: Duplex, status: string): void {
  if (!socket.writable) return void socket.destroy();
  socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  setTimeout(() => socket.destroy(), 1000).unref();
}

/** The path of a request URL without query or fragment; never throws. */
export function pathOf(req: IncomingMessage): string {
  return /^[^?#]*/.exec(req.url ?? '/')![0];
}
