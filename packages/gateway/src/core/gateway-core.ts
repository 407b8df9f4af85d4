/**
 * The core assembled, in the one order that works: log timestamps are gateway (legal) time
 * (spec notes §10, PP-0073 FPT_STM.1), but the gateway time itself logs (and raises
 * Secure State Measurement) while it is being built. `LegalClock` breaks the circle: it reads the
 * system clock until the gateway time exists, then the gateway time. Open the store with it so
 * the entries commitTaf writes carry legal time as well.
 *
 *   const legal = new LegalClock(systemClock);
 *   const store = openGatewayStore(file, { clock: legal });
 *   const core = createGatewayCore({ store, clock: systemClock, legalClock: legal, gatewayId });
 *   core.taf.start();
 */
import type { Clock, TimerClock } from '@opensmgw/core';
import type { GatewayStore, TafCommit } from '../store/types.js';
import { FlowControl } from './flow-control.js';
import { GatewayTime, type TimeSnapshot } from './gateway-time.js';
import { OperatingState } from './operating-state.js';
import { RateLimitedEventLog } from './rate-limited-log.js';
import { TafEngine } from './taf-engine.js';

/** Store state key of the persisted time offset. */
export const TIME_STATE_KEY = 'core.time';
/** The field's registration period, used while no evaluation profile is configured. */
const DEFAULT_PERIOD_SECONDS = 900;

export class LegalClock implements Clock {
  #source: Clock;

  constructor(fallback: Clock) {
    this.#source = fallback;
  }

  use(clock: Clock): void {
    this.#source = clock;
  }

  now(): number {
    return this.#source.now();
  }

  monotonic(): number {
    return this.#source.monotonic();
  }
}

export interface GatewayCore {
  readonly events: RateLimitedEventLog;
  readonly states: OperatingState;
  readonly time: GatewayTime;
  readonly flow: FlowControl;
  readonly taf: TafEngine;
}

export function createGatewayCore(options: {
  store: GatewayStore;
  /** System clock with timers (systemClock; a FakeClock in tests). */
  clock: TimerClock;
  /** The clock the store was opened with; switched to gateway time here. */
  legalClock?: LegalClock;
  gatewayId: string;
  graceMs?: number;
  logBurst?: number;
  logPerMinute?: number;
  onCommitted?: (commit: TafCommit) => void;
}): GatewayCore {
  const { store, clock } = options;
  const legal = options.legalClock ?? new LegalClock(clock);
  const events = new RateLimitedEventLog({
    store,
    clock: legal,
    ...(options.logBurst === undefined ? {} : { burst: options.logBurst }),
    ...(options.logPerMinute === undefined ? {} : { perMinute: options.logPerMinute }),
  });
  const states = new OperatingState({ events });
  const restore = snapshotOf(store.getState(TIME_STATE_KEY));
  const time = new GatewayTime({
    clock,
    events,
    operatingState: states,
    minRegistrationPeriodSeconds: () => minPeriod(store),
    onSync: (s) => store.setState(TIME_STATE_KEY, s),
    ...(restore === undefined ? {} : { restore }),
  });
  legal.use(time);
  const flow = new FlowControl({ events });
  const taf = new TafEngine({
    store,
    clock,
    time,
    events,
    gatewayId: options.gatewayId,
    operatingState: states,
    ...(options.graceMs === undefined ? {} : { graceMs: options.graceMs }),
    ...(options.onCommitted === undefined ? {} : { onCommitted: options.onCommitted }),
  });
  return { events, states, time, flow, taf };
}

function minPeriod(store: GatewayStore): number {
  const periods = store.evaluationProfiles().map((p) => p.registrationPeriodSeconds);
  return periods.length === 0 ? DEFAULT_PERIOD_SECONDS : Math.min(...periods);
}

/** The persisted snapshot, if it has the right shape (a damaged row restores nothing). */
function snapshotOf(v: unknown): TimeSnapshot | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const { offsetMs, lastSyncMs } = v as Record<string, unknown>;
  if (typeof offsetMs !== 'number' || typeof lastSyncMs !== 'number') return undefined;
  if (!Number.isFinite(offsetMs) || !Number.isFinite(lastSyncMs)) return undefined;
  return { offsetMs, lastSyncMs };
}
