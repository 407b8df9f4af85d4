/**
 * The gateway's legal time (spec notes §5.5, PP-0073 FPT_STM.1): the system clock plus an
 * offset learned from the GWA (`GET /gwa/v1/time`, docs/wire-protocols.md). The GWA's answer is
 * taken plus half the round trip.
 *
 * - Until the first sync the time is invalid: values captured meanwhile carry the SMGW status
 *   bit Systemtime_Invalid (0x200, §7.3) and the gateway is in Secure State Measurement (§11).
 * - A sync that finds the running time off by more than 3 % of the smallest registration period
 *   (27 s for 15 minutes) puts the gateway into Secure State Application (§5.5, §11) and writes
 *   a calibration-log and a system-log entry; a later sync within the limit leaves it.
 *
 * The offset survives restarts through `snapshot()`/`restore` (the caller keeps it in the store's
 * small state); a restored offset is used for `now()`, but the time counts as valid only after a
 * sync in this run, because the hardware clock may have drifted while the gateway was off.
 */
import { type Clock, SmgwError } from '@opensmgw/core';
import type { EventLog } from './event-log.js';
import type { OperatingState } from './operating-state.js';

export type TimeErrorCode = 'SMGW_TIME_BAD_SAMPLE';
export class TimeError extends SmgwError<TimeErrorCode> {}

/** SMGW status word bit "Systemtime_Invalid" (spec notes §7.3, TRuDI StatusFNN). */
export const SYSTEMTIME_INVALID = 0x200;

/** Deviation limit as a fraction of the smallest registration period (spec notes §5.5). */
export const MAX_DEVIATION_FRACTION = 0.03;

/** What the caller persists between runs. */
export interface TimeSnapshot {
  readonly offsetMs: number;
  /** Gateway time of the last sync. */
  readonly lastSyncMs: number;
}

export interface SyncResult {
  readonly offsetMs: number;
  /** How far the running gateway time was off (gateway − GWA); 0 on the first sync. */
  readonly deviationMs: number;
  readonly toleranceMs: number;
  readonly withinTolerance: boolean;
}

/** A sample older or slower than this says nothing precise about the GWA's time. */
const MAX_RTT_MS = 60_000;
/** Plausible epoch range (2000 .. 2200): anything else from the wire is an error, not a time. */
const MIN_EPOCH = 946_684_800_000;
const MAX_EPOCH = 7_258_118_400_000;

export class GatewayTime implements Clock {
  readonly #clock: Clock;
  readonly #events: EventLog;
  readonly #minPeriodSeconds: () => number;
  readonly #states: OperatingState | undefined;
  readonly #onSync: ((s: TimeSnapshot) => void) | undefined;
  #offsetMs = 0;
  #lastSyncMs: number | undefined;
  #valid = false;

  constructor(options: {
    clock: Clock;
    events: EventLog;
    /** The smallest registration period of the evaluation profiles in force, in seconds (900 in the field). */
    minRegistrationPeriodSeconds: () => number;
    /** Receives the secure-state conditions 'time-invalid' and 'time-deviation'. */
    operatingState?: OperatingState;
    restore?: TimeSnapshot;
    /** Called after every accepted sync with what to persist (e.g. store.setState). */
    onSync?: (snapshot: TimeSnapshot) => void;
  }) {
    this.#clock = options.clock;
    this.#events = options.events;
    this.#minPeriodSeconds = options.minRegistrationPeriodSeconds;
    this.#states = options.operatingState;
    this.#onSync = options.onSync;
    const r = options.restore;
    if (r !== undefined && Number.isFinite(r.offsetMs) && Number.isFinite(r.lastSyncMs)) {
      this.#offsetMs = r.offsetMs;
      this.#lastSyncMs = r.lastSyncMs;
    }
    this.#states?.enter('time-invalid', 'no time synchronisation with the GWA yet');
  }

  /** Gateway (legal) time, ms since the epoch. */
  now(): number {
    return this.#clock.now() + this.#offsetMs;
  }

  monotonic(): number {
    return this.#clock.monotonic();
  }

  get valid(): boolean {
    return this.#valid;
  }

  get offsetMs(): number {
    return this.#offsetMs;
  }

  /** SMGW status word bits the time contributes to a value captured now (spec notes §7.3). */
  statusWord(): number {
    return this.#valid ? 0 : SYSTEMTIME_INVALID;
  }

  /** 3 % of the smallest registration period, in ms. */
  toleranceMs(): number {
    const s = this.#minPeriodSeconds();
    return Math.round((Number.isFinite(s) && s > 0 ? s : 900) * 1000 * MAX_DEVIATION_FRACTION);
  }

  /**
   * Takes one time sample: the GWA's epoch ms, and the local system-clock times the request was
   * sent and the answer received. Throws TimeError SMGW_TIME_BAD_SAMPLE (and changes nothing)
   * for implausible samples.
   */
  sync(gwaEpochMs: number, localSentMs: number, localReceivedMs: number): SyncResult {
    const rtt = localReceivedMs - localSentMs;
    if (![gwaEpochMs, localSentMs, localReceivedMs].every(Number.isFinite)) {
      throw new TimeError('SMGW_TIME_BAD_SAMPLE', 'time sample is not a number');
    }
    if (gwaEpochMs < MIN_EPOCH || gwaEpochMs > MAX_EPOCH) {
      throw new TimeError('SMGW_TIME_BAD_SAMPLE', 'GWA time out of the plausible range', {
        detail: { gwaEpochMs },
      });
    }
    if (rtt < 0 || rtt > MAX_RTT_MS) {
      throw new TimeError('SMGW_TIME_BAD_SAMPLE', 'round trip negative or too long', { detail: { rttMs: rtt } });
    }
    const offsetMs = Math.round(gwaEpochMs + rtt / 2 - localReceivedMs);
    const toleranceMs = this.toleranceMs();
    // Deviation of the time we were running on; only meaningful once time was valid in this run.
    const deviationMs = this.#valid ? this.#offsetMs - offsetMs : 0;
    const withinTolerance = Math.abs(deviationMs) <= toleranceMs;
    const firstSync = !this.#valid;
    this.#offsetMs = offsetMs;
    this.#valid = true;
    this.#lastSyncMs = this.now();
    const subject = 'system-time';
    if (firstSync) {
      this.#events.record('calibration', {
        level: 1,
        outcome: 0,
        event: 'TIME_SET',
        message: `system time set from the GWA (offset ${offsetMs} ms, round trip ${rtt} ms)`,
        subject,
      });
      this.#states?.leave('time-invalid', 'time synchronised with the GWA');
    }
    if (!withinTolerance) {
      const message = `time deviation ${deviationMs} ms exceeds ${toleranceMs} ms (3 % of the registration period)`;
      this.#events.record('calibration', { level: 3, outcome: 1, event: 'TIME_DEVIATION', message, subject });
      this.#events.record('system', { level: 3, outcome: 1, event: 'TIME_DEVIATION', message, subject });
      this.#states?.enter('time-deviation', message);
    } else if (this.#states?.has('time-deviation')) {
      const message = `time deviation ${deviationMs} ms within ${toleranceMs} ms again`;
      this.#events.record('calibration', { level: 1, outcome: 0, event: 'TIME_DEVIATION_CLEARED', message, subject });
      this.#states.leave('time-deviation', message);
    } else if (!firstSync) {
      this.#events.record('system', {
        level: 1,
        outcome: 0,
        event: 'TIME_SYNC',
        message: `time synchronised (deviation ${deviationMs} ms)`,
        subject,
      });
    }
    this.#onSync?.(this.snapshot());
    return { offsetMs, deviationMs, toleranceMs, withinTolerance };
  }

  /** Marks the time invalid (e.g. no sync for too long); values get 0x200 until the next sync. */
  invalidate(reason: string): void {
    if (!this.#valid) return;
    this.#valid = false;
    this.#events.record('calibration', {
      level: 2,
      outcome: 1,
      event: 'TIME_INVALID',
      message: reason,
      subject: 'system-time',
    });
    this.#states?.enter('time-invalid', reason);
  }

  /** What to persist (store.setState) so a restart keeps the offset. */
  snapshot(): TimeSnapshot {
    return { offsetMs: this.#offsetMs, lastSyncMs: this.#lastSyncMs ?? 0 };
  }

  /** Gateway time of the last sync (this run or restored). */
  get lastSyncMs(): number | undefined {
    return this.#lastSyncMs;
  }
}
