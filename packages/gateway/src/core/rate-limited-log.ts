/**
 * The gateway's EventLog (core/event-log.ts): flood protection for the system log. Unknown
 * meters, bad MACs, replays and floods become system-log events, rate-limited per (event,
 * subject) with a token bucket, so a hostile radio neighbour cannot fill the log (spec notes
 * §10: the system log may overwrite its oldest entries, which a flood would otherwise evict).
 *
 * The consumer and calibration logs are never limited: their entries are billing-relevant
 * (spec notes §10) and come from the gateway's own processing, not from peers.
 *
 * Suppressed events are counted; one summary entry LOG_SUPPRESSED ("N similar events
 * suppressed") is written when the bucket admits the next event of that key, or once it has refilled by `flush()`,
 * which any system-log record() runs at most once a minute (and a caller may run on a timer).
 */
import type { Clock } from '@opensmgw/core';
import type { LogEntry, LogName } from '@opensmgw/protocol';
import type { GatewayStore } from '../store/types.js';
import type { EventLog, EventRecord } from './event-log.js';

interface Bucket {
  tokens: number;
  /** Monotonic ms of the last refill: wall time may jump (a GWA time sync), durations must not. */
  refilledAt: number;
  suppressed: number;
  /** The last suppressed event, for the summary's subject and level. */
  sample?: EventRecord;
}

/** Pending summaries of other keys are written at most this often, from any record() call. */
const FLUSH_INTERVAL_MS = 60_000;

/** Keys beyond this share one bucket per event: distinct subjects from a peer must not grow memory without bound. */
const MAX_KEYS = 1024;

export class RateLimitedEventLog implements EventLog {
  readonly #store: Pick<GatewayStore, 'appendLog'>;
  readonly #clock: Clock;
  readonly #burst: number;
  readonly #perMs: number;
  readonly #buckets = new Map<string, Bucket>();
  #lastFlush: number;

  constructor(options: { store: Pick<GatewayStore, 'appendLog'>; clock: Clock; burst?: number; perMinute?: number }) {
    this.#store = options.store;
    this.#clock = options.clock;
    this.#burst = options.burst ?? 10;
    this.#perMs = (options.perMinute ?? 6) / 60_000;
    if (!(this.#burst >= 1) || !(this.#perMs > 0)) throw new RangeError('burst must be ≥ 1 and perMinute > 0');
    this.#lastFlush = this.#clock.monotonic();
  }

  record(log: LogName, event: EventRecord): LogEntry | undefined {
    if (log !== 'system') return this.#append(log, event);
    // A flood that simply stops would never see its summary otherwise.
    if (this.#clock.monotonic() - this.#lastFlush >= FLUSH_INTERVAL_MS) this.flush();
    const bucket = this.#bucketFor(event);
    this.#refill(bucket);
    if (bucket.tokens < 1) {
      bucket.suppressed++;
      bucket.sample = event;
      return undefined;
    }
    bucket.tokens -= 1;
    this.#summarise(bucket);
    return this.#append(log, event);
  }

  /** Writes the summaries of buckets that have suppressed events and have refilled (call now and then). */
  flush(): number {
    this.#lastFlush = this.#clock.monotonic();
    let written = 0;
    for (const bucket of this.#buckets.values()) {
      this.#refill(bucket);
      // The summary takes no token: it would starve the next real event, and there is at most
      // one per bucket per refill.
      if (bucket.suppressed > 0 && bucket.tokens >= 1) {
        this.#summarise(bucket);
        written++;
      }
    }
    // Buckets that are full again and have nothing pending carry no state worth keeping.
    for (const [key, b] of this.#buckets) if (b.suppressed === 0 && b.tokens >= this.#burst) this.#buckets.delete(key);
    return written;
  }

  /** Events suppressed and not yet summarised (for tests and the status page). */
  pendingSuppressed(): number {
    let n = 0;
    for (const b of this.#buckets.values()) n += b.suppressed;
    return n;
  }

  #bucketFor(event: EventRecord): Bucket {
    let key = `${event.event}\u0000${event.subject ?? ''}`;
    if (!this.#buckets.has(key) && this.#buckets.size >= MAX_KEYS) key = `${event.event}\u0000*`;
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#burst, refilledAt: this.#clock.monotonic(), suppressed: 0 };
      this.#buckets.set(key, b);
    }
    return b;
  }

  #refill(b: Bucket): void {
    const now = this.#clock.monotonic();
    b.tokens = Math.min(this.#burst, b.tokens + Math.max(0, now - b.refilledAt) * this.#perMs);
    b.refilledAt = now;
  }

  #summarise(b: Bucket): void {
    if (b.suppressed === 0 || b.sample === undefined) return;
    const s = b.sample;
    this.#append('system', {
      level: s.level,
      outcome: 2,
      event: 'LOG_SUPPRESSED',
      message: `${b.suppressed} similar events suppressed (${s.event})`,
      ...(s.subject === undefined ? {} : { subject: s.subject }),
    });
    b.suppressed = 0;
    delete b.sample;
  }

  #append(log: LogName, e: EventRecord): LogEntry {
    return this.#store.appendLog(
      log,
      {
        level: e.level,
        outcome: e.outcome,
        event: e.event,
        message: e.message,
        ...(e.subject === undefined ? {} : { subject: e.subject }),
        ...(e.user === undefined ? {} : { user: e.user }),
      },
      this.#clock.now(),
    );
  }
}
