/**
 * A simulated CLS device in the HAN (spec notes §9.2): a PV inverter whose feed-in an active EMT
 * (e.g. the grid operator under §14a EnWG) limits through the gateway's CLS proxy.
 *
 * - HKS3: `connect()` opens HAN TLS 1.2 to the gateway's CLS port (HAN client profile, its own
 *   self-signed certificate, the gateway's HAN certificate pinned). It names no target: the
 *   gateway decides where the channel goes (its CLS profile).
 * - HKS4: `listen()` accepts the gateway (HAN server profile, the gateway's certificate pinned)
 *   when the EMT started the channel.
 * - Inside the channel: JSON lines (protocol cls.ts). `set-power-limit {id, watts}` sets the
 *   limit and answers `ack {id, watts}`; anything else answers `error` (or closes the channel
 *   when a line is too long). The gateway never reads these lines.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Clock } from '@opensmgw/core';
import {
  ClsLineSplitter,
  type ClsMessage,
  encodeClsMessage,
  MAX_POWER_LIMIT_WATTS,
  parseClsMessage,
} from '@opensmgw/protocol';
import {
  connectWithProfile,
  createProfileServer,
  hanClientProfile,
  hanServerProfile,
  type ProfileServer,
  type TlsKeyReference,
} from '@opensmgw/security';
import { DevicesError } from './errors.js';

export interface ClsDeviceOptions {
  /** The device's HAN TLS key. */
  readonly key: TlsKeyReference;
  /** The device's self-signed HAN certificate (PEM); the GWA pins it in the device's CLS profile. */
  readonly certificatePem: string;
  /** The gateway's HAN certificate (PEM), pinned: no other peer is accepted. */
  readonly gatewayCertificatePem: string;
  /** Certificate validity. */
  readonly clock: Clock;
  /** The inverter's rated power (W); the limit never exceeds it. Default 10,000 W. */
  readonly ratedWatts?: number;
  /** Called after each command was answered (what the device did, for tests and logs). */
  readonly onCommand?: (command: ClsMessage, answer: ClsMessage) => void;
}

export interface ClsDeviceTarget {
  readonly host: string;
  readonly port: number;
  /** TLS server name to send (normally none: the gateway is reached by address). */
  readonly servername?: string;
  readonly timeoutMs?: number;
}

export class ClsDevice {
  readonly #o: ClsDeviceOptions;
  readonly #rated: number;
  readonly #sockets = new Set<TLSSocket>();
  #server: ProfileServer | undefined;
  #limit: number;

  constructor(options: ClsDeviceOptions) {
    const rated = options.ratedWatts ?? 10_000;
    if (!Number.isInteger(rated) || rated < 1 || rated > MAX_POWER_LIMIT_WATTS) {
      throw new DevicesError(
        'SMGW_DEV_BAD_ARGUMENT',
        `ratedWatts must be an integer from 1 to ${MAX_POWER_LIMIT_WATTS}`,
      );
    }
    this.#o = options;
    this.#rated = rated;
    this.#limit = rated;
  }

  /** The power limit in force (W); the rated power until an EMT set one. */
  get powerLimitWatts(): number {
    return this.#limit;
  }

  /** Open channels (either direction). */
  get connectionCount(): number {
    return this.#sockets.size;
  }

  /** HKS3: connects to the gateway's CLS port; resolves when the TLS channel to the gateway is up. */
  async connect(target: ClsDeviceTarget): Promise<TLSSocket> {
    const profile = hanClientProfile({
      key: this.#o.key,
      certificates: this.#o.certificatePem,
      trust: { kind: 'pinned', certificates: [this.#o.gatewayCertificatePem] },
      clock: this.#o.clock,
    });
    let socket: TLSSocket;
    try {
      socket = await connectWithProfile(profile, {
        host: target.host,
        port: target.port,
        ...(target.servername === undefined ? {} : { servername: target.servername }),
        signal: AbortSignal.timeout(target.timeoutMs ?? 15_000),
      });
    } catch (e) {
      throw new DevicesError('SMGW_DEV_CONNECT', `cannot reach the gateway's CLS port ${target.host}:${target.port}`, {
        cause: e,
      });
    }
    this.#serve(socket);
    return socket;
  }

  /** HKS4: accepts the gateway on host:port (0: any free port). */
  listen(host: string, port: number): Promise<{ port: number }> {
    if (this.#server !== undefined)
      return Promise.reject(new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'already listening'));
    const profile = hanServerProfile({
      key: this.#o.key,
      certificates: this.#o.certificatePem,
      trust: { kind: 'pinned', certificates: [this.#o.gatewayCertificatePem] },
      clock: this.#o.clock,
    });
    const server = createProfileServer(profile, { onConnection: (s) => this.#serve(s), sessionCache: false });
    server.on('tlsClientError', () => {}); // a refused peer is simply not served
    server.on('connection', (raw: Socket) => void raw.remoteAddress);
    this.#server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.removeListener('error', reject);
        const a = server.address();
        resolve({ port: typeof a === 'object' && a !== null ? a.port : port });
      });
    });
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    const server = this.#server;
    this.#server = undefined;
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #serve(socket: TLSSocket): void {
    this.#sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => this.#sockets.delete(socket));
    const lines = new ClsLineSplitter();
    socket.on('data', (chunk: Buffer) => {
      let received: Uint8Array[];
      try {
        received = lines.push(chunk);
      } catch {
        socket.destroy(); // a line longer than the protocol allows: the stream cannot be trusted
        return;
      }
      for (const line of received) {
        if (line.length === 0) continue;
        const answer = this.#answer(line);
        socket.write(encodeClsMessage(answer.reply));
        if (answer.command !== undefined) this.#o.onCommand?.(answer.command, answer.reply);
      }
    });
  }

  #answer(line: Uint8Array): { command?: ClsMessage; reply: ClsMessage } {
    let m: ClsMessage;
    try {
      m = parseClsMessage(line);
    } catch {
      return { reply: { type: 'error', id: 'invalid', code: 'BAD_MESSAGE', message: 'not a CLS message' } };
    }
    if (m.type !== 'set-power-limit') {
      return { command: m, reply: { type: 'error', id: m.id, code: 'UNSUPPORTED', message: `cannot do ${m.type}` } };
    }
    if (m.watts > this.#rated) {
      return {
        command: m,
        reply: { type: 'error', id: m.id, code: 'ABOVE_RATED', message: `limit above rated power ${this.#rated} W` },
      };
    }
    this.#limit = m.watts;
    return { command: m, reply: { type: 'ack', id: m.id, watts: m.watts } };
  }
}
