/**
 * TM↔TM data connections. Each TM accepts connections on its data port and dials the peers it
 * sends to; a dialled connection carries this TM's batches and credits to that peer. Frames that
 * break the protocol close the connection that sent them and nothing else.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { ProtocolError } from '../../common/errors';
import { Logger } from '../../common/log';
import { guardedServer } from '../../common/net/server-guard';
import { decodeFrame, encodeFrame, MAX_FRAME_BYTES } from '../../common/protocol/codec';
import { DataConnectionFrame } from '../../common/protocol/data';

const log = new Logger('data');

export type InboundHandler = (frame: Exclude<DataConnectionFrame, { t: 'hello' }>) => void;

export class DataServer {
  private readonly http: Server;
  private readonly wss: WebSocketServer;

  constructor(private readonly onFrame: InboundHandler) {
    this.wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
    this.http = guardedServer(
      'tm-data',
      (_, res) => res.writeHead(404).end(),
      (req, socket, head) => {
        this.wss.handleUpgrade(req, socket, head, (ws) => this.wss.emit('connection', ws, req));
        return true;
      },
    );
    this.wss.on('connection', (ws) => {
      ws.on('error', () => undefined);
      ws.on('message', (data, isBinary) => {
        try {
          if (!isBinary) throw new ProtocolError('text frames are not part of the protocol');
          const frame = decodeFrame(DataConnectionFrame, data);
          if (frame.t !== 'hello') this.onFrame(frame);
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

  async close(): Promise<void> {
    for (const c of this.wss.clients) c.terminate();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }
}

/** A dialled connection to one peer TM; frames wait in order until it is open. */
export class PeerConnection {
  private ws: WebSocket;
  private readonly backlog: Buffer[] = [];
  private open = false;

  constructor(
    readonly address: string,
    private readonly tmId: string,
  ) {
    this.ws = this.dial();
  }

  private dial(): WebSocket {
    const ws = new WebSocket(this.address, { maxPayload: MAX_FRAME_BYTES });
    ws.binaryType = 'nodebuffer';
    ws.on('open', () => {
      this.open = true;
      ws.send(encodeFrame({ t: 'hello', tmId: this.tmId }));
      for (const b of this.backlog.splice(0)) ws.send(b);
    });
    ws.on('error', (err) => log.warn('data connection failed', { peer: this.address, error: err.message }));
    ws.on('close', () => {
      this.open = false;
    });
    return ws;
  }

  get bufferedBytes(): number {
    return this.ws.bufferedAmount + this.backlog.reduce((n, b) => n + b.length, 0);
  }

  get closed(): boolean {
    return this.ws.readyState === WebSocket.CLOSED || this.ws.readyState === WebSocket.CLOSING;
  }

  send<F extends { t: string }>(frame: F): void {
    const bytes = encodeFrame(frame);
    if (this.open) this.ws.send(bytes);
    else this.backlog.push(bytes);
  }

  close(): void {
    this.ws.terminate();
  }
}
