/**
 * A fleet of simulated wM-Bus meters on the simulated radio: the configuration file (validated
 * as hostile input), the transmission schedule, and a generator of telegrams for benchmarks.
 *
 * Schedule [M]: OMS meters transmit periodically with a random deviation so that meters of one
 * installation do not collide on the air. Each meter's first telegram goes out at a seeded
 * offset within the start spread; each next one after its interval ± 10 % (seeded).
 */
import { isSmgwError, type SmgwError, type TimerClock, type TimerHandle, toHex, toSmgwError } from '@opensmgw/core';
import { isMedium, MEDIA, type Medium } from './consumption.js';
import type { CounterStore } from './counter-store.js';
import { DevicesError } from './errors.js';
import type { RadioSender } from './radio.js';
import { hashUnit, SeededRandom } from './seeded-random.js';
import type { SentLog } from './sent-log.js';
import type { SentValue } from './sent-value.js';
import { type MeterTelegram, WmbusMeterSimulator } from './wmbus-meter.js';

export interface FleetMeterConfig {
  readonly manufacturer: string;
  readonly serial: string;
  readonly medium: Medium;
  readonly keyHex: string;
  readonly intervalSeconds: number;
  readonly counterStart?: number;
  readonly seed?: number;
  readonly header?: 'short' | 'long';
}

export interface FleetConfig {
  readonly meters: readonly FleetMeterConfig[];
}

/** A configuration file larger than this is refused before parsing. */
export const MAX_FLEET_CONFIG_BYTES = 16 << 20;
export const MAX_FLEET_METERS = 100_000;

const METER_FIELDS = new Set([
  'manufacturer',
  'serial',
  'medium',
  'keyHex',
  'intervalSeconds',
  'counterStart',
  'seed',
  'header',
]);

function badConfig(path: string, why: string): DevicesError {
  return new DevicesError('SMGW_DEV_BAD_CONFIG', `${path}: ${why}`, { detail: { path } });
}

function integerIn(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw badConfig(path, `expected an integer in ${min}..${max}`);
  return v;
}

function matching(v: unknown, path: string, pattern: RegExp, what: string): string {
  if (typeof v !== 'string' || v.length > 64 || !pattern.test(v)) throw badConfig(path, `expected ${what}`);
  return v;
}

/**
 * Reads a fleet configuration `{"meters": [{manufacturer, serial, medium, keyHex,
 * intervalSeconds, counterStart?, seed?, header?}]}`. Unknown fields, duplicates and values out
 * of range are SMGW_DEV_BAD_CONFIG (the message names the path, never the key).
 */
export function parseFleetConfig(text: string | Uint8Array): FleetConfig {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  if (size > MAX_FLEET_CONFIG_BYTES) throw badConfig('$', `larger than ${MAX_FLEET_CONFIG_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(typeof text === 'string' ? text : Buffer.from(text).toString('utf8'));
  } catch {
    throw badConfig('$', 'not JSON');
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw badConfig('$', 'expected an object');
  for (const k of Object.keys(json)) if (k !== 'meters') throw badConfig(`$.${k.slice(0, 40)}`, 'unknown field');
  const meters = (json as { meters?: unknown }).meters;
  if (!Array.isArray(meters)) throw badConfig('$.meters', 'expected an array');
  if (meters.length === 0 || meters.length > MAX_FLEET_METERS)
    throw badConfig('$.meters', `expected 1..${MAX_FLEET_METERS} meters`);
  const seen = new Set<string>();
  const out = meters.map((m: unknown, i): FleetMeterConfig => {
    const p = `$.meters[${i}]`;
    if (m === null || typeof m !== 'object' || Array.isArray(m)) throw badConfig(p, 'expected an object');
    const o = m as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!METER_FIELDS.has(k)) throw badConfig(`${p}.${k.slice(0, 40)}`, 'unknown field');
    const manufacturer = matching(o.manufacturer, `${p}.manufacturer`, /^[A-Z]{3}$/, 'three capital letters');
    const serial = matching(o.serial, `${p}.serial`, /^[0-9]{8}$/, '8 digits');
    if (!isMedium(o.medium)) throw badConfig(`${p}.medium`, `expected one of ${MEDIA.join(', ')}`);
    const keyHex = matching(o.keyHex, `${p}.keyHex`, /^[0-9a-fA-F]{32}$/, '32 hex digits');
    const intervalSeconds = integerIn(o.intervalSeconds, `${p}.intervalSeconds`, 1, 86_400);
    const id = `${manufacturer}-${serial}`;
    if (seen.has(id)) throw badConfig(p, `meter ${id} appears twice`);
    seen.add(id);
    if (o.header !== undefined && o.header !== 'short' && o.header !== 'long')
      throw badConfig(`${p}.header`, 'expected "short" or "long"');
    return {
      manufacturer,
      serial,
      medium: o.medium,
      keyHex,
      intervalSeconds,
      ...(o.counterStart === undefined
        ? {}
        : { counterStart: integerIn(o.counterStart, `${p}.counterStart`, 0, 0xffffffff) }),
      ...(o.seed === undefined ? {} : { seed: integerIn(o.seed, `${p}.seed`, 0, 0xffffffff) }),
      ...(o.header === undefined ? {} : { header: o.header as 'short' | 'long' }),
    };
  });
  return { meters: out };
}

/** A meter's seed: its own, else derived from the fleet seed and its place in the list. */
function meterSeed(fleetSeed: number, index: number, m: FleetMeterConfig): number {
  return m.seed ?? Math.floor(hashUnit(fleetSeed, 7, index) * 0x1_0000_0000);
}

export interface FleetSent {
  readonly meterId: string;
  readonly counter: number;
  readonly frame: Uint8Array;
  readonly sent: readonly SentValue[];
}

export interface WmbusFleetOptions {
  readonly config: FleetConfig;
  readonly radio: RadioSender;
  readonly clock: TimerClock;
  /** Seed of curves (for meters without their own) and jitter. Default 1. */
  readonly seed?: number;
  readonly counterStore?: CounterStore;
  readonly sentLog?: SentLog;
  /** Telegrams per meter, then the fleet is done; default: until stop(). */
  readonly rounds?: number;
  /** First telegrams go out within this many ms of start (at most one interval). Default 2000. */
  readonly startSpreadMs?: number;
  /** After each datagram went out (and was logged). */
  readonly onSent?: (s: FleetSent) => void;
  /** A meter that failed (a send error: the meter goes on; a counter or state error: it stops). */
  readonly onError?: (meterId: string, e: SmgwError) => void;
}

interface Scheduled {
  readonly meter: WmbusMeterSimulator;
  readonly rng: SeededRandom;
  timer: TimerHandle | undefined;
  sent: number;
  stopped: boolean;
}

/** Runs the meters of a configuration on a clock; `done` settles when all rounds went out or stop() was called. */
export class WmbusFleet {
  readonly meters: readonly WmbusMeterSimulator[];
  readonly done: Promise<void>;
  readonly #options: WmbusFleetOptions;
  readonly #scheduled: Scheduled[];
  readonly #inFlight = new Set<Promise<void>>();
  #resolveDone: () => void = () => {};
  #started = false;
  #stopped = false;

  constructor(options: WmbusFleetOptions) {
    const rounds = options.rounds;
    if (rounds !== undefined && (!Number.isInteger(rounds) || rounds < 1))
      throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'rounds must be a positive integer');
    const seed = options.seed ?? 1;
    this.#options = options;
    this.meters = options.config.meters.map(
      (m, i) =>
        new WmbusMeterSimulator({
          ...m,
          seed: meterSeed(seed, i, m),
          ...(options.counterStore === undefined ? {} : { counterStore: options.counterStore }),
        }),
    );
    this.#scheduled = this.meters.map((meter, i) => ({
      meter,
      rng: new SeededRandom(Math.floor(hashUnit(seed, 8, i) * 0x1_0000_0000)),
      timer: undefined,
      sent: 0,
      stopped: false,
    }));
    this.done = new Promise((resolve) => {
      this.#resolveDone = resolve;
    });
  }

  start(): void {
    if (this.#started) return;
    this.#started = true;
    const spread = this.#options.startSpreadMs ?? 2000;
    for (const s of this.#scheduled) {
      const first = s.rng.next() * Math.min(spread, s.meter.intervalSeconds * 1000);
      this.#arm(s, first);
    }
  }

  /** Stops all timers and waits for datagrams on their way. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const s of this.#scheduled) {
      s.stopped = true;
      s.timer?.cancel();
      s.timer = undefined;
    }
    await Promise.allSettled([...this.#inFlight]);
    this.#resolveDone();
  }

  #arm(s: Scheduled, delayMs: number): void {
    s.timer = this.#options.clock.setTimer(Math.max(0, Math.round(delayMs)), () => this.#fire(s));
  }

  #fire(s: Scheduled): void {
    s.timer = undefined;
    if (s.stopped) return;
    let t: MeterTelegram;
    try {
      t = s.meter.telegram(this.#options.clock.now());
    } catch (e) {
      // A counter that cannot be stored or is exhausted: this meter must not send again.
      s.stopped = true;
      this.#options.onError?.(s.meter.meterId, toSmgwError(e));
      this.#checkDone();
      return;
    }
    s.sent += 1;
    const rounds = this.#options.rounds;
    if (rounds !== undefined && s.sent >= rounds) s.stopped = true;
    else {
      const jitter = 0.9 + 0.2 * s.rng.next();
      this.#arm(s, s.meter.intervalSeconds * 1000 * jitter);
    }
    const p = this.#send(s.meter.meterId, t).finally(() => {
      this.#inFlight.delete(p);
      this.#checkDone();
    });
    this.#inFlight.add(p);
  }

  async #send(meterId: string, t: MeterTelegram): Promise<void> {
    try {
      await this.#options.radio.send(t.frame);
    } catch (e) {
      this.#options.onError?.(meterId, toSmgwError(e));
      return;
    }
    try {
      this.#options.sentLog?.append(t.sent);
    } catch (e) {
      this.#options.onError?.(meterId, isSmgwError(e) ? e : toSmgwError(e));
    }
    this.#options.onSent?.({ meterId, counter: t.counter, frame: t.frame, sent: t.sent });
  }

  #checkDone(): void {
    if (this.#stopped) return;
    if (this.#inFlight.size === 0 && this.#scheduled.every((s) => s.stopped)) this.#resolveDone();
  }
}

// ---------------------------------------------------------------- benchmark telegrams

export interface GenerateTelegramsOptions {
  readonly meters: number;
  readonly telegramsPerMeter: number;
  readonly seed: number;
  /** Wall time of the first round. Default 2026-01-15T00:00:00Z. */
  readonly startMs?: number;
  /** Time between rounds. Default 900 s. */
  readonly intervalSeconds?: number;
}

export interface GeneratedMeter {
  readonly meterId: string;
  readonly manufacturer: string;
  readonly serial: string;
  readonly medium: Medium;
  /** Seeded, not secret: for benchmarks only. */
  readonly keyHex: string;
}

export interface GeneratedTelegrams {
  readonly profiles: readonly GeneratedMeter[];
  /** Round by round: every meter's first telegram, then every meter's second, ... */
  readonly frames: readonly Uint8Array[];
  readonly elapsedMs: number;
}

const BENCH_MANUFACTURER: Readonly<Record<Medium, string>> = {
  electricity: 'EMH',
  gas: 'ELS',
  water: 'DME',
  heat: 'KAM',
};

/**
 * Telegrams of `meters` meters (media in turn), `telegramsPerMeter` each, deterministic from
 * `seed`. Each meter keeps its curve and counter between its telegrams.
 */
export function generateTelegrams(options: GenerateTelegramsOptions): GeneratedTelegrams {
  const started = performance.now();
  const { meters, telegramsPerMeter } = options;
  if (!Number.isInteger(meters) || meters < 1 || meters > 1_000_000)
    throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'meters must be an integer in 1..1000000');
  if (!Number.isInteger(telegramsPerMeter) || telegramsPerMeter < 1 || telegramsPerMeter > 100_000)
    throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', 'telegramsPerMeter must be an integer in 1..100000');
  const rng = new SeededRandom(options.seed);
  const intervalSeconds = options.intervalSeconds ?? 900;
  const startMs = options.startMs ?? Date.UTC(2026, 0, 15);
  const profiles: GeneratedMeter[] = [];
  const sims: WmbusMeterSimulator[] = [];
  for (let i = 0; i < meters; i++) {
    const medium = MEDIA[i % MEDIA.length] as Medium;
    const manufacturer = BENCH_MANUFACTURER[medium];
    const serial = String(10_000_000 + i).padStart(8, '0');
    const keyHex = toHex(rng.bytes(16));
    profiles.push({ meterId: `${manufacturer}-${serial}`, manufacturer, serial, medium, keyHex });
    sims.push(
      new WmbusMeterSimulator({
        manufacturer,
        serial,
        medium,
        keyHex,
        intervalSeconds,
        seed: Math.floor(rng.next() * 0x1_0000_0000),
      }),
    );
  }
  const frames: Uint8Array[] = [];
  for (let r = 0; r < telegramsPerMeter; r++) {
    const roundMs = startMs + r * intervalSeconds * 1000;
    for (let i = 0; i < meters; i++) {
      // meters of a round spread over the interval, as on the air
      const at = roundMs + Math.floor((i / meters) * intervalSeconds * 1000);
      frames.push((sims[i] as WmbusMeterSimulator).telegram(at).frame);
    }
  }
  return { profiles, frames, elapsedMs: performance.now() - started };
}
