/**
 * SML_Value (SML 1.04 §6.4.2): a CHOICE of Boolean, octet string, Integer8..64, Unsigned8..64,
 * or — new in 1.04 — SML_ListType, a list of two (tag, payload) whose tag 1 carries an SML_Time
 * (2: SML_TimestampedValue, 3: SML_CosemValue; kept here as undecoded nodes).
 *
 * Scalars keep their wire type and byte count, which is what the DZG sign workaround
 * (`quirks.ts`) looks at, and what makes re-encoding byte-exact.
 */
import { malformed } from './errors.js';
import { readTime, type SmlTime, writeTime } from './time.js';
import type { SmlNode, SmlScalar, TlvReader, TlvWriter } from './tlv.js';

export type SmlValue =
  | SmlScalar
  | { readonly type: 'time'; readonly value: SmlTime }
  | { readonly type: 'listType'; readonly tag: number; readonly content: SmlNode };

const LIST_TYPE_TIME = 1;

export function readValue(r: TlvReader, what = 'SML_Value'): SmlValue {
  if (r.peekTl().type !== 'list') return r.scalar(what);
  r.list(`${what}.listType`, 2);
  const tag = r.uint(1, `${what}.listType.tag`);
  if (tag === LIST_TYPE_TIME) return { type: 'time', value: readTime(r, `${what}.time`) };
  if (tag === 2 || tag === 3) return { type: 'listType', tag, content: r.node(1) };
  throw malformed(`${what}: unknown SML_ListType tag ${tag}`, { what, tag });
}

export function writeValue(w: TlvWriter, v: SmlValue): void {
  switch (v.type) {
    case 'time':
      w.list(2).uint(LIST_TYPE_TIME, 1);
      writeTime(w, v.value);
      return;
    case 'listType':
      w.list(2).uint(v.tag, 1).node(v.content);
      return;
    default:
      w.scalar(v);
  }
}

/** The numeric value of an integer SML_Value (exact only within ±2^53), else undefined. */
export function valueAsNumber(v: SmlValue): number | undefined {
  return v.type === 'int' || v.type === 'uint' ? Number(v.value) : undefined;
}

/** Convenience constructors for encoders. */
export const smlValue = {
  uint: (value: number | bigint, size = 4): SmlValue => ({ type: 'uint', size, value: BigInt(value) }),
  int: (value: number | bigint, size = 4): SmlValue => ({ type: 'int', size, value: BigInt(value) }),
  octets: (value: Uint8Array | string): SmlValue => ({
    type: 'octets',
    value: typeof value === 'string' ? new TextEncoder().encode(value) : value,
  }),
  boolean: (value: boolean): SmlValue => ({ type: 'boolean', value }),
  time: (value: SmlTime): SmlValue => ({ type: 'time', value }),
} as const;
