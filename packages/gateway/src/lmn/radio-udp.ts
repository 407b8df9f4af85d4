/**
 * The simulated radio (docs/wire-protocols.md "Simulated radio"): one UDP datagram carries one
 * wM-Bus frame, format A from the L field. Nothing is ever sent back (T1/C1 meters are
 * unidirectional).
 *
 * Datagrams arriving in one event-loop turn are handed over together (setImmediate), so the
 * ingest can store a whole burst in one transaction; a batch is bounded in size so one flood
 * cannot build an unbounded array. Empty and oversize datagrams are dropped and counted: a
 * format-A frame is at most 1 + 255 + CRCs bytes, so 300 bytes is the default bound.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { type Clock, systemClock } from '@opensmgw/core';
import { LmnError } from './errors.js';
import type { RadioFrame } from './wmbus-ingest.js';

const DEFAULT_RECV_BUFFER = 4 * 1024 * 1024;

export interface UdpRadioReceiverOptions {
  readonly host: string;
  /** 0: any free port (see `address()`). */
  readonly port: number;
  /** Receives each batch; must not throw (a throw is caught and counted). */
  readonly onFrames: (frames: readonly RadioFrame[]) => void;
  /** Largest datagram taken as a frame. Default 300. */
  readonly maxDatagramBytes?: number;
  /** Most frames per batch; more in one turn start a new batch. Default 512. */
  readonly maxBatch?: number;
  /**
   * Socket receive buffer in bytes. Default 4 MiB: with the OS default (~208 KB) a burst of
   * 10,000 telegrams/s lost a third of them; 4 MiB lost none (bench/gateway-ingest.mjs). The
   * kernel may cap it (net.core.rmem_max).
   */
  readonly recvBufferSize?: number;
  /** Stamps `receivedAtMs` (the gateway's clock). Default the system clock. */
  readonly clock?: Clock;
}

export interface UdpRadioStats {
  readonly frames: number;
  readonly batches: number;
  readonly droppedEmpty: number;
  readonly droppedOversize: number;
  /** Batches whose `onFrames` threw. */
  readonly handlerErrors: number;
}

export class UdpRadioReceiver {
  readonly #options: UdpRadioReceiverOptions;
  readonly #max: number;
  readonly #maxBatch: number;
  readonly #clock: Clock;
  #socket: Socket | undefined;
  #pending: RadioFrame[] = [];
  #scheduled: NodeJS.Immediate | undefined;
  #stats = { frames: 0, batches: 0, droppedEmpty: 0, droppedOversize: 0, handlerErrors: 0 };

  constructor(options: UdpRadioReceiverOptions) {
    const max = options.maxDatagramBytes ?? 300;
    const maxBatch = options.maxBatch ?? 512;
    if (!Number.isInteger(max) || max < 12 || max > 65_507) {
      throw new LmnError('SMGW_LMN_STATE', 'maxDatagramBytes must be an integer from 12 to 65507');
    }
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new LmnError('SMGW_LMN_STATE', 'maxBatch must be ≥ 1');
    this.#options = options;
    this.#max = max;
    this.#maxBatch = maxBatch;
    this.#clock = options.clock ?? systemClock;
  }

  get stats(): UdpRadioStats {
    return { ...this.#stats };
  }

  /** Binds the socket; resolves with the bound port. */
  listen(): Promise<{ port: number }> {
    if (this.#socket !== undefined) return Promise.reject(new LmnError('SMGW_LMN_STATE', 'already listening'));
    const socket = createSocket({
      type: this.#options.host.includes(':') ? 'udp6' : 'udp4',
      recvBufferSize: this.#options.recvBufferSize ?? DEFAULT_RECV_BUFFER,
    });
    this.#socket = socket;
    socket.on('message', (msg, rinfo) => this.#onMessage(msg, rinfo));
    return new Promise((resolve, reject) => {
      const onError = (e: Error): void => {
        this.#socket = undefined;
        socket.close();
        reject(e);
      };
      socket.once('error', onError);
      socket.bind(this.#options.port, this.#options.host, () => {
        socket.removeListener('error', onError);
        // A socket error after binding (e.g. ICMP noise) must not crash the gateway.
        socket.on('error', () => {});
        resolve({ port: socket.address().port });
      });
    });
  }

  address(): { address: string; port: number } {
    if (this.#socket === undefined) throw new LmnError('SMGW_LMN_STATE', 'not listening');
    const a = this.#socket.address();
    return { address: a.address, port: a.port };
  }

  /** Closes the socket; frames already received are still delivered first. */
  async close(): Promise<void> {
    const socket = this.#socket;
    this.#socket = undefined;
    if (this.#scheduled !== undefined) {
      clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
      this.#flush();
    }
    if (socket !== undefined) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  #onMessage(msg: Buffer, _rinfo: RemoteInfo): void {
    if (msg.length === 0) {
      this.#stats.droppedEmpty++;
      return;
    }
    if (msg.length > this.#max) {
      this.#stats.droppedOversize++;
      return;
    }
    // The datagram's Buffer is not reused by Node: a view on it is safe to keep.
    this.#pending.push({
      bytes: new Uint8Array(msg.buffer, msg.byteOffset, msg.length),
      receivedAtMs: this.#clock.now(),
    });
    if (this.#pending.length >= this.#maxBatch) {
      if (this.#scheduled !== undefined) clearImmediate(this.#scheduled);
      this.#scheduled = undefined;
      this.#flush();
      return;
    }
    this.#scheduled ??= setImmediate(() => {
      this.#scheduled = undefined;
      this.#flush();
    });
  }

  #flush(): void {
    if (this.#pending.length === 0) return;
    const batch = this.#pending;
    this.#pending = [];
    this.#stats.frames += batch.length;
    this.#stats.batches++;
    try {
      this.#options.onFrames(batch);
    } catch {
      this.#stats.handlerErrors++;
    }
  }
}
