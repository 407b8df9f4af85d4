/**
 * The LMN TLS server for wired/IP meters (spec notes §3.5; docs/wire-protocols.md "SML meter
 * over TLS"): meters connect with their self-signed LMN certificate, which the gateway pins from
 * the meter profiles, and push SML files (transport v1) holding GetListResponse register values.
 *
 * - TLS: lmnServerProfile + createProfileServer (TLS 1.2, the TR-03116-3 suites and groups,
 *   mutual authentication against the pins). Session limits 31 days / 5 MB through a
 *   SessionLedger with DEFAULT_SESSION_POLICIES.lmn.
 * - The meter is identified by the SHA-256 fingerprint of the certificate it authenticated
 *   with, never by the server ID inside SML. The fingerprint is checked on every connection,
 *   resumed ones included: a session resumed after its meter was removed is refused.
 * - updateMeters: new pins apply to new handshakes (the secure context is replaced and the
 *   peer check delegates to the current profile); open connections of meters no longer
 *   active are closed.
 * - The SML stream is decoded incrementally with a bounded frame size; anything that is not a
 *   well-formed SML frame (garbage between frames, a damaged or oversize frame, an undecodable
 *   file) drops the connection with a system-log event.
 * - Capture time: the entry's valTime when it is an absolute time (timestamp or local
 *   timestamp), else the receive time. Values are stored with counter null: the TLS session
 *   protects the stream against replay.
 */
import { createHash, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isSmgwError, type TimerClock } from '@opensmgw/core';
import type { MeterProfile } from '@opensmgw/protocol';
import {
  createProfileServer,
  DEFAULT_SESSION_POLICIES,
  lmnServerProfile,
  type ProfileServer,
  SessionLedger,
  type SessionPolicy,
  type TlsKeyReference,
  type TlsServerProfile,
} from '@opensmgw/security';
import type { EventLog } from '../core/event-log.js';
import { listenTcp } from '../listen.js';
import type { GatewayStore } from '../store/types.js';
import { LmnError } from './errors.js';
import { type SmlMeterChannels, SmlReadingStream, type SmlStamp } from './sml-readings.js';

export interface SmlMeterServerOptions {
  readonly store: GatewayStore;
  readonly events: EventLog;
  readonly clock: TimerClock;
  /** The gateway's LMN TLS key (security module slot `lmn-tls`). */
  readonly key: TlsKeyReference;
  /** The gateway's self-signed LMN certificate (PEM). */
  readonly certificatePem: string;
  readonly host: string;
  /** 0: any free port. */
  readonly port: number;
  readonly statusWord: () => number;
  /** Largest SML transport frame accepted on the wire. Default 64 KiB. */
  readonly maxFrameBytes?: number;
  /** Most simultaneous connections. Default 256. */
  readonly maxConnections?: number;
  /** Default DEFAULT_SESSION_POLICIES.lmn (31 days, 5,000,000 bytes). */
  readonly sessionPolicy?: SessionPolicy;
}

interface SmlMeter extends SmlMeterChannels {
  readonly certificatePem: string;
}

interface Connection {
  readonly meter: SmlMeter;
  readonly fingerprint: string;
  readonly stream: SmlReadingStream;
  readonly remote: string;
}

/** SHA-256 over the certificate's DER, lower-case hex. */
export function certificateFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export class SmlMeterServer {
  readonly #o: SmlMeterServerOptions;
  readonly #ledger: SessionLedger;
  readonly #maxFrameBytes: number;
  #meters = new Map<string, SmlMeter>();
  #profile: TlsServerProfile;
  #server: ProfileServer | undefined;
  readonly #connections = new Map<TLSSocket, Connection>();
  #closed = false;

  constructor(options: SmlMeterServerOptions) {
    this.#o = options;
    this.#maxFrameBytes = options.maxFrameBytes ?? 64 * 1024;
    this.#ledger = new SessionLedger({
      policy: options.sessionPolicy ?? DEFAULT_SESSION_POLICIES.lmn,
      clock: options.clock,
    });
    this.#profile = this.#buildProfile();
  }

  /** Open, authenticated meter connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /**
   * Takes the current meter profiles: the pinned certificates of active 'tls-sml' meters. New
   * handshakes use the new pins at once; connections of meters no longer listed are closed.
   */
  updateMeters(profiles: readonly MeterProfile[]): void {
    const meters = new Map<string, SmlMeter>();
    for (const p of profiles) {
      if (!p.active || p.access.type !== 'tls-sml') continue;
      let fp: string;
      try {
        fp = certificateFingerprint(new X509Certificate(p.access.certificatePem).raw);
      } catch {
        this.#event(
          'LMN_PROFILE_CERT_INVALID',
          p.meterId,
          'pinned certificate cannot be parsed; meter not accepted',
          3,
        );
        continue;
      }
      meters.set(fp, { meterId: p.meterId, channels: new Set(p.channels), certificatePem: p.access.certificatePem });
    }
    this.#meters = meters;
    this.#profile = this.#buildProfile();
    this.#server?.setSecureContext(this.#profile.options);
    for (const [socket, c] of this.#connections) {
      const now = meters.get(c.fingerprint);
      if (now === undefined || now.meterId !== c.meter.meterId) {
        this.#drop(socket, 'LMN_METER_REMOVED', c.meter.meterId, 'meter profile removed or deactivated', 1);
      } else {
        // Same meter: later readings use its current channels.
        this.#connections.set(socket, { ...c, meter: now });
      }
    }
  }

  listen(): Promise<{ port: number }> {
    if (this.#server !== undefined || this.#closed) {
      return Promise.reject(new LmnError('SMGW_LMN_STATE', 'listen: already listening or closed'));
    }
    // The peer check runs on the profile current at each handshake (createProfileServer reads
    // `verifyPeer` per connection), so pins added later are accepted without a restart.
    const live: TlsServerProfile = { ...this.#profile, verifyPeer: (chain) => this.#profile.verifyPeer(chain) };
    const server = createProfileServer(live, {
      onConnection: (socket) => this.#onConnection(socket),
      sessionPolicy: {
        ledger: this.#ledger,
        onLimit: (e) => this.#event('LMN_TLS_SESSION_LIMIT', undefined, `session closed: ${e.limit}`, 1, 0),
      },
    });
    server.maxConnections = this.#o.maxConnections ?? 256;
    // Read the peer address while the TCP socket is fresh: a handshake OpenSSL aborts leaves a
    // destroyed TLSSocket that no longer knows it (node:net caches the first answer).
    server.on('connection', (raw: Socket) => void raw.remoteAddress);
    server.on('tlsClientError', (err: Error, socket: TLSSocket) => this.#onHandshakeError(err, socket));
    this.#server = server;
    return listenTcp(server, this.#o.port, this.#o.host, (e) =>
      this.#event('LMN_TLS_SERVER_ERROR', undefined, e.message, 3),
    ).catch((e: unknown) => {
      this.#server = undefined;
      throw e;
    });
  }

  /** Stops accepting, closes every meter connection. */
  async close(): Promise<void> {
    this.#closed = true;
    const server = this.#server;
    this.#server = undefined;
    for (const socket of this.#connections.keys()) socket.destroy();
    this.#connections.clear();
    if (server !== undefined) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #buildProfile(): TlsServerProfile {
    const pins = [...this.#meters.values()].map((m) => m.certificatePem);
    return lmnServerProfile({
      key: this.#o.key,
      certificates: this.#o.certificatePem,
      // Pinned trust needs at least one certificate. With no SML meter configured, the gateway's
      // own certificate stands in: no meter holds its key, and a peer presenting it still has
      // no meter profile (fingerprint check in #onConnection).
      trust: { kind: 'pinned', certificates: pins.length > 0 ? pins : [this.#o.certificatePem] },
      clock: this.#o.clock,
    });
  }

  #onHandshakeError(err: Error, socket: TLSSocket | undefined): void {
    const e = err as Error & { code?: unknown; detail?: { reason?: unknown } };
    const reason =
      isSmgwError(err) && typeof e.detail?.reason === 'string'
        ? `${e.code}: ${e.detail.reason}`
        : typeof e.code === 'string'
          ? e.code
          : err.message.slice(0, 200);
    const remote = socket?.remoteAddress ?? (socket as { _parent?: Socket } | undefined)?._parent?.remoteAddress;
    this.#event('LMN_TLS_REFUSED', remote ?? 'unknown peer', `TLS handshake refused: ${reason}`);
  }

  #onConnection(socket: TLSSocket): void {
    const remote = socket.remoteAddress ?? 'unknown peer';
    socket.on('error', () => {}); // reported through close/limits; never an unhandled 'error'
    const der = socket.getPeerCertificate(false)?.raw;
    const fingerprint = der instanceof Uint8Array && der.length > 0 ? certificateFingerprint(der) : '';
    const meter = this.#meters.get(fingerprint);
    if (this.#closed || meter === undefined) {
      this.#event('LMN_TLS_REFUSED', remote, 'TLS peer refused: no active meter profile pins its certificate');
      socket.destroy();
      return;
    }
    const c: Connection = {
      meter,
      fingerprint,
      remote,
      stream: new SmlReadingStream({ maxFrameBytes: this.#maxFrameBytes }),
    };
    this.#connections.set(socket, c);
    socket.on('data', (chunk: Buffer) => this.#onData(socket, chunk));
    socket.on('close', () => this.#connections.delete(socket));
  }

  #onData(socket: TLSSocket, chunk: Buffer): void {
    const c = this.#connections.get(socket);
    if (c === undefined) return;
    const result = c.stream.push(c.meter, chunk, () => this.#stamp());
    for (const readings of result.files) {
      if (readings.length === 0) continue;
      try {
        this.#o.store.accept([{ meterId: c.meter.meterId, counter: null, readings }]);
      } catch (e) {
        const why = isSmgwError(e) ? e.code : 'store error';
        this.#event('LMN_STORE_FAILED', c.meter.meterId, `SML values not stored: ${why}`, 3);
      }
    }
    if (result.error !== undefined) this.#drop(socket, 'LMN_MALFORMED', c.meter.meterId, result.error);
  }

  #stamp(): SmlStamp {
    let smgwStatus = 0;
    try {
      smgwStatus = this.#o.statusWord();
    } catch {
      // a broken status source must not lose readings; 0 = no flags
    }
    return { receivedAtMs: this.#o.clock.now(), smgwStatus };
  }

  #drop(socket: TLSSocket, event: string, subject: string, why: string, level: 1 | 2 = 2): void {
    this.#connections.delete(socket);
    this.#event(event, subject, why, level);
    socket.destroy();
  }

  #event(event: string, subject: string | undefined, message: string, level: 1 | 2 | 3 = 2, outcome: 0 | 1 = 1): void {
    try {
      this.#o.events.record('system', {
        level,
        outcome,
        event,
        message,
        ...(subject === undefined ? {} : { subject }),
      });
    } catch {
      // logging must not take the LMN server down
    }
  }
}
