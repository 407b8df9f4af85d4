/**
 * TLS session limits per interface and the sans-I/O ledger that enforces them (spec notes
 * §3.3-3.5, §17 items 1-2):
 *
 * - WAN: a session, including its resumptions, lasts at most 48 h; then the connection closes
 *   and only a full handshake continues [V, TR-03116-3; TaSK `TlsSessionLifetime = 48h`].
 * - HAN: the same 48 h [V]; connections idle for 10 minutes close [I, Theben IF_GW_CON].
 * - LMN: at most 31 days [V; TaSK `744h`] and at most 5,000,000 bytes of application data
 *   (messages, without the TLS handshake) within that lifetime [I, Theben; probably TR-03109-1, M].
 * - Resumption only inside the lifetime; renegotiation never (the guard in session-guard.ts).
 *
 * All limits are configurable (the GWA may set the lifetime) and take the TR value by default.
 *
 * The ledger knows nothing of sockets: it is told when a session is born (full handshake), how
 * many application bytes cross, and answers whether a resumption may continue and whether a
 * connection must close. Durations run on the Clock's monotonic time, so setting the wall clock
 * (e.g. by the GWA's time service) neither ages nor rejuvenates a session.
 */
import type { TimerClock } from '@opensmgw/core';
import { TlsError } from '../errors.js';

export interface SessionPolicy {
  /** Maximum age of a session from its full handshake, resumptions included. */
  readonly maxSessionAgeMs: number;
  /** Application bytes (both directions, all connections of the session) the session may carry. */
  readonly maxApplicationBytes?: number;
  /** A connection without application data for this long closes (the session stays resumable). */
  readonly idleTimeoutMs?: number;
}

/** The three networks of the gateway (spec notes §2); each has its own TLS profile and session policy. */
export type TlsInterface = 'wan' | 'lmn' | 'han';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export const DEFAULT_SESSION_POLICIES: Readonly<Record<TlsInterface, SessionPolicy>> = {
  wan: { maxSessionAgeMs: 48 * HOUR },
  han: { maxSessionAgeMs: 48 * HOUR, idleTimeoutMs: 10 * 60_000 },
  lmn: { maxSessionAgeMs: 31 * DAY, maxApplicationBytes: 5_000_000 },
};

/** Why a connection closes or a resumption is refused. */
export type SessionLimit =
  /** The session reached its maximum age. */
  | 'max-age'
  /** The session's application-byte budget is used up. */
  | 'max-bytes'
  /** The connection carried no application data for the idle timeout. */
  | 'idle'
  /** The ledger does not know the session (never seen, expired, or invalidated at a limit). */
  | 'unknown-session';

export interface SessionRecord {
  readonly key: string;
  /** Monotonic time of the full handshake. */
  readonly bornAt: number;
  /** Wall time of the full handshake, for logs. */
  readonly bornAtWall: number;
  /** Application bytes so far, all connections and both directions. */
  readonly bytes: number;
}

interface MutableRecord {
  key: string;
  bornAt: number;
  bornAtWall: number;
  bytes: number;
}

function checkLimit(name: string, v: number | undefined): void {
  if (v === undefined || v === Number.POSITIVE_INFINITY) return;
  if (!(Number.isInteger(v) && v > 0)) {
    throw new TlsError('SMGW_TLS_BAD_CONFIG', `session policy ${name} must be a positive integer or Infinity`);
  }
}

/**
 * The policy for an interface: the TR defaults with `overrides` applied. A limit set to
 * Infinity is off (e.g. `{ idleTimeoutMs: Infinity }`).
 */
export function sessionPolicy(iface: TlsInterface, overrides: Partial<SessionPolicy> = {}): SessionPolicy {
  const base = DEFAULT_SESSION_POLICIES[iface];
  if (base === undefined) throw new TlsError('SMGW_TLS_BAD_CONFIG', `no session policy for interface ${iface}`);
  const policy = { ...base, ...overrides };
  checkPolicy(policy);
  return policy;
}

function checkPolicy(policy: SessionPolicy): void {
  if (policy.maxSessionAgeMs === undefined) {
    throw new TlsError('SMGW_TLS_BAD_CONFIG', 'session policy needs maxSessionAgeMs');
  }
  checkLimit('maxSessionAgeMs', policy.maxSessionAgeMs);
  checkLimit('maxApplicationBytes', policy.maxApplicationBytes);
  checkLimit('idleTimeoutMs', policy.idleTimeoutMs);
}

export interface SessionLedgerOptions {
  readonly policy: SessionPolicy;
  /** Monotonic time for ages; timers for the socket guard (session-guard.ts). */
  readonly clock: TimerClock;
  /** Most sessions remembered; the oldest is forgotten first (its next resumption is refused). */
  readonly maxSessions?: number;
}

/**
 * Births and byte counts of TLS sessions, keyed by `tlsSessionIdentity(...).key`. One ledger per
 * endpoint and interface (e.g. the gateway's LMN server). Memory is bounded: sessions past their
 * maximum age are dropped when new ones are born, and at most `maxSessions` are kept.
 */
export class SessionLedger {
  readonly policy: SessionPolicy;
  readonly clock: TimerClock;
  readonly #maxSessions: number;
  /** Insertion order is birth order (monotonic time never goes back). */
  readonly #records = new Map<string, MutableRecord>();
  readonly #invalidateListeners = new Set<(key: string, reason: SessionLimit) => void>();

  constructor(options: SessionLedgerOptions) {
    checkPolicy(options.policy);
    const maxSessions = options.maxSessions ?? 10_000;
    if (!(Number.isInteger(maxSessions) && maxSessions > 0)) {
      throw new TlsError('SMGW_TLS_BAD_CONFIG', 'maxSessions must be a positive integer');
    }
    this.policy = options.policy;
    this.clock = options.clock;
    this.#maxSessions = maxSessions;
  }

  get size(): number {
    return this.#records.size;
  }

  get(key: string): SessionRecord | undefined {
    const r = this.#records.get(key);
    return r === undefined ? undefined : { ...r };
  }

  /** A full handshake made session `key` now. */
  recordFullHandshake(key: string): SessionRecord {
    this.#prune();
    this.#records.delete(key);
    const r: MutableRecord = { key, bornAt: this.clock.monotonic(), bornAtWall: this.clock.now(), bytes: 0 };
    this.#records.set(key, r);
    while (this.#records.size > this.#maxSessions) {
      const oldest = this.#records.keys().next().value;
      if (oldest === undefined) break;
      this.#records.delete(oldest);
    }
    return { ...r };
  }

  /** Why a connection that resumed `key` must not continue, or undefined if it may. */
  checkResumption(key: string): SessionLimit | undefined {
    return this.limitReached(key);
  }

  /**
   * Why a connection on session `key` must close now, or undefined. `lastActivity` (monotonic) is
   * the connection's last application data, for the idle limit, which is per connection.
   */
  limitReached(key: string, lastActivity?: number): SessionLimit | undefined {
    const r = this.#records.get(key);
    if (r === undefined) return 'unknown-session';
    const now = this.clock.monotonic();
    if (now - r.bornAt >= this.policy.maxSessionAgeMs) return 'max-age';
    const maxBytes = this.policy.maxApplicationBytes;
    if (maxBytes !== undefined && r.bytes >= maxBytes) return 'max-bytes';
    const idle = this.policy.idleTimeoutMs;
    if (idle !== undefined && lastActivity !== undefined && now - lastActivity >= idle) return 'idle';
    return undefined;
  }

  /** Application bytes the session may still carry (Infinity without a cap, 0 if unknown). */
  remainingBytes(key: string): number {
    const r = this.#records.get(key);
    if (r === undefined) return 0;
    const maxBytes = this.policy.maxApplicationBytes;
    return maxBytes === undefined ? Number.POSITIVE_INFINITY : Math.max(0, maxBytes - r.bytes);
  }

  /**
   * Counts `n` application bytes against the session's budget and returns how many of them fit
   * (n when the budget allows; fewer at the cap; 0 for an unknown session). The caller must not
   * let the rest cross.
   */
  spend(key: string, n: number): number {
    const r = this.#records.get(key);
    if (r === undefined) return 0;
    const fit = Math.min(n, this.remainingBytes(key));
    r.bytes += fit;
    return fit;
  }

  /** Monotonic time at which the session reaches its maximum age (undefined if unknown). */
  expiresAt(key: string): number | undefined {
    const r = this.#records.get(key);
    return r === undefined ? undefined : r.bornAt + this.policy.maxSessionAgeMs;
  }

  /** Forgets a session that reached a limit: resuming it is refused from now on. */
  invalidate(key: string, reason: SessionLimit): void {
    if (!this.#records.delete(key)) return;
    for (const listener of this.#invalidateListeners) listener(key, reason);
  }

  /** Calls `listener` whenever a session is invalidated (e.g. to drop it from a session cache). */
  onInvalidate(listener: (key: string, reason: SessionLimit) => void): () => void {
    this.#invalidateListeners.add(listener);
    return () => this.#invalidateListeners.delete(listener);
  }

  #prune(): void {
    const now = this.clock.monotonic();
    for (const [key, r] of this.#records) {
      if (now - r.bornAt < this.policy.maxSessionAgeMs) break;
      this.#records.delete(key);
    }
  }
}
