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

export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
};

/** A clock that moves only when told to. Monotonic time advances with `advance`, not with `set`. */
export class FakeClock implements Clock {
  #wall: number;
  #mono = 0;

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
    this.#wall += ms;
    this.#mono += ms;
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
