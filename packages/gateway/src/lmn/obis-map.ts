/**
 * wM-Bus data records -> OBIS channels (docs/wire-protocols.md "Meter IDs and channels").
 *
 * The table is data: medium, quantity and unit of a record name one OBIS register. Only the
 * current register value counts: storage number 0 (EN 13757-3 §6.3.3; higher numbers are
 * stored/historic values), tariff 0, subunit 0, function "instantaneous" (not a maximum,
 * minimum or error state), and a VIB without combinable VIFEs (they change the meaning, e.g.
 * "per hour" or "accumulation of negative values", and show up in `quantity`).
 *
 * No precision loss: the decoder reports `value` = raw × factor × 10^exponent as a JS number.
 * The raw integer is recovered from it and checked by scaling it again; the value is then
 * stored as decimal integer text with the VIB's exponent as the decimal scaler (COSEM style),
 * e.g. VIF 06 (kWh) with raw 1234 -> value "1234", scaler 3, unit "Wh".
 */
import type { Medium } from '@opensmgw/protocol';
import { type DataRecord, describeVib } from '@opensmgw/wmbus';

/** One row of the mapping table. */
export interface ObisRule {
  readonly medium: Medium;
  /** The decoder's quantity text, exactly (VIFEs append notes, so a modified VIB never matches). */
  readonly quantity: string;
  /** Contract units of the decoder accepted for this register. */
  readonly units: readonly string[];
  readonly obis: string;
}

/** docs/wire-protocols.md, table "Meter IDs and channels". */
export const OBIS_RULES: readonly ObisRule[] = [
  { medium: 'electricity', quantity: 'energy', units: ['Wh'], obis: '0100010800ff' },
  { medium: 'electricity', quantity: 'power', units: ['W'], obis: '0100100700ff' },
  { medium: 'gas', quantity: 'volume', units: ['m3'], obis: '0700030000ff' },
  { medium: 'water', quantity: 'volume', units: ['m3'], obis: '0800010000ff' },
  { medium: 'heat', quantity: 'energy', units: ['Wh', 'J'], obis: '0600010000ff' },
  { medium: 'heat', quantity: 'volume', units: ['m3'], obis: '0600020000ff' },
];

export interface MappedValue {
  readonly obis: string;
  /** Decimal integer text (may exceed 2^53 only through an integer VIF factor). */
  readonly value: string;
  readonly scaler: number;
  readonly unit: string;
}

/** Rules indexed by medium, then quantity, then unit (built once from the table; no key strings per record). */
const RULE_INDEX = new Map<string, Map<string, Map<string, ObisRule>>>();
for (const r of OBIS_RULES) {
  const byQuantity = RULE_INDEX.get(r.medium) ?? new Map<string, Map<string, ObisRule>>();
  RULE_INDEX.set(r.medium, byQuantity);
  const byUnit = byQuantity.get(r.quantity) ?? new Map<string, ObisRule>();
  byQuantity.set(r.quantity, byUnit);
  for (const u of r.units) byUnit.set(u, r);
}

interface Scale {
  readonly exponent: number;
  /** Integer VIF factor (e.g. 41868 for Mcal in J); 0 when the VIB cannot be mapped exactly. */
  readonly factor: number;
}

/** A meter repeats the same few VIBs: their scale is computed once per VIB hex. Bounded. */
const SCALES = new Map<string, Scale>();
const SCALE_CACHE_LIMIT = 1024;

function scaleOf(vifHex: string): Scale {
  let s = SCALES.get(vifHex);
  if (s !== undefined) return s;
  const bytes = Buffer.from(vifHex, 'hex');
  const m = describeVib(bytes, 0, bytes.length, null);
  const exact = m.kind === 'number' && m.offset === 0 && Number.isSafeInteger(m.factor) && m.factor > 0;
  s = { exponent: m.exponent, factor: exact ? m.factor : 0 };
  if (SCALES.size >= SCALE_CACHE_LIMIT) SCALES.clear();
  SCALES.set(vifHex, s);
  return s;
}

const POW10: readonly number[] = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The raw integer behind a decoded value, or undefined when there is none that the decoder's
 * scaling (records.ts `scale`: raw × factor, then × or ÷ 10^|exponent|) maps exactly onto it.
 */
function rawOf(value: number, s: Scale): number | undefined {
  const e = s.exponent;
  const p = POW10[Math.abs(e)];
  if (p === undefined) return undefined;
  const scaled = e < 0 ? value * p : value / p;
  const raw = Math.round(scaled / s.factor);
  if (!Number.isSafeInteger(raw)) return undefined;
  let back = raw * s.factor;
  if (e > 0) back *= p;
  else if (e < 0) back /= p;
  return back === value || (back === 0 && value === 0) ? raw : undefined;
}

/**
 * The OBIS register a record of a meter of `medium` feeds, with its exact value; undefined for
 * records that feed none (other quantities, stored values, tariffs, VIFEs, invalid values).
 */
export function mapRecord(medium: Medium, r: DataRecord): MappedValue | undefined {
  if (r.storage !== 0 || r.tariff !== 0 || r.subunit !== 0 || r.function !== 'instantaneous') return undefined;
  if (typeof r.value !== 'number' || r.profileElement !== undefined) return undefined;
  const rule = RULE_INDEX.get(medium)?.get(r.quantity)?.get(r.unit);
  if (rule === undefined) return undefined;
  const s = scaleOf(r.vif);
  if (s.factor === 0) return undefined;
  const raw = rawOf(r.value, s);
  if (raw === undefined) return undefined;
  const value = s.factor === 1 ? String(raw) : (BigInt(raw) * BigInt(s.factor)).toString();
  return { obis: rule.obis, value, scaler: s.exponent, unit: r.unit };
}
