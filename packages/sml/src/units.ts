/**
 * DLMS/COSEM unit codes (IEC 62056-62, the `unit` enumeration of the Register class), which SML
 * uses for SML_Unit. Table as data: code, symbol, quantity. Codes 253 (reserved), 254 (other
 * unit) and 255 (no unit / count) have no symbol.
 */

export interface DlmsUnit {
  readonly code: number;
  /** The symbol printed next to a value, or null for "no unit". */
  readonly symbol: string | null;
  readonly quantity: string;
}

export const DLMS_UNITS: readonly DlmsUnit[] = [
  { code: 1, symbol: 'a', quantity: 'time (year)' },
  { code: 2, symbol: 'mo', quantity: 'time (month)' },
  { code: 3, symbol: 'wk', quantity: 'time (week)' },
  { code: 4, symbol: 'd', quantity: 'time (day)' },
  { code: 5, symbol: 'h', quantity: 'time (hour)' },
  { code: 6, symbol: 'min', quantity: 'time (minute)' },
  { code: 7, symbol: 's', quantity: 'time (second)' },
  { code: 8, symbol: '°', quantity: 'phase angle' },
  { code: 9, symbol: '°C', quantity: 'temperature' },
  { code: 10, symbol: 'currency', quantity: 'local currency' },
  { code: 11, symbol: 'm', quantity: 'length' },
  { code: 12, symbol: 'm/s', quantity: 'speed' },
  { code: 13, symbol: 'm³', quantity: 'volume' },
  { code: 14, symbol: 'm³', quantity: 'corrected volume' },
  { code: 15, symbol: 'm³/h', quantity: 'volume flux' },
  { code: 16, symbol: 'm³/h', quantity: 'corrected volume flux' },
  { code: 17, symbol: 'm³/d', quantity: 'volume flux' },
  { code: 18, symbol: 'm³/d', quantity: 'corrected volume flux' },
  { code: 19, symbol: 'l', quantity: 'volume' },
  { code: 20, symbol: 'kg', quantity: 'mass' },
  { code: 21, symbol: 'N', quantity: 'force' },
  { code: 22, symbol: 'Nm', quantity: 'energy' },
  { code: 23, symbol: 'Pa', quantity: 'pressure' },
  { code: 24, symbol: 'bar', quantity: 'pressure' },
  { code: 25, symbol: 'J', quantity: 'energy' },
  { code: 26, symbol: 'J/h', quantity: 'thermal power' },
  { code: 27, symbol: 'W', quantity: 'active power' },
  { code: 28, symbol: 'VA', quantity: 'apparent power' },
  { code: 29, symbol: 'var', quantity: 'reactive power' },
  { code: 30, symbol: 'Wh', quantity: 'active energy' },
  { code: 31, symbol: 'VAh', quantity: 'apparent energy' },
  { code: 32, symbol: 'varh', quantity: 'reactive energy' },
  { code: 33, symbol: 'A', quantity: 'current' },
  { code: 34, symbol: 'C', quantity: 'electrical charge' },
  { code: 35, symbol: 'V', quantity: 'voltage' },
  { code: 36, symbol: 'V/m', quantity: 'electric field strength' },
  { code: 37, symbol: 'F', quantity: 'capacitance' },
  { code: 38, symbol: 'Ω', quantity: 'resistance' },
  { code: 39, symbol: 'Ωm²/m', quantity: 'resistivity' },
  { code: 40, symbol: 'Wb', quantity: 'magnetic flux' },
  { code: 41, symbol: 'T', quantity: 'magnetic flux density' },
  { code: 42, symbol: 'A/m', quantity: 'magnetic field strength' },
  { code: 43, symbol: 'H', quantity: 'inductance' },
  { code: 44, symbol: 'Hz', quantity: 'frequency' },
  { code: 45, symbol: '1/(Wh)', quantity: 'active energy meter constant' },
  { code: 46, symbol: '1/(varh)', quantity: 'reactive energy meter constant' },
  { code: 47, symbol: '1/(VAh)', quantity: 'apparent energy meter constant' },
  { code: 48, symbol: 'V²h', quantity: 'volt-squared hours' },
  { code: 49, symbol: 'A²h', quantity: 'ampere-squared hours' },
  { code: 50, symbol: 'kg/s', quantity: 'mass flux' },
  { code: 51, symbol: 'S', quantity: 'conductance' },
  { code: 52, symbol: 'K', quantity: 'temperature' },
  { code: 53, symbol: '1/(V²h)', quantity: 'volt-squared hour meter constant' },
  { code: 54, symbol: '1/(A²h)', quantity: 'ampere-squared hour meter constant' },
  { code: 55, symbol: '1/m³', quantity: 'volume meter constant' },
  { code: 56, symbol: '%', quantity: 'percentage' },
  { code: 57, symbol: 'Ah', quantity: 'ampere-hours' },
  { code: 60, symbol: 'Wh/m³', quantity: 'energy per volume' },
  { code: 61, symbol: 'J/m³', quantity: 'calorific value' },
  { code: 62, symbol: 'mol %', quantity: 'molar fraction' },
  { code: 63, symbol: 'g/m³', quantity: 'mass density' },
  { code: 64, symbol: 'Pa s', quantity: 'dynamic viscosity' },
  { code: 65, symbol: 'J/kg', quantity: 'specific energy' },
  { code: 66, symbol: 'g/cm²', quantity: 'pressure (gram per square centimetre)' },
  { code: 67, symbol: 'atm', quantity: 'pressure (atmosphere)' },
  { code: 70, symbol: 'dBm', quantity: 'signal strength' },
  { code: 71, symbol: 'dBµV', quantity: 'signal strength' },
  { code: 72, symbol: 'dB', quantity: 'logarithmic unit' },
  { code: 253, symbol: null, quantity: 'reserved' },
  { code: 254, symbol: null, quantity: 'other unit' },
  { code: 255, symbol: null, quantity: 'no unit, unitless, count' },
];

const BY_CODE = new Map<number, DlmsUnit>(DLMS_UNITS.map((u) => [u.code, u]));

export function dlmsUnit(code: number): DlmsUnit | undefined {
  return BY_CODE.get(code);
}

/** The symbol of a DLMS unit code; null for unitless, reserved and unknown codes. */
export function dlmsUnitSymbol(code: number | undefined): string | null {
  return code === undefined ? null : (BY_CODE.get(code)?.symbol ?? null);
}
