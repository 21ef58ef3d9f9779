/**
 * TM↔TM data connections. Each TM accepts connections on its data port and dials the peers it
 * sends to; a dialled connection carries this TM's batches and credits to that peer. Frames that
 * break the protocol close the connection that sent them and nothing else.
 *
 * A connection that breaks takes whatever was in flight on it (batches, credits) with it, so it is
 * never silently replaced: both ends report the peer as lost (`onPeerLost`), the TaskManager fails
 * the tasks that exchange data with that peer, and recovery restarts them from a checkpoint.
 *
 * The accepting TM opens with a challenge; the dialler's `hello` answers it (common/protocol/auth.ts)
 * and, with a cluster secret, must prove it holds the secret before any frame of it is taken.
 */
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { ProtocolError } from '../../common/errors';
import { Logger } from '../../common/log';
import { logRefused, newNonce } from '../../common/net/cluster-secret';
import type { Security } from '../../common/net/security-options';
import { DEFAULT_SERVER_LIMITS, guardedServer, type Server } from '../../common/net/server-guard';
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from '../../common/protocol/codec';
import { ChallengeFrame, DataConnectionFrame } from '../../common/protocol/data';
import type { Outgoing } from '../../common/protocol/control';

const log = new Logger('data');

/** The close code of a released connection (WebSocket's normal closure). */
const RELEASED = 1000;

export type InboundHandler = (frame: Exclude<DataConnectionFrame, { t: 'hello' }>, peer: string) => void;

export class DataServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;

  constructor(
    private readonly security: Security,
    private readonly onFrame: InboundHandler,
    private readonly onPeerLost: (peer: string, why: string) => void,
  ) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    this.http = guardedServer(
      'tm-data',
      (_, res) => res.writeHead(404).end(),
      (req, socket, head) => {
        this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
        return true;
      },
      DEFAULT_SERVER_LIMITS,
      security.tls,
    );
    this.wss.on('connection', (ws, req: IncomingMessage) => {
      let peer: string | undefined;
      const nonce = newNonce();
      ws.on('error', () => undefined);
      ws.send(encodeFrame({ t: 'challenge', nonce }));
      ws.on('close', (code) => {
        // 1000: the peer released it after its last frame (no attempt there uses it); nothing is lost.
        if (peer && code !== RELEASED) this.onPeerLost(peer, 'inbound data connection closed');
      });
      ws.on('message', (data, isBinary) => {
        try {
          if (!isBinary) throw new ProtocolError('text frames are not part of the protocol');
          const frame = decodeFrame(DataConnectionFrame, data);
          if (frame.t === 'hello') {
            if (peer) throw new ProtocolError('hello sent twice on one connection');
            const { secret } = this.security;
            if (secret && !secret.verify('tm-data', nonce, frame.proof)) {
              logRefused(
                'a data connection',
                req.socket.remoteAddress,
                `${frame.tmId}: ${frame.proof === undefined ? 'no proof of the cluster secret' : 'wrong proof of the cluster secret'}`,
              );
              return void ws.close(1008, 'authentication failed: the cluster secret is required');
            }
            peer = frame.tmId;
          } else if (!peer) throw new ProtocolError(`"${frame.t}" before hello`);
          else this.onFrame(frame, peer);
        } catch (err) {
          log.warn('closing data connection', { reason: (err as Error).message });
          ws.close(1008, (err as Error).message.slice(0, 120));
        }
      });
    });
  }

  async listen(host: string, port: number): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.http.once('error', reject);
      this.http.listen(port, host, () => resolve());
    });
    return (this.http.address() as AddressInfo).port;
  }

  /** Inbound connections open now. */
  get connections(): number {
    return this.wss.clients.size;
  }

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** A dialled connection to one peer TM; frames wait in order until it has answered the challenge. */
export class PeerConnection {
  private ws: WebSocket;
  private readonly backlog: Uint8Array[] = [];
  private open = false;
  private closedByUs = false;
  private lostReported = false;
  /** Released before it opened: closed once its backlog is sent. */
  private releasing = false;

  constructor(
    readonly address: string,
    private readonly tmId: string,
    private readonly security: Security,
    /** Called once when the connection breaks (or never opens) without `close()`. */
    private readonly onLost: (why: string) => void,
  ) {
    this.ws = this.dial();
  }

  private dial(): WebSocket {
    const ws = new WebSocket(this.address, { maxPayload: MAX_FRAME_BYTES, ca: this.security.tls.ca });
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data) => {
      try {
        if (this.open) throw new ProtocolError('a data connection carries nothing back after the challenge');
        const { nonce } = decodeFrame(ChallengeFrame, data);
        this.open = true;
        ws.send(encodeFrame({ t: 'hello', tmId: this.tmId, proof: this.security.secret?.proof('tm-data', nonce) }));
        for (const b of this.backlog.splice(0)) ws.send(b);
        if (this.releasing) this.closeReleased();
      } catch (err) {
        log.warn('closing data connection', { peer: this.address, reason: (err as Error).message });
        ws.close(1008, (err as Error).message.slice(0, 120));
      }
    });
    let error = '';
    ws.on('error', (err) => {
      error = err.message;
      log.warn('data connection failed', { peer: this.address, error: err.message });
    });
    ws.on('close', (code, reason) => {
      this.open = false;
      this.lost(error || `closed with code ${code}${reason.length ? `: ${reason.toString()}` : ''}`);
    });
    return ws;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount + this.backlog.reduce((n, b) => n + b.length, 0);
  }

  /** Report the loss once, whichever notices first: the close event or a send after it closed. */
  lost(why: string): void {
    if (this.closedByUs || this.lostReported) return;
    this.lostReported = true;
    this.onLost(why);
  }

  get closed(): boolean {
    return this.ws.readyState === WebSocket.CLOSED || this.ws.readyState === WebSocket.CLOSING;
  }

  send(frame: Outgoing<DataConnectionFrame>): void {
    this.sendEncoded(encodeFrame(frame));
  }

  /** A frame already encoded (a data frame from a slot worker). */
  sendEncoded(bytes: Uint8Array): void {
    if (this.open) this.ws.send(bytes);
    else this.backlog.push(bytes);
  }

  close(): void {
    this.closedByUs = true;
    this.ws.terminate();
  }

  /**
   * No attempt here uses the connection any more: it is closed in order (after the frames queued
   * on it), so the peer does not count it as lost, as Flink releases a connection no partition uses.
   */
  release(): void {
    if (this.open) this.closeReleased();
    else this.releasing = true;
  }

  private closeReleased(): void {
    this.closedByUs = true;
    this.ws.close(RELEASED, 'released');
  }
}
