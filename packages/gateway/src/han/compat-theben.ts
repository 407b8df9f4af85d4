/**
 * Theben-style "M2M" JSON interface on the HAN (spec notes §9.1, §7.1, §7.3; peers doc §2: the
 * community clients klacol/smgw-theben-conexa and the Home Assistant theben_conexa integration
 * parse these shapes):
 *
 * - `GET /smgw/m2m` → `307` with `Location: /smgw/m2m/<userid>` (after Digest or certificate).
 * - `POST /smgw/m2m/<userid>/json` (also `<userid>.sm/json`) with `{"method": …}`: smgw-info,
 *   user-info, usage-point-info, readings, log. The user in the path must be the authenticated
 *   user (else 403).
 *
 * The server authenticated the request and charged the rate limits before this runs; access is
 * the HAN_COMPAT_ACCESS table (han-access.ts) plus the object rules mayReadEvaluation /
 * mayReadMeter. Limits as in han-api.ts: 31 days of readings, 1,500 log entries per request.
 * A Theben "usage point" is one tariff (TAF) instance (§7.1: `01005e318021.taf1-1.sm`), so
 * `usage-point-id` here is the evaluation profile id; `metering-point-id` is the MaLo.
 */
import type { IncomingMessage } from 'node:http';
import type { Clock } from '@opensmgw/core';
import type { EvaluationProfile, HanAccount, LogEntry } from '@opensmgw/protocol';
import type { GatewayStore, StoredDerivedValue, StoredReading } from '../store/types.js';
import { type HanCompatOperation, mayReadEvaluation, mayUseCompat } from './han-access.js';
import { type HanStore, MAX_LOG_ENTRIES, MAX_RANGE_MS, MAX_READINGS } from './han-api.js';
import { HanError } from './han-errors.js';

export const M2M_PREFIX = '/smgw/m2m';
/** A request body larger than this is refused (the largest legitimate one is a few hundred bytes). */
export const MAX_COMPAT_BODY = 16 * 1024;
/** Log entries when `count` is not given (as /han/v1/log). */
const DEFAULT_LOG_COUNT = 100;
/** Pages scanned for a time-filtered log query before answering in part (`truncated`). */
const MAX_LOG_PAGES = 200;

/** What a compatibility handler gets from the server (han-server.ts). */
export interface CompatContext {
  readonly account: HanAccount;
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly store: HanStore & Pick<GatewayStore, 'lastAtOrBefore'>;
  readonly clock: Clock;
  readonly systemState: () => Readonly<Record<string, unknown>>;
  readonly gatewayId: string;
  /** The gateway's self-signed HAN certificate (smgw-info: certificates.han.tls). */
  readonly certificatePem: string;
}

export interface CompatAnswer {
  readonly status: number;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

export function isM2mPath(path: string): boolean {
  return path === M2M_PREFIX || path.startsWith(`${M2M_PREFIX}/`);
}

export function bad(message: string): HanError {
  return new HanError('SMGW_HAN_BAD_REQUEST', message);
}

/** 405 with Allow (not a HanError code: the server's own 405 has the same shape). */
export function wrongMethod(allow: 'GET' | 'POST'): CompatAnswer {
  return {
    status: 405,
    body: { error: { code: 'SMGW_HAN_METHOD', message: `only ${allow}` } },
    headers: { Allow: allow },
  };
}

/** Refuses unless the compatibility table allows this role and method (deny by default). */
export function requireCompat(c: CompatContext, op: HanCompatOperation, method: string): void {
  if (!mayUseCompat(c.account.role, op, method))
    throw new HanError('SMGW_HAN_FORBIDDEN', `role ${c.account.role} may not use ${op}`);
}

/** The body as JSON, at most MAX_COMPAT_BODY bytes; anything else is a 400. */
export function readJsonBody(req: IncomingMessage, maxBytes = MAX_COMPAT_BODY): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (e: HanError | undefined, v?: unknown) => {
      if (done) return;
      done = true;
      if (e === undefined) resolve(v);
      else reject(e);
    };
    req.on('data', (c: Buffer) => {
      size += c.length;
      // Over the limit: answer 400 at once and drop the rest unread into memory (the server's
      // request timeout bounds how long a sender can keep going).
      if (size > maxBytes) finish(bad(`request body over ${maxBytes} bytes`));
      else chunks.push(c);
    });
    req.on('end', () => {
      try {
        finish(undefined, JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        finish(bad('request body is not JSON'));
      }
    });
    req.on('error', () => finish(bad('request body not received')));
  });
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;

/** A time parameter: ISO 8601 with a zone, or ms since the epoch as a number. */
function timeParam(v: unknown, name: string): number {
  let ms: number;
  if (typeof v === 'number' && Number.isSafeInteger(v)) ms = v;
  else if (typeof v === 'string' && ISO.test(v)) ms = Date.parse(v);
  else throw bad(`${name} must be ISO 8601 with a zone`);
  if (!Number.isFinite(ms) || ms < 0 || ms > 8.64e15) throw bad(`${name} out of range`);
  return ms;
}

function intParam(v: unknown, name: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max)
    throw bad(`${name} must be an integer from ${min} to ${max}`);
  return v;
}

/** Only the named fields, so a typo in a client's request is a 400, not a silent default. */
function fields(body: Record<string, unknown>, allowed: readonly string[]): void {
  for (const k of Object.keys(body))
    if (k !== 'method' && !allowed.includes(k)) throw bad(`unknown field ${JSON.stringify(k.slice(0, 32))}`);
}

const iso = (ms: number): string => new Date(ms).toISOString();
const hex8 = (n: number): string => (n >>> 0).toString(16).padStart(8, '0');

/** ready / running / archive (§7.1 `taf-state`) on the gateway's clock. */
function tafState(p: EvaluationProfile, now: number): 'ready' | 'running' | 'archive' {
  if (now < Date.parse(p.validFrom)) return 'ready';
  if (p.validUntil !== undefined && now >= Date.parse(p.validUntil)) return 'archive';
  return 'running';
}

/** The account's tariff instance, or 404 (one not theirs answers like one that does not exist). */
function usagePoint(c: CompatContext, id: unknown): EvaluationProfile {
  if (typeof id !== 'string' || id.length === 0 || id.length > 128) throw bad('usage-point-id missing or malformed');
  const p = c.store.evaluationProfiles().find((e) => e.id === id && mayReadEvaluation(c.account, e));
  if (p === undefined) throw new HanError('SMGW_HAN_NOT_FOUND', 'no such usage point');
  return p;
}

function channelsOf(p: EvaluationProfile): string[] {
  return [...new Set([...p.channels, ...(p.tariff?.stages.map((s) => s.obis) ?? [])])];
}

function usagePointView(p: EvaluationProfile, now: number) {
  return {
    'usage-point-id': p.id,
    'usage-point-name': p.tariffName ?? p.id,
    ...(p.usagePointId === undefined ? {} : { 'metering-point-id': p.usagePointId }),
    'taf-number': p.taf,
    'taf-state': tafState(p, now),
    'start-time': p.validFrom,
    ...(p.validUntil === undefined ? {} : { 'end-time': p.validUntil }),
    meter: [{ 'meter-id': p.meterId }],
  };
}

function smgwInfo(c: CompatContext): unknown {
  const state = c.systemState();
  const version = state.version;
  return {
    'smgw-id': c.gatewayId,
    firmware: typeof version === 'string' ? [{ component: 'opensmgw', version }] : [],
    'smgw-state': typeof state.operatingState === 'string' ? state.operatingState : 'unknown',
    'smgw-time': iso(c.clock.now()),
    certificates: { han: { tls: c.certificatePem }, wan: [] },
  };
}

function userInfo(c: CompatContext): unknown {
  const now = c.clock.now();
  return {
    'user-id': c.account.userId,
    'usage-points': c.store
      .evaluationProfiles()
      .filter((p) => mayReadEvaluation(c.account, p))
      .map((p) => usagePointView(p, now)),
  };
}

function usagePointInfo(c: CompatContext, body: Record<string, unknown>): unknown {
  fields(body, ['usage-point-id']);
  const p = usagePoint(c, body['usage-point-id']);
  const meter = c.store.meterProfiles().find((m) => m.meterId === p.meterId);
  return {
    ...usagePointView(p, c.clock.now()),
    'registration-period': p.registrationPeriodSeconds,
    channels: channelsOf(p).map((ch) => ({
      channel: ch,
      'meter-id': p.meterId,
      captured: meter?.channels.includes(ch) ?? false,
    })),
  };
}

type Database = 'origin' | 'derived' | 'calculated' | 'daily';
const DATABASES: readonly Database[] = ['origin', 'derived', 'calculated', 'daily'];

/** §7.3 reading record: 64-bit cosem-status = SMGW word then meter word. */
function record(r: StoredReading | StoredDerivedValue, owner: string, targetMs: number) {
  const meter = r.meterStatus ?? 0;
  return {
    'capture-time': iso(r.captureTimeMs),
    'target-time': iso(targetMs),
    value: r.value,
    scaler: r.scaler,
    unit: r.unit,
    'cosem-status': hex8(r.smgwStatus) + hex8(meter),
    'smgw-status': hex8(r.smgwStatus),
    'meter-status': hex8(meter),
    'owner-number': owner,
  };
}

function readings(c: CompatContext, body: Record<string, unknown>): unknown {
  fields(body, ['usage-point-id', 'database', 'channels', 'last-reading', 'fromtime', 'totime']);
  const database = (body.database ?? 'origin') as Database;
  if (!DATABASES.includes(database)) throw bad('database must be origin, derived, calculated or daily');
  const last = body['last-reading'] ?? false;
  if (typeof last !== 'boolean') throw bad('last-reading must be true or false');
  let channels: string[] | undefined;
  if (body.channels !== undefined) {
    if (!Array.isArray(body.channels) || body.channels.length === 0 || body.channels.length > 64)
      throw bad('channels must be a list of 1 to 64 {"channel": "<12 hex>"}');
    channels = body.channels.map((x: unknown) => {
      const ch = typeof x === 'object' && x !== null ? (x as Record<string, unknown>).channel : undefined;
      if (typeof ch !== 'string' || !/^[0-9a-f]{12}$/.test(ch)) throw bad('channel must be 12 lower-case hex digits');
      return ch;
    });
  }
  const now = c.clock.now();
  let from: number;
  let to: number;
  if (body.fromtime === undefined && body.totime === undefined) {
    if (!last) throw bad('fromtime and totime are required unless last-reading is true');
    to = now;
    from = now - MAX_RANGE_MS;
  } else {
    from = timeParam(body.fromtime, 'fromtime');
    to = timeParam(body.totime, 'totime');
  }
  if (to <= from) throw bad('totime must be after fromtime');
  // §9.1: "the range fromtime < t ≤ totime is limited to 31 days per request".
  if (to - from > MAX_RANGE_MS) throw bad('at most 31 days per request');
  const p = usagePoint(c, body['usage-point-id']);
  const wanted = channels ?? (database === 'origin' ? [...p.channels] : channelsOf(p));
  let truncated = false;
  let budget = MAX_READINGS;
  const out = wanted.map((ch) => {
    let rows: ReturnType<typeof record>[];
    if (database === 'origin') {
      // Original values of the usage point's meter: only the channels the tariff reads.
      if (!channelsOf(p).includes(ch)) return { channel: ch, readings: [] };
      if (last) {
        const r = c.store.lastAtOrBefore(p.meterId, ch, to, from);
        rows = r === undefined ? [] : [record(r, p.meterId, r.captureTimeMs)];
      } else {
        const got = c.store.between(p.meterId, ch, from, to, budget + 1);
        if (got.length > budget) truncated = true;
        rows = got.slice(0, budget).map((r) => record(r, p.meterId, r.captureTimeMs));
      }
    } else {
      const kind = database === 'daily' ? 'daily' : 'derived';
      // "calculated" is TAF 2's tariff-switch list (§7.3); "derived" the other TAFs' values.
      const fits = database === 'calculated' ? p.taf === 2 : database === 'derived' ? p.taf !== 2 : true;
      const got = fits ? c.store.derivedValues(p.id, from, to, MAX_READINGS + 1) : [];
      if (got.length > MAX_READINGS) truncated = true;
      const mine = got.filter((r) => r.kind === kind && r.obis === ch);
      const picked = last ? mine.slice(-1) : mine.slice(0, budget);
      if (!last && mine.length > budget) truncated = true;
      rows = picked.map((r) => record(r, p.id, r.targetTimeMs));
    }
    budget = Math.max(0, budget - rows.length);
    return { channel: ch, readings: rows };
  });
  return {
    'usage-point-id': p.id,
    database,
    fromtime: iso(from),
    totime: iso(to),
    truncated,
    channels: out,
  };
}

function logView(e: LogEntry) {
  return {
    index: e.index,
    time: e.time,
    level: e.level,
    outcome: e.outcome,
    event: e.event,
    message: e.message,
    ...(e.subject === undefined ? {} : { subject: e.subject }),
  };
}

/**
 * §9.1 log: at most 1,500 entries; `fromindex[,count]` or `fromtime,totime[,count]`
 * (fromtime ≤ t < totime). A consumer reads their own consumer-log entries; the service
 * technician the system log (§10: it holds no consumer data).
 */
function logMethod(c: CompatContext, body: Record<string, unknown>): unknown {
  fields(body, ['fromtime', 'totime', 'fromindex', 'count']);
  const count = body.count === undefined ? DEFAULT_LOG_COUNT : intParam(body.count, 'count', 1, MAX_LOG_ENTRIES);
  const byTime = body.fromtime !== undefined || body.totime !== undefined;
  if (byTime && body.fromindex !== undefined) throw bad('give fromindex or fromtime/totime, not both');
  const log = c.account.role === 'consumer' ? 'consumer' : 'system';
  const user = log === 'consumer' ? c.account.userId : undefined;
  if (!byTime) {
    const fromIndex =
      body.fromindex === undefined ? 1 : intParam(body.fromindex, 'fromindex', 1, Number.MAX_SAFE_INTEGER);
    const entries = c.store.readLog(log, fromIndex, count, user);
    return { log, count: entries.length, entries: entries.map(logView) };
  }
  const from = timeParam(body.fromtime, 'fromtime');
  const to = timeParam(body.totime, 'totime');
  if (to <= from) throw bad('totime must be after fromtime');
  const out: LogEntry[] = [];
  let index = 1;
  let truncated = true;
  scan: for (let page = 0; page < MAX_LOG_PAGES; page++) {
    const entries = c.store.readLog(log, index, MAX_LOG_ENTRIES, user);
    if (entries.length === 0) {
      truncated = false;
      break;
    }
    for (const e of entries) {
      const t = Date.parse(e.time);
      if (t >= to) {
        truncated = false;
        break scan;
      }
      if (t >= from) out.push(e);
      if (out.length >= count) break scan;
    }
    index = (entries.at(-1) as LogEntry).index + 1;
  }
  return { log, count: out.length, truncated, entries: out.map(logView) };
}

const METHODS = ['smgw-info', 'user-info', 'usage-point-info', 'readings', 'log'] as const;
type M2mMethod = (typeof METHODS)[number];

/** The user segment of /smgw/m2m/<user>[.sm][/json]; undefined if the path has another shape. */
function pathUser(path: string): { user: string; json: boolean } | undefined {
  const m = /^\/smgw\/m2m\/([A-Za-z0-9._@-]{1,128})(\/json)?$/.exec(path);
  if (m === null) return undefined;
  return { user: m[1] as string, json: m[2] !== undefined };
}

/** Serves one request under /smgw/m2m (the server routes here after authentication). */
export async function serveM2m(req: IncomingMessage, c: CompatContext): Promise<CompatAnswer> {
  const a = c.account;
  if (c.path === M2M_PREFIX) {
    if (c.method !== 'GET') return wrongMethod('GET');
    requireCompat(c, 'm2m', 'GET');
    const location = `${M2M_PREFIX}/${encodeURIComponent(a.userId)}`;
    return { status: 307, body: { location }, headers: { Location: location } };
  }
  const target = pathUser(c.path);
  if (target === undefined) throw new HanError('SMGW_HAN_NOT_FOUND', 'no such endpoint');
  // The user in the path must be the authenticated one (clients write "<user>.sm").
  if (target.user !== a.userId && target.user !== `${a.userId}.sm`)
    throw new HanError('SMGW_HAN_FORBIDDEN', 'the path names another user');
  if (!target.json) {
    if (c.method !== 'GET') return wrongMethod('GET');
    requireCompat(c, 'm2m', 'GET');
    return { status: 200, body: { 'user-id': a.userId, 'smgw-id': c.gatewayId, json: `${c.path}/json` } };
  }
  if (c.method !== 'POST') return wrongMethod('POST');
  const body = await readJsonBody(req);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw bad('the body must be a JSON object');
  const b = body as Record<string, unknown>;
  const name = b.method;
  if (typeof name !== 'string' || !(METHODS as readonly string[]).includes(name))
    throw bad(`method must be one of ${METHODS.join(', ')}`);
  const method = name as M2mMethod;
  requireCompat(c, `m2m:${method}`, 'POST');
  switch (method) {
    case 'smgw-info':
      fields(b, []);
      return { status: 200, body: smgwInfo(c) };
    case 'user-info':
      fields(b, []);
      return { status: 200, body: userInfo(c) };
    case 'usage-point-info':
      return { status: 200, body: usagePointInfo(c, b) };
    case 'readings':
      return { status: 200, body: readings(c, b) };
    case 'log':
      return { status: 200, body: logMethod(c, b) };
  }
}
