/**
 * Token buckets per key (a user, a source address, a user at an address) on the Clock's
 * monotonic time, for the HAN's answer to polling and password guessing: `429` with
 * `Retry-After`, never a lockout (peers-users-libraries §2.1 item 5, R3). A bucket refills on
 * its own; nothing is ever blocked for longer than it takes to earn one token back.
 */
import type { Clock } from '@opensmgw/core';

export interface BucketRule {
  /** Requests allowed at once. */
  readonly burst: number;
  /** Tokens earned back per minute. */
  readonly perMinute: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

/** Keys kept; beyond this the oldest are forgotten (they are full again, or an attacker's). */
const MAX_KEYS = 10_000;

export class RequestLimiter {
  readonly #clock: Clock;
  readonly #rule: BucketRule;
  readonly #buckets = new Map<string, Bucket>();

  constructor(clock: Clock, rule: BucketRule) {
    if (!(Number.isFinite(rule.burst) && rule.burst >= 1 && Number.isFinite(rule.perMinute) && rule.perMinute > 0)) {
      throw new RangeError('a bucket needs burst ≥ 1 and perMinute > 0');
    }
    this.#clock = clock;
    this.#rule = rule;
  }

  #bucket(key: string): Bucket {
    const now = this.#clock.monotonic();
    let b = this.#buckets.get(key);
    if (b === undefined) {
      b = { tokens: this.#rule.burst, at: now };
      if (this.#buckets.size >= MAX_KEYS) {
        const oldest = this.#buckets.keys().next().value;
        if (oldest !== undefined) this.#buckets.delete(oldest);
      }
      this.#buckets.set(key, b);
      return b;
    }
    b.tokens = Math.min(this.#rule.burst, b.tokens + ((now - b.at) * this.#rule.perMinute) / 60_000);
    b.at = now;
    return b;
  }

  /** Seconds until `key` has a token again (0: it has one now). Takes nothing. */
  retryAfter(key: string): number {
    const b = this.#bucket(key);
    if (b.tokens >= 1) return 0;
    return Math.max(1, Math.ceil(((1 - b.tokens) * 60) / this.#rule.perMinute));
  }

  /** Takes a token if there is one; returns 0, or the seconds to wait (nothing taken). */
  take(key: string): number {
    const wait = this.retryAfter(key);
    if (wait === 0) (this.#bucket(key) as Bucket).tokens -= 1;
    return wait;
  }

  /** Takes a token even if none is left (a failed login always counts). */
  charge(key: string): void {
    const b = this.#bucket(key);
    b.tokens = Math.max(-this.#rule.burst, b.tokens - 1);
  }
}
