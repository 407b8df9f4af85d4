/**
 * One closed period of an evaluation profile, whatever its TAF: pure over a ReadingSource.
 */
import type { EvaluationProfile } from '@opensmgw/protocol';
import type { NewDerivedValue, ReadingSource } from '../../store/types.js';
import type { TafResult } from './result.js';
import { taf1 } from './taf1.js';
import { taf2 } from './taf2.js';
import { taf6 } from './taf6.js';
import { taf7 } from './taf7.js';

/**
 * @param startMs the previous period end (or validFrom)
 * @param previous TAF 2 only: the register values at startMs
 */
export function evaluatePeriod(
  p: EvaluationProfile,
  source: ReadingSource,
  startMs: number,
  endMs: number,
  previous: readonly NewDerivedValue[] = [],
): TafResult {
  switch (p.taf) {
    case 1:
      return taf1(p, source, endMs);
    case 2:
      return taf2(p, source, startMs, endMs, previous);
    case 6:
      return taf6(p, source, endMs);
    case 7:
      return taf7(p, source, endMs);
  }
}
