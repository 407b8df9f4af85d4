/**
 * The simulated radio medium (docs/wire-protocols.md, "Simulated radio"): one UDP datagram per
 * wM-Bus frame, exactly as a receiver delivers it (format A with CRCs, from the L field), sent
 * to the gateway's LMN radio port. Nothing comes back: T1/C1 meters are unidirectional.
 */
import { createSocket, type Socket } from 'node:dgram';
import { isIP } from 'node:net';
import { DevicesError } from './errors.js';

export interface RadioTarget {
  readonly host: string;
  readonly port: number;
}

/** Largest wM-Bus frame in format A: L = 255 plus the CRCs of 17 blocks. */
const MAX_FRAME = 255 + 1 + 2 * 17;

/** Parses `udp://HOST:PORT` (HOST an IPv4 address, `[IPv6]` or a name). */
export function radioTarget(text: string): RadioTarget {
  const fail = (why: string) =>
    new DevicesError('SMGW_DEV_BAD_TARGET', `radio ${JSON.stringify(String(text).slice(0, 100))}: ${why}`);
  if (typeof text !== 'string' || text.length > 300) throw fail('expected udp://HOST:PORT');
  const m = /^udp:\/\/(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(text);
  if (m === null) throw fail('expected udp://HOST:PORT');
  const host = (m[1] as string).replace(/^\[(.*)\]$/, '$1');
  if ((m[1] as string).startsWith('[') && isIP(host) !== 6) throw fail('bad IPv6 address');
  const port = Number(m[2]);
  if (port < 1 || port > 65535) throw fail('port must be 1..65535');
  return { host, port };
}

/** Something that puts frames on the air (the UDP sender, or a test's collector). */
export interface RadioSender {
  send(frame: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export class UdpRadioSender implements RadioSender {
  readonly target: RadioTarget;
  readonly #socket: Socket;
  #closed = false;

  constructor(target: RadioTarget) {
    this.target = target;
    this.#socket = createSocket(isIP(target.host) === 6 ? 'udp6' : 'udp4');
    // A send error is reported through send()'s promise; keep the socket's own 'error' quiet.
    this.#socket.on('error', () => {});
  }

  /** Sends one frame as one datagram. */
  send(frame: Uint8Array): Promise<void> {
    if (this.#closed) return Promise.reject(new DevicesError('SMGW_DEV_IO', 'radio sender is closed'));
    if (frame.length === 0 || frame.length > MAX_FRAME) {
      return Promise.reject(
        new DevicesError('SMGW_DEV_BAD_ARGUMENT', `a frame of ${frame.length} bytes is no wM-Bus frame`),
      );
    }
    return new Promise((resolve, reject) => {
      this.#socket.send(frame, this.target.port, this.target.host, (e) =>
        e ? reject(new DevicesError('SMGW_DEV_IO', `radio send failed: ${e.message}`, { cause: e })) : resolve(),
      );
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
