/**
 * Server-side TLS 1.2 session cache for resumption by session ID (RFC 5246 §7.4.1.2).
 *
 * Why session IDs and not tickets: TR-03116-3 allows RFC 5077 tickets only with ticket keys that
 * are stored securely, rotated regularly and destroyed at the end of their life (spec notes
 * §3.3). A server-side cache keeps the resumable state where we can bound it: an entry older
 * than the session's maximum age (WAN/HAN 48 h, LMN 31 days) is never handed back, the cache is
 * bounded in size, and the session policy can `delete` a session that reached a limit so that
 * only a full handshake continues. The profiles set SSL_OP_NO_TICKET on both sides.
 *
 * Node gives a server external session storage through its 'newSession' and 'resumeSession'
 * events; `attach` wires this cache to them (only one 'resumeSession' listener may answer).
 * The serialized session (OpenSSL's SSL_SESSION, holding the master secret) stays in memory
 * only and is dropped on expiry (TR-03116-3 §3.1: session keys never persisted).
 */
import type { Server } from 'node:tls';
import type { Clock } from '@opensmgw/core';
import { TlsError } from '../errors.js';

export interface TlsSessionCacheOptions {
  readonly clock: Clock;
  /** Entries older than this (from the full handshake that made them) are not resumed. */
  readonly maxAgeMs: number;
  /** Most sessions kept; the oldest goes first. Default 10,000. */
  readonly maxEntries?: number;
}

interface Entry {
  readonly data: Buffer;
  readonly storedAt: number;
}

export class TlsSessionCache {
  readonly #clock: Clock;
  readonly #maxAgeMs: number;
  readonly #maxEntries: number;
  /** Insertion order = age order, so the first key is the oldest. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: TlsSessionCacheOptions) {
    const maxEntries = options.maxEntries ?? 10_000;
    if (!(Number.isInteger(options.maxAgeMs) && options.maxAgeMs > 0)) {
      throw new TlsError('SMGW_TLS_BAD_CONFIG', 'session cache maxAgeMs must be a positive integer');
    }
    if (!(Number.isInteger(maxEntries) && maxEntries > 0)) {
      throw new TlsError('SMGW_TLS_BAD_CONFIG', 'session cache maxEntries must be a positive integer');
    }
    this.#clock = options.clock;
    this.#maxAgeMs = options.maxAgeMs;
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Stores the serialized session made by a full handshake. */
  store(sessionId: Uint8Array, data: Uint8Array): void {
    const key = Buffer.from(sessionId).toString('hex');
    this.#entries.delete(key);
    this.#entries.set(key, { data: Buffer.from(data), storedAt: this.#clock.monotonic() });
    while (this.#entries.size > this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest === undefined) break;
      this.#entries.delete(oldest);
    }
  }

  /** The session to resume, or undefined (unknown, or as old as the maximum age: then dropped). */
  lookup(sessionId: Uint8Array): Buffer | undefined {
    const key = Buffer.from(sessionId).toString('hex');
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    if (this.#clock.monotonic() - entry.storedAt >= this.#maxAgeMs) {
      this.#entries.delete(key);
      return undefined;
    }
    return entry.data;
  }

  /** Forgets a session (its limit was reached): the next connection needs a full handshake. */
  delete(sessionId: Uint8Array): boolean {
    return this.#entries.delete(Buffer.from(sessionId).toString('hex'));
  }

  clear(): void {
    this.#entries.clear();
  }

  /** Serves this cache to a node:tls server's 'newSession' and 'resumeSession' events. */
  attach(server: Server): void {
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      this.store(id, data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, this.lookup(id) ?? null);
    });
  }
}
