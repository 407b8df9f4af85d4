/**
 * The value information tables of EN 13757-3:2018 as data: the primary VIF table (Table 10), the
 * first extension table after VIF FB (Table 14), the second extension table after VIF FD (Table 12,
 * with its second level after FD FD), the combinable (orthogonal) VIFEs (Table 15) and their
 * extension after VIFE FC (Table 16), and the record error codes (Table 18).
 *
 * Each table is written as rows of code ranges; a row expands into one entry per code at load
 * time. `describeVib` combines a VIF with its VIFEs into one meaning: a readable quantity, the
 * contract unit, and how to scale the raw value into that unit.
 *
 * Units follow the CLI contract: energy Wh (J for joule VIFs), volume m3, mass kg, power W (J/h
 * for J/h VIFs), volume flow m3/h (per-minute and per-second VIFs converted), mass flow kg/h,
 * temperatures °C, temperature difference K, pressure bar, durations s, voltage V, current A,
 * heat cost allocator units HCA; time points decode to 'date'/'datetime' by their data type;
 * everything else has unit '' (its physical unit, if any, is named in the quantity).
 * Durations in months or years are converted with the mean Gregorian month and year
 * (30.436875 d and 365.2425 d): they are nominal, not calendar-exact.
 */

/** How the data of a record is read once its data field code is known. */
export type ValueKind =
  /** A measurement: integers as signed type B, BCD, real; scaled into the unit. */
  | 'number'
  /** Identifiers, bit fields, counters, versions: integers read unsigned (types C and D), scaled. */
  | 'unsigned'
  /** A point in time: type G, J, F or I, chosen by the data length. */
  | 'timepoint'
  /** Manufacturer-specific or opaque data: kept as hex. */
  | 'raw';

/** What a VIF (or a whole VIB) measures and how its raw number scales to contract units. */
export interface VifEntry {
  readonly quantity: string;
  readonly unit: string;
  /** value = raw × factor × 10^exponent + offset (factor first: integer factors stay exact). */
  readonly exponent: number;
  readonly factor: number;
  readonly offset: number;
  readonly kind: ValueKind;
}

/** The meaning of a complete VIB (VIF and VIFEs). */
export interface VibMeaning extends VifEntry {
  /** One explanation per VIB byte (plain-text bytes excluded), for --explain. */
  readonly byteTexts: readonly string[];
  /** Set when the VIB marks a compact profile whose elements can be decoded (records.ts). */
  readonly profile?: ProfileVib;
}

/**
 * A compact profile's VIB (combinable VIFE 13, 1E or 1F, EN 13757-3 Annex F): the record holds a
 * series of values of the quantity the rest of the VIB names, spaced in time from a base time
 * and, for increment modes, a base value sent in records of their own.
 */
export interface ProfileVib {
  /** VIFE 13 (inverse compact profile): the elements run back in time from the base; 1E, 1F: forward. */
  readonly inverse: boolean;
  /** The VIB without the profile VIFE, upper-case hex: the VIB of the base value's record. */
  readonly baseVif: string;
  /** What each element's value means: the VIB without the profile VIFE. */
  readonly element: VibMeaning;
}

/** Seconds per unit of the 2-bit time unit fields "nn" (s, min, h, d). */
const SEC_MIN_HOUR_DAY = [1, 60, 3600, 86400] as const;
const MONTH_S = 2_629_746; // 30.436875 d: 1/12 of the mean Gregorian year
const YEAR_S = 31_556_952; // 365.2425 d
/** Seconds per unit of the 2-bit fields "pp" of FD 68–6F (h, d, months, years). */
const HOUR_DAY_MONTH_YEAR = [3600, 86400, MONTH_S, YEAR_S] as const;

type Scaling =
  /** exponent = first exponent + (code − first code) */
  | 'decade'
  /** factor = seconds of the unit in the two low bits (s, min, h, d) */
  | 'time'
  /** factor = seconds of the unit in the two low bits (h, d, month, year) */
  | 'time-hdmy'
  /** exponent and factor as given */
  | 'fixed';

interface Row {
  readonly from: number;
  readonly to: number;
  readonly quantity: string;
  readonly unit: string;
  readonly scaling: Scaling;
  readonly exponent?: number;
  readonly factor?: number;
  readonly offset?: number;
  readonly kind?: ValueKind;
}

function expand(rows: readonly Row[]): readonly (VifEntry | undefined)[] {
  const table: (VifEntry | undefined)[] = new Array(128).fill(undefined);
  for (const r of rows) {
    for (let code = r.from; code <= r.to; code++) {
      const i = code - r.from;
      let exponent = r.exponent ?? 0;
      let factor = r.factor ?? 1;
      if (r.scaling === 'decade') exponent += i;
      else if (r.scaling === 'time') factor *= SEC_MIN_HOUR_DAY[code & 3] as number;
      else if (r.scaling === 'time-hdmy') factor *= HOUR_DAY_MONTH_YEAR[code & 3] as number;
      table[code] = {
        quantity: r.quantity,
        unit: r.unit,
        exponent,
        factor,
        offset: r.offset ?? 0,
        kind: r.kind ?? 'number',
      };
    }
  }
  return table;
}

const F_TO_C = 5 / 9;
const F_TO_C_OFFSET = (-32 * 5) / 9;

/** EN 13757-3:2018 Table 10, primary VIFs (7B, 7C, 7D handled by the VIB walk). */
export const PRIMARY_VIFS = expand([
  { from: 0x00, to: 0x07, quantity: 'energy', unit: 'Wh', scaling: 'decade', exponent: -3 },
  { from: 0x08, to: 0x0f, quantity: 'energy', unit: 'J', scaling: 'decade', exponent: 0 },
  { from: 0x10, to: 0x17, quantity: 'volume', unit: 'm3', scaling: 'decade', exponent: -6 },
  { from: 0x18, to: 0x1f, quantity: 'mass', unit: 'kg', scaling: 'decade', exponent: -3 },
  { from: 0x20, to: 0x23, quantity: 'on time', unit: 's', scaling: 'time' },
  { from: 0x24, to: 0x27, quantity: 'operating time', unit: 's', scaling: 'time' },
  { from: 0x28, to: 0x2f, quantity: 'power', unit: 'W', scaling: 'decade', exponent: -3 },
  { from: 0x30, to: 0x37, quantity: 'power', unit: 'J/h', scaling: 'decade', exponent: 0 },
  { from: 0x38, to: 0x3f, quantity: 'volume flow', unit: 'm3/h', scaling: 'decade', exponent: -6 },
  // m3/min and m3/s: converted to the contract's m3/h
  { from: 0x40, to: 0x47, quantity: 'volume flow', unit: 'm3/h', scaling: 'decade', exponent: -7, factor: 60 },
  { from: 0x48, to: 0x4f, quantity: 'volume flow', unit: 'm3/h', scaling: 'decade', exponent: -9, factor: 3600 },
  { from: 0x50, to: 0x57, quantity: 'mass flow', unit: 'kg/h', scaling: 'decade', exponent: -3 },
  { from: 0x58, to: 0x5b, quantity: 'flow temperature', unit: '°C', scaling: 'decade', exponent: -3 },
  { from: 0x5c, to: 0x5f, quantity: 'return temperature', unit: '°C', scaling: 'decade', exponent: -3 },
  { from: 0x60, to: 0x63, quantity: 'temperature difference', unit: 'K', scaling: 'decade', exponent: -3 },
  { from: 0x64, to: 0x67, quantity: 'external temperature', unit: '°C', scaling: 'decade', exponent: -3 },
  { from: 0x68, to: 0x6b, quantity: 'pressure', unit: 'bar', scaling: 'decade', exponent: -3 },
  { from: 0x6c, to: 0x6c, quantity: 'date', unit: '', scaling: 'fixed', kind: 'timepoint' },
  { from: 0x6d, to: 0x6d, quantity: 'date and time', unit: '', scaling: 'fixed', kind: 'timepoint' },
  { from: 0x6e, to: 0x6e, quantity: 'heat cost allocation', unit: 'HCA', scaling: 'fixed' },
  { from: 0x70, to: 0x73, quantity: 'averaging duration', unit: 's', scaling: 'time' },
  { from: 0x74, to: 0x77, quantity: 'actuality duration', unit: 's', scaling: 'time' },
  { from: 0x78, to: 0x78, quantity: 'fabrication number', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x79, to: 0x79, quantity: 'enhanced identification', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x7a, to: 0x7a, quantity: 'bus address', unit: '', scaling: 'fixed', kind: 'unsigned' },
  // 7E: "any VIF" (readout selection); the data, if any, is read as a plain number
  { from: 0x7e, to: 0x7e, quantity: 'any', unit: '', scaling: 'fixed' },
  { from: 0x7f, to: 0x7f, quantity: 'manufacturer specific', unit: '', scaling: 'fixed', kind: 'raw' },
]);

/**
 * EN 13757-3:2018 Table 14, first extension (VIF FB). The °F rows (58–67, 70–73) come from the
 * 2013 edition; 2018 reserves those codes, so keeping them conflicts with nothing.
 */
export const FB_VIFS = expand([
  { from: 0x00, to: 0x01, quantity: 'energy', unit: 'Wh', scaling: 'decade', exponent: 5 }, // 0.1–1 MWh
  { from: 0x02, to: 0x03, quantity: 'reactive energy (varh)', unit: '', scaling: 'decade', exponent: 3 },
  { from: 0x04, to: 0x05, quantity: 'apparent energy (VAh)', unit: '', scaling: 'decade', exponent: 3 },
  { from: 0x08, to: 0x09, quantity: 'energy', unit: 'J', scaling: 'decade', exponent: 8 }, // 0.1–1 GJ
  // 0.1–100 Mcal in J (1 cal = 4.1868 J): 41868 × 10^(nn+1)
  { from: 0x0c, to: 0x0f, quantity: 'energy', unit: 'J', scaling: 'decade', exponent: 1, factor: 41868 },
  { from: 0x10, to: 0x11, quantity: 'volume', unit: 'm3', scaling: 'decade', exponent: 2 },
  { from: 0x14, to: 0x17, quantity: 'reactive power (var)', unit: '', scaling: 'decade', exponent: 0 },
  { from: 0x18, to: 0x19, quantity: 'mass', unit: 'kg', scaling: 'decade', exponent: 5 }, // 100–1000 t
  { from: 0x1a, to: 0x1b, quantity: 'relative humidity (%)', unit: '', scaling: 'decade', exponent: -1 },
  // cubic feet: 0.028316846592 m3 exactly
  { from: 0x20, to: 0x20, quantity: 'volume', unit: 'm3', scaling: 'fixed', exponent: -12, factor: 28316846592 },
  { from: 0x21, to: 0x21, quantity: 'volume', unit: 'm3', scaling: 'fixed', exponent: -13, factor: 28316846592 },
  { from: 0x28, to: 0x29, quantity: 'power', unit: 'W', scaling: 'decade', exponent: 5 }, // 0.1–1 MW
  { from: 0x2a, to: 0x2a, quantity: 'phase angle U-U (°)', unit: '', scaling: 'fixed', exponent: -1 },
  { from: 0x2b, to: 0x2b, quantity: 'phase angle U-I (°)', unit: '', scaling: 'fixed', exponent: -1 },
  { from: 0x2c, to: 0x2f, quantity: 'frequency (Hz)', unit: '', scaling: 'decade', exponent: -3 },
  { from: 0x30, to: 0x31, quantity: 'power', unit: 'J/h', scaling: 'decade', exponent: 8 }, // 0.1–1 GJ/h
  { from: 0x34, to: 0x37, quantity: 'apparent power (VA)', unit: '', scaling: 'decade', exponent: 0 },
  {
    from: 0x58,
    to: 0x5b,
    quantity: 'flow temperature',
    unit: '°C',
    scaling: 'decade',
    exponent: -3,
    factor: F_TO_C,
    offset: F_TO_C_OFFSET,
  },
  {
    from: 0x5c,
    to: 0x5f,
    quantity: 'return temperature',
    unit: '°C',
    scaling: 'decade',
    exponent: -3,
    factor: F_TO_C,
    offset: F_TO_C_OFFSET,
  },
  {
    from: 0x60,
    to: 0x63,
    quantity: 'temperature difference',
    unit: 'K',
    scaling: 'decade',
    exponent: -3,
    factor: F_TO_C,
  },
  {
    from: 0x64,
    to: 0x67,
    quantity: 'external temperature',
    unit: '°C',
    scaling: 'decade',
    exponent: -3,
    factor: F_TO_C,
    offset: F_TO_C_OFFSET,
  },
  // Heat cost allocator rating factors (2018): K, Kc, Kcr, Kch, Kt, KD in units of 2^-12, Kq plain
  { from: 0x68, to: 0x68, quantity: 'resulting rating factor K', unit: '', scaling: 'fixed', factor: 1 / 4096 },
  { from: 0x69, to: 0x69, quantity: 'thermal output rating factor Kq', unit: '', scaling: 'fixed' },
  { from: 0x6a, to: 0x6a, quantity: 'thermal coupling rating factor Kc', unit: '', scaling: 'fixed', factor: 1 / 4096 },
  {
    from: 0x6b,
    to: 0x6b,
    quantity: 'thermal coupling rating factor room side Kcr',
    unit: '',
    scaling: 'fixed',
    factor: 1 / 4096,
  },
  {
    from: 0x6c,
    to: 0x6c,
    quantity: 'thermal coupling rating factor heater side Kch',
    unit: '',
    scaling: 'fixed',
    factor: 1 / 4096,
  },
  { from: 0x6d, to: 0x6d, quantity: 'low temperature rating factor Kt', unit: '', scaling: 'fixed', factor: 1 / 4096 },
  { from: 0x6e, to: 0x6e, quantity: 'display output scaling factor KD', unit: '', scaling: 'fixed', factor: 1 / 4096 },
  {
    from: 0x70,
    to: 0x73,
    quantity: 'temperature limit',
    unit: '°C',
    scaling: 'decade',
    exponent: -3,
    factor: F_TO_C,
    offset: F_TO_C_OFFSET,
  },
  { from: 0x74, to: 0x77, quantity: 'temperature limit', unit: '°C', scaling: 'decade', exponent: -3 },
  { from: 0x78, to: 0x7f, quantity: 'cumulative maximum power', unit: 'W', scaling: 'decade', exponent: -3 },
]);

/** EN 13757-3:2018 Table 12, second extension (VIF FD); FD 7D leads to the second level. */
export const FD_VIFS = expand([
  { from: 0x00, to: 0x03, quantity: 'credit (currency units)', unit: '', scaling: 'decade', exponent: -3 },
  { from: 0x04, to: 0x07, quantity: 'debit (currency units)', unit: '', scaling: 'decade', exponent: -3 },
  { from: 0x08, to: 0x08, quantity: 'access number', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x09, to: 0x09, quantity: 'device type', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x0a, to: 0x0a, quantity: 'manufacturer', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x0b, to: 0x0b, quantity: 'parameter set identification', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x0c, to: 0x0c, quantity: 'model version', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x0d, to: 0x0d, quantity: 'hardware version', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x0e, to: 0x0e, quantity: 'firmware version', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x0f, to: 0x0f, quantity: 'software version', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x10, to: 0x10, quantity: 'customer location', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x11, to: 0x11, quantity: 'customer', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x12, to: 0x12, quantity: 'access code user', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x13, to: 0x13, quantity: 'access code operator', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x14, to: 0x14, quantity: 'access code system operator', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x15, to: 0x15, quantity: 'access code developer', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x16, to: 0x16, quantity: 'password', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x17, to: 0x17, quantity: 'error flags', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x18, to: 0x18, quantity: 'error mask', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x19, to: 0x19, quantity: 'security key', unit: '', scaling: 'fixed', kind: 'raw' },
  { from: 0x1a, to: 0x1a, quantity: 'digital output', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x1b, to: 0x1b, quantity: 'digital input', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x1c, to: 0x1c, quantity: 'baud rate', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x1d, to: 0x1d, quantity: 'response delay time (bit times)', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x1e, to: 0x1e, quantity: 'retry', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x1f, to: 0x1f, quantity: 'remote control', unit: '', scaling: 'fixed', kind: 'unsigned' },
  {
    from: 0x20,
    to: 0x20,
    quantity: 'first storage number for cyclic storage',
    unit: '',
    scaling: 'fixed',
    kind: 'unsigned',
  },
  {
    from: 0x21,
    to: 0x21,
    quantity: 'last storage number for cyclic storage',
    unit: '',
    scaling: 'fixed',
    kind: 'unsigned',
  },
  { from: 0x22, to: 0x22, quantity: 'size of storage block', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x23, to: 0x23, quantity: 'descriptor for tariff and subunit', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x24, to: 0x27, quantity: 'storage interval', unit: 's', scaling: 'time' },
  { from: 0x28, to: 0x28, quantity: 'storage interval', unit: 's', scaling: 'fixed', factor: MONTH_S },
  { from: 0x29, to: 0x29, quantity: 'storage interval', unit: 's', scaling: 'fixed', factor: YEAR_S },
  { from: 0x2a, to: 0x2a, quantity: 'operator specific data', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x2b, to: 0x2b, quantity: 'time point second', unit: '', scaling: 'fixed' },
  { from: 0x2c, to: 0x2f, quantity: 'duration since last readout', unit: 's', scaling: 'time' },
  { from: 0x30, to: 0x30, quantity: 'start of tariff', unit: '', scaling: 'fixed', kind: 'timepoint' },
  { from: 0x31, to: 0x33, quantity: 'duration of tariff', unit: 's', scaling: 'time' },
  { from: 0x34, to: 0x37, quantity: 'period of tariff', unit: 's', scaling: 'time' },
  { from: 0x38, to: 0x38, quantity: 'period of tariff', unit: 's', scaling: 'fixed', factor: MONTH_S },
  { from: 0x39, to: 0x39, quantity: 'period of tariff', unit: 's', scaling: 'fixed', factor: YEAR_S },
  { from: 0x3a, to: 0x3a, quantity: 'dimensionless', unit: '', scaling: 'fixed' },
  { from: 0x3b, to: 0x3b, quantity: 'data container for wireless M-Bus', unit: '', scaling: 'fixed', kind: 'raw' },
  { from: 0x3c, to: 0x3f, quantity: 'period of nominal data transmissions', unit: 's', scaling: 'time' },
  { from: 0x40, to: 0x4f, quantity: 'voltage', unit: 'V', scaling: 'decade', exponent: -9 },
  { from: 0x50, to: 0x5f, quantity: 'current', unit: 'A', scaling: 'decade', exponent: -12 },
  { from: 0x60, to: 0x60, quantity: 'reset counter', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x61, to: 0x61, quantity: 'cumulation counter', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x62, to: 0x62, quantity: 'control signal', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x63, to: 0x63, quantity: 'day of week', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x64, to: 0x64, quantity: 'week number', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x65, to: 0x65, quantity: 'time point of day change', unit: '', scaling: 'fixed', kind: 'timepoint' },
  { from: 0x66, to: 0x66, quantity: 'state of parameter activation', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x67, to: 0x67, quantity: 'special supplier information', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x68, to: 0x6b, quantity: 'duration since last cumulation', unit: 's', scaling: 'time-hdmy' },
  { from: 0x6c, to: 0x6f, quantity: 'operating time battery', unit: 's', scaling: 'time-hdmy' },
  { from: 0x70, to: 0x70, quantity: 'date and time of battery change', unit: '', scaling: 'fixed', kind: 'timepoint' },
  { from: 0x71, to: 0x71, quantity: 'RF level (dBm)', unit: '', scaling: 'fixed' },
  // Types K (daylight saving) and L (listening window management) are kept as hex
  { from: 0x72, to: 0x72, quantity: 'daylight saving', unit: '', scaling: 'fixed', kind: 'raw' },
  { from: 0x73, to: 0x73, quantity: 'listening window management', unit: '', scaling: 'fixed', kind: 'raw' },
  { from: 0x74, to: 0x74, quantity: 'remaining battery life time', unit: 's', scaling: 'fixed', factor: 86400 },
  {
    from: 0x75,
    to: 0x75,
    quantity: 'number of times the meter was stopped',
    unit: '',
    scaling: 'fixed',
    kind: 'unsigned',
  },
  {
    from: 0x76,
    to: 0x76,
    quantity: 'data container for manufacturer specific protocol',
    unit: '',
    scaling: 'fixed',
    kind: 'raw',
  },
]);

/** EN 13757-3:2018 Table 13, second level of the second extension (VIF FD, VIFE FD). */
export const FD_SECOND_LEVEL_VIFS = expand([
  { from: 0x00, to: 0x00, quantity: 'currently selected application', unit: '', scaling: 'fixed', kind: 'unsigned' },
  { from: 0x02, to: 0x02, quantity: 'remaining battery life time', unit: 's', scaling: 'fixed', factor: MONTH_S },
  { from: 0x03, to: 0x03, quantity: 'remaining battery life time', unit: 's', scaling: 'fixed', factor: YEAR_S },
]);

// ---------------------------------------------------------------------------------------------
// Combinable (orthogonal) VIFEs

/** What a combinable VIFE does to the meaning of the record besides adding its text. */
type VifeEffect =
  | { readonly type: 'note' }
  /** Record error code (slave to master): the value is annotated, not changed. */
  | { readonly type: 'error' }
  /** Adds to the power of ten (multiplicative correction factors). */
  | { readonly type: 'exponent'; readonly add: number }
  /** "per time unit": seconds per unit; per-hour rates are the contract's flow and power units. */
  | { readonly type: 'per-time'; readonly seconds: number }
  /** "per <something else>" or "multiplied by …": the contract has no unit for it. */
  | { readonly type: 'no-unit' }
  /** The record is the date (and time) of an event. */
  | { readonly type: 'timepoint' }
  /** The record is a duration, unit in the low two bits (s, min, h, d). */
  | { readonly type: 'duration'; readonly seconds: number }
  /** The record counts events. */
  | { readonly type: 'count' }
  /** A compact profile (Annex F): the record's data is a series; the record itself is kept as hex. */
  | { readonly type: 'profile'; readonly inverse: boolean }
  /** VIFE FC: the next VIFE comes from Table 16. */
  | { readonly type: 'extension' }
  /** VIFE FF: the following VIFEs (and the data) are manufacturer specific. */
  | { readonly type: 'manufacturer' };

interface VifeEntry {
  readonly text: string;
  readonly effect: VifeEffect;
}

interface VifeRow {
  readonly from: number;
  readonly to: number;
  readonly text: string | ((code: number) => string);
  readonly effect: VifeEffect | ((code: number) => VifeEffect);
}

function expandVifes(rows: readonly VifeRow[]): readonly (VifeEntry | undefined)[] {
  const table: (VifeEntry | undefined)[] = new Array(128).fill(undefined);
  for (const r of rows) {
    for (let code = r.from; code <= r.to; code++) {
      table[code] = {
        text: typeof r.text === 'function' ? r.text(code) : r.text,
        effect: typeof r.effect === 'function' ? r.effect(code) : r.effect,
      };
    }
  }
  return table;
}

const NOTE: VifeEffect = { type: 'note' };
const ERROR: VifeEffect = { type: 'error' };
const NO_UNIT: VifeEffect = { type: 'no-unit' };
const TIMEPOINT: VifeEffect = { type: 'timepoint' };
/** Compact profiles (EN 13757-3 Annex F): a series of values in one LVAR (records.ts decodes it). */
const FORWARD_PROFILE: VifeEffect = { type: 'profile', inverse: false };
const INVERSE_PROFILE: VifeEffect = { type: 'profile', inverse: true };
const LOWER_UPPER = (code: number): string => (code & 0x08 ? 'upper' : 'lower');
const FIRST_LAST = (code: number): string => (code & 0x04 ? 'last' : 'first');
const BEGIN_END = (code: number): string => (code & 0x01 ? 'end' : 'begin');

/** EN 13757-3:2018 Table 18: record error codes carried as VIFE (slave to master). */
const RECORD_ERRORS: readonly [number, string][] = [
  [0x00, 'no error'],
  [0x01, 'error: too many DIFEs'],
  [0x02, 'error: storage number not implemented'],
  [0x03, 'error: unit number not implemented'],
  [0x04, 'error: tariff number not implemented'],
  [0x05, 'error: function not implemented'],
  [0x06, 'error: data class not implemented'],
  [0x07, 'error: data size not implemented'],
  [0x0b, 'error: too many VIFEs'],
  [0x0c, 'error: illegal VIF group'],
  [0x0d, 'error: illegal VIF exponent'],
  [0x0e, 'error: VIF/DIF mismatch'],
  [0x0f, 'error: unimplemented action'],
  [0x15, 'error: no data available'],
  [0x16, 'error: data overflow'],
  [0x17, 'error: data underflow'],
  [0x18, 'error: data error'],
  [0x1c, 'error: premature end of record'],
];

/** EN 13757-3:2018 Table 15, combinable (orthogonal) VIFEs. */
export const COMBINABLE_VIFES = expandVifes([
  ...RECORD_ERRORS.map(([code, text]): VifeRow => ({ from: code, to: code, text, effect: ERROR })),
  { from: 0x12, to: 0x12, text: 'average value', effect: NOTE },
  { from: 0x13, to: 0x13, text: 'inverse compact profile', effect: INVERSE_PROFILE },
  { from: 0x14, to: 0x14, text: 'relative deviation', effect: NOTE },
  { from: 0x1d, to: 0x1d, text: 'standard conform data content', effect: NOTE },
  { from: 0x1e, to: 0x1e, text: 'compact profile with register numbers', effect: FORWARD_PROFILE },
  { from: 0x1f, to: 0x1f, text: 'compact profile', effect: FORWARD_PROFILE },
  { from: 0x20, to: 0x20, text: 'per second', effect: { type: 'per-time', seconds: 1 } },
  { from: 0x21, to: 0x21, text: 'per minute', effect: { type: 'per-time', seconds: 60 } },
  { from: 0x22, to: 0x22, text: 'per hour', effect: { type: 'per-time', seconds: 3600 } },
  { from: 0x23, to: 0x23, text: 'per day', effect: { type: 'per-time', seconds: 86400 } },
  { from: 0x24, to: 0x24, text: 'per week', effect: { type: 'per-time', seconds: 604800 } },
  { from: 0x25, to: 0x25, text: 'per month', effect: { type: 'per-time', seconds: MONTH_S } },
  { from: 0x26, to: 0x26, text: 'per year', effect: { type: 'per-time', seconds: YEAR_S } },
  { from: 0x27, to: 0x27, text: 'per revolution/measurement', effect: NO_UNIT },
  { from: 0x28, to: 0x29, text: (c) => `increment per input pulse on channel ${c & 1}`, effect: NO_UNIT },
  { from: 0x2a, to: 0x2b, text: (c) => `increment per output pulse on channel ${c & 1}`, effect: NO_UNIT },
  { from: 0x2c, to: 0x2c, text: 'per litre', effect: NO_UNIT },
  { from: 0x2d, to: 0x2d, text: 'per m3', effect: NO_UNIT },
  { from: 0x2e, to: 0x2e, text: 'per kg', effect: NO_UNIT },
  { from: 0x2f, to: 0x2f, text: 'per K', effect: NO_UNIT },
  { from: 0x30, to: 0x30, text: 'per kWh', effect: NO_UNIT },
  { from: 0x31, to: 0x31, text: 'per GJ', effect: NO_UNIT },
  { from: 0x32, to: 0x32, text: 'per kW', effect: NO_UNIT },
  { from: 0x33, to: 0x33, text: 'per K·l', effect: NO_UNIT },
  { from: 0x34, to: 0x34, text: 'per V', effect: NO_UNIT },
  { from: 0x35, to: 0x35, text: 'per A', effect: NO_UNIT },
  { from: 0x36, to: 0x36, text: 'multiplied by s', effect: NO_UNIT },
  { from: 0x37, to: 0x37, text: 'multiplied by s/V', effect: NO_UNIT },
  { from: 0x38, to: 0x38, text: 'multiplied by s/A', effect: NO_UNIT },
  { from: 0x39, to: 0x39, text: 'start date/time of', effect: TIMEPOINT },
  { from: 0x3a, to: 0x3a, text: 'uncorrected (at metering conditions)', effect: NOTE },
  { from: 0x3b, to: 0x3b, text: 'accumulation only if positive (forward flow)', effect: NOTE },
  { from: 0x3c, to: 0x3c, text: 'accumulation of abs value only if negative (backward flow)', effect: NOTE },
  { from: 0x3d, to: 0x3d, text: 'alternate non-metric unit system', effect: NOTE },
  { from: 0x3e, to: 0x3e, text: 'value at base conditions', effect: NOTE },
  { from: 0x3f, to: 0x3f, text: 'OBIS declaration', effect: NOTE },
  { from: 0x40, to: 0x40, text: 'lower limit value', effect: NOTE },
  { from: 0x48, to: 0x48, text: 'upper limit value', effect: NOTE },
  { from: 0x41, to: 0x41, text: 'number of exceeds of lower limit', effect: { type: 'count' } },
  { from: 0x49, to: 0x49, text: 'number of exceeds of upper limit', effect: { type: 'count' } },
  ...[0x42, 0x43, 0x46, 0x47, 0x4a, 0x4b, 0x4e, 0x4f].map(
    (code): VifeRow => ({
      from: code,
      to: code,
      text: `date/time of ${BEGIN_END(code)} of ${FIRST_LAST(code)} ${LOWER_UPPER(code)} limit exceed`,
      effect: TIMEPOINT,
    }),
  ),
  {
    from: 0x50,
    to: 0x5f,
    text: (c) => `duration of ${FIRST_LAST(c)} ${LOWER_UPPER(c)} limit exceed`,
    effect: (c) => ({ type: 'duration', seconds: SEC_MIN_HOUR_DAY[c & 3] as number }),
  },
  {
    from: 0x60,
    to: 0x67,
    text: (c) => `duration of ${FIRST_LAST(c)}`,
    effect: (c) => ({ type: 'duration', seconds: SEC_MIN_HOUR_DAY[c & 3] as number }),
  },
  { from: 0x68, to: 0x68, text: 'value during lower limit exceed', effect: NOTE },
  { from: 0x6c, to: 0x6c, text: 'value during upper limit exceed', effect: NOTE },
  { from: 0x69, to: 0x69, text: 'leakage values', effect: NOTE },
  { from: 0x6d, to: 0x6d, text: 'overflow values', effect: NOTE },
  ...[0x6a, 0x6b, 0x6e, 0x6f].map(
    (code): VifeRow => ({
      from: code,
      to: code,
      text: `date/time of ${BEGIN_END(code)} of ${FIRST_LAST(code)}`,
      effect: TIMEPOINT,
    }),
  ),
  {
    from: 0x70,
    to: 0x77,
    text: (c) => `correction factor 10^${(c & 7) - 6}`,
    effect: (c) => ({ type: 'exponent', add: (c & 7) - 6 }),
  },
  {
    from: 0x78,
    to: 0x7b,
    text: (c) => `additive correction constant (10^${(c & 3) - 3} × unit of VIF)`,
    effect: (c) => ({ type: 'exponent', add: (c & 3) - 3 }),
  },
  { from: 0x7c, to: 0x7c, text: 'extension of combinable VIFE', effect: { type: 'extension' } },
  { from: 0x7d, to: 0x7d, text: 'correction factor 10^3', effect: { type: 'exponent', add: 3 } },
  { from: 0x7e, to: 0x7e, text: 'future value', effect: NOTE },
  { from: 0x7f, to: 0x7f, text: 'manufacturer specific VIFEs follow', effect: { type: 'manufacturer' } },
]);

/** EN 13757-3:2018 Table 16, extension of the combinable VIFEs (after VIFE FC). */
export const COMBINABLE_EXTENSION_VIFES = expandVifes([
  { from: 0x01, to: 0x01, text: 'at phase L1', effect: NOTE },
  { from: 0x02, to: 0x02, text: 'at phase L2', effect: NOTE },
  { from: 0x03, to: 0x03, text: 'at phase L3', effect: NOTE },
  { from: 0x04, to: 0x04, text: 'at neutral', effect: NOTE },
  { from: 0x05, to: 0x05, text: 'between phase L1 and L2', effect: NOTE },
  { from: 0x06, to: 0x06, text: 'between phase L2 and L3', effect: NOTE },
  { from: 0x07, to: 0x07, text: 'between phase L3 and L1', effect: NOTE },
  { from: 0x08, to: 0x08, text: 'at quadrant Q1', effect: NOTE },
  { from: 0x09, to: 0x09, text: 'at quadrant Q2', effect: NOTE },
  { from: 0x0a, to: 0x0a, text: 'at quadrant Q3', effect: NOTE },
  { from: 0x0b, to: 0x0b, text: 'at quadrant Q4', effect: NOTE },
  { from: 0x0c, to: 0x0c, text: 'delta between import and export', effect: NOTE },
  { from: 0x10, to: 0x10, text: 'accumulation of abs value for positive and negative contributions', effect: NOTE },
  { from: 0x11, to: 0x11, text: 'data presented with type C', effect: NOTE },
  { from: 0x12, to: 0x12, text: 'data presented with type D', effect: NOTE },
  { from: 0x14, to: 0x14, text: 'direction: from communication partner to meter', effect: NOTE },
  { from: 0x15, to: 0x15, text: 'direction: from meter to communication partner', effect: NOTE },
]);

// ---------------------------------------------------------------------------------------------
// Combining a VIB

/** Units that stay contract units when divided by a time: the rate per hour. */
const PER_HOUR_UNIT: Readonly<Record<string, string>> = { Wh: 'W', J: 'J/h', m3: 'm3/h', kg: 'kg/h' };
/** Units that already are rates. */
const RATE_UNITS: ReadonlySet<string> = new Set(['W', 'J/h', 'm3/h', 'kg/h']);

const hex2 = (b: number): string => b.toString(16).toUpperCase().padStart(2, '0');

/**
 * The meaning of a VIB: `vib[start, end)` holds the VIF and all VIFEs as on the wire (for a
 * plain-text VIF without its length and text, which the caller passes as `plainText`). The walk
 * (records.ts) has already checked that the extension bits are consistent with `end`.
 */
export function describeVib(vib: Uint8Array, start: number, end: number, plainText: string | null): VibMeaning {
  const texts: string[] = [];
  const vif = vib[start] as number;
  const code = vif & 0x7f;
  let i = start + 1;
  let entry: VifEntry | undefined;
  let quantity: string;

  if (code === 0x7b || code === 0x7d) {
    if (!(vif & 0x80) || i >= end) {
      // FB/FD without the extension bit: nothing follows, the code is reserved on its own
      texts.push(`VIF ${hex2(vif)}: reserved`);
      entry = undefined;
      quantity = `reserved VIF ${hex2(vif)}`;
    } else {
      const table = code === 0x7b ? FB_VIFS : FD_VIFS;
      const name = code === 0x7b ? 'FB' : 'FD';
      texts.push(`VIF ${hex2(vif)}: extension table ${name} follows`);
      let ext = vib[i++] as number;
      if (code === 0x7d && (ext & 0x7f) === 0x7d && ext & 0x80 && i < end) {
        texts.push(`VIFE ${hex2(ext)}: second level of table FD follows`);
        ext = vib[i++] as number;
        entry = FD_SECOND_LEVEL_VIFS[ext & 0x7f];
        quantity = entry?.quantity ?? `reserved VIF FD FD ${hex2(ext & 0x7f)}`;
      } else {
        entry = table[ext & 0x7f];
        quantity = entry?.quantity ?? `reserved VIF ${name} ${hex2(ext & 0x7f)}`;
      }
      texts.push(`VIFE ${hex2(ext)}: ${quantity}${entry ? scaleText(entry) : ''}`);
      if (!(ext & 0x80)) i = end;
    }
  } else if (code === 0x7c) {
    entry = { quantity: plainText ?? '', unit: '', exponent: 0, factor: 1, offset: 0, kind: 'number' };
    quantity = plainText ?? '';
    texts.push(`VIF ${hex2(vif)}: plain-text unit ${JSON.stringify(quantity)}`);
  } else if (code === 0x7f) {
    // Manufacturer-specific VIF: its VIFEs are the manufacturer's too (EN 13757-3 §6.4.3)
    texts.push(`VIF ${hex2(vif)}: manufacturer specific`);
    for (; i < end; i++) texts.push(`VIFE ${hex2(vib[i] as number)}: manufacturer specific`);
    return { ...(PRIMARY_VIFS[0x7f] as VifEntry), byteTexts: texts };
  } else {
    entry = PRIMARY_VIFS[code];
    quantity = entry?.quantity ?? `reserved VIF ${hex2(vif)}`;
    texts.push(`VIF ${hex2(vif)}: ${quantity}${entry ? scaleText(entry) : ''}`);
  }

  let unit = entry?.unit ?? '';
  let exponent = entry?.exponent ?? 0;
  let factor = entry?.factor ?? 1;
  let offset = entry?.offset ?? 0;
  let kind: ValueKind = entry?.kind ?? 'number';
  let notes = '';

  // The combinable VIFEs, in order. After VIFE FF the rest is the manufacturer's.
  let manufacturer = false;
  /** Offset of the compact-profile VIFE (-1: none, -2: more than one) and its direction. */
  let profileAt = -1;
  let inverse = false;
  for (; i < end; i++) {
    const vife = vib[i] as number;
    if (manufacturer) {
      texts.push(`VIFE ${hex2(vife)}: manufacturer specific`);
      notes += `${notes ? ', ' : ''}manufacturer specific VIFE ${hex2(vife)}`;
      continue;
    }
    let e = COMBINABLE_VIFES[vife & 0x7f];
    if (e?.effect.type === 'extension' && i + 1 < end && vife & 0x80) {
      texts.push(`VIFE ${hex2(vife)}: ${e.text}`);
      const next = vib[++i] as number;
      e = COMBINABLE_EXTENSION_VIFES[next & 0x7f];
      texts.push(`VIFE ${hex2(next)}: ${e?.text ?? 'reserved'}`);
      if (e) notes += notes ? `, ${e.text}` : e.text;
      continue;
    }
    if (!e) {
      texts.push(`VIFE ${hex2(vife)}: reserved`);
      notes += notes ? ', reserved VIFE' : 'reserved VIFE';
      continue;
    }
    texts.push(`VIFE ${hex2(vife)}: ${e.text}`);
    const effect = e.effect;
    switch (effect.type) {
      case 'manufacturer':
        manufacturer = true;
        continue;
      case 'exponent':
        exponent += effect.add;
        break;
      case 'per-time':
        if (kind === 'number' && unit in PER_HOUR_UNIT) {
          unit = PER_HOUR_UNIT[unit] as string;
          factor *= 3600 / effect.seconds;
        } else if (!(kind === 'number' && RATE_UNITS.has(unit))) {
          unit = '';
        }
        // A rate "per month" (e.g. power 2E + VIFE 25, seen from Sontex and others) names the
        // period the maximum or average was taken over: the value stays a rate in its unit.
        break;
      case 'no-unit':
        unit = '';
        break;
      case 'timepoint':
        kind = 'timepoint';
        unit = '';
        exponent = 0;
        factor = 1;
        offset = 0;
        break;
      case 'duration':
        kind = 'number';
        unit = 's';
        exponent = 0;
        factor = effect.seconds;
        offset = 0;
        break;
      case 'profile':
        kind = 'raw';
        unit = '';
        profileAt = profileAt === -1 ? i : -2;
        inverse = effect.inverse;
        break;
      case 'count':
        kind = 'unsigned';
        unit = '';
        exponent = 0;
        factor = 1;
        offset = 0;
        break;
      default:
        break;
    }
    notes += notes ? `, ${e.text}` : e.text;
  }
  if (notes) quantity = `${quantity} (${notes})`;
  const meaning = { quantity, unit, exponent, factor, offset, kind, byteTexts: texts };
  if (profileAt < 0 || kind !== 'raw' || manufacturer || code === 0x7c) return meaning;
  const profile = profileVib(vib, start, end, profileAt, inverse);
  return profile ? { ...meaning, profile } : meaning;
}

/**
 * The profile part of a compact profile's meaning: the VIB without the profile VIFE (at
 * `profileAt`) names the base value's record and each element's quantity. Null when the elements
 * would be no numbers (a time point, manufacturer-specific data): such profiles stay hex.
 */
function profileVib(
  vib: Uint8Array,
  start: number,
  end: number,
  profileAt: number,
  inverse: boolean,
): ProfileVib | null {
  const base = new Uint8Array(end - start - 1);
  let n = 0;
  for (let i = start; i < end; i++) if (i !== profileAt) base[n++] = (vib[i] as number) | 0x80;
  base[n - 1] = (base[n - 1] as number) & 0x7f;
  const element = describeVib(base, 0, n, null);
  if (element.kind !== 'number' && element.kind !== 'unsigned') return null;
  let baseVif = '';
  for (let i = 0; i < n; i++) baseVif += hex2(base[i] as number);
  return { inverse, baseVif, element };
}

function scaleText(e: VifEntry): string {
  if (e.kind !== 'number' || (e.exponent === 0 && e.factor === 1 && e.offset === 0))
    return e.unit ? ` [${e.unit}]` : '';
  const parts: string[] = [];
  if (e.factor !== 1) parts.push(`× ${e.factor}`);
  if (e.exponent !== 0) parts.push(`× 10^${e.exponent}`);
  if (e.offset !== 0) parts.push(`+ ${e.offset}`);
  return ` [${parts.join(' ')}${e.unit ? ` ${e.unit}` : ''}]`;
}
