/**
 * Small, explicit readers for hostile JSON. Each takes `unknown` and a path for error messages
 * and returns a typed value or throws ProtocolError SMGW_PROTO_INVALID. No schema library: the
 * shapes are few and a reader that names the failing field is easier to audit.
 */
import { ProtocolError } from './errors.js';

export type Json = null | boolean | number | string | readonly Json[] | { readonly [k: string]: Json };

export function invalid(path: string, why: string): ProtocolError {
  return new ProtocolError('SMGW_PROTO_INVALID', `${path}: ${why}`, { detail: { path } });
}

export type Obj = Readonly<Record<string, unknown>>;

/** A plain object whose keys are all in `allowed` (unknown fields are refused, not ignored). */
export function object(v: unknown, path: string, allowed: readonly string[]): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw invalid(path, 'expected an object');
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) throw invalid(`${path}.${k}`, 'unknown field');
  }
  return v as Obj;
}

export function string(v: unknown, path: string, pattern?: RegExp, maxLength = 4096): string {
  if (typeof v !== 'string') throw invalid(path, 'expected a string');
  if (v.length > maxLength) throw invalid(path, `longer than ${maxLength} characters`);
  if (pattern && !pattern.test(v)) throw invalid(path, `does not match ${pattern.source}`);
  return v;
}

export function optionalString(v: unknown, path: string, pattern?: RegExp, maxLength = 4096): string | undefined {
  return v === undefined ? undefined : string(v, path, pattern, maxLength);
}

export function integer(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw invalid(path, 'expected an integer');
  if (v < min || v > max) throw invalid(path, `must be from ${min} to ${max}`);
  return v;
}

export function boolean(v: unknown, path: string): boolean {
  if (typeof v !== 'boolean') throw invalid(path, 'expected true or false');
  return v;
}

export function oneOf<T extends string | number>(v: unknown, path: string, values: readonly T[]): T {
  if (!values.includes(v as T)) throw invalid(path, `must be one of ${values.join(', ')}`);
  return v as T;
}

export function array<T>(
  v: unknown,
  path: string,
  item: (x: unknown, p: string) => T,
  maxItems: number,
  minItems = 0,
): T[] {
  if (!Array.isArray(v)) throw invalid(path, 'expected an array');
  if (v.length > maxItems) throw invalid(path, `more than ${maxItems} items`);
  if (v.length < minItems) throw invalid(path, `fewer than ${minItems} items`);
  return v.map((x, i) => item(x, `${path}[${i}]`));
}

/** An ISO 8601 UTC timestamp with milliseconds or seconds ("2026-11-28T10:00:00.000Z"). */
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3})?Z$/;

export function isoTime(v: unknown, path: string): string {
  const s = string(v, path, ISO_UTC, 24);
  if (Number.isNaN(Date.parse(s))) throw invalid(path, 'not a valid time');
  return s;
}

/** Parses JSON text of at most `maxBytes` (UTF-8) into `unknown`; syntax errors become ProtocolError. */
export function parseJsonText(text: string | Uint8Array, maxBytes: number): unknown {
  const size = typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  if (size > maxBytes) {
    throw new ProtocolError('SMGW_PROTO_TOO_LARGE', `JSON larger than ${maxBytes} bytes`, {
      detail: { size, maxBytes },
    });
  }
  const s = typeof text === 'string' ? text : Buffer.from(text).toString('utf8');
  try {
    return JSON.parse(s) as unknown;
  } catch (e) {
    throw new ProtocolError('SMGW_PROTO_INVALID', 'not JSON', { cause: e, detail: { path: '$' } });
  }
}
