/**
 * TAF 2, Zeitvariable Tarife (spec notes §6.3, as TRuDI re-computes it): the consumption of each
 * registration interval goes to the register of the tariff stage active at the interval's start
 * (day profile by special day, else by weekday; the last switch point at or before the local
 * wall time). An interval whose boundary reading is missing or invalid (captured with invalid
 * system time, 0x200, or not authenticated) cannot be assigned to a stage: the energy between
 * the last valid boundary and the next valid one goes to the error register. Registers are
 * running totals since validFrom; the total register (the source channel's OBIS) is the sum of
 * everything assigned, stages and error register alike.
 *
 * Walking every raster point (not only the switch points) keeps the books closed: whatever is
 * not in a stage register when a period ends with a gap is found again at the next valid
 * reading and goes to the error register then.
 */
import type { EvaluationProfile, TariffProgram, TariffStage } from '@opensmgw/protocol';
import type { NewDerivedValue, NewLogEntry, ReadingSource, StoredReading } from '../../store/types.js';
import { localDate, localParts, previousRasterPoint, rasterPoints } from './calendar.js';
import { validFromMs } from './periods.js';
import { lastCountedReading, parseInteger, rescale, validForBilling } from './readings.js';
import type { TafResult } from './result.js';

/** How far back (raster points) to look for the last valid reading when a period starts in a gap: 45 days of 15 min. */
const MAX_WALK_BACK = 45 * 96;

/** The tariff stage active at instant `t` (spec notes §6.3). */
export function stageAt(tariff: TariffProgram, t: number, timeZone: string): TariffStage | undefined {
  const parts = localParts(t, timeZone);
  const date = localDate(t, timeZone);
  const dayId = tariff.specialDays.find((d) => d.date === date)?.dayId ?? tariff.weekdays[parts.weekday];
  const day = tariff.dayProfiles.find((d) => d.dayId === dayId);
  if (day === undefined) return undefined;
  const hhmm = `${String(parts.hour).padStart(2, '0')}:${String(parts.minute).padStart(2, '0')}`;
  let tariffNumber: number | undefined;
  for (const s of day.switches) if (s.time <= hhmm) tariffNumber = s.tariffNumber;
  return tariff.stages.find((s) => s.tariffNumber === tariffNumber);
}

/**
 * One billing period (startMs, endMs] of a TAF 2 profile. `previous` holds the register values
 * at startMs (the previous period's result; empty for the first period).
 */
export function taf2(
  p: EvaluationProfile,
  source: ReadingSource,
  startMs: number,
  endMs: number,
  previous: readonly NewDerivedValue[],
): TafResult {
  const tariff = p.tariff;
  const channel = p.channels[0];
  if (tariff === undefined || channel === undefined) throw new RangeError(`profile ${p.id} is not a TAF 2 profile`);
  const reg = p.registrationPeriodSeconds;
  const tz = p.timeZone;
  const readingAt = (windowStart: number, t: number): StoredReading | undefined =>
    lastCountedReading(source, p.meterId, channel, windowStart, t);

  const boundaries = [startMs, ...rasterPoints(startMs, endMs, reg, tz)];
  if (boundaries[boundaries.length - 1] !== endMs) boundaries.push(endMs);

  const prev = new Map(previous.map((v) => [v.obis, v]));
  const first = readingAt(previousRasterPoint(startMs, reg, tz), startMs);
  let anchor: StoredReading | undefined = validForBilling(first) ? first : undefined;
  let prevValid = anchor !== undefined;
  if (anchor === undefined) anchor = walkBack(startMs);

  const anyPrev = previous[0];
  const scaler = anyPrev?.scaler ?? anchor?.scaler ?? 0;
  let unit = anyPrev?.unit ?? anchor?.unit;

  const sums = new Map<string, bigint>(tariff.stages.map((s) => [s.obis, 0n]));
  let error = 0n;
  let gaps = 0;
  let decreased = false;
  let unanchored = false;
  let last: StoredReading | undefined = prevValid ? anchor : undefined;

  for (let j = 1; j < boundaries.length; j++) {
    const b = boundaries[j]!;
    const r = readingAt(boundaries[j - 1]!, b);
    if (!validForBilling(r)) {
      gaps++;
      prevValid = false;
      last = undefined;
      continue;
    }
    unit ??= r.unit;
    const v = rescale(parseInteger(r.value)!, r.scaler, scaler);
    if (anchor === undefined) {
      // No valid reading since validFrom: the energy before this one cannot be known.
      unanchored = true;
      anchor = r;
      prevValid = true;
      last = r;
      continue;
    }
    const delta = v - rescale(parseInteger(anchor.value)!, anchor.scaler, scaler);
    if (delta < 0n) {
      // A register that runs backwards is not a valid boundary (meter fault or exchange).
      decreased = true;
      gaps++;
      prevValid = false;
      last = undefined;
      continue;
    }
    if (prevValid) {
      const stage = stageAt(tariff, boundaries[j - 1]!, tz);
      if (stage !== undefined) sums.set(stage.obis, (sums.get(stage.obis) ?? 0n) + delta);
      else error += delta;
    } else {
      error += delta;
    }
    anchor = r;
    prevValid = true;
    last = r;
  }

  const captureTimeMs = last?.captureTimeMs ?? endMs;
  const register = (obis: string, added: bigint): NewDerivedValue => {
    const before = prev.get(obis);
    const base = before === undefined ? 0n : rescale(parseInteger(before.value) ?? 0n, before.scaler, scaler);
    return {
      evaluationProfileId: p.id,
      meterId: p.meterId,
      obis,
      kind: 'derived',
      value: (base + added).toString(),
      scaler,
      unit: unit ?? 'Wh',
      captureTimeMs,
      targetTimeMs: endMs,
      smgwStatus: 0,
    };
  };
  let total = error;
  for (const s of sums.values()) total += s;
  const values = [
    ...tariff.stages.map((s) => register(s.obis, sums.get(s.obis) ?? 0n)),
    register(tariff.errorRegisterObis, error),
    register(channel, total),
  ];

  const notes: NewLogEntry[] = [];
  const at = new Date(endMs).toISOString();
  if (gaps > 0) {
    notes.push({
      level: 2,
      outcome: 1,
      event: 'TAF2_ERROR_REGISTER',
      message: `TAF 2 period ending ${at}: ${gaps} of ${boundaries.length - 1} intervals without a valid boundary reading; ${error} (scaler ${scaler}) to the error register`,
      subject: p.id,
    });
  }
  if (decreased) {
    notes.push({
      level: 3,
      outcome: 1,
      event: 'TAF2_REGISTER_DECREASED',
      message: `TAF 2 period ending ${at}: meter ${p.meterId} register ${channel} ran backwards; values ignored`,
      subject: p.id,
    });
  }
  if (unanchored) {
    notes.push({
      level: 2,
      outcome: 1,
      event: 'TAF2_NO_START_READING',
      message: `TAF 2 period ending ${at}: no valid reading since ${new Date(Math.max(startMs, validFromMs(p))).toISOString()}; energy before the first valid reading not assigned`,
      subject: p.id,
    });
  }
  return { values, notes };

  /** The last valid reading on a raster point before `t`, not before validFrom. */
  function walkBack(t: number): StoredReading | undefined {
    const floor = validFromMs(p);
    let hi = previousRasterPoint(t, reg, tz);
    for (let i = 0; i < MAX_WALK_BACK && hi >= floor; i++) {
      const lo = previousRasterPoint(hi, reg, tz);
      const r = readingAt(lo, hi);
      if (validForBilling(r)) return r;
      hi = lo;
    }
    return undefined;
  }
}
