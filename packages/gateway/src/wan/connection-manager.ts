/**
 * When the gateway calls its GWA (spec notes §5.2, §5.4): at start, after every valid wake-up
 * and on the GWA's schedule. The gateway never listens on TCP on the WAN; it only ever opens
 * the connection itself. Sessions never overlap: a wake-up (or the schedule) during a session
 * asks for exactly one more session after it, however many arrive.
 */
import type { TimerClock, TimerHandle } from '@opensmgw/core';
import type { AdminSession, SessionReason } from './admin-session.js';

export interface ConnectionManagerOptions {
  readonly adminSession: Pick<AdminSession, 'run'>;
  readonly clock: TimerClock;
  /** Time between scheduled sessions, counted from the end of the last session. */
  readonly pollIntervalMs: number;
  /** A failed session (already in the system log by the session); default: ignored. */
  readonly onError?: (e: unknown) => void;
}

export class ConnectionManager {
  readonly #o: ConnectionManagerOptions;
  #pollIntervalMs: number;
  #running = false;
  #current: Promise<void> | undefined;
  #pending: SessionReason | undefined;
  #timer: TimerHandle | undefined;
  #sessions = 0;

  constructor(o: ConnectionManagerOptions) {
    this.#o = o;
    this.#pollIntervalMs = checkInterval(o.pollIntervalMs);
  }

  /** Sessions started so far. */
  get sessions(): number {
    return this.#sessions;
  }

  get pollIntervalMs(): number {
    return this.#pollIntervalMs;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#trigger('startup');
  }

  /** A valid wake-up packet arrived (WakeupListener.onWakeup). */
  wakeup(): void {
    this.#trigger('wakeup');
  }

  /** The GWA set a new schedule (set-schedule job); applies from now. */
  setPollInterval(ms: number): void {
    this.#pollIntervalMs = checkInterval(ms);
    if (this.#running && this.#current === undefined) this.#arm();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#pending = undefined;
    this.#timer?.cancel();
    this.#timer = undefined;
    await this.#current;
  }

  /** Resolves when no session is running or queued (tests). */
  async idle(): Promise<void> {
    while (this.#current !== undefined) await this.#current;
  }

  #trigger(reason: SessionReason): void {
    if (!this.#running) return;
    if (this.#current !== undefined) {
      // Coalesced: one more session after the running one, whatever asked for it first.
      this.#pending ??= reason;
      return;
    }
    this.#current = this.#loop(reason).finally(() => {
      this.#current = undefined;
    });
  }

  async #loop(first: SessionReason): Promise<void> {
    let reason: SessionReason | undefined = first;
    while (reason !== undefined && this.#running) {
      this.#timer?.cancel();
      this.#timer = undefined;
      this.#sessions += 1;
      try {
        await this.#o.adminSession.run(reason);
      } catch (e) {
        this.#o.onError?.(e);
      }
      reason = this.#pending;
      this.#pending = undefined;
    }
    if (this.#running) this.#arm();
  }

  #arm(): void {
    this.#timer?.cancel();
    this.#timer = this.#o.clock.setTimer(this.#pollIntervalMs, () => {
      this.#timer = undefined;
      this.#trigger('schedule');
    });
  }
}

function checkInterval(ms: number): number {
  if (!(Number.isInteger(ms) && ms >= 1000)) throw new RangeError('pollIntervalMs must be an integer ≥ 1000');
  return ms;
}
