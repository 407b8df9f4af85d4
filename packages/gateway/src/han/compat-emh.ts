/**
 * EMH-CASA-style REST paths on the HAN (spec notes §7.3, §9.1; peers doc §2.2 R1: evcc, the
 * IP-Symcon module and emh-casa-go read these over HTTP/1.1 with Digest):
 *
 * - `GET /json/metering/derived` → the ids of the consumer's contracts (evaluation profiles).
 * - `GET /json/metering/derived/<id>` → `{"taf_type": "TAF-7", "sensor_domains": [<meterId>]}`.
 * - `GET /json/metering/origin/<meterId>/extended` → `{"values": [{"logical_name":
 *   "<obis>.<meterId>.sm", "value", "scaler", "unit" (COSEM code, 27 = W, 30 = Wh), "capture_time"}]}`,
 *   the latest original value of each captured channel within the last 31 days.
 *
 * Clients discover the meter id from the contracts, then poll the origin values. Access is the
 * HAN_COMPAT_ACCESS table plus mayReadEvaluation / mayReadMeter: a contract or meter that is not
 * the consumer's answers 404, like one that does not exist.
 */
import type { IncomingMessage } from 'node:http';
import { type CompatAnswer, type CompatContext, requireCompat, wrongMethod } from './compat-theben.js';
import { mayReadEvaluation, mayReadMeter } from './han-access.js';
import { MAX_RANGE_MS } from './han-api.js';
import { HanError } from './han-errors.js';

export const EMH_PREFIX = '/json/metering';

/** COSEM/DLMS unit codes (IEC 62056-62) for the units the store carries; 255 = other. */
const COSEM_UNITS: Readonly<Record<string, number>> = {
  W: 27,
  VA: 28,
  var: 29,
  Wh: 30,
  VAh: 31,
  varh: 32,
  A: 33,
  V: 35,
  Hz: 44,
  m3: 13,
  'm³': 13,
  '°C': 9,
};

export function cosemUnit(unit: string): number {
  return COSEM_UNITS[unit] ?? 255;
}

export function isEmhPath(path: string): boolean {
  return path === EMH_PREFIX || path.startsWith(`${EMH_PREFIX}/`);
}

const ID = '([A-Za-z0-9][A-Za-z0-9._-]{0,127})';
const DERIVED = new RegExp(`^/json/metering/derived(?:/${ID})?/?$`);
const ORIGIN = new RegExp(`^/json/metering/origin/${ID}/extended/?$`);

const notFound = (what: string) => new HanError('SMGW_HAN_NOT_FOUND', `no such ${what}`);

/** Serves one GET under /json/metering (the server routes here after authentication). */
export async function serveEmh(_req: IncomingMessage, c: CompatContext): Promise<CompatAnswer> {
  const derived = DERIVED.exec(c.path);
  const origin = derived === null ? ORIGIN.exec(c.path) : null;
  if (derived === null && origin === null) throw notFound('endpoint');
  if (c.method !== 'GET') return wrongMethod('GET');
  if ([...c.query.keys()].length > 0) throw new HanError('SMGW_HAN_BAD_REQUEST', 'no query parameters here');

  if (derived !== null) {
    requireCompat(c, 'emh:derived', 'GET');
    const contracts = c.store.evaluationProfiles().filter((p) => mayReadEvaluation(c.account, p));
    const id = derived[1];
    if (id === undefined) return { status: 200, body: contracts.map((p) => p.id) };
    const p = contracts.find((x) => x.id === id);
    if (p === undefined) throw notFound('contract');
    return {
      status: 200,
      body: {
        id: p.id,
        taf_type: `TAF-${p.taf}`,
        sensor_domains: [p.meterId],
        ...(p.usagePointId === undefined ? {} : { usage_point_id: p.usagePointId }),
        ...(p.tariffName === undefined ? {} : { tariff_name: p.tariffName }),
      },
    };
  }

  requireCompat(c, 'emh:origin', 'GET');
  const meterId = (origin as RegExpExecArray)[1] as string;
  const meter = c.store.meterProfiles().find((m) => m.meterId === meterId);
  if (meter === undefined || !mayReadMeter(c.account, meterId)) throw notFound('meter');
  const now = c.clock.now();
  const values = [];
  for (const obis of meter.channels) {
    // The latest value, no older than the 31 days a request may span (§9.1).
    const r = c.store.lastAtOrBefore(meterId, obis, now, now - MAX_RANGE_MS);
    if (r === undefined) continue;
    values.push({
      logical_name: `${obis}.${meterId}.sm`,
      value: r.value,
      scaler: r.scaler,
      unit: cosemUnit(r.unit),
      capture_time: new Date(r.captureTimeMs).toISOString(),
      status: r.smgwStatus,
    });
  }
  return { status: 200, body: { meter_id: meterId, values } };
}
