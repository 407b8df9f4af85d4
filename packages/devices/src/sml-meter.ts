/**
 * A simulated wired/IP electricity meter that pushes SML over TLS to the gateway's LMN port
 * (docs/wire-protocols.md, "SML meter over TLS"; spec notes §3.5, §8.1):
 *
 * - TLS client with the LMN client profile: its own self-signed LMN certificate and key, the
 *   gateway's LMN certificate pinned (no other server is accepted).
 * - One SML file per interval (transport v1: escape sequences, CRC-16/X.25) holding
 *   OpenResponse, GetListResponse (1-0:1.8.0 energy in Wh with scaler -1, 1-0:16.7.0 power in W)
 *   and CloseResponse. A reading taken while disconnected waits; a newer one replaces it.
 * - Reconnects with exponential backoff. It offers the previous TLS session for resumption only
 *   while the LMN session policy allows it (31 days, 5,000,000 application bytes; the
 *   SessionLedger); after a limit, a full handshake.
 * - Each value goes to the sent log after the TLS write completed.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { isSmgwError, type SmgwError, type TimerClock, type TimerHandle } from '@opensmgw/core';
import {
  connectWithProfile,
  lmnClientProfile,
  SessionLedger,
  sessionPolicy,
  type TlsClientProfile,
  type TlsKeyReference,
} from '@opensmgw/security';
import { encodeMeterReading } from '@opensmgw/sml';
import { ConsumptionCurve, type ConsumptionReading } from './consumption.js';
import { DevicesError } from './errors.js';
import type { SentLog } from './sent-log.js';
import { type SentValue, sentValuesOf } from './sent-value.js';

export interface SmlMeterBackoff {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const DEFAULT_SML_BACKOFF: SmlMeterBackoff = { initialMs: 1000, maxMs: 60_000 };

export interface SmlTlsMeterOptions {
  readonly meterId: string;
  /** The meter's LMN TLS key (from its security module's `tlsKey`). */
  readonly key: TlsKeyReference;
  /** The meter's self-signed LMN certificate (PEM). */
  readonly certificatePem: string;
  /** The gateway's LMN certificate (PEM), pinned. */
  readonly gatewayCertificatePem: string;
  readonly host: string;
  readonly port: number;
  readonly intervalSeconds: number;
  readonly clock: TimerClock;
  readonly seed: number;
  readonly sentLog?: SentLog;
  /** Files to send, then the meter is done; default: until stop(). */
  readonly count?: number;
  readonly backoff?: SmlMeterBackoff;
  /** SML server ID; default 0A 01 'OSM' 00 + 4 bytes of SHA-256(meterId). */
  readonly serverId?: Uint8Array;
  /** After each file went out (and was logged). */
  readonly onSent?: (s: { readonly fileId: number; readonly sent: readonly SentValue[] }) => void;
  /** A value that went out but could not be written to the sent log. */
  readonly onError?: (e: SmgwError) => void;
  /** Connection events, for progress lines. */
  readonly onConnection?: (e: SmlMeterConnectionEvent) => void;
}

export type SmlMeterConnectionEvent =
  | { readonly kind: 'connected'; readonly resumed: boolean }
  | { readonly kind: 'disconnected'; readonly retryInMs: number; readonly error?: SmgwError };

const METER_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

function bad(message: string): DevicesError {
  return new DevicesError('SMGW_DEV_BAD_ARGUMENT', message);
}

export function defaultServerId(meterId: string): Uint8Array {
  const h = createHash('sha256').update(meterId).digest();
  return Uint8Array.of(
    0x0a,
    0x01,
    0x4f,
    0x53,
    0x4d,
    0x00,
    h[0] as number,
    h[1] as number,
    h[2] as number,
    h[3] as number,
  );
}

/** A failed connection as a typed error: OpenSSL's and the socket's own errors carry only a Node code. */
function connectError(e: unknown): SmgwError {
  if (isSmgwError(e)) return e;
  const code = (e as { code?: unknown })?.code;
  const reason = typeof code === 'string' ? code : 'unknown';
  return new DevicesError('SMGW_DEV_CONNECT', `connection to the gateway failed: ${reason}`, {
    cause: e,
    detail: { reason },
  });
}

export class SmlTlsMeter {
  readonly meterId: string;
  readonly done: Promise<void>;
  readonly ledger: SessionLedger;
  readonly #o: SmlTlsMeterOptions;
  readonly #profile: TlsClientProfile;
  readonly #backoff: SmlMeterBackoff;
  readonly #serverId: Uint8Array;
  readonly #curve: ConsumptionCurve;
  #socket: TLSSocket | undefined;
  #connecting = false;
  #session: Buffer | undefined;
  #tick: TimerHandle | undefined;
  #retry: TimerHandle | undefined;
  #retryDelay: number;
  #pending: ConsumptionReading | undefined;
  #writing = false;
  #fileId = 0;
  #sentFiles = 0;
  #stopped = false;
  #started = false;
  #resolveDone: () => void = () => {};

  constructor(options: SmlTlsMeterOptions) {
    if (!METER_ID.test(String(options.meterId))) throw bad('meterId: letters, digits, . _ -; at most 64');
    if (!Number.isInteger(options.intervalSeconds) || options.intervalSeconds < 1 || options.intervalSeconds > 86_400)
      throw bad('intervalSeconds must be an integer in 1..86400');
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65535) throw bad('port must be 1..65535');
    if (options.count !== undefined && (!Number.isInteger(options.count) || options.count < 1))
      throw bad('count must be a positive integer');
    const backoff = options.backoff ?? DEFAULT_SML_BACKOFF;
    if (!(backoff.initialMs > 0 && backoff.maxMs >= backoff.initialMs)) throw bad('backoff: 0 < initialMs <= maxMs');
    this.meterId = options.meterId;
    this.#o = options;
    this.#backoff = backoff;
    this.#retryDelay = backoff.initialMs;
    this.#serverId = options.serverId ?? defaultServerId(options.meterId);
    this.#profile = lmnClientProfile({
      key: options.key,
      certificates: options.certificatePem,
      trust: { kind: 'pinned', certificates: [options.gatewayCertificatePem] },
      clock: options.clock,
    });
    this.ledger = new SessionLedger({ policy: sessionPolicy('lmn'), clock: options.clock });
    this.#curve = new ConsumptionCurve({ medium: 'electricity', seed: options.seed, energyScaler: -1 });
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  get connected(): boolean {
    return this.#socket !== undefined;
  }

  /** Connects and takes the first reading now, then one per interval. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#connect();
    this.#armTick(0);
  }

  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#tick?.cancel();
    this.#retry?.cancel();
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket !== undefined && !socket.destroyed) {
      await new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end();
        // a peer that does not answer the close: do not wait for it
        const t = this.#o.clock.setTimer(2000, () => socket.destroy());
        socket.once('close', () => t.cancel());
      });
    }
    this.#resolveDone();
  }

  #armTick(delayMs: number): void {
    this.#tick = this.#o.clock.setTimer(delayMs, () => {
      if (this.#stopped) return;
      const now = this.#o.clock.now();
      this.#pending = this.#curve.read(now);
      this.#armTick(this.#o.intervalSeconds * 1000);
      this.#flush();
    });
  }

  #connect(): void {
    if (this.#stopped || this.#connecting || this.#socket !== undefined) return;
    this.#connecting = true;
    connectWithProfile(this.#profile, {
      host: this.#o.host,
      port: this.#o.port,
      ...(this.#session === undefined ? {} : { session: this.#session }),
      sessionPolicy: {
        ledger: this.ledger,
        // the session reached its age or byte limit: the next connection is a full handshake
        onLimit: () => {
          this.#session = undefined;
        },
      },
    }).then(
      (socket) => {
        this.#connecting = false;
        if (this.#stopped) {
          socket.destroy();
          return;
        }
        this.#socket = socket;
        this.#retryDelay = this.#backoff.initialMs;
        const resumed = socket.isSessionReused();
        this.#session = socket.getSession() ?? this.#session;
        socket.on('session', (s: Buffer) => {
          this.#session = s;
        });
        socket.on('error', () => {});
        // The gateway sends nothing the meter needs; read to keep the stream flowing.
        socket.on('data', () => {});
        socket.once('close', () => this.#disconnected(socket));
        this.#o.onConnection?.({ kind: 'connected', resumed });
        this.#flush();
      },
      (e: unknown) => {
        this.#connecting = false;
        this.#scheduleRetry(connectError(e));
      },
    );
  }

  #disconnected(socket: TLSSocket): void {
    if (this.#socket !== socket) return;
    this.#socket = undefined;
    this.#scheduleRetry();
  }

  #scheduleRetry(error?: SmgwError): void {
    if (this.#stopped) return;
    const delay = this.#retryDelay;
    this.#retryDelay = Math.min(this.#backoff.maxMs, this.#retryDelay * 2);
    this.#o.onConnection?.({ kind: 'disconnected', retryInMs: delay, ...(error === undefined ? {} : { error }) });
    this.#retry = this.#o.clock.setTimer(delay, () => {
      this.#retry = undefined;
      this.#connect();
    });
  }

  #flush(): void {
    const socket = this.#socket;
    const reading = this.#pending;
    if (socket === undefined || reading === undefined || this.#writing || this.#stopped) return;
    this.#pending = undefined;
    this.#fileId += 1;
    const fileId = this.#fileId;
    const frame = encodeMeterReading({
      serverId: this.#serverId,
      fileId,
      values: reading.values.map((v) => ({
        obis: v.quantity === 'energy' ? '1-0:1.8.0*255' : '1-0:16.7.0*255',
        value: v.value,
        unit: v.unit,
        scaler: v.scaler,
      })),
    });
    const sent = sentValuesOf(this.meterId, 'electricity', reading.values, fileId, reading.atMs);
    this.#writing = true;
    socket.write(frame, (e) => {
      this.#writing = false;
      if (e) {
        // not sent: keep the reading unless a newer one arrived meanwhile
        this.#pending ??= reading;
        return;
      }
      try {
        this.#o.sentLog?.append(sent);
      } catch (e) {
        this.#o.onError?.(isSmgwError(e) ? e : new DevicesError('SMGW_DEV_IO', 'sent log', { cause: e }));
      }
      this.#o.onSent?.({ fileId, sent });
      this.#sentFiles += 1;
      if (this.#o.count !== undefined && this.#sentFiles >= this.#o.count) {
        void this.stop();
        return;
      }
      this.#flush();
    });
  }
}
