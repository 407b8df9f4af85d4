/**
 * Checks on what callers hand the store. The store is the last line before the disk: a value
 * that would make a row unreadable later (a float counter, a non-integer register value, a time
 * that is no integer) is refused here with SMGW_STORE_BAD_ARGUMENT and nothing is written.
 * Messages name the field, never its value.
 */
import { ID_PATTERN, OBIS_HEX } from '@opensmgw/protocol';
import { badArgument } from './errors.js';

/** Decimal integer text as in protocol readings.ts (at most 30 digits, optional minus). */
const DECIMAL_INTEGER = /^-?(0|[1-9][0-9]{0,29})$/;

export function checkId(v: unknown, field: string): string {
  if (typeof v !== 'string' || !ID_PATTERN.test(v)) throw badArgument(`${field} is not a valid identifier`, { field });
  return v;
}

export function checkObis(v: unknown, field: string): string {
  if (typeof v !== 'string' || !OBIS_HEX.test(v))
    throw badArgument(`${field} is not 12 lower-case hex digits`, { field });
  return v;
}

export function checkDecimal(v: unknown, field: string): string {
  if (typeof v !== 'string' || !DECIMAL_INTEGER.test(v)) {
    throw badArgument(`${field} is not decimal integer text`, { field });
  }
  return v;
}

export function checkInteger(v: unknown, field: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min || v > max) {
    throw badArgument(`${field} must be an integer from ${min} to ${max}`, { field });
  }
  return v;
}

/** A time in ms since the epoch that toISOString() can render with a four-digit year. */
export const MAX_TIME_MS = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z

export function checkTimeMs(v: unknown, field: string): number {
  return checkInteger(v, field, 0, MAX_TIME_MS);
}

export function checkText(v: unknown, field: string, maxLength: number): string {
  if (typeof v !== 'string' || v.length > maxLength) {
    throw badArgument(`${field} must be text of at most ${maxLength} characters`, { field });
  }
  return v;
}

/** Query limits: 0 is allowed (returns nothing); above `max` is refused rather than silently cut. */
export function checkLimit(v: unknown, field: string, max: number): number {
  return checkInteger(v, field, 0, max);
}
