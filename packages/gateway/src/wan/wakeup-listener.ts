/**
 * The one thing the gateway listens for on the WAN: signed wake-up packets over UDP (spec notes
 * §5.2, docs/wakeup.md). A valid packet carries no command and no address; it only makes the
 * gateway call its pre-configured GWA (`onWakeup`). Everything else is dropped and logged
 * (rate-limited through the EventLog, so a flood cannot fill the system log).
 *
 * The replay state is persisted (store state 'wakeup-verifier') BEFORE `onWakeup` runs: a packet
 * replayed after a restart is still refused.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { type Clock, isSmgwError } from '@opensmgw/core';
import { WakeupVerifier, type WakeupVerifierState } from '@opensmgw/security';
import type { EventLog } from '../core/event-log.js';
import type { GatewayStore } from '../store/types.js';

export const WAKEUP_STATE_KEY = 'wakeup-verifier';
/** Larger than any wake-up packet (162 bytes on brainpoolP512r1): read no further. */
export const MAX_WAKEUP_DATAGRAM = 200;

export interface WakeupListenerOptions {
  readonly host: string;
  readonly port: number;
  readonly gatewayId: string;
  /** The GWA's SIG certificates (DER), installed from the bootstrap or by the GWA. */
  readonly gwaSignatureCertificates: readonly Uint8Array[];
  /** The gateway's time (GatewayTime): the packet's time window is checked against it. */
  readonly clock: Clock;
  readonly store: Pick<GatewayStore, 'getState' | 'setState'>;
  readonly events: EventLog;
  readonly onWakeup: () => void;
  readonly windowMs?: number;
}

export type WakeupOutcome = 'accepted' | 'rejected' | 'oversized';

export class WakeupListener {
  readonly #o: WakeupListenerOptions;
  readonly #verifier: WakeupVerifier;
  #socket: Socket | undefined;

  constructor(o: WakeupListenerOptions) {
    this.#o = o;
    const saved = o.store.getState<WakeupVerifierState>(WAKEUP_STATE_KEY);
    this.#verifier = new WakeupVerifier({
      gatewayId: o.gatewayId,
      gwaCertificates: o.gwaSignatureCertificates,
      clock: o.clock,
      ...(o.windowMs === undefined ? {} : { windowMs: o.windowMs }),
    });
    // restoreState checks the saved shape; a damaged state is refused loudly (BAD_ARGUMENT)
    // rather than silently reopening the replay window.
    if (saved !== undefined) this.#verifier.restoreState(saved);
  }

  /** Binds the UDP socket; resolves with the bound port (port 0 picks one). */
  start(): Promise<number> {
    if (this.#socket) return Promise.resolve((this.#socket.address() as AddressInfo).port);
    const socket = createSocket({ type: 'udp4', recvBufferSize: 64 * 1024 });
    this.#socket = socket;
    socket.on('message', (msg: Buffer, from: RemoteInfo) => {
      // The sender's address without its port is the log subject: the rate limit counts per
      // subject, and a flooder picks a new source port per datagram at no cost.
      this.receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), from.address);
    });
    socket.on('error', () => {
      // A UDP socket's errors (e.g. ICMP-reported) must not end the gateway; nothing to answer.
    });
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.#o.port, this.#o.host, () => {
        socket.removeListener('error', reject);
        resolve((socket.address() as AddressInfo).port);
      });
    });
  }

  async stop(): Promise<void> {
    const s = this.#socket;
    this.#socket = undefined;
    if (s) await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Checks one datagram (the socket's handler; public so tests can drive it on a FakeClock). */
  receive(bytes: Uint8Array, from = 'unknown'): WakeupOutcome {
    if (bytes.length > MAX_WAKEUP_DATAGRAM) {
      this.#reject('SMGW_WAN_WAKEUP_OVERSIZED', `datagram of ${bytes.length} bytes dropped unread`, from);
      return 'oversized';
    }
    let packet: ReturnType<WakeupVerifier['verify']>;
    try {
      packet = this.#verifier.verify(bytes);
    } catch (e) {
      const code = isSmgwError(e) ? e.code : 'SMGW_CORE_INTERNAL';
      this.#reject(code, isSmgwError(e) ? e.message : 'wake-up check failed', from);
      return 'rejected';
    }
    try {
      this.#o.store.setState(WAKEUP_STATE_KEY, this.#verifier.exportState());
    } catch {
      // Without the persisted state a replay after a restart would pass: do not act on it.
      this.#reject(
        'SMGW_WAN_WAKEUP_UNSAVED',
        'accepted wake-up not acted on: its replay state could not be saved',
        from,
      );
      return 'rejected';
    }
    this.#o.events.record('system', {
      level: 1,
      outcome: 0,
      event: 'WAKEUP_ACCEPTED',
      message: `wake-up accepted (timestamp ${new Date(packet.timestampMs).toISOString()}, sequence ${packet.sequence})`,
      subject: from,
    });
    this.#o.onWakeup();
    return 'accepted';
  }

  #reject(code: string, message: string, from: string): void {
    this.#o.events.record('system', {
      level: 2,
      outcome: 1,
      event: 'WAKEUP_REJECTED',
      message: `${code}: ${message}`.slice(0, 2048),
      subject: from,
    });
  }
}
