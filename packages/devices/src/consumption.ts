/**
 * Plausible consumption curves for the simulated meters, deterministic from a seed.
 *
 * Each curve has a rate (power or flow) that is constant within one minute and depends only on
 * the seed and the minute (time of day, season, seeded noise): the registers are the integral of
 * that rate, so they only ever grow, and the same seed and the same reading times give the same
 * values on every run. Registers are integers with a decimal scaler (value × 10^scaler in the
 * base unit), as meters send them.
 *
 * - electricity: household load profile (night base load, morning and evening peaks, short
 *   kettle-like spikes, noise); instantaneous power in W and the A+ energy register in Wh.
 * - gas: heating demand (season, day/night setback) in m3 with 10^-3 resolution.
 * - water: bursts of use (more in the morning and evening) in m3 with 10^-3 resolution.
 * - heat: the heating demand as thermal power; energy in kWh (Wh with scaler 3) and the
 *   circulated volume (m3, 10^-3) at a 20 K spread.
 */
import { DevicesError } from './errors.js';
import { checkSeed, hashUnit } from './seeded-random.js';

export const MEDIA = ['electricity', 'gas', 'water', 'heat'] as const;
export type Medium = (typeof MEDIA)[number];

export function isMedium(v: unknown): v is Medium {
  return typeof v === 'string' && (MEDIA as readonly string[]).includes(v);
}

export type Quantity = 'energy' | 'power' | 'volume';

/** One value of a reading: `value` × 10^`scaler` `unit`. */
export interface RegisterValue {
  readonly quantity: Quantity;
  /** Integer in the meter's resolution. */
  readonly value: number;
  readonly scaler: number;
  /** Base unit: Wh, W or m3. */
  readonly unit: 'Wh' | 'W' | 'm3';
}

export interface ConsumptionReading {
  readonly atMs: number;
  readonly values: readonly RegisterValue[];
}

export interface ConsumptionCurveOptions {
  readonly medium: Medium;
  readonly seed: number;
  /** Time of the first reading; the registers start at seeded values there. */
  readonly startMs: number;
  /** Energy scaler of an electricity meter (default 0: Wh; SML meters often send -1). */
  readonly energyScaler?: number;
}

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Minutes integrated one by one up to this gap; longer gaps (a meter switched off) in coarser steps. */
const FINE_GAP = 7 * DAY;
const COARSE_STEP = 15 * MINUTE;

/** Local hour of day in Germany (CET; summer time is not worth modelling here). */
function hourOfDay(ms: number): number {
  const h = ((ms + HOUR) % DAY) / HOUR;
  return h < 0 ? h + 24 : h;
}

/** 1 in mid-January, 0 in mid-July. */
function winterness(ms: number): number {
  const day = ms / DAY;
  return 0.5 + 0.5 * Math.cos((2 * Math.PI * (day - 15)) / 365.25);
}

function bump(h: number, centre: number, width: number): number {
  const d = h - centre;
  return Math.exp(-(d * d) / (2 * width * width));
}

/** Noise streams (hashUnit's `stream`). */
const STREAM = { noise: 1, spike: 2, burst: 3, burstFlow: 4, scale: 5, start: 6 } as const;

/** Household electric power in W during minute `m`. */
function electricPower(seed: number, scale: number, m: number): number {
  const t = m * MINUTE;
  const h = hourOfDay(t);
  const profile = 160 + 650 * bump(h, 7.3, 0.9) + 280 * bump(h, 12.5, 1.2) + 1000 * bump(h, 19.3, 1.7);
  const noise = 0.75 + 0.5 * hashUnit(seed, STREAM.noise, m);
  const spike = hashUnit(seed, STREAM.spike, m) < 0.015 ? 1800 : 0;
  return scale * profile * noise + spike;
}

/** Space heating demand, 0..1, during minute `m` (season, day/night setback, noise). */
function heatingDemand(seed: number, m: number): number {
  const t = m * MINUTE;
  const h = hourOfDay(t);
  const daily = h >= 22 || h < 5 ? 0.45 : 0.7 + 0.3 * bump(h, 6.5, 1.2) + 0.25 * bump(h, 18.5, 2);
  const noise = 0.8 + 0.4 * hashUnit(seed, STREAM.noise, m);
  return Math.min(1, (0.08 + 0.92 * winterness(t)) * daily * noise);
}

/** Water flow in m3/h during minute `m`: 5-minute bursts of use, more in the morning and evening. */
function waterFlow(seed: number, scale: number, m: number): number {
  const slot = Math.floor(m / 5);
  const h = hourOfDay(slot * 5 * MINUTE);
  const p = h >= 6 && h < 9 ? 0.12 : h >= 18 && h < 22 ? 0.08 : h >= 23 || h < 5 ? 0.005 : 0.03;
  if (hashUnit(seed, STREAM.burst, slot) >= p * scale) return 0;
  // 5 to 13 litres per minute while a tap or shower runs
  return (5 + 8 * hashUnit(seed, STREAM.burstFlow, slot)) * 0.06;
}

interface MediumModel {
  /** Rates per hour during minute `m`: index 0 the energy/volume register, 1 a second register. */
  rates(seed: number, scale: number, m: number): readonly number[];
  /** Registers: scaler, unit, quantity, seeded start range (in base units). */
  readonly registers: readonly {
    readonly quantity: Quantity;
    readonly scaler: number;
    readonly unit: 'Wh' | 'm3';
    readonly start: readonly [number, number];
  }[];
  /** Instantaneous power to report (electricity), from the rates. */
  readonly power?: boolean;
}

const HEAT_NOMINAL_W = 9000;
/** Water as heat carrier: 1.163 kWh per m3 and kelvin, 20 K between flow and return. */
const HEAT_M3_PER_WH = 1 / (1163 * 20);

const MODELS: Readonly<Record<Medium, MediumModel>> = {
  electricity: {
    rates: (seed, scale, m) => [electricPower(seed, scale, m)],
    registers: [{ quantity: 'energy', scaler: 0, unit: 'Wh', start: [1_000_000, 30_000_000] }],
    power: true,
  },
  gas: {
    // about 2.2 m3/h at full demand (a 20 kW boiler), plus hot water
    rates: (seed, scale, m) => [scale * (2.2 * heatingDemand(seed, m) + 0.05)],
    registers: [{ quantity: 'volume', scaler: -3, unit: 'm3', start: [500, 20_000] }],
  },
  water: {
    rates: (seed, scale, m) => [waterFlow(seed, scale, m)],
    registers: [{ quantity: 'volume', scaler: -3, unit: 'm3', start: [50, 3_000] }],
  },
  heat: {
    rates: (seed, scale, m) => {
      const w = scale * HEAT_NOMINAL_W * heatingDemand(seed, m);
      return [w, w * HEAT_M3_PER_WH];
    },
    registers: [
      { quantity: 'energy', scaler: 3, unit: 'Wh', start: [2_000_000, 90_000_000] },
      { quantity: 'volume', scaler: -3, unit: 'm3', start: [100, 5_000] },
    ],
  },
};

/**
 * The registers of one simulated meter over time. `read(nowMs)` integrates from the previous
 * reading; a time before it (a clock set back) reads the registers unchanged.
 */
export class ConsumptionCurve {
  readonly medium: Medium;
  readonly #seed: number;
  readonly #model: MediumModel;
  readonly #scale: number;
  readonly #scalers: number[];
  /** Accumulated amounts in base units (Wh or m3). */
  readonly #acc: number[];
  /** Register values already reported: never lower afterwards. */
  readonly #reported: number[];
  #atMs: number;

  constructor(options: ConsumptionCurveOptions) {
    if (!(MEDIA as readonly string[]).includes(options.medium)) {
      throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', `unknown medium ${JSON.stringify(options.medium)}`);
    }
    if (!Number.isFinite(options.startMs)) throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'startMs is not a time');
    const energyScaler = options.energyScaler ?? 0;
    if (!Number.isInteger(energyScaler) || energyScaler < -3 || energyScaler > 6) {
      throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'energyScaler must be an integer in -3..6');
    }
    this.medium = options.medium;
    this.#seed = checkSeed(options.seed);
    this.#model = MODELS[options.medium];
    // households differ: 0.6 to 1.6 times the standard profile
    this.#scale = 0.6 + hashUnit(this.#seed, STREAM.scale, 0);
    this.#scalers = this.#model.registers.map((r) =>
      options.medium === 'electricity' && r.quantity === 'energy' ? energyScaler : r.scaler,
    );
    this.#acc = this.#model.registers.map(
      (r, i) => r.start[0] + (r.start[1] - r.start[0]) * hashUnit(this.#seed, STREAM.start, i),
    );
    this.#reported = this.#acc.map(() => 0);
    this.#atMs = Math.floor(options.startMs);
  }

  /** Integrates up to `nowMs` and returns the registers (and the power of an electricity meter). */
  read(nowMs: number): ConsumptionReading {
    if (!Number.isFinite(nowMs)) throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'not a time');
    const now = Math.floor(nowMs);
    if (now > this.#atMs) this.#integrate(this.#atMs, now);
    const at = Math.max(now, this.#atMs);
    this.#atMs = at;
    const values: RegisterValue[] = this.#model.registers.map((r, i) => {
      const scaler = this.#scalers[i] as number;
      const raw = Math.floor((this.#acc[i] as number) / 10 ** scaler + 1e-9);
      const value = Math.max(raw, this.#reported[i] as number);
      this.#reported[i] = value;
      return { quantity: r.quantity, value, scaler, unit: r.unit };
    });
    if (this.#model.power) {
      const m = Math.floor(at / MINUTE);
      values.push({
        quantity: 'power',
        value: Math.round(this.#model.rates(this.#seed, this.#scale, m)[0] as number),
        scaler: 0,
        unit: 'W',
      });
    }
    return { atMs: at, values };
  }

  #integrate(from: number, to: number): void {
    const step = to - from > FINE_GAP ? COARSE_STEP : MINUTE;
    let t = from;
    while (t < to) {
      const next = Math.min(to, (Math.floor(t / step) + 1) * step);
      const rates = this.#model.rates(this.#seed, this.#scale, Math.floor(t / MINUTE));
      const hours = (next - t) / HOUR;
      for (let i = 0; i < this.#acc.length; i++) this.#acc[i] = (this.#acc[i] as number) + (rates[i] as number) * hours;
      t = next;
    }
  }
}
