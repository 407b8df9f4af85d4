/**
 * The payload inside the CMS containers a gateway sends to a market participant: one message
 * per evaluation-profile result. JSON "opensmgw-readings/1" (our [M] choice; the field format
 * is K461 COSEM-XML, spec notes §7.3). Values are integers with a decimal scaler, as in COSEM,
 * so no precision is lost on the way.
 *
 * `messageId` is assigned when the gateway queues the message durably; it is the same on every
 * retry, so the receiver drops duplicates by it (at-least-once delivery, spec notes §5.3).
 */
import { id, obisHex } from './identifiers.js';
import { array, integer, isoTime, object, oneOf, optionalString, parseJsonText, string } from './json-check.js';
import { TAF_NUMBERS, type TafNumber } from './profiles.js';

export const READINGS_FORMAT = 'opensmgw-readings/1';

/** Original values come from the meter; derived ones are computed by a TAF (spec notes §7.3). */
export type ReadingKind = 'original' | 'derived' | 'daily';

export interface Reading {
  readonly meterId: string;
  readonly obis: string;
  readonly kind: ReadingKind;
  /** Integer register value as decimal text (may exceed 2^53; may be negative). */
  readonly value: string;
  /** Physical value = value × 10^scaler. */
  readonly scaler: number;
  /** Unit as text: "Wh", "W", "m3", "J", "°C", … */
  readonly unit: string;
  readonly captureTime: string;
  /** End of the TAF period the value is for (TAF 1, 2, 6, 7). */
  readonly targetTime?: string;
  /** SMGW status word, 8 hex digits (spec notes §7.3; 0x200 = system time invalid). */
  readonly smgwStatus: string;
  /** Meter status word, 8 hex digits, when the meter sent one. */
  readonly meterStatus?: string;
}

export interface ReadingsMessage {
  readonly format: typeof READINGS_FORMAT;
  readonly messageId: string;
  readonly gatewayId: string;
  readonly evaluationProfileId: string;
  readonly taf: TafNumber;
  readonly created: string;
  readonly usagePointId?: string;
  readonly tariffName?: string;
  readonly readings: readonly Reading[];
}

export const MAX_READINGS_PER_MESSAGE = 10_000;
/** Upper bound of an encoded message; larger JSON is refused before parsing. */
export const MAX_READINGS_MESSAGE_BYTES = 8 * 1024 * 1024;

const INT_TEXT = /^-?(0|[1-9][0-9]{0,29})$/;
const HEX8 = /^[0-9a-f]{8}$/;
const MESSAGE_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function parseReading(v: unknown, path = 'reading'): Reading {
  const o = object(v, path, [
    'meterId',
    'obis',
    'kind',
    'value',
    'scaler',
    'unit',
    'captureTime',
    'targetTime',
    'smgwStatus',
    'meterStatus',
  ]);
  const targetTime = o.targetTime === undefined ? undefined : isoTime(o.targetTime, `${path}.targetTime`);
  const meterStatus = optionalString(o.meterStatus, `${path}.meterStatus`, HEX8, 8);
  return {
    meterId: id(o.meterId, `${path}.meterId`),
    obis: obisHex(o.obis, `${path}.obis`),
    kind: oneOf(o.kind, `${path}.kind`, ['original', 'derived', 'daily'] as const),
    value: string(o.value, `${path}.value`, INT_TEXT, 31),
    scaler: integer(o.scaler, `${path}.scaler`, -20, 20),
    unit: string(o.unit, `${path}.unit`, /^[A-Za-z0-9°%/*^._ -]{1,16}$/u, 16),
    captureTime: isoTime(o.captureTime, `${path}.captureTime`),
    ...(targetTime === undefined ? {} : { targetTime }),
    smgwStatus: string(o.smgwStatus, `${path}.smgwStatus`, HEX8, 8),
    ...(meterStatus === undefined ? {} : { meterStatus }),
  };
}

export function parseReadingsMessage(v: unknown, path = 'message'): ReadingsMessage {
  const o = object(v, path, [
    'format',
    'messageId',
    'gatewayId',
    'evaluationProfileId',
    'taf',
    'created',
    'usagePointId',
    'tariffName',
    'readings',
  ]);
  oneOf(o.format, `${path}.format`, [READINGS_FORMAT] as const);
  const usagePointId = optionalString(o.usagePointId, `${path}.usagePointId`, undefined, 64);
  const tariffName = optionalString(o.tariffName, `${path}.tariffName`, undefined, 128);
  return {
    format: READINGS_FORMAT,
    messageId: string(o.messageId, `${path}.messageId`, MESSAGE_ID, 128),
    gatewayId: string(o.gatewayId, `${path}.gatewayId`, /^[Ee][A-Za-z]{3}[0-9]{10}$/, 14),
    evaluationProfileId: id(o.evaluationProfileId, `${path}.evaluationProfileId`),
    taf: oneOf(o.taf, `${path}.taf`, TAF_NUMBERS),
    created: isoTime(o.created, `${path}.created`),
    ...(usagePointId === undefined ? {} : { usagePointId }),
    ...(tariffName === undefined ? {} : { tariffName }),
    readings: array(o.readings, `${path}.readings`, parseReading, MAX_READINGS_PER_MESSAGE),
  };
}

export function encodeReadingsMessage(m: ReadingsMessage): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(m));
}

/** Decodes container payload bytes; anything but a valid message is a ProtocolError. */
export function decodeReadingsMessage(bytes: Uint8Array): ReadingsMessage {
  return parseReadingsMessage(parseJsonText(bytes, MAX_READINGS_MESSAGE_BYTES));
}
