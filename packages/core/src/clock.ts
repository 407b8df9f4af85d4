/**
 * Time enters every component through a `Clock` (DESIGN.md, "Conventions"): session limits,
 * tariffs and log timestamps are tested with `FakeClock`, never with sleeps. Codecs never read
 * the clock themselves; a caller passes the time in.
 */
export interface Clock {
  /** Wall-clock time, milliseconds since the Unix epoch (UTC). */
  now(): number;
  /** Monotonic milliseconds, for durations and timeouts; unrelated to wall time. */
  monotonic(): number;
}

/** A pending timer; `cancel` is idempotent. */
export interface TimerHandle {
  cancel(): void;
}

/**
 * A clock that can also call back after a duration of monotonic time: what session limits
 * (48 h / 31 d / idle timeouts, spec notes §3.3–3.5) need to close a connection on time. A
 * separate interface so that a plain `{ now, monotonic }` object stays a valid `Clock`.
 */
export interface TimerClock extends Clock {
  /** Calls `callback` once, `delayMs` (≥ 0) of monotonic time from now. */
  setTimer(delayMs: number, callback: () => void): TimerHandle;
}

/**
 * Node's `setTimeout` fires after 1 ms for delays above 2^31-1 ms (about 24.8 days, shorter than
 * the LMN's 31-day session), so long delays are chained in steps of at most this.
 */
const MAX_NODE_DELAY = 2 ** 31 - 1;

function systemTimer(delayMs: number, callback: () => void): TimerHandle {
  checkDelay(delayMs);
  const due = performance.now() + delayMs;
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    const left = due - performance.now();
    if (left <= 0) {
      timer = undefined;
      callback();
      return;
    }
    timer = setTimeout(arm, Math.min(Math.ceil(left), MAX_NODE_DELAY));
    // A limit timer must not keep a process alive that has nothing else to do.
    timer.unref();
  };
  timer = setTimeout(arm, Math.min(Math.ceil(delayMs), MAX_NODE_DELAY));
  timer.unref();
  return {
    cancel: () => {
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
    },
  };
}

function checkDelay(delayMs: number): void {
  if (!(delayMs >= 0) || !Number.isFinite(delayMs)) {
    throw new RangeError(`setTimer: ${delayMs} is not a finite non-negative duration`);
  }
}

export const systemClock: TimerClock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimer: systemTimer,
};

interface FakeTimer {
  readonly due: number;
  readonly seq: number;
  readonly callback: () => void;
}

/**
 * A clock that moves only when told to. Monotonic time advances with `advance`, not with `set`.
 * Timers fire inside `advance`, in due order, each seeing the clock at its due time.
 */
export class FakeClock implements TimerClock {
  #wall: number;
  #mono = 0;
  #timers: FakeTimer[] = [];
  #seq = 0;

  constructor(start: number | Date | string = 0) {
    this.#wall = toMillis(start);
  }
  now(): number {
    return this.#wall;
  }
  monotonic(): number {
    return this.#mono;
  }
  /** Moves both clocks forward by `ms` (must be ≥ 0). */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance: ${ms} is not a non-negative duration`);
    const target = this.#mono + ms;
    for (;;) {
      // Timers set by a callback for a time before `target` fire in this same advance.
      const next = this.#timers.reduce<FakeTimer | undefined>(
        (a, t) => (a === undefined || t.due < a.due || (t.due === a.due && t.seq < a.seq) ? t : a),
        undefined,
      );
      if (next === undefined || next.due > target) break;
      this.#timers.splice(this.#timers.indexOf(next), 1);
      this.#wall += next.due - this.#mono;
      this.#mono = next.due;
      next.callback();
    }
    this.#wall += target - this.#mono;
    this.#mono = target;
  }
  setTimer(delayMs: number, callback: () => void): TimerHandle {
    checkDelay(delayMs);
    const timer: FakeTimer = { due: this.#mono + delayMs, seq: this.#seq++, callback };
    this.#timers.push(timer);
    return {
      cancel: () => {
        const i = this.#timers.indexOf(timer);
        if (i >= 0) this.#timers.splice(i, 1);
      },
    };
  }
  /** Timers that have not fired or been cancelled (for tests). */
  get pendingTimers(): number {
    return this.#timers.length;
  }
  /** Sets wall time (may jump backwards, as a badly set real clock can); monotonic time stays. */
  set(time: number | Date | string): void {
    this.#wall = toMillis(time);
  }
}

function toMillis(t: number | Date | string): number {
  const ms = typeof t === 'number' ? t : new Date(t).getTime();
  if (!Number.isFinite(ms)) throw new RangeError(`not a time: ${String(t)}`);
  return ms;
}
