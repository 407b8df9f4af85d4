/**
 * TAF 7, Zählerstandsgangmessung (spec notes §6.1): a register-value series on the registration
 * raster. For each raster end t the value is the last counted reading of each channel captured
 * in the raster interval ending at t; it stays an original value (TRuDI requires TAF 7 data to
 * be an original value list, §6.1), with target time t and the reading's own capture time.
 * A missing value is not invented: the calibration log notes the gap once, at its start.
 */
import type { EvaluationProfile } from '@opensmgw/protocol';
import type { NewDerivedValue, NewLogEntry, ReadingSource } from '../../store/types.js';
import { previousRasterPoint } from './calendar.js';
import { validFromMs } from './periods.js';
import { lastCountedReading } from './readings.js';
import { missingNote, type TafResult, valueFromReading } from './result.js';

export function taf7(p: EvaluationProfile, source: ReadingSource, endMs: number): TafResult {
  const start = previousRasterPoint(endMs, p.registrationPeriodSeconds, p.timeZone);
  const values: NewDerivedValue[] = [];
  const notes: NewLogEntry[] = [];
  for (const obis of p.channels) {
    const r = lastCountedReading(source, p.meterId, obis, start, endMs);
    if (r !== undefined) {
      values.push(valueFromReading(p, r, 'original', endMs));
      continue;
    }
    // Once per gap: only when the interval before had a value (or this is the profile's first).
    const before = previousRasterPoint(start, p.registrationPeriodSeconds, p.timeZone);
    const firstInterval = start <= validFromMs(p);
    if (firstInterval || lastCountedReading(source, p.meterId, obis, before, start) !== undefined) {
      notes.push(missingNote(p, obis, endMs));
    }
  }
  return { values, notes };
}
