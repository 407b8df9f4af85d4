/**
 * The reading query as text (HTTP `?gateway=&meter=&from=&to=&limit=`, CLI flags) -> a
 * ReadingFilter. Hostile input: every parameter is checked, unknown or repeated ones are refused.
 */
import { ID_PATTERN } from '@opensmgw/protocol';
import { EmtError } from './emt-errors.js';
import { checkLimit, MAX_QUERY_LIMIT, type ReadingFilter } from './emt-store.js';

/** Page size when none is asked for. */
export const DEFAULT_QUERY_LIMIT = 1000;

const GATEWAY_ID = /^[Ee][A-Za-z]{3}[0-9]{10}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function bad(message: string, param: string): EmtError {
  return new EmtError('SMGW_EMT_BAD_REQUEST', message, { detail: { param } });
}

/** An ISO 8601 date or time ("2026-11-28", "2026-11-28T10:00:00Z", with offset) -> ms. */
export function parseQueryTime(name: string, text: string): number {
  const ms = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  if (Number.isNaN(ms)) throw bad(`${name}: expected an ISO 8601 date or time such as 2026-11-28T10:00:00Z`, name);
  return ms;
}

export function parseQueryGateway(text: string): string {
  if (!GATEWAY_ID.test(text)) throw bad('gateway: expected a gateway ID such as EOSM0100000001', 'gateway');
  return text;
}

export function parseQueryMeter(text: string): string {
  if (text.length > 64 || !ID_PATTERN.test(text)) throw bad('meter: expected a meter ID such as ELS-12345678', 'meter');
  return text;
}

export function parseQueryLimit(text: string): number {
  if (!/^[0-9]{1,7}$/.test(text)) throw bad(`limit: expected a whole number from 1 to ${MAX_QUERY_LIMIT}`, 'limit');
  try {
    return checkLimit(Number(text));
  } catch {
    throw bad(`limit: expected a whole number from 1 to ${MAX_QUERY_LIMIT}`, 'limit');
  }
}

const PARAMS = ['gateway', 'meter', 'from', 'to', 'limit'] as const;

/** `gateway=&meter=&from=&to=&limit=` -> ReadingFilter (limit default DEFAULT_QUERY_LIMIT). */
export function parseReadingQuery(query: URLSearchParams): ReadingFilter {
  for (const key of new Set(query.keys())) {
    if (!(PARAMS as readonly string[]).includes(key))
      throw bad(`unknown parameter ${JSON.stringify(key.slice(0, 32))}`, 'query');
    if (query.getAll(key).length > 1) throw bad(`${key} given more than once`, key);
  }
  const get = (k: (typeof PARAMS)[number]): string | undefined => query.get(k) ?? undefined;
  const gateway = get('gateway');
  const meter = get('meter');
  const from = get('from');
  const to = get('to');
  const limit = get('limit');
  const filter: ReadingFilter = {
    ...(gateway === undefined ? {} : { gatewayId: parseQueryGateway(gateway) }),
    ...(meter === undefined ? {} : { meterId: parseQueryMeter(meter) }),
    ...(from === undefined ? {} : { fromMs: parseQueryTime('from', from) }),
    ...(to === undefined ? {} : { toMs: parseQueryTime('to', to) }),
    limit: limit === undefined ? DEFAULT_QUERY_LIMIT : parseQueryLimit(limit),
  };
  return filter;
}
