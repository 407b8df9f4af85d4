/**
 * The JSON endpoints of /han/v1 (docs/han.md, docs/han-openapi.json) as functions of the
 * authenticated account, the query and the store. Access to the endpoint itself was decided by
 * the table in han-access.ts before a handler runs; each handler applies the object-level rule
 * (own meters, own usage points, own log entries) and the request limits of spec notes §9.1:
 * at most 31 days of readings and 1,500 log entries per request.
 */
import type { HanAccount, LogEntry, ReadingKind } from '@opensmgw/protocol';
import type { GatewayStore, StoredDerivedValue, StoredReading } from '../store/types.js';
import { endpointsOf, type HanEndpoint, mayReadEvaluation, mayReadMeter } from './han-access.js';
import { HanError } from './han-errors.js';

/** Spec notes §9.1: "the range fromtime < t ≤ totime is limited to 31 days per request". */
export const MAX_RANGE_MS = 31 * 86_400_000;
/** Spec notes §9.1: "≤ 1500 entries per request". */
export const MAX_LOG_ENTRIES = 1500;
/** Readings per answer; a longer range is answered in part with `truncated: true` (continue from the last time). */
export const MAX_READINGS = 10_000;
/** Log entries when `count` is not given. */
export const DEFAULT_LOG_COUNT = 100;

export type HanStore = Pick<
  GatewayStore,
  'meterProfiles' | 'evaluationProfiles' | 'between' | 'derivedValues' | 'readLog' | 'logHead'
>;

export interface HanApiContext {
  readonly account: HanAccount;
  readonly authenticatedBy: 'certificate' | 'digest';
  readonly query: URLSearchParams;
  readonly store: HanStore;
  /** System state for the service technician (operating state, time validity, versions). */
  readonly systemState: () => Readonly<Record<string, unknown>>;
  readonly gatewayId: string;
}

function bad(message: string, detail: Record<string, unknown> = {}): HanError {
  return new HanError('SMGW_HAN_BAD_REQUEST', message, { detail });
}

/** Only the named parameters, each at most once: an unknown one is a client bug worth a 400. */
function params(q: URLSearchParams, allowed: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of q) {
    if (!allowed.includes(k)) throw bad(`unknown query parameter ${JSON.stringify(k.slice(0, 32))}`);
    if (out.has(k)) throw bad(`query parameter ${k} given twice`);
    out.set(k, v);
  }
  return out;
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A time as ISO 8601 with zone, or ms since the epoch. */
function time(v: string | undefined, name: string): number {
  if (v === undefined) throw bad(`${name} missing`);
  let ms: number;
  if (/^\d{1,15}$/.test(v)) ms = Number(v);
  else if (ISO.test(v)) ms = Date.parse(v);
  else throw bad(`${name} must be ISO 8601 with a zone or ms since the epoch`);
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15) throw bad(`${name} out of range`);
  return ms;
}

function integerParam(v: string | undefined, name: string, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  if (!/^\d{1,16}$/.test(v)) throw bad(`${name} must be a non-negative integer`);
  const n = Number(v);
  if (n < min || n > max) throw bad(`${name} must be from ${min} to ${max}`, { [name]: n, max });
  return n;
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function meHandler(c: HanApiContext): unknown {
  const a = c.account;
  return {
    userId: a.userId,
    role: a.role,
    authenticatedBy: c.authenticatedBy,
    gatewayId: c.gatewayId,
    usagePointIds: a.usagePointIds,
    meterIds: a.meterIds,
    endpoints: endpointsOf(a.role),
  };
}

export function usagePointsHandler(c: HanApiContext): unknown {
  params(c.query, []);
  const a = c.account;
  const meters = c.store.meterProfiles().filter((m) => mayReadMeter(a, m.meterId));
  const tariffs = c.store.evaluationProfiles().filter((p) => mayReadEvaluation(a, p));
  const meterView = (m: (typeof meters)[number]) => ({ meterId: m.meterId, medium: m.medium, channels: m.channels });
  const tariffView = (p: (typeof tariffs)[number]) => ({
    evaluationProfileId: p.id,
    taf: p.taf,
    meterId: p.meterId,
    channels: p.channels,
    registrationPeriodSeconds: p.registrationPeriodSeconds,
    ...(p.tariffName === undefined ? {} : { tariffName: p.tariffName }),
    ...(p.tariff === undefined ? {} : { registers: p.tariff.stages.map((s) => s.obis) }),
    validFrom: p.validFrom,
    ...(p.validUntil === undefined ? {} : { validUntil: p.validUntil }),
  });
  return {
    usagePoints: a.usagePointIds.map((up) => ({
      usagePointId: up,
      meters: meters.filter((m) => m.usagePointId === up).map(meterView),
      tariffs: tariffs.filter((p) => p.usagePointId === up).map(tariffView),
    })),
    // The account's meters and tariffs not tied to one of its usage points.
    otherMeters: meters
      .filter((m) => m.usagePointId === undefined || !a.usagePointIds.includes(m.usagePointId))
      .map(meterView),
    otherTariffs: tariffs.filter((p) => p.usagePointId === undefined).map(tariffView),
  };
}

const DATABASES: readonly ReadingKind[] = ['original', 'derived', 'daily'];

export function readingsHandler(c: HanApiContext): unknown {
  const p = params(c.query, ['meter', 'obis', 'from', 'to', 'database']);
  const meterId = p.get('meter');
  if (meterId === undefined || !/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(meterId))
    throw bad('meter missing or malformed');
  const obis = p.get('obis');
  if (obis !== undefined && !/^[0-9a-f]{12}$/.test(obis)) throw bad('obis must be 12 lower-case hex digits');
  const database = (p.get('database') ?? 'original') as ReadingKind;
  if (!DATABASES.includes(database)) throw bad('database must be original, derived or daily');
  const from = time(p.get('from'), 'from');
  const to = time(p.get('to'), 'to');
  if (to <= from) throw bad('to must be after from');
  if (to - from > MAX_RANGE_MS) throw bad('at most 31 days per request', { maxDays: 31 });
  // A meter not in the account answers like a meter that does not exist: no probing.
  if (!mayReadMeter(c.account, meterId))
    throw new HanError('SMGW_HAN_NOT_FOUND', 'no such meter', { detail: { meterId } });
  const range = { from: iso(from), to: iso(to) };

  if (database === 'original') {
    if (obis === undefined) throw bad('obis is required for original values');
    const rows = c.store.between(meterId, obis, from, to, MAX_READINGS + 1);
    return {
      meterId,
      obis,
      database,
      ...range,
      truncated: rows.length > MAX_READINGS,
      readings: rows.slice(0, MAX_READINGS).map(originalView),
    };
  }
  const profiles = c.store
    .evaluationProfiles()
    .filter((e) => e.meterId === meterId && mayReadEvaluation(c.account, e))
    .filter(
      (e) =>
        obis === undefined || e.channels.includes(obis) || (e.tariff?.stages.some((s) => s.obis === obis) ?? false),
    );
  const out: ReturnType<typeof derivedView>[] = [];
  let truncated = false;
  for (const e of profiles) {
    const rows = c.store.derivedValues(e.id, from, to, MAX_READINGS + 1);
    for (const r of rows) {
      if (r.kind !== database || (obis !== undefined && r.obis !== obis)) continue;
      if (out.length >= MAX_READINGS) {
        truncated = true;
        break;
      }
      out.push(derivedView(r));
    }
    if (rows.length > MAX_READINGS) truncated = true;
  }
  out.sort((x, y) => (x.targetTime < y.targetTime ? -1 : x.targetTime > y.targetTime ? 1 : 0));
  return { meterId, ...(obis === undefined ? {} : { obis }), database, ...range, truncated, readings: out };
}

function originalView(r: StoredReading) {
  return {
    time: iso(r.captureTimeMs),
    obis: r.obis,
    value: r.value,
    scaler: r.scaler,
    unit: r.unit,
    smgwStatus: r.smgwStatus,
    ...(r.meterStatus === undefined ? {} : { meterStatus: r.meterStatus }),
    security: r.security,
  };
}

function derivedView(r: StoredDerivedValue) {
  return {
    evaluationProfileId: r.evaluationProfileId,
    kind: r.kind,
    targetTime: iso(r.targetTimeMs),
    captureTime: iso(r.captureTimeMs),
    obis: r.obis,
    value: r.value,
    scaler: r.scaler,
    unit: r.unit,
    smgwStatus: r.smgwStatus,
  };
}

function logPage(c: HanApiContext, log: 'consumer' | 'system', user?: string): unknown {
  const p = params(c.query, ['from', 'count']);
  const fromIndex = integerParam(p.get('from'), 'from', 1, Number.MAX_SAFE_INTEGER, 1);
  const count = integerParam(p.get('count'), 'count', 1, MAX_LOG_ENTRIES, DEFAULT_LOG_COUNT);
  const entries: LogEntry[] = c.store.readLog(log, fromIndex, count, user);
  const last = entries.at(-1);
  return { log, from: fromIndex, count, entries, ...(last === undefined ? {} : { next: last.index + 1 }) };
}

/** The consumer's own consumer-log entries (the store filters by user; §10: per user). */
export function consumerLogHandler(c: HanApiContext): unknown {
  return logPage(c, 'consumer', c.account.userId);
}

/** The system log, read-only, for the service technician (§10: it holds no consumer data). */
export function systemLogHandler(c: HanApiContext): unknown {
  return logPage(c, 'system');
}

export function systemHandler(c: HanApiContext): unknown {
  params(c.query, []);
  const head = (log: 'system' | 'calibration') => c.store.logHead(log) ?? null;
  return {
    gatewayId: c.gatewayId,
    ...c.systemState(),
    logs: { system: head('system'), calibration: head('calibration') },
    meters: c.store.meterProfiles().filter((m) => m.active).length,
  };
}

export const HAN_HANDLERS: Readonly<Record<HanEndpoint, (c: HanApiContext) => unknown>> = {
  '/han/v1/me': meHandler,
  '/han/v1/usage-points': usagePointsHandler,
  '/han/v1/readings': readingsHandler,
  '/han/v1/log': consumerLogHandler,
  '/han/v1/system': systemHandler,
  '/han/v1/system-log': systemLogHandler,
};
