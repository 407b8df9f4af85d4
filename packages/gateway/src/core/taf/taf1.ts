/**
 * TAF 1, Datensparsame Tarife (spec notes §6.1): one register value per channel at the end of
 * each billing period, carried forward on the billing raster (a derived value). The value is
 * the last counted reading of the registration interval that ends the billing period.
 */
import type { EvaluationProfile } from '@opensmgw/protocol';
import type { NewDerivedValue, NewLogEntry, ReadingSource } from '../../store/types.js';
import { previousRasterPoint } from './calendar.js';
import { lastCountedReading } from './readings.js';
import { missingNote, type TafResult, valueFromReading } from './result.js';

export function taf1(p: EvaluationProfile, source: ReadingSource, endMs: number): TafResult {
  const start = previousRasterPoint(endMs, p.registrationPeriodSeconds, p.timeZone);
  const values: NewDerivedValue[] = [];
  const notes: NewLogEntry[] = [];
  for (const obis of p.channels) {
    const r = lastCountedReading(source, p.meterId, obis, start, endMs);
    if (r === undefined) notes.push(missingNote(p, obis, endMs));
    else values.push(valueFromReading(p, r, 'derived', endMs));
  }
  return { values, notes };
}
