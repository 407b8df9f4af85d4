/**
 * A stored reading as operators and scripts read it (`smgw headend emt readings --json`, the
 * HTTP query): OBIS in text form with a readable quantity name, the physical value as a JSON
 * number, times as ISO text. These field names are a stable interface: scripts rely on them.
 */
import { obisToText } from '@opensmgw/protocol';
import type { StoredEmtReading } from './emt-store.js';

export interface EmtReadingView {
  readonly gatewayId: string;
  readonly meterId: string;
  /** "1-0:1.8.0*255" */
  readonly obis: string;
  /** "0100010800ff" */
  readonly obisHex: string;
  readonly quantity: string | null;
  /** value × 10^scaler as the JSON number nearest to the exact decimal. */
  readonly value: number;
  readonly unit: string;
  readonly captureTime: string;
  readonly targetTime: string | null;
  readonly kind: string;
  readonly evaluationProfileId: string;
  readonly messageId: string;
}

/** The keys of EmtReadingView, in output order. */
export const READING_VIEW_FIELDS = [
  'gatewayId',
  'meterId',
  'obis',
  'obisHex',
  'quantity',
  'value',
  'unit',
  'captureTime',
  'targetTime',
  'kind',
  'evaluationProfileId',
  'messageId',
] as const satisfies readonly (keyof EmtReadingView)[];

/**
 * Quantity names by OBIS value group A (medium), C and D (docs/wire-protocols.md "Meter IDs and
 * channels"; B, E, F — channel, tariff, billing period — do not change what is measured).
 * Electricity power is C = 1 (A+), 2 (A−) or 16 (sum), D = 7 (instantaneous).
 */
const QUANTITIES: readonly {
  readonly a: number;
  readonly c: readonly number[];
  readonly d: number;
  readonly name: string;
}[] = [
  { a: 1, c: [1], d: 8, name: 'energy import' },
  { a: 1, c: [1, 2, 16], d: 7, name: 'power' },
  { a: 7, c: [3], d: 0, name: 'gas volume' },
  { a: 8, c: [1], d: 0, name: 'water volume' },
  { a: 6, c: [1], d: 0, name: 'heat energy' },
  { a: 6, c: [2], d: 0, name: 'heat volume' },
];

/** "energy import", "power", "gas volume", "water volume", "heat energy", "heat volume", or null. */
export function obisQuantity(obisHex: string): string | null {
  if (!/^[0-9a-f]{12}$/.test(obisHex)) return null;
  const a = Number.parseInt(obisHex.slice(0, 2), 16);
  const c = Number.parseInt(obisHex.slice(4, 6), 16);
  const d = Number.parseInt(obisHex.slice(6, 8), 16);
  return QUANTITIES.find((q) => q.a === a && q.d === d && q.c.includes(c))?.name ?? null;
}

/**
 * value × 10^scaler as exact decimal text, by moving the decimal point in the digits (no
 * floating-point arithmetic): ("12345", -2) -> "123.45", ("7", 3) -> "7000", ("-5", -3) -> "-0.005".
 */
export function decimalText(value: string, scaler: number): string {
  const m = /^(-?)([0-9]+)$/.exec(value);
  if (!m || !Number.isSafeInteger(scaler)) throw new RangeError('expected integer text and an integer scaler');
  const sign = m[1] as string;
  const digits = (m[2] as string).replace(/^0+(?=\d)/, '');
  if (digits === '0') return '0';
  if (scaler >= 0) return `${sign}${digits}${'0'.repeat(scaler)}`;
  const point = digits.length + scaler;
  const whole = point > 0 ? digits.slice(0, point) : '0';
  const fraction = (point >= 0 ? digits.slice(point) : `${'0'.repeat(-point)}${digits}`).replace(/0+$/, '');
  return `${sign}${whole}${fraction === '' ? '' : `.${fraction}`}`;
}

/**
 * The JSON number for value × 10^scaler: the double nearest to the exact decimal, so
 * JSON.stringify prints the decimal itself (123.45, not 123.45000000000002) wherever a double
 * can hold it.
 */
export function decimalValue(value: string, scaler: number): number {
  return Number(decimalText(value, scaler));
}

export function readingView(r: StoredEmtReading): EmtReadingView {
  return {
    gatewayId: r.gatewayId,
    meterId: r.meterId,
    obis: obisToText(r.obis),
    obisHex: r.obis,
    quantity: obisQuantity(r.obis),
    value: decimalValue(r.value, r.scaler),
    unit: r.unit,
    captureTime: new Date(r.captureTimeMs).toISOString(),
    targetTime: r.targetTimeMs === undefined ? null : new Date(r.targetTimeMs).toISOString(),
    kind: r.kind,
    evaluationProfileId: r.evaluationProfileId,
    messageId: r.messageId,
  };
}
