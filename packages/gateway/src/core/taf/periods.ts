/**
 * When a TAF period ends (spec notes §6): TAF 7 at every registration raster point, TAF 6 at
 * every local midnight, TAF 1 and 2 at every billing-period end. Billing periods in months end
 * at local midnight of the 1st, counted from the month of `validFrom`; periods in seconds (for
 * demos) are counted from `validFrom` itself.
 */
import type { EvaluationProfile } from '@opensmgw/protocol';
import { localParts, nextLocalDay, nextRasterPoint, startOfLocalDay, zonedTime } from './calendar.js';

export function validFromMs(p: EvaluationProfile): number {
  return Date.parse(p.validFrom);
}

export function validUntilMs(p: EvaluationProfile): number {
  return p.validUntil === undefined ? Number.POSITIVE_INFINITY : Date.parse(p.validUntil);
}

/** The first period end of `p` strictly after `afterMs` (never before the first end after validFrom). */
export function nextPeriodEnd(p: EvaluationProfile, afterMs: number): number {
  const after = Math.max(afterMs, validFromMs(p));
  switch (p.taf) {
    case 7:
      return nextRasterPoint(after, p.registrationPeriodSeconds, p.timeZone);
    case 6:
      return nextLocalDay(startOfLocalDay(after, p.timeZone), p.timeZone);
    case 1:
    case 2:
      return nextBillingEnd(p, after);
  }
}

function nextBillingEnd(p: EvaluationProfile, after: number): number {
  const from = validFromMs(p);
  const bp = p.billingPeriod;
  if (bp === undefined) throw new RangeError(`TAF ${p.taf} profile ${p.id} has no billing period`);
  if ('seconds' in bp) {
    const ms = bp.seconds * 1000;
    return from + (Math.floor((after - from) / ms) + 1) * ms;
  }
  const anchor = localParts(from, p.timeZone);
  const boundary = (k: number): number => zonedTime(anchor.year, anchor.month + k * bp.months, 1, 0, 0, p.timeZone);
  const a = localParts(after, p.timeZone);
  const monthsSince = (a.year - anchor.year) * 12 + (a.month - anchor.month);
  let k = Math.max(1, Math.floor(monthsSince / bp.months));
  while (k > 1 && boundary(k - 1) > after) k--;
  while (boundary(k) <= after) k++;
  return boundary(k);
}
