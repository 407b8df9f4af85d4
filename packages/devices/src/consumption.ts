/**
 * Plausible consumption curves for the simulated meters, deterministic from a seed.
 *
 * A register is a pure function of the seed and the time: its value at t is the seeded start
 * value plus the amounts of every whole day since 2024-01-01 plus the share of today's amount
 * used up to t. Day amounts follow the season (closed form, seeded noise); within a day the
 * amount is spread over 5-minute slots by a seeded daily shape (load profile, heating demand,
 * bursts of water use). So registers only ever grow, are integers with a decimal scaler
 * (value x 10^scaler in the base unit, as meters send them), and a restarted simulator goes on
 * from where the last one stopped, without any state file.
 *
 * - electricity: household load profile (night base load, morning and evening peaks, short
 *   kettle-like spikes, noise); instantaneous power in W and the A+ energy register in Wh.
 * - gas: heating demand (season, day/night setback) and hot water, m3 with 10^-3 resolution.
 * - water: bursts of use (more in the morning and evening), m3 with 10^-3 resolution.
 * - heat: the heating demand as thermal energy in kWh (Wh with scaler 3) and the circulated
 *   volume (m3, 10^-3) at a 20 K spread.
 */
import { DevicesError } from './errors.js';
import { checkSeed, hashUnit } from './seeded-random.js';

export const MEDIA = ['electricity', 'gas', 'water', 'heat'] as const;
export type Medium = (typeof MEDIA)[number];

export function isMedium(v: unknown): v is Medium {
  return typeof v === 'string' && (MEDIA as readonly string[]).includes(v);
}

export type Quantity = 'energy' | 'power' | 'volume';

/** One value of a reading: `value` x 10^`scaler` `unit`. */
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
  /** Energy scaler of an electricity meter (default 0: Wh; SML meters often send -1). */
  readonly energyScaler?: number;
}

const MINUTE = 60_000;
const SLOT = 5 * MINUTE;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const SLOTS_PER_DAY = DAY / SLOT;
/** Day 0 of every register: values before it are the seeded start values. */
const EPOCH = Date.UTC(2024, 0, 1);

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
const STREAM = { noise: 1, spike: 2, burst: 3, burstFlow: 4, scale: 5, start: 6, day: 7 } as const;

/** Household electric power during slot `k`, relative (about 160 W at night). */
function electricShape(seed: number, k: number): number {
  const h = hourOfDay(k * SLOT);
  const profile = 160 + 650 * bump(h, 7.3, 0.9) + 280 * bump(h, 12.5, 1.2) + 1000 * bump(h, 19.3, 1.7);
  const noise = 0.75 + 0.5 * hashUnit(seed, STREAM.noise, k);
  const spike = hashUnit(seed, STREAM.spike, k) < 0.03 ? 1500 : 0;
  return profile * noise + spike;
}

/** Space heating demand during slot `k`, 0..1.3 (day/night setback, noise; the season is in the day amount). */
function heatingShape(seed: number, k: number): number {
  const h = hourOfDay(k * SLOT);
  const daily = h >= 22 || h < 5 ? 0.45 : 0.7 + 0.3 * bump(h, 6.5, 1.2) + 0.25 * bump(h, 18.5, 2);
  return daily * (0.8 + 0.4 * hashUnit(seed, STREAM.noise, k)) + 0.02;
}

/** Water use during slot `k`: a burst (5 to 13 l/min) or nothing; more in the morning and evening. */
function waterShape(seed: number, k: number): number {
  const h = hourOfDay(k * SLOT);
  const p = h >= 6 && h < 9 ? 0.12 : h >= 18 && h < 22 ? 0.08 : h >= 23 || h < 5 ? 0.005 : 0.03;
  if (hashUnit(seed, STREAM.burst, k) >= p) return 1e-6;
  return 5 + 8 * hashUnit(seed, STREAM.burstFlow, k);
}

interface MediumModel {
  /** Relative use during 5-minute slot `k` (> 0). */
  shape(seed: number, k: number): number;
  /** Amount of the first register on day `d` (ms of its midnight), in base units, before household scale and noise. */
  daily(dayMs: number): number;
  /** Registers: the amount of each is the first register's times `ratio`. */
  readonly registers: readonly {
    readonly quantity: Quantity;
    readonly scaler: number;
    readonly unit: 'Wh' | 'm3';
    readonly ratio: number;
    /** Seeded start value range at the epoch, base units. */
    readonly start: readonly [number, number];
  }[];
  /** Amplitude of the day-to-day noise, below the smallest `daily` so that every day's amount stays positive. */
  readonly noise: number;
  /** Report instantaneous power (W) from the first register's slope. */
  readonly power?: boolean;
}

/** Water as heat carrier: 1.163 kWh per m3 and kelvin, 20 K between flow and return. */
const HEAT_M3_PER_WH = 1 / (1163 * 20);

const MODELS: Readonly<Record<Medium, MediumModel>> = {
  electricity: {
    shape: electricShape,
    // about 3,500 kWh a year, a little more in winter (light)
    daily: (d) => 8600 + 2400 * winterness(d),
    noise: 2500,
    registers: [{ quantity: 'energy', scaler: 0, unit: 'Wh', ratio: 1, start: [1_000_000, 30_000_000] }],
    power: true,
  },
  gas: {
    shape: heatingShape,
    // hot water all year, heating in winter: about 1,500 m3 a year
    daily: (d) => 0.7 + 7.5 * winterness(d) ** 1.3,
    noise: 0.5,
    registers: [{ quantity: 'volume', scaler: -3, unit: 'm3', ratio: 1, start: [500, 20_000] }],
  },
  water: {
    shape: waterShape,
    daily: () => 0.4,
    noise: 0.2,
    registers: [{ quantity: 'volume', scaler: -3, unit: 'm3', ratio: 1, start: [50, 3_000] }],
  },
  heat: {
    shape: heatingShape,
    daily: (d) => 2000 + 60_000 * winterness(d) ** 1.3,
    noise: 1500,
    registers: [
      { quantity: 'energy', scaler: 3, unit: 'Wh', ratio: 1, start: [2_000_000, 90_000_000] },
      { quantity: 'volume', scaler: -3, unit: 'm3', ratio: HEAT_M3_PER_WH, start: [100, 5_000] },
    ],
  },
};

/** Days after the epoch that registers grow for (200 years); later times read as that day. */
const MAX_DAY = 200 * 366;

/** Seed-independent per-medium sums of `daily` over days 0..d-1, shared by all meters. */
const SEASON_PREFIX: Record<Medium, number[]> = { electricity: [0], gas: [0], water: [0], heat: [0] };

function dailyOf(medium: Medium, d: number): number {
  return MODELS[medium].daily(EPOCH + d * DAY);
}

function seasonPrefix(medium: Medium, d: number): number {
  const table = SEASON_PREFIX[medium];
  while (table.length <= d) {
    const k = table.length - 1;
    table.push((table[k] as number) + dailyOf(medium, k));
  }
  return table[d] as number;
}

/** One day's spread: cumulative shares of the day's amount at each slot boundary. */
interface DayShape {
  readonly day: number;
  /** The day's amount of the first register. */
  readonly amount: number;
  /** cumulative[k] = share used before slot k; cumulative[288] = 1. */
  readonly cumulative: Float64Array;
}

/**
 * The registers of one simulated meter: `read(nowMs)` gives their values at that time (a pure
 * function of seed and time, clamped so that no value ever goes below one already read).
 */
export class ConsumptionCurve {
  readonly medium: Medium;
  readonly #seed: number;
  readonly #model: MediumModel;
  /** Households differ: 0.6 to 1.6 times the standard amounts. */
  readonly #scale: number;
  readonly #scalers: number[];
  readonly #start: number[];
  readonly #reported: number[];
  #shape: DayShape | undefined;

  constructor(options: ConsumptionCurveOptions) {
    if (!isMedium(options.medium)) {
      throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', `unknown medium ${JSON.stringify(options.medium)}`);
    }
    const energyScaler = options.energyScaler ?? 0;
    if (!Number.isInteger(energyScaler) || energyScaler < -3 || energyScaler > 4) {
      throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'energyScaler must be an integer in -3..4');
    }
    this.medium = options.medium;
    this.#seed = checkSeed(options.seed);
    this.#model = MODELS[options.medium];
    this.#scale = 0.6 + hashUnit(this.#seed, STREAM.scale, 0);
    this.#scalers = this.#model.registers.map((r) =>
      options.medium === 'electricity' && r.quantity === 'energy' ? energyScaler : r.scaler,
    );
    this.#start = this.#model.registers.map(
      (r, i) => r.start[0] + (r.start[1] - r.start[0]) * hashUnit(this.#seed, STREAM.start, i),
    );
    this.#reported = this.#start.map(() => 0);
  }

  /** The registers at `nowMs` (and the power of an electricity meter). */
  read(nowMs: number): ConsumptionReading {
    if (!Number.isFinite(nowMs)) throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'not a time');
    const at = Math.floor(nowMs);
    const since = Math.max(0, at - EPOCH);
    const day = Math.min(MAX_DAY, Math.floor(since / DAY));
    const shape = this.#dayShape(day);
    const inDay = Math.min(DAY, since - day * DAY);
    const k = Math.min(SLOTS_PER_DAY - 1, Math.floor(inDay / SLOT));
    const c0 = shape.cumulative[k] as number;
    const c1 = shape.cumulative[k + 1] as number;
    const share = c0 + (c1 - c0) * ((inDay - k * SLOT) / SLOT);
    const used = this.#prefixTo(day) + shape.amount * share;
    const values: RegisterValue[] = this.#model.registers.map((r, i) => {
      const scaler = this.#scalers[i] as number;
      const total = (this.#start[i] as number) + used * r.ratio;
      const raw = Math.floor(total / 10 ** scaler + 1e-9);
      const value = Math.max(raw, this.#reported[i] as number);
      this.#reported[i] = value;
      return { quantity: r.quantity, value, scaler, unit: r.unit };
    });
    if (this.#model.power) {
      // the slope of the energy register in this slot: Wh per hour = W
      const watts = at < EPOCH ? 0 : (shape.amount * (c1 - c0)) / (SLOT / HOUR);
      values.push({ quantity: 'power', value: Math.round(watts), scaler: 0, unit: 'W' });
    }
    return { atMs: at, values };
  }

  /**
   * The seeded amount of day `d` (days since the epoch): the season's amount plus a noise term
   * that telescopes (u(d+1) - u(d)), so that the sum over all days before `d` is closed-form
   * and a meter's first reading does not add up years of days one by one.
   */
  #dayAmount(d: number): number {
    const u = (x: number) => hashUnit(this.#seed, STREAM.day, x);
    return this.#scale * (dailyOf(this.medium, d) + this.#model.noise * (u(d + 1) - u(d)));
  }

  /** Sum of the amounts of days 0..d-1. */
  #prefixTo(d: number): number {
    const u = (x: number) => hashUnit(this.#seed, STREAM.day, x);
    return this.#scale * (seasonPrefix(this.medium, d) + this.#model.noise * (u(d) - u(0)));
  }

  #dayShape(d: number): DayShape {
    if (this.#shape?.day === d) return this.#shape;
    const cumulative = new Float64Array(SLOTS_PER_DAY + 1);
    const first = (EPOCH + d * DAY) / SLOT;
    let sum = 0;
    for (let k = 0; k < SLOTS_PER_DAY; k++) {
      sum += this.#model.shape(this.#seed, first + k);
      cumulative[k + 1] = sum;
    }
    for (let k = 1; k <= SLOTS_PER_DAY; k++) cumulative[k] = (cumulative[k] as number) / sum;
    cumulative[SLOTS_PER_DAY] = 1;
    this.#shape = { day: d, amount: this.#dayAmount(d), cumulative };
    return this.#shape;
  }
}
