/**
 * An active EMT back-end (aEMT; spec notes §9.2): the market participant that controls CLS
 * devices (e.g. a grid operator dimming a PV inverter under §14a EnWG) through the gateway's CLS
 * proxy. The gateway, never the device, connects here: a WAN TLS 1.2 server with the EMT's SM-PKI
 * identity (wanServerProfile; the gateway must present an SMGW TLS certificate of the SM-PKI).
 * Inside each channel it speaks the JSON lines of protocol cls.ts with the device behind it:
 * `setPowerLimit` sends `set-power-limit` and resolves with the device's `ack` (or its `error`).
 *
 * Which device is behind a channel is the gateway's business (its CLS profile); the aEMT sees the
 * gateway (client certificate CN) and talks to whatever answers in the channel.
 */
import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { SmgwError } from '@opensmgw/core';
import {
  ClsLineSplitter,
  type ClsMessage,
  encodeClsMessage,
  MAX_POWER_LIMIT_WATTS,
  parseClsMessage,
} from '@opensmgw/protocol';
import { createProfileServer, type ProfileServer, type TlsServerProfile } from '@opensmgw/security';

export type AemtErrorCode =
  /** No answer from the device in time, or the channel closed first. */
  | 'SMGW_AEMT_NO_ANSWER'
  /** The device answered with an error message. */
  | 'SMGW_AEMT_REFUSED'
  /** A bad argument (watts out of range) or a server in the wrong state. */
  | 'SMGW_AEMT_BAD_ARGUMENT';
export class AemtError extends SmgwError<AemtErrorCode> {}

export interface AemtServerOptions {
  /** The EMT's WAN server profile (e.g. entityWanServerProfile for entity 'emt-1'). */
  readonly profile: TlsServerProfile;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  /** Called for each channel the gateway opened. */
  readonly onChannel?: (channel: AemtChannel) => void;
}

/** One proxied channel: the gateway on the wire, a CLS device behind it. */
export class AemtChannel {
  /** The gateway's ID (CN of its TLS client certificate, without the ".SMGW" suffix where present). */
  readonly gatewayId: string;
  readonly #socket: TLSSocket;
  readonly #waiting = new Map<
    string,
    { resolve: (m: ClsMessage) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  /** Messages the device sent that answered nothing we asked (for inspection). */
  readonly unsolicited: ClsMessage[] = [];
  #closed = false;

  constructor(socket: TLSSocket) {
    this.#socket = socket;
    const cn = socket.getPeerCertificate()?.subject?.CN;
    this.gatewayId = typeof cn === 'string' ? cn.replace(/\.SMGW$/, '') : 'unknown';
    const lines = new ClsLineSplitter();
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      let received: Uint8Array[];
      try {
        received = lines.push(chunk);
      } catch {
        this.close();
        return;
      }
      for (const line of received) this.#onLine(line);
    });
    socket.on('close', () => this.#fail('the channel closed'));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Sends a power limit and resolves with the device's acknowledgement (rejects on its error or a timeout). */
  setPowerLimit(watts: number, options: { id?: string; timeoutMs?: number } = {}): Promise<ClsMessage> {
    if (!Number.isInteger(watts) || watts < 0 || watts > MAX_POWER_LIMIT_WATTS) {
      return Promise.reject(new AemtError('SMGW_AEMT_BAD_ARGUMENT', `watts must be 0..${MAX_POWER_LIMIT_WATTS}`));
    }
    if (this.#closed) return Promise.reject(new AemtError('SMGW_AEMT_NO_ANSWER', 'the channel is closed'));
    const id = options.id ?? randomUUID();
    if (this.#waiting.has(id)) return Promise.reject(new AemtError('SMGW_AEMT_BAD_ARGUMENT', `id ${id} in use`));
    return new Promise<ClsMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new AemtError('SMGW_AEMT_NO_ANSWER', `no answer to ${id}`));
      }, options.timeoutMs ?? 10_000);
      this.#waiting.set(id, { resolve, reject, timer });
      this.#socket.write(encodeClsMessage({ type: 'set-power-limit', id, watts }));
    });
  }

  close(): void {
    this.#socket.destroy();
    this.#fail('the channel was closed');
  }

  #onLine(line: Uint8Array): void {
    if (line.length === 0) return;
    let m: ClsMessage;
    try {
      m = parseClsMessage(line);
    } catch {
      return; // not ours to act on; a device speaking garbage gets no command acknowledged
    }
    const w = this.#waiting.get(m.id);
    if (w === undefined || m.type === 'set-power-limit') {
      if (this.unsolicited.length < 1000) this.unsolicited.push(m);
      return;
    }
    this.#waiting.delete(m.id);
    clearTimeout(w.timer);
    if (m.type === 'ack') w.resolve(m);
    else w.reject(new AemtError('SMGW_AEMT_REFUSED', `device refused: ${m.code}`, { detail: { code: m.code } }));
  }

  #fail(why: string): void {
    this.#closed = true;
    for (const [id, w] of this.#waiting) {
      clearTimeout(w.timer);
      w.reject(new AemtError('SMGW_AEMT_NO_ANSWER', `${why} before the answer to ${id}`));
    }
    this.#waiting.clear();
  }
}

export class AemtServer {
  readonly #o: AemtServerOptions;
  readonly #channels = new Set<AemtChannel>();
  readonly #waiters: ((c: AemtChannel) => void)[] = [];
  readonly #queued: AemtChannel[] = [];
  #server: ProfileServer | undefined;

  constructor(options: AemtServerOptions) {
    this.#o = options;
  }

  listen(): Promise<{ port: number }> {
    if (this.#server !== undefined) return Promise.reject(new AemtError('SMGW_AEMT_BAD_ARGUMENT', 'already listening'));
    const server = createProfileServer(this.#o.profile, { onConnection: (s) => this.#onConnection(s) });
    server.on('tlsClientError', () => {}); // a peer that is no SM-PKI gateway is simply not served
    server.on('connection', (raw: Socket) => void raw.remoteAddress);
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port, this.#o.host, () => {
        server.removeListener('error', reject);
        const a = server.address();
        resolve({ port: typeof a === 'object' && a !== null ? a.port : this.#o.port });
      });
    });
  }

  /** Open channels. */
  channels(): AemtChannel[] {
    return [...this.#channels].filter((c) => !c.closed);
  }

  /** The next channel a gateway opens (or one opened earlier and not yet taken). */
  nextChannel(timeoutMs = 10_000): Promise<AemtChannel> {
    const ready = this.#queued.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve, reject) => {
      const waiter = (c: AemtChannel): void => {
        clearTimeout(timer);
        resolve(c);
      };
      const timer = setTimeout(() => {
        const i = this.#waiters.indexOf(waiter);
        if (i !== -1) this.#waiters.splice(i, 1);
        reject(new AemtError('SMGW_AEMT_NO_ANSWER', `no CLS channel within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    for (const c of this.#channels) c.close();
    this.#channels.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #onConnection(socket: TLSSocket): void {
    const channel = new AemtChannel(socket);
    this.#channels.add(channel);
    socket.on('close', () => this.#channels.delete(channel));
    this.#o.onChannel?.(channel);
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) waiter(channel);
    else if (this.#queued.length < 100) this.#queued.push(channel);
  }
}
