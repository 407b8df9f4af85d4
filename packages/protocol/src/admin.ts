/**
 * Administration of a gateway by its GWA (spec notes §5.4) over the connection the gateway
 * opened. Design (ours, [M]; docs/wire-protocols.md): the gateway is always the HTTPS client.
 * After a wake-up and on its schedule it calls the GWA over mutual TLS (WAN profile):
 *
 *   GET  /gwa/v1/time                  -> TimeResponse (time synchronisation, §5.5)
 *   GET  /gwa/v1/jobs                  -> JobsResponse (pending jobs for the caller, oldest first)
 *   POST /gwa/v1/jobs/<jobId>/result   <- JobResult    (one per job, in order)
 *
 * The GWA knows the caller by its TLS client certificate (its CN is the gateway ID), so no
 * gateway ID appears in a path. Jobs are idempotent by jobId: the gateway remembers the last
 * completed jobs and answers a repeated one with its stored result instead of running it again.
 */

import { type ClsProfile, parseClsProfile } from './cls.js';
import { id } from './identifiers.js';
import { array, integer, invalid, object, oneOf, parseJsonText, string } from './json-check.js';
import { type LogEntry, type LogName, parseLogEntries } from './log-entry.js';
import {
  type CommunicationProfile,
  type EvaluationProfile,
  type MeterProfile,
  parseCommunicationProfile,
  parseEvaluationProfile,
  parseMeterProfile,
} from './profiles.js';

export const GWA_PATHS = {
  time: '/gwa/v1/time',
  jobs: '/gwa/v1/jobs',
  jobResult: (jobId: string): string => `/gwa/v1/jobs/${encodeURIComponent(jobId)}/result`,
} as const;

export const EMT_PATHS = {
  /** POST a CMS container (DER), Content-Type CMS_MEDIA_TYPE, header MESSAGE_ID_HEADER. */
  containers: '/emt/v1/containers',
  /** GET stored readings as JSON (query: gateway, meter, from, to, limit). */
  readings: '/emt/v1/readings',
} as const;

export const CMS_MEDIA_TYPE = 'application/cms';
/** The delivery's message ID, also inside the signed payload; lets a receiver answer a duplicate fast. */
export const MESSAGE_ID_HEADER = 'x-opensmgw-message-id';
/** Upper bound of a CMS container accepted by an EMT. */
export const MAX_CONTAINER_BYTES = 16 * 1024 * 1024;
/** Upper bound of JSON bodies between gateway and GWA. */
export const MAX_ADMIN_BODY_BYTES = 4 * 1024 * 1024;

export interface TimeResponse {
  /** The GWA's legal time, ms since the epoch (UTC). */
  readonly epochMs: number;
}

/** The WAN certificate triplet the gateway uses (spec notes §4): TLS, signature, encryption. */
export const CERTIFICATE_USES = ['tls', 'sig', 'enc'] as const;
export type CertificateUse = (typeof CERTIFICATE_USES)[number];

export type AdminJob =
  | { readonly jobId: string; readonly type: 'set-meter-profile'; readonly profile: MeterProfile }
  | { readonly jobId: string; readonly type: 'delete-meter-profile'; readonly meterId: string }
  | { readonly jobId: string; readonly type: 'set-communication-profile'; readonly profile: CommunicationProfile }
  | { readonly jobId: string; readonly type: 'delete-communication-profile'; readonly id: string }
  | { readonly jobId: string; readonly type: 'set-evaluation-profile'; readonly profile: EvaluationProfile }
  | { readonly jobId: string; readonly type: 'delete-evaluation-profile'; readonly id: string }
  /** CLS proxy (spec notes §9.2): the device's pinned certificate and its one active EMT. */
  | { readonly jobId: string; readonly type: 'set-cls-profile'; readonly profile: ClsProfile }
  | { readonly jobId: string; readonly type: 'delete-cls-profile'; readonly id: string }
  /** HKS4: the EMT asked the GWA for a channel; the gateway connects to the device and the EMT. */
  | { readonly jobId: string; readonly type: 'open-cls-channel'; readonly clsProfileId: string }
  /** Generate a new key pair for `use` in the security module (pending slot) and answer a PKCS#10 CSR. */
  | { readonly jobId: string; readonly type: 'create-csr'; readonly use: CertificateUse }
  /**
   * Install operational certificates for the keys of earlier create-csr jobs; the gateway checks
   * each matches its pending key and chains to the SM-PKI, then switches from its factory identity.
   */
  | {
      readonly jobId: string;
      readonly type: 'install-certificates';
      readonly tlsPem: string;
      readonly sigPem: string;
      readonly encPem: string;
      /** Sub-CA certificate(s), PEM. */
      readonly chainPem: string;
    }
  | {
      readonly jobId: string;
      readonly type: 'read-log';
      readonly log: Exclude<LogName, 'consumer'>;
      readonly fromIndex: number;
      readonly count: number;
    }
  /** Synchronise time now (GET time) and answer the measured offset. */
  | { readonly jobId: string; readonly type: 'sync-time' }
  /** State, time validity, profile and queue counts. */
  | { readonly jobId: string; readonly type: 'read-status' }
  /** The GWA's schedule for this gateway: poll interval (s). */
  | { readonly jobId: string; readonly type: 'set-schedule'; readonly pollIntervalSeconds: number }
  /** Create or replace a HAN user (consumer or service technician; spec notes §9.1). */
  | { readonly jobId: string; readonly type: 'set-han-account'; readonly account: HanAccount }
  | { readonly jobId: string; readonly type: 'delete-han-account'; readonly userId: string };

export type AdminJobType = AdminJob['type'];

export const ADMIN_JOB_TYPES: readonly AdminJobType[] = [
  'set-meter-profile',
  'delete-meter-profile',
  'set-communication-profile',
  'delete-communication-profile',
  'set-evaluation-profile',
  'delete-evaluation-profile',
  'set-cls-profile',
  'delete-cls-profile',
  'open-cls-channel',
  'create-csr',
  'install-certificates',
  'read-log',
  'sync-time',
  'read-status',
  'set-schedule',
  'set-han-account',
  'delete-han-account',
];

export interface JobsResponse {
  readonly jobs: readonly AdminJob[];
}

export type JobResult =
  | { readonly ok: true; readonly result?: unknown }
  | { readonly ok: false; readonly error: { readonly code: string; readonly message: string } };

/** What a create-csr job answers. */
export interface CsrResult {
  readonly use: CertificateUse;
  readonly csrPem: string;
}

/** What a read-log job answers. */
export interface ReadLogResult {
  readonly entries: readonly LogEntry[];
}

const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
const PEM = /^(-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?)+$/;
const PEM_CSR = /^-----BEGIN CERTIFICATE REQUEST-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE REQUEST-----\r?\n?$/;

export function parseAdminJob(v: unknown, path = 'job'): AdminJob {
  const base = object(v, path, [
    'jobId',
    'type',
    'profile',
    'meterId',
    'clsProfileId',
    'id',
    'use',
    'tlsPem',
    'sigPem',
    'encPem',
    'chainPem',
    'log',
    'fromIndex',
    'count',
    'pollIntervalSeconds',
    'account',
    'userId',
  ]);
  const jobId = string(base.jobId, `${path}.jobId`, JOB_ID, 64);
  const type = oneOf(base.type, `${path}.type`, ADMIN_JOB_TYPES);
  const only = (fields: string[]): Readonly<Record<string, unknown>> => object(v, path, ['jobId', 'type', ...fields]);
  switch (type) {
    case 'set-meter-profile':
      return { jobId, type, profile: parseMeterProfile(only(['profile']).profile, `${path}.profile`) };
    case 'delete-meter-profile':
      return { jobId, type, meterId: id(only(['meterId']).meterId, `${path}.meterId`) };
    case 'set-communication-profile':
      return { jobId, type, profile: parseCommunicationProfile(only(['profile']).profile, `${path}.profile`) };
    case 'delete-communication-profile':
      return { jobId, type, id: id(only(['id']).id, `${path}.id`) };
    case 'set-evaluation-profile':
      return { jobId, type, profile: parseEvaluationProfile(only(['profile']).profile, `${path}.profile`) };
    case 'delete-evaluation-profile':
      return { jobId, type, id: id(only(['id']).id, `${path}.id`) };
    case 'set-cls-profile':
      return { jobId, type, profile: parseClsProfile(only(['profile']).profile, `${path}.profile`) };
    case 'delete-cls-profile':
      return { jobId, type, id: id(only(['id']).id, `${path}.id`) };
    case 'open-cls-channel':
      return { jobId, type, clsProfileId: id(only(['clsProfileId']).clsProfileId, `${path}.clsProfileId`) };
    case 'create-csr':
      return { jobId, type, use: oneOf(only(['use']).use, `${path}.use`, CERTIFICATE_USES) };
    case 'install-certificates': {
      const o = only(['tlsPem', 'sigPem', 'encPem', 'chainPem']);
      return {
        jobId,
        type,
        tlsPem: string(o.tlsPem, `${path}.tlsPem`, PEM, 16384),
        sigPem: string(o.sigPem, `${path}.sigPem`, PEM, 16384),
        encPem: string(o.encPem, `${path}.encPem`, PEM, 16384),
        chainPem: string(o.chainPem, `${path}.chainPem`, PEM, 65536),
      };
    }
    case 'read-log': {
      const o = only(['log', 'fromIndex', 'count']);
      return {
        jobId,
        type,
        log: oneOf(o.log, `${path}.log`, ['system', 'calibration'] as const),
        fromIndex: integer(o.fromIndex, `${path}.fromIndex`, 1, Number.MAX_SAFE_INTEGER),
        count: integer(o.count, `${path}.count`, 1, 1500),
      };
    }
    case 'sync-time':
    case 'read-status':
      only([]);
      return { jobId, type };
    case 'set-schedule':
      return {
        jobId,
        type,
        pollIntervalSeconds: integer(
          only(['pollIntervalSeconds']).pollIntervalSeconds,
          `${path}.pollIntervalSeconds`,
          5,
          7 * 86400,
        ),
      };
    case 'set-han-account':
      return { jobId, type, account: parseHanAccount(only(['account']).account, `${path}.account`) };
    case 'delete-han-account':
      return { jobId, type, userId: id(only(['userId']).userId, `${path}.userId`) };
  }
}

export function parseJobsResponse(text: string | Uint8Array): JobsResponse {
  const o = object(parseJsonText(text, MAX_ADMIN_BODY_BYTES), 'response', ['jobs']);
  return { jobs: array(o.jobs, 'response.jobs', parseAdminJob, 1000) };
}

export function parseTimeResponse(text: string | Uint8Array): TimeResponse {
  const o = object(parseJsonText(text, 4096), 'response', ['epochMs']);
  return { epochMs: integer(o.epochMs, 'response.epochMs', 0, 8.64e15) };
}

export function parseJobResult(text: string | Uint8Array): JobResult {
  const o = object(parseJsonText(text, MAX_ADMIN_BODY_BYTES), 'result', ['ok', 'result', 'error']);
  if (o.ok === true) return o.result === undefined ? { ok: true } : { ok: true, result: o.result };
  if (o.ok === false) {
    const e = object(o.error, 'result.error', ['code', 'message']);
    return {
      ok: false,
      error: {
        code: string(e.code, 'result.error.code', /^[A-Z][A-Z0-9_]{0,63}$/, 64),
        message: string(e.message, 'result.error.message', undefined, 2048),
      },
    };
  }
  throw invalid('result.ok', 'expected true or false');
}

export function parseCsrResult(v: unknown, path = 'result'): CsrResult {
  const o = object(v, path, ['use', 'csrPem']);
  return {
    use: oneOf(o.use, `${path}.use`, CERTIFICATE_USES),
    csrPem: string(o.csrPem, `${path}.csrPem`, PEM_CSR, 16384),
  };
}

export function parseReadLogResult(v: unknown, path = 'result'): ReadLogResult {
  const o = object(v, path, ['entries']);
  return { entries: parseLogEntries(o.entries, `${path}.entries`) };
}

/** Who uses the HAN interface (spec notes §9.1): a consumer (IF_GW_CON) or a service technician (IF_GW_SRV). */
export const HAN_ROLES = ['consumer', 'service'] as const;
export type HanRole = (typeof HAN_ROLES)[number];

/**
 * A HAN user as the GWA sets it [M]. The password itself never reaches the gateway: only
 * `digestHa1` = hex MD5(userId ":" realm ":" password), what RFC 2617 Digest needs (realm:
 * the gateway's HAN realm, docs/han.md). `certificateSha256` maps a TLS client certificate to
 * the user (SHA-256 of its DER, hex). At least one of the two is required.
 */
export interface HanAccount {
  readonly userId: string;
  readonly role: HanRole;
  /** Consumer: the usage points (Marktlokationen) the user may see. Service: always empty. */
  readonly usagePointIds: readonly string[];
  /** Consumer: the meters whose values the user may read. Service: always empty. */
  readonly meterIds: readonly string[];
  readonly digestHa1?: string;
  readonly certificateSha256?: string;
}

const USAGE_POINT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function parseHanAccount(v: unknown, path = 'account'): HanAccount {
  const o = object(v, path, ['userId', 'role', 'usagePointIds', 'meterIds', 'digestHa1', 'certificateSha256']);
  const role = oneOf(o.role, `${path}.role`, HAN_ROLES);
  const usagePointIds = array(
    o.usagePointIds ?? [],
    `${path}.usagePointIds`,
    (x, p) => string(x, p, USAGE_POINT_ID, 64),
    64,
  );
  const meterIds = array(o.meterIds ?? [], `${path}.meterIds`, id, 256);
  if (new Set(usagePointIds).size !== usagePointIds.length) throw invalid(`${path}.usagePointIds`, 'duplicate');
  if (new Set(meterIds).size !== meterIds.length) throw invalid(`${path}.meterIds`, 'duplicate');
  // A service technician sees system state and the system log, never consumer data (§9.1).
  if (role === 'service' && (usagePointIds.length > 0 || meterIds.length > 0)) {
    throw invalid(path, 'a service technician has no usage points or meters');
  }
  const digestHa1 =
    o.digestHa1 === undefined ? undefined : string(o.digestHa1, `${path}.digestHa1`, /^[0-9a-f]{32}$/, 32);
  const certificateSha256 =
    o.certificateSha256 === undefined
      ? undefined
      : string(o.certificateSha256, `${path}.certificateSha256`, /^[0-9a-f]{64}$/, 64);
  if (digestHa1 === undefined && certificateSha256 === undefined) {
    throw invalid(path, 'needs digestHa1 or certificateSha256');
  }
  return {
    userId: id(o.userId, `${path}.userId`),
    role,
    usagePointIds,
    meterIds,
    ...(digestHa1 === undefined ? {} : { digestHa1 }),
    ...(certificateSha256 === undefined ? {} : { certificateSha256 }),
  };
}
