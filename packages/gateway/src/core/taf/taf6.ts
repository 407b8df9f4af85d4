/**
 * TAF 6, Abruf von Messwerten im Bedarfsfall (spec notes §6.1): a daily value of each channel
 * at every local midnight, kept six weeks (older ones are pruned by the engine). The value is
 * the last counted reading of the registration interval that ends at midnight.
 */
import type { EvaluationProfile } from '@opensmgw/protocol';
import type { NewDerivedValue, NewLogEntry, ReadingSource } from '../../store/types.js';
import { previousRasterPoint } from './calendar.js';
import { lastCountedReading } from './readings.js';
import { missingNote, type TafResult, valueFromReading } from './result.js';

/** Daily values are kept for the last six weeks (spec notes §6.1). */
export const TAF6_RETENTION_MS = 42 * 86_400_000;

export function taf6(p: EvaluationProfile, source: ReadingSource, midnightMs: number): TafResult {
  const start = previousRasterPoint(midnightMs, p.registrationPeriodSeconds, p.timeZone);
  const values: NewDerivedValue[] = [];
  const notes: NewLogEntry[] = [];
  for (const obis of p.channels) {
    const r = lastCountedReading(source, p.meterId, obis, start, midnightMs);
    if (r === undefined) notes.push(missingNote(p, obis, midnightMs));
    else values.push(valueFromReading(p, r, 'daily', midnightMs));
  }
  return { values, notes };
}
