/**
 * How wmbusmeters names its output fields (the suffix is the unit) and which record reproduces
 * one: the scoring rules of the workplace's wmbus-units.mjs, restated for the fixture tests.
 */
import type { DataRecord } from '../src/records.js';

type Pair = readonly [unit: string, factor: number];
const energy = (f: number): Pair[] => [
  ['Wh', f],
  ['J', f * 3600],
];
const power = (f: number): Pair[] => [
  ['W', f],
  ['J/h', f * 3600],
];

/** Field-name suffix -> the accepted [contract unit, factor] pairs (record value / factor = field). */
const SUFFIX: Readonly<Record<string, readonly Pair[]>> = {
  wh: energy(1),
  kwh: energy(1e3),
  mwh: energy(1e6),
  gwh: energy(1e9),
  j: energy(1 / 3600),
  kj: energy(1e3 / 3600),
  mj: energy(1e6 / 3600),
  gj: energy(1e9 / 3600),
  w: power(1),
  kw: power(1e3),
  mw: power(1e6),
  gjh: power(1e9 / 3600),
  m3: [['m3', 1]],
  l: [['m3', 1e-3]],
  m3h: [['m3/h', 1]],
  lh: [['m3/h', 1e-3]],
  m3s: [['m3/h', 1 / 3600]],
  kg: [['kg', 1]],
  kgh: [['kg/h', 1]],
  c: [
    ['°C', 1],
    ['K', 1],
  ],
  k: [['K', 1]],
  bar: [['bar', 1]],
  pa: [['bar', 1e-5]],
  s: [['s', 1]],
  min: [['s', 60]],
  h: [['s', 3600]],
  d: [['s', 86400]],
  y: [['s', 86400 * 365.2425]],
  v: [['V', 1]],
  a: [['A', 1]],
  hca: [['HCA', 1]],
};

/** wmbusmeters prints "%f": half a unit of the 6th decimal, in its own unit. */
const close = (got: number, want: number) => Math.abs(got - want) <= Math.max(1e-6 * Math.abs(want), 5e-7 + 1e-12);

/** True when the field's suffix is a unit of the contract. */
export function scored(field: string): boolean {
  return SUFFIX[field.slice(field.lastIndexOf('_') + 1)] !== undefined;
}

/** True when some record carries the field's value in a contract unit. */
export function reproduces(
  records: ReadonlyArray<Pick<DataRecord, 'unit' | 'value'>>,
  field: string,
  want: number,
): boolean {
  const units = SUFFIX[field.slice(field.lastIndexOf('_') + 1)] ?? [];
  return records.some(
    (r) => typeof r.value === 'number' && units.some(([u, f]) => r.unit === u && close((r.value as number) / f, want)),
  );
}
