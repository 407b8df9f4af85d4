/**
 * Which original values the metrological TAFs may use, and exact integer arithmetic on them.
 * Only values that arrived authenticated (wM-Bus mode 7 with AFL MAC, or SML over TLS) count
 * for TAF 1, 2, 6 and 7 (spec notes §8.2: mode 5 is never billing data).
 */
import type { ReadingSecurity, ReadingSource, StoredReading } from '../../store/types.js';
import { SYSTEMTIME_INVALID } from '../gateway-time.js';

const COUNTED: ReadonlySet<ReadingSecurity> = new Set(['mode7', 'tls']);

/** Mode-5 values to step over in one window before giving up (a window holds a few dozen values at most). */
const MAX_SKIPPED = 256;

export function counts(r: StoredReading): boolean {
  return COUNTED.has(r.security);
}

/** The newest counted reading of (meter, obis) with afterMs < capture time ≤ atMs. */
export function lastCountedReading(
  source: ReadingSource,
  meterId: string,
  obis: string,
  afterMs: number,
  atMs: number,
): StoredReading | undefined {
  let at = atMs;
  for (let i = 0; i < MAX_SKIPPED && at > afterMs; i++) {
    const r = source.lastAtOrBefore(meterId, obis, at, afterMs);
    if (r === undefined || r.captureTimeMs <= afterMs || r.captureTimeMs > at) return undefined;
    if (counts(r)) return r;
    at = r.captureTimeMs - 1;
  }
  return undefined;
}

/** A boundary reading is valid for TAF 2 when it exists and was not captured with invalid time (§6.3). */
export function validForBilling(r: StoredReading | undefined): r is StoredReading {
  return (
    r !== undefined && (r.smgwStatus & SYSTEMTIME_INVALID) === 0 && counts(r) && parseInteger(r.value) !== undefined
  );
}

export function parseInteger(text: string): bigint | undefined {
  if (!/^-?(0|[1-9][0-9]{0,29})$/.test(text)) return undefined;
  return BigInt(text);
}

/** `value × 10^scaler` expressed with `toScaler` (exact when toScaler ≤ scaler; truncated otherwise). */
export function rescale(value: bigint, scaler: number, toScaler: number): bigint {
  if (scaler === toScaler) return value;
  return scaler > toScaler ? value * 10n ** BigInt(scaler - toScaler) : value / 10n ** BigInt(toScaler - scaler);
}
