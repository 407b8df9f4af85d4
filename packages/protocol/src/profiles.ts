/**
 * The three configuration profiles the GWA sets in a gateway (spec notes §7.1): meter,
 * communication and evaluation profile. JSON on the wire (our [M] choice; the real ones are
 * K461 COSEM-XML). The gateway validates every field before it takes a profile, so the readers
 * here refuse unknown fields and out-of-range values instead of ignoring them.
 */
import { AES128_HEX, id, MANUFACTURER, obisHex, WMBUS_SERIAL } from './identifiers.js';
import { array, boolean, integer, invalid, isoTime, object, oneOf, optionalString, string } from './json-check.js';

export const MEDIA = ['electricity', 'gas', 'water', 'heat'] as const;
export type Medium = (typeof MEDIA)[number];

/** A wireless M-Bus meter (OMS). Mode 7 + AFL MAC is required unless `allowMode5` (spec notes §8.2). */
export interface WmbusAccess {
  readonly type: 'wmbus';
  readonly manufacturer: string;
  /** Identification number as printed, 8 digits. */
  readonly serial: string;
  /** The meter's individual master key (MK, AES-128), 32 hex digits. Never logged. */
  readonly keyHex: string;
  /**
   * Accept security mode 5 (static key) from this meter. Values received so are marked
   * unauthenticated and never used by the metrological TAFs 1, 2, 6, 7. Default false.
   */
  readonly allowMode5: boolean;
}

/** A wired/IP meter speaking SML over mutually authenticated TLS (LMN profile, §3.5). */
export interface TlsSmlAccess {
  readonly type: 'tls-sml';
  /** The meter's self-signed LMN TLS certificate (PEM), pinned. */
  readonly certificatePem: string;
}

export type MeterAccess = WmbusAccess | TlsSmlAccess;

export interface MeterProfile {
  readonly meterId: string;
  readonly medium: Medium;
  readonly active: boolean;
  readonly access: MeterAccess;
  /** Captured channels as OBIS hex (e.g. "0100010800ff"); values of other channels are dropped. */
  readonly channels: readonly string[];
  /** Usage point (Marktlokation) this meter serves, 33 characters "DE…" or free text ≤ 64 (HAN). */
  readonly usagePointId?: string;
  /** The consumer this meter belongs to (HAN access control, issue 5). */
  readonly consumerId?: string;
}

export interface RetryPolicy {
  readonly initialDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { initialDelayMs: 2000, maxDelayMs: 300_000 };

/** Where deliveries for a market participant go, and its certificates (§7.1). */
export interface CommunicationProfile {
  readonly id: string;
  /** Base URL of the EMT's HTTPS service ("https://127.0.0.1:9443"); the path is protocol-defined. */
  readonly url: string;
  /** TLS server name to send and check against the certificate (e.g. "emt-1.opensmgw.test"). */
  readonly servername: string;
  /** The EMT's TLS certificate (PEM), which its server must present (pinned on top of SM-PKI validation). */
  readonly tlsCertificatePem: string;
  /** The EMT's ENC certificate (PEM): recipient of the CMS containers. */
  readonly encryptionCertificatePem: string;
  readonly retry: RetryPolicy;
}

export const TAF_NUMBERS = [1, 2, 6, 7] as const;
export type TafNumber = (typeof TAF_NUMBERS)[number];

export type BillingPeriod = { readonly months: number } | { readonly seconds: number };

export interface TariffStage {
  readonly tariffNumber: number;
  /** The register this stage accumulates into, OBIS hex (e.g. "0100010801ff" for rate 1). */
  readonly obis: string;
}

export interface SwitchPoint {
  /** Local time "HH:MM" on a 15-minute (or registration-period) boundary. */
  readonly time: string;
  readonly tariffNumber: number;
}

export interface DayProfile {
  readonly dayId: number;
  /** Switch points in ascending time; the first must be "00:00". */
  readonly switches: readonly SwitchPoint[];
}

export interface SpecialDay {
  readonly date: string;
  readonly dayId: number;
}

/** TAF 2 switching program (spec notes §6.3). */
export interface TariffProgram {
  readonly stages: readonly TariffStage[];
  /** Register for energy that cannot be assigned (missing or invalid boundary readings); OBIS E = 63. */
  readonly errorRegisterObis: string;
  readonly dayProfiles: readonly DayProfile[];
  /** Day profile per weekday, Monday first (7 entries). */
  readonly weekdays: readonly number[];
  readonly specialDays: readonly SpecialDay[];
}

export interface EvaluationProfile {
  readonly id: string;
  readonly taf: TafNumber;
  readonly meterId: string;
  /** Source channels (OBIS hex); TAF 2 uses exactly one (the energy register). */
  readonly channels: readonly string[];
  /** Communication profile ids the results are sealed for and sent to. */
  readonly recipients: readonly string[];
  /**
   * Registration (measurement) period in seconds: TAF 7's series raster, TAF 2's switching
   * raster. 900 in the field; ≥ 5 so a demo can use seconds.
   */
  readonly registrationPeriodSeconds: number;
  /** TAF 1 and 2: billing period (months in the field; seconds for demos). */
  readonly billingPeriod?: BillingPeriod;
  readonly tariff?: TariffProgram;
  /** IANA time zone for day boundaries (TAF 2 day profiles, TAF 6 days). Default "Europe/Berlin". */
  readonly timeZone: string;
  readonly validFrom: string;
  readonly validUntil?: string;
  readonly usagePointId?: string;
  readonly tariffName?: string;
}

const PEM_CERT = /^-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----\r?\n?$/;
const HTTPS_URL = /^https:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/;
const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/;
const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const FREE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

function pemCertificate(v: unknown, path: string): string {
  return string(v, path, PEM_CERT, 16384);
}

function obisList(v: unknown, path: string, max = 64): string[] {
  const list = array(v, path, obisHex, max, 1);
  if (new Set(list).size !== list.length) throw invalid(path, 'duplicate channel');
  return list;
}

export function parseMeterProfile(v: unknown, path = 'meterProfile'): MeterProfile {
  const o = object(v, path, ['meterId', 'medium', 'active', 'access', 'channels', 'usagePointId', 'consumerId']);
  const a = o.access as { type?: unknown } | undefined;
  const accessPath = `${path}.access`;
  let access: MeterAccess;
  if (a !== null && typeof a === 'object' && a.type === 'wmbus') {
    const w = object(a, accessPath, ['type', 'manufacturer', 'serial', 'keyHex', 'allowMode5']);
    access = {
      type: 'wmbus',
      manufacturer: string(w.manufacturer, `${accessPath}.manufacturer`, MANUFACTURER),
      serial: string(w.serial, `${accessPath}.serial`, WMBUS_SERIAL),
      keyHex: string(w.keyHex, `${accessPath}.keyHex`, AES128_HEX).toLowerCase(),
      allowMode5: w.allowMode5 === undefined ? false : boolean(w.allowMode5, `${accessPath}.allowMode5`),
    };
  } else if (a !== null && typeof a === 'object' && a.type === 'tls-sml') {
    const t = object(a, accessPath, ['type', 'certificatePem']);
    access = { type: 'tls-sml', certificatePem: pemCertificate(t.certificatePem, `${accessPath}.certificatePem`) };
  } else {
    throw invalid(`${accessPath}.type`, 'must be "wmbus" or "tls-sml"');
  }
  const usagePointId = optionalString(o.usagePointId, `${path}.usagePointId`, FREE_ID, 64);
  const consumerId = o.consumerId === undefined ? undefined : id(o.consumerId, `${path}.consumerId`);
  return {
    meterId: id(o.meterId, `${path}.meterId`),
    medium: oneOf(o.medium, `${path}.medium`, MEDIA),
    active: boolean(o.active, `${path}.active`),
    access,
    channels: obisList(o.channels, `${path}.channels`),
    ...(usagePointId === undefined ? {} : { usagePointId }),
    ...(consumerId === undefined ? {} : { consumerId }),
  };
}

function parseRetry(v: unknown, path: string): RetryPolicy {
  if (v === undefined) return DEFAULT_RETRY;
  const o = object(v, path, ['initialDelayMs', 'maxDelayMs']);
  const initialDelayMs = integer(o.initialDelayMs, `${path}.initialDelayMs`, 100, 3_600_000);
  const maxDelayMs = integer(o.maxDelayMs, `${path}.maxDelayMs`, initialDelayMs, 86_400_000);
  return { initialDelayMs, maxDelayMs };
}

export function parseCommunicationProfile(v: unknown, path = 'communicationProfile'): CommunicationProfile {
  const o = object(v, path, ['id', 'url', 'servername', 'tlsCertificatePem', 'encryptionCertificatePem', 'retry']);
  const url = string(o.url, `${path}.url`, HTTPS_URL, 300);
  const port = url.match(/:(\d+)$/)?.[1];
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) throw invalid(`${path}.url`, 'bad port');
  return {
    id: id(o.id, `${path}.id`),
    url,
    servername: string(o.servername, `${path}.servername`, HOSTNAME, 253),
    tlsCertificatePem: pemCertificate(o.tlsCertificatePem, `${path}.tlsCertificatePem`),
    encryptionCertificatePem: pemCertificate(o.encryptionCertificatePem, `${path}.encryptionCertificatePem`),
    retry: parseRetry(o.retry, `${path}.retry`),
  };
}

function parseBillingPeriod(v: unknown, path: string): BillingPeriod {
  const o = object(v, path, ['months', 'seconds']);
  if (o.months !== undefined && o.seconds === undefined) return { months: integer(o.months, `${path}.months`, 1, 120) };
  if (o.seconds !== undefined && o.months === undefined) {
    return { seconds: integer(o.seconds, `${path}.seconds`, 5, 10 * 366 * 86400) };
  }
  throw invalid(path, 'give exactly one of months, seconds');
}

function parseTariff(v: unknown, path: string): TariffProgram {
  const o = object(v, path, ['stages', 'errorRegisterObis', 'dayProfiles', 'weekdays', 'specialDays']);
  // TRuDI accepts at most 20 tariff stages (spec notes §6.1).
  const stages = array(
    o.stages,
    `${path}.stages`,
    (x, p) => {
      const s = object(x, p, ['tariffNumber', 'obis']);
      return { tariffNumber: integer(s.tariffNumber, `${p}.tariffNumber`, 1, 255), obis: obisHex(s.obis, `${p}.obis`) };
    },
    20,
    1,
  );
  const numbers = new Set(stages.map((s) => s.tariffNumber));
  if (numbers.size !== stages.length) throw invalid(`${path}.stages`, 'duplicate tariffNumber');
  const errorRegisterObis = obisHex(o.errorRegisterObis, `${path}.errorRegisterObis`);
  if (errorRegisterObis.slice(8, 10) !== '3f') throw invalid(`${path}.errorRegisterObis`, 'OBIS E must be 63');
  const dayProfiles = array(
    o.dayProfiles,
    `${path}.dayProfiles`,
    (x, p) => {
      const d = object(x, p, ['dayId', 'switches']);
      const switches = array(
        d.switches,
        `${p}.switches`,
        (y, q) => {
          const s = object(y, q, ['time', 'tariffNumber']);
          const tariffNumber = integer(s.tariffNumber, `${q}.tariffNumber`, 1, 255);
          if (!numbers.has(tariffNumber)) throw invalid(`${q}.tariffNumber`, 'no such stage');
          return { time: string(s.time, `${q}.time`, HHMM, 5), tariffNumber };
        },
        96,
        1,
      );
      if (switches[0]?.time !== '00:00') throw invalid(`${p}.switches[0].time`, 'the first switch point must be 00:00');
      for (let i = 1; i < switches.length; i++) {
        if ((switches[i]?.time ?? '') <= (switches[i - 1]?.time ?? '')) {
          throw invalid(`${p}.switches[${i}].time`, 'switch points must ascend');
        }
      }
      return { dayId: integer(d.dayId, `${p}.dayId`, 0, 255), switches };
    },
    32,
    1,
  );
  const dayIds = new Set(dayProfiles.map((d) => d.dayId));
  if (dayIds.size !== dayProfiles.length) throw invalid(`${path}.dayProfiles`, 'duplicate dayId');
  const dayRef = (x: unknown, p: string): number => {
    const n = integer(x, p, 0, 255);
    if (!dayIds.has(n)) throw invalid(p, 'no such day profile');
    return n;
  };
  const weekdays = array(o.weekdays, `${path}.weekdays`, dayRef, 7, 7);
  const specialDays = array(
    o.specialDays ?? [],
    `${path}.specialDays`,
    (x, p) => {
      const s = object(x, p, ['date', 'dayId']);
      return { date: string(s.date, `${p}.date`, DATE, 10), dayId: dayRef(s.dayId, `${p}.dayId`) };
    },
    400,
  );
  return { stages, errorRegisterObis, dayProfiles, weekdays, specialDays };
}

/**
 * Zones already checked: building an Intl.DateTimeFormat costs ~0.1 ms and ~9 KB of native
 * memory, and a store re-reads thousands of profiles (bench/gateway-ingest.mjs). Bounded: the
 * IANA database has fewer than 600 names, so a full set means someone is probing; then it is
 * cleared.
 */
const knownZones = new Set<string>();

function timeZone(v: unknown, path: string): string {
  if (v === undefined) return 'Europe/Berlin';
  const tz = string(v, path, /^[A-Za-z_]+(\/[A-Za-z_+-]+){0,2}$/, 64);
  if (knownZones.has(tz)) return tz;
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw invalid(path, 'unknown time zone');
  }
  if (knownZones.size >= 1000) knownZones.clear();
  knownZones.add(tz);
  return tz;
}

export function parseEvaluationProfile(v: unknown, path = 'evaluationProfile'): EvaluationProfile {
  const o = object(v, path, [
    'id',
    'taf',
    'meterId',
    'channels',
    'recipients',
    'registrationPeriodSeconds',
    'billingPeriod',
    'tariff',
    'timeZone',
    'validFrom',
    'validUntil',
    'usagePointId',
    'tariffName',
  ]);
  const taf = oneOf(o.taf, `${path}.taf`, TAF_NUMBERS);
  const channels = obisList(o.channels, `${path}.channels`, 16);
  if (taf === 2 && channels.length !== 1) throw invalid(`${path}.channels`, 'TAF 2 takes exactly one energy channel');
  const recipients = array(o.recipients, `${path}.recipients`, id, 8, 1);
  const registrationPeriodSeconds = integer(o.registrationPeriodSeconds, `${path}.registrationPeriodSeconds`, 5, 86400);
  if (86400 % registrationPeriodSeconds !== 0) {
    throw invalid(`${path}.registrationPeriodSeconds`, 'must divide a day (the raster starts at midnight)');
  }
  const needsBilling = taf === 1 || taf === 2;
  if (needsBilling && o.billingPeriod === undefined) throw invalid(`${path}.billingPeriod`, `TAF ${taf} needs one`);
  if (!needsBilling && o.billingPeriod !== undefined) throw invalid(`${path}.billingPeriod`, `not used by TAF ${taf}`);
  if (taf === 2 && o.tariff === undefined) throw invalid(`${path}.tariff`, 'TAF 2 needs a tariff program');
  if (taf !== 2 && o.tariff !== undefined) throw invalid(`${path}.tariff`, `not used by TAF ${taf}`);
  const validFrom = isoTime(o.validFrom, `${path}.validFrom`);
  const validUntil = o.validUntil === undefined ? undefined : isoTime(o.validUntil, `${path}.validUntil`);
  if (validUntil !== undefined && Date.parse(validUntil) <= Date.parse(validFrom)) {
    throw invalid(`${path}.validUntil`, 'must be after validFrom');
  }
  const usagePointId = optionalString(o.usagePointId, `${path}.usagePointId`, FREE_ID, 64);
  const tariffName = optionalString(o.tariffName, `${path}.tariffName`, undefined, 128);
  return {
    id: id(o.id, `${path}.id`),
    taf,
    meterId: id(o.meterId, `${path}.meterId`),
    channels,
    recipients,
    registrationPeriodSeconds,
    ...(o.billingPeriod === undefined
      ? {}
      : { billingPeriod: parseBillingPeriod(o.billingPeriod, `${path}.billingPeriod`) }),
    ...(o.tariff === undefined ? {} : { tariff: parseTariff(o.tariff, `${path}.tariff`) }),
    timeZone: timeZone(o.timeZone, `${path}.timeZone`),
    validFrom,
    ...(validUntil === undefined ? {} : { validUntil }),
    ...(usagePointId === undefined ? {} : { usagePointId }),
    ...(tariffName === undefined ? {} : { tariffName }),
  };
}
