/**
 * Who may use which HAN endpoint (spec notes §9.1, §10; PP FAU_SAR.1/CON and /SYS): a table of
 * data, denied by default. A route absent from the table, or a role absent from a route, is
 * refused before any handler runs. What a consumer may see inside an allowed endpoint (their
 * meters, usage points and log entries only) is `visibleTo` below, also deny by default.
 */
import type { EvaluationProfile, HanAccount, HanRole } from '@opensmgw/protocol';

export const HAN_API_PREFIX = '/han/v1';

export const HAN_ENDPOINTS = [
  '/han/v1/me',
  '/han/v1/usage-points',
  '/han/v1/readings',
  '/han/v1/log',
  '/han/v1/system',
  '/han/v1/system-log',
] as const;
export type HanEndpoint = (typeof HAN_ENDPOINTS)[number];

/**
 * The role x endpoint table. Consumer: their own data and consumer log. Service technician:
 * system state and system log only; no consumer data, no configuration (nothing here writes).
 */
export const HAN_ACCESS: Readonly<Record<HanEndpoint, Readonly<Partial<Record<HanRole, 'GET'>>>>> = {
  '/han/v1/me': { consumer: 'GET', service: 'GET' },
  '/han/v1/usage-points': { consumer: 'GET' },
  '/han/v1/readings': { consumer: 'GET' },
  '/han/v1/log': { consumer: 'GET' },
  '/han/v1/system': { service: 'GET' },
  '/han/v1/system-log': { service: 'GET' },
};

export function isHanEndpoint(path: string): path is HanEndpoint {
  return (HAN_ENDPOINTS as readonly string[]).includes(path);
}

/** True only if the table names this role and method for the endpoint. */
export function mayUse(role: HanRole, endpoint: HanEndpoint, method: string): boolean {
  return HAN_ACCESS[endpoint]?.[role] === method;
}

/** The endpoints a role may use (for /han/v1/me: "what can I see and why", R4). */
export function endpointsOf(role: HanRole): HanEndpoint[] {
  return HAN_ENDPOINTS.filter((e) => HAN_ACCESS[e][role] !== undefined);
}

/** A consumer may read a meter's original values only if the GWA listed it in their account. */
export function mayReadMeter(account: HanAccount, meterId: string): boolean {
  return account.role === 'consumer' && account.meterIds.includes(meterId);
}

/**
 * A consumer may read the derived/daily values of an evaluation profile on one of their meters,
 * and only if the profile's usage point (when it names one) is theirs: two consumers sharing a
 * meter (import/export split, ha-ppc-smgw #154) see only the tariffs of their own contracts.
 */
export function mayReadEvaluation(account: HanAccount, p: EvaluationProfile): boolean {
  if (!mayReadMeter(account, p.meterId)) return false;
  return p.usagePointId === undefined || account.usagePointIds.includes(p.usagePointId);
}

/**
 * The compatibility operations (compat-theben.ts, compat-emh.ts; spec notes §9.1, docs/han.md
 * "Compatibility paths") under the same rule: deny by default, the service technician gets the
 * gateway's information and the system log, never consumer data.
 */
export const HAN_COMPAT_ACCESS = {
  /** GET /smgw/m2m (307 to the user's endpoint) and GET /smgw/m2m/<user>. */
  m2m: { consumer: 'GET', service: 'GET' },
  'm2m:smgw-info': { consumer: 'POST', service: 'POST' },
  'm2m:user-info': { consumer: 'POST' },
  'm2m:usage-point-info': { consumer: 'POST' },
  'm2m:readings': { consumer: 'POST' },
  /** The consumer's own consumer log; the system log for the service technician. */
  'm2m:log': { consumer: 'POST', service: 'POST' },
  /** GET /json/metering/derived[/<id>]. */
  'emh:derived': { consumer: 'GET' },
  /** GET /json/metering/origin/<meterId>/extended. */
  'emh:origin': { consumer: 'GET' },
} as const satisfies Readonly<Record<string, Readonly<Partial<Record<HanRole, 'GET' | 'POST'>>>>>;
export type HanCompatOperation = keyof typeof HAN_COMPAT_ACCESS;

/** True only if the compatibility table names this role and method for the operation. */
export function mayUseCompat(role: HanRole, op: HanCompatOperation, method: string): boolean {
  const row: Readonly<Partial<Record<HanRole, string>>> = HAN_COMPAT_ACCESS[op];
  return row[role] === method;
}
