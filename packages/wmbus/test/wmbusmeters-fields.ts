/**
 * How wmbusmeters names its output fields (the suffix is the unit) and which record reproduces
 * one: the scoring rules of the workplace's wmbus-units.mjs, restated for the fixture tests.
 */
import type { DataRecord } from '../src/records.js';

const SUFFIX: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  wh: [['Wh', 1]],
  kwh: [
    ['Wh', 1e3],
    ['J', 3.6e6],
  ],
  mwh: [['Wh', 1e6]],
  gj: [['J', 1e9]],
  mj: [['J', 1e6]],
  w: [
    ['W', 1],
    ['J/h', 3600],
  ],
  kw: [
    ['W', 1e3],
    ['J/h', 3.6e6],
  ],
  m3: [['m3', 1]],
  l: [['m3', 1e-3]],
  m3h: [['m3/h', 1]],
  lh: [['m3/h', 1e-3]],
  kg: [['kg', 1]],
  kgh: [['kg/h', 1]],
  c: [
    ['°C', 1],
    ['K', 1],
  ],
  k: [['K', 1]],
  bar: [['bar', 1]],
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
export function reproduces(records: readonly DataRecord[], field: string, want: number): boolean {
  const units = SUFFIX[field.slice(field.lastIndexOf('_') + 1)] ?? [];
  return records.some(
    (r) => typeof r.value === 'number' && units.some(([u, f]) => r.unit === u && close((r.value as number) / f, want)),
  );
}
