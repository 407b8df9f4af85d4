/**
 * The TAF engine (spec notes §6): closes TAF periods of every evaluation profile as gateway time
 * passes them, and for each closed period writes, in ONE store transaction (store.commitTaf),
 * the derived values, one delivery per recipient (the ReadingsMessage, sealed at send time by
 * wan/), the consumer-log entry "billing values recorded" for the meter's consumer, the
 * calibration-log notes and the profile's progress. A crash loses a whole period or nothing;
 * after a restart the engine catches up from store.tafProgress, a bounded number of periods
 * per call so a long outage does not block the process.
 *
 * Periods close `graceMs` after their end, so a reading captured just before the end that
 * arrives a moment later still counts. No metering output while the operating state forbids it
 * (Secure State Application, §11): those periods are caught up once the state allows again.
 */
import { createHash } from 'node:crypto';
import type { TimerClock, TimerHandle } from '@opensmgw/core';
import {
  type EvaluationProfile,
  encodeReadingsMessage,
  READINGS_FORMAT,
  type Reading,
  type ReadingsMessage,
} from '@opensmgw/protocol';
import type { GatewayStore, NewDelivery, NewDerivedValue, NewLogEntry, TafCommit } from '../store/types.js';
import type { EventLog } from './event-log.js';
import type { GatewayTime } from './gateway-time.js';
import type { OperatingState } from './operating-state.js';
import { evaluatePeriod } from './taf/evaluate.js';
import { nextPeriodEnd, validFromMs, validUntilMs } from './taf/periods.js';
import { TAF6_RETENTION_MS } from './taf/taf6.js';

/** Periods closed per runDue call (all profiles together); the rest follow on the next timer. */
const DEFAULT_MAX_PERIODS_PER_RUN = 200;
/** The timer wakes at least this often, so a changed time offset or profile is noticed. */
const MAX_TIMER_MS = 5 * 60_000;
/** Retry delay for a due period that could not be closed. */
const RETRY_MS = 60_000;
const MESSAGE_ID_MAX = 128;

export interface TafEngineOptions {
  readonly store: GatewayStore;
  readonly clock: TimerClock;
  readonly time: GatewayTime;
  readonly events: EventLog;
  readonly gatewayId: string;
  readonly graceMs?: number;
  readonly operatingState?: OperatingState;
  readonly maxPeriodsPerRun?: number;
  /** Called after each commit that queued deliveries (the WAN side starts sending). */
  readonly onCommitted?: (commit: TafCommit) => void;
}

export class TafEngine {
  readonly #o: TafEngineOptions;
  readonly #graceMs: number;
  readonly #maxPerRun: number;
  #timer: TimerHandle | undefined;
  #running = false;

  constructor(options: TafEngineOptions) {
    this.#o = options;
    this.#graceMs = options.graceMs ?? 2000;
    this.#maxPerRun = options.maxPeriodsPerRun ?? DEFAULT_MAX_PERIODS_PER_RUN;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tick();
  }

  stop(): void {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Re-plans the timer now (after a profile change or a time sync). */
  reschedule(): void {
    if (!this.#running) return;
    this.#timer?.cancel();
    this.#tick();
  }

  /**
   * Closes every period ending at or before `nowMs − grace`, at most maxPeriodsPerRun, oldest
   * first per profile. Returns the number of periods committed.
   */
  runDue(nowMs: number = this.#o.time.now()): number {
    if (this.#o.operatingState !== undefined && !this.#o.operatingState.allows('metering')) return 0;
    const closeUntil = nowMs - this.#graceMs;
    let done = 0;
    // Profiles are read once per run, before the transaction (where the store's cache of
    // validated profiles applies), not once per period.
    const profiles = this.#o.store.evaluationProfiles();
    const consumers = new Map(this.#o.store.meterProfiles().map((m) => [m.meterId, m.consumerId]));
    const consumerOf = (meterId: string): string | undefined => consumers.get(meterId);
    // All closes of this run share one transaction (one fsync instead of one per period).
    this.#o.store.batch(() => {
      for (const p of profiles) {
        try {
          while (done < this.#maxPerRun) {
            const next = this.#nextDue(p, closeUntil);
            if (next === undefined) break;
            this.#closePeriod(p, next.start, next.end, nowMs, consumerOf);
            done++;
          }
        } catch (e) {
          // One broken profile must not stop the others; the period stays open and is retried.
          this.#o.events.record('system', {
            level: 3,
            outcome: 1,
            event: 'TAF_FAILED',
            message: `TAF ${p.taf} period could not be closed: ${e instanceof Error ? e.message : String(e)}`.slice(
              0,
              500,
            ),
            subject: p.id,
          });
        }
        if (done >= this.#maxPerRun) break;
      }
    });
    if (done > 0) {
      // TAF 6 keeps daily values six weeks (spec notes §6.1).
      this.#o.store.pruneDerived('daily', nowMs - TAF6_RETENTION_MS);
    }
    return done;
  }

  /** The next period end of any profile (gateway time), or undefined when none is pending. */
  nextPeriodEnd(): number | undefined {
    let min: number | undefined;
    for (const p of this.#o.store.evaluationProfiles()) {
      const progress = this.#o.store.tafProgress(p.id) ?? validFromMs(p);
      const end = nextPeriodEnd(p, progress);
      if (end > validUntilMs(p)) continue;
      if (min === undefined || end < min) min = end;
    }
    return min;
  }

  #nextDue(p: EvaluationProfile, closeUntil: number): { start: number; end: number } | undefined {
    const start = this.#o.store.tafProgress(p.id) ?? validFromMs(p);
    const end = nextPeriodEnd(p, start);
    if (end > closeUntil || end > validUntilMs(p)) return undefined;
    return { start, end };
  }

  #closePeriod(
    p: EvaluationProfile,
    start: number,
    end: number,
    nowMs: number,
    consumerOf: (meterId: string) => string | undefined,
  ): void {
    const { store, time } = this.#o;
    const previous =
      p.taf === 2 ? store.derivedValues(p.id, start - 1, start, 64).filter((v) => v.targetTimeMs === start) : [];
    const result = evaluatePeriod(p, store, start, end, previous);
    // Values computed while time is invalid carry Systemtime_Invalid (spec notes §5.5, §7.3).
    const status = time.statusWord();
    const derived: NewDerivedValue[] = result.values.map((v) =>
      status === 0 ? v : { ...v, smgwStatus: v.smgwStatus | status },
    );
    const deliveries = derived.length === 0 ? [] : this.#deliveries(p, end, derived, nowMs);
    const consumerLog: NewLogEntry[] = [];
    const consumer = consumerOf(p.meterId);
    if (consumer !== undefined && derived.length > 0) {
      consumerLog.push({
        level: 1,
        outcome: 0,
        event: 'TAF_VALUES_RECORDED',
        message: `billing values recorded: TAF ${p.taf}, ${derived.length} values for ${new Date(end).toISOString()}${
          deliveries.length > 0 ? `, queued for ${p.recipients.join(', ')}` : ''
        }`,
        subject: p.id,
        user: consumer,
      });
    }
    const commit: TafCommit = {
      evaluationProfileId: p.id,
      processedUntilMs: end,
      derived,
      deliveries,
      consumerLog,
      calibrationLog: result.notes,
    };
    store.commitTaf(commit);
    if (deliveries.length > 0) this.#o.onCommitted?.(commit);
  }

  #deliveries(p: EvaluationProfile, end: number, values: readonly NewDerivedValue[], nowMs: number): NewDelivery[] {
    const readings: Reading[] = values.map((v) => ({
      meterId: v.meterId,
      obis: v.obis,
      kind: v.kind,
      value: v.value,
      scaler: v.scaler,
      unit: v.unit,
      captureTime: new Date(v.captureTimeMs).toISOString(),
      targetTime: new Date(v.targetTimeMs).toISOString(),
      smgwStatus: hex8(v.smgwStatus),
      ...(v.meterStatus === undefined ? {} : { meterStatus: hex8(v.meterStatus) }),
    }));
    return p.recipients.map((recipientId) => {
      const messageId = messageIdFor(this.#o.gatewayId, p.id, end, recipientId);
      const message: ReadingsMessage = {
        format: READINGS_FORMAT,
        messageId,
        gatewayId: this.#o.gatewayId,
        evaluationProfileId: p.id,
        taf: p.taf,
        created: new Date(nowMs).toISOString(),
        ...(p.usagePointId === undefined ? {} : { usagePointId: p.usagePointId }),
        ...(p.tariffName === undefined ? {} : { tariffName: p.tariffName }),
        readings,
      };
      return {
        messageId,
        recipientId,
        evaluationProfileId: p.id,
        payload: encodeReadingsMessage(message),
        createdMs: nowMs,
      };
    });
  }

  #tick(): void {
    this.#timer = undefined;
    if (!this.#running) return;
    let delay = RETRY_MS;
    try {
      delay = this.#run();
    } catch (e) {
      // A timer callback must never throw (it would take the process down): log, retry later.
      this.#o.events.record('system', {
        level: 3,
        outcome: 1,
        event: 'TAF_FAILED',
        message: `TAF engine run failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500),
      });
    }
    this.#timer = this.#o.clock.setTimer(delay, () => this.#tick());
  }

  /** One timer run; returns the delay until the next. */
  #run(): number {
    // backlog: continue right after other work had its turn
    if (this.runDue() >= this.#maxPerRun) return 0;
    const next = this.nextPeriodEnd();
    if (next === undefined) return MAX_TIMER_MS;
    const until = next + this.#graceMs - this.#o.time.now();
    // A period already due that this run did not close (state forbids, profile failed): retry later, no busy loop.
    return until <= 0 ? RETRY_MS : Math.min(MAX_TIMER_MS, until);
  }
}

/**
 * `${gatewayId}.${profileId}.${targetTimeMs}.${recipientId}`: deterministic, so a period closed
 * again after a crash yields the same ID and the EMT drops the duplicate. IDs longer than the
 * protocol's 128 characters keep the gateway ID and a SHA-256 of the full form instead.
 */
export function messageIdFor(gatewayId: string, profileId: string, targetTimeMs: number, recipientId: string): string {
  const full = `${gatewayId}.${profileId}.${targetTimeMs}.${recipientId}`;
  if (full.length <= MESSAGE_ID_MAX) return full;
  return `${gatewayId}.${createHash('sha256').update(full).digest('hex')}`;
}

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, '0');
}
