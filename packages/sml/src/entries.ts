/**
 * The composite SML types that message bodies are made of (SML 1.04 §6.4): list entries of a
 * GetList answer, period entries of profiles, the parameter tree of Get/SetProcParameter, and
 * their helpers. Each type has a reader and a writer side by side so the two cannot drift.
 */
import { malformed, SmlError } from './errors.js';
import { readOptTime, readTime, type SmlTime, writeOptTime, writeTime } from './time.js';
import { MAX_DEPTH, type TlvReader, type TlvWriter } from './tlv.js';
import { readValue, type SmlValue, writeValue } from './value.js';

/** SML_Status: a CHOICE of Unsigned8/16/32/64; the size is kept so re-encoding is exact. */
export interface SmlStatus {
  readonly size: number;
  readonly value: bigint;
}

/** SML_ListEntry (§6.4.6): one value of a GetList answer. */
export interface SmlListEntry {
  /** The OBIS code, normally 6 bytes (see `obis.ts`). */
  readonly objName: Uint8Array;
  readonly status?: SmlStatus;
  readonly valTime?: SmlTime;
  /** DLMS unit code (see `units.ts`). */
  readonly unit?: number;
  /** Decimal exponent: the physical value is value × 10^scaler. */
  readonly scaler?: number;
  readonly value: SmlValue;
  readonly valueSignature?: Uint8Array;
}

export function readListEntry(r: TlvReader): SmlListEntry {
  r.list('SML_ListEntry', 7);
  // Built field by field (no object spreads): this is the hot path of every GetList answer.
  const e: Mutable<SmlListEntry> = { objName: r.octets('SML_ListEntry.objName'), value: NO_VALUE };
  if (!r.skipped()) e.status = readStatus(r, 'SML_ListEntry.status');
  const valTime = readOptTime(r, 'SML_ListEntry.valTime');
  if (valTime !== undefined) e.valTime = valTime;
  const unit = r.optUint(1, 'SML_ListEntry.unit');
  if (unit !== undefined) e.unit = unit;
  const scaler = r.optInt(1, 'SML_ListEntry.scaler');
  if (scaler !== undefined) e.scaler = scaler;
  e.value = readValue(r, 'SML_ListEntry.value');
  const valueSignature = r.optOctets('SML_ListEntry.valueSignature');
  if (valueSignature !== undefined) e.valueSignature = valueSignature;
  return e;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
const NO_VALUE: SmlValue = { type: 'boolean', value: false };

export function writeListEntry(w: TlvWriter, e: SmlListEntry): void {
  w.list(7).octets(e.objName);
  if (e.status === undefined) w.skipped();
  else w.uint(e.status.value, e.status.size);
  writeOptTime(w, e.valTime);
  w.optUint(e.unit, 1).optInt(e.scaler, 1);
  writeValue(w, e.value);
  w.optOctets(e.valueSignature);
}

function readStatus(r: TlvReader, what: string): SmlStatus {
  const v = r.anyUint(what);
  return { size: v.size, value: v.value };
}

/** SML_PeriodEntry (§6.4.9): one value of a profile (GetProfileList) or a parameter. */
export interface SmlPeriodEntry {
  readonly objName: Uint8Array;
  readonly unit: number;
  readonly scaler: number;
  readonly value: SmlValue;
  readonly valueSignature?: Uint8Array;
}

export function readPeriodEntry(r: TlvReader): SmlPeriodEntry {
  r.list('SML_PeriodEntry', 5);
  const objName = r.octets('SML_PeriodEntry.objName');
  const unit = r.uint(1, 'SML_PeriodEntry.unit');
  const scaler = r.int(1, 'SML_PeriodEntry.scaler');
  const value = readValue(r, 'SML_PeriodEntry.value');
  const valueSignature = r.optOctets('SML_PeriodEntry.valueSignature');
  return { objName, unit, scaler, value, ...(valueSignature !== undefined && { valueSignature }) };
}

export function writePeriodEntry(w: TlvWriter, e: SmlPeriodEntry): void {
  w.list(5).octets(e.objName).uint(e.unit, 1).int(e.scaler, 1);
  writeValue(w, e.value);
  w.optOctets(e.valueSignature);
}

/** One measured quantity of an SML_TupelEntry. */
export interface SmlTupelQuantity {
  readonly unit: number;
  readonly scaler: number;
  readonly value: bigint;
}

/** The six quantities of an SML_TupelEntry in wire order, as two signed groups (§6.4.10). */
export const TUPEL_GROUPS = [
  ['pA', 'R1', 'R4'],
  ['mA', 'R2', 'R3'],
] as const;
export type SmlTupelName = (typeof TUPEL_GROUPS)[number][number];

/** SML_TupelEntry: a register set of a meter (active power, energy registers, signatures). */
export interface SmlTupelEntry {
  readonly serverId: Uint8Array;
  readonly secIndex: SmlTime;
  readonly status: bigint;
  readonly quantities: Readonly<Record<SmlTupelName, SmlTupelQuantity>>;
  readonly signaturePaR1R4: Uint8Array;
  readonly signatureMaR2R3: Uint8Array;
}

export function readTupelEntry(r: TlvReader): SmlTupelEntry {
  r.list('SML_TupelEntry', 23);
  const serverId = r.octets('SML_TupelEntry.serverId');
  const secIndex = readTime(r, 'SML_TupelEntry.secIndex');
  const status = r.uint64('SML_TupelEntry.status');
  const quantities = {} as Record<SmlTupelName, SmlTupelQuantity>;
  const signatures: Uint8Array[] = [];
  for (const group of TUPEL_GROUPS) {
    for (const name of group) {
      const unit = r.uint(1, `SML_TupelEntry.unit_${name}`);
      const scaler = r.int(1, `SML_TupelEntry.scaler_${name}`);
      const value = r.int64(`SML_TupelEntry.value_${name}`);
      quantities[name] = { unit, scaler, value };
    }
    signatures.push(r.octets(`SML_TupelEntry.signature_${group.join('_')}`));
  }
  return {
    serverId,
    secIndex,
    status,
    quantities,
    signaturePaR1R4: signatures[0] as Uint8Array,
    signatureMaR2R3: signatures[1] as Uint8Array,
  };
}

export function writeTupelEntry(w: TlvWriter, e: SmlTupelEntry): void {
  w.list(23).octets(e.serverId);
  writeTime(w, e.secIndex);
  w.uint(e.status, 8);
  const signatures = [e.signaturePaR1R4, e.signatureMaR2R3];
  TUPEL_GROUPS.forEach((group, g) => {
    for (const name of group) {
      const q = e.quantities[name];
      w.uint(q.unit, 1).int(q.scaler, 1).int(q.value, 8);
    }
    w.octets(signatures[g] as Uint8Array);
  });
}

/** SML_ProcParValue (§6.4.8): the value of a parameter-tree node, a CHOICE by tag. */
export type SmlProcParValue =
  | { readonly type: 'value'; readonly value: SmlValue }
  | { readonly type: 'periodEntry'; readonly value: SmlPeriodEntry }
  | { readonly type: 'tupelEntry'; readonly value: SmlTupelEntry }
  | { readonly type: 'time'; readonly value: SmlTime }
  | { readonly type: 'listEntry'; readonly value: SmlListEntry };

/** Tag ↔ variant, as data (tag 5, SML_ListEntry, is new in SML 1.04). */
const PROC_PAR_TAGS = [
  { tag: 1, type: 'value' },
  { tag: 2, type: 'periodEntry' },
  { tag: 3, type: 'tupelEntry' },
  { tag: 4, type: 'time' },
  { tag: 5, type: 'listEntry' },
] as const;

export function readProcParValue(r: TlvReader): SmlProcParValue {
  r.list('SML_ProcParValue', 2);
  const tag = r.uint(1, 'SML_ProcParValue.tag');
  const type = PROC_PAR_TAGS.find((t) => t.tag === tag)?.type;
  switch (type) {
    case 'value':
      return { type, value: readValue(r, 'SML_ProcParValue.value') };
    case 'periodEntry':
      return { type, value: readPeriodEntry(r) };
    case 'tupelEntry':
      return { type, value: readTupelEntry(r) };
    case 'time':
      return { type, value: readTime(r, 'SML_ProcParValue.time') };
    case 'listEntry':
      return { type, value: readListEntry(r) };
    default:
      throw malformed(`SML_ProcParValue: unknown tag ${tag}`, { tag });
  }
}

export function writeProcParValue(w: TlvWriter, v: SmlProcParValue): void {
  const tag = PROC_PAR_TAGS.find((t) => t.type === v.type)?.tag as number;
  w.list(2).uint(tag, 1);
  switch (v.type) {
    case 'value':
      writeValue(w, v.value);
      return;
    case 'periodEntry':
      writePeriodEntry(w, v.value);
      return;
    case 'tupelEntry':
      writeTupelEntry(w, v.value);
      return;
    case 'time':
      writeTime(w, v.value);
      return;
    case 'listEntry':
      writeListEntry(w, v.value);
      return;
  }
}

/** SML_Tree (§6.4.7): a node of the parameter tree, recursively. */
export interface SmlTree {
  readonly parameterName: Uint8Array;
  readonly parameterValue?: SmlProcParValue;
  readonly children?: readonly SmlTree[];
}

export function readTree(r: TlvReader, depth = 0): SmlTree {
  if (depth > MAX_DEPTH) {
    throw new SmlError('SMGW_SML_LIMIT', `SML_Tree nested deeper than ${MAX_DEPTH} at offset ${r.offset}`, {
      detail: { offset: r.offset, limit: MAX_DEPTH },
    });
  }
  r.list('SML_Tree', 3);
  const parameterName = r.octets('SML_Tree.parameterName');
  const parameterValue = r.skipped() ? undefined : readProcParValue(r);
  const n = r.optList('SML_Tree.child_List');
  let children: SmlTree[] | undefined;
  if (n !== undefined) {
    children = [];
    for (let i = 0; i < n; i++) children.push(readTree(r, depth + 1));
  }
  return {
    parameterName,
    ...(parameterValue !== undefined && { parameterValue }),
    ...(children !== undefined && { children }),
  };
}

export function writeTree(w: TlvWriter, t: SmlTree): void {
  w.list(3).octets(t.parameterName);
  if (t.parameterValue === undefined) w.skipped();
  else writeProcParValue(w, t.parameterValue);
  if (t.children === undefined) w.skipped();
  else {
    w.list(t.children.length);
    for (const c of t.children) writeTree(w, c);
  }
}

/** SML_TreePath (§6.4.7): the path of parameter names from the root. */
export function readTreePath(r: TlvReader, what = 'SML_TreePath'): Uint8Array[] {
  const n = r.list(what);
  const path: Uint8Array[] = [];
  for (let i = 0; i < n; i++) path.push(r.octets(`${what}.path_Entry`));
  return path;
}

export function writeTreePath(w: TlvWriter, path: readonly Uint8Array[]): void {
  w.list(path.length);
  for (const p of path) w.octets(p);
}

/** A list of octet strings (SML_ObjReqEntry lists). */
export function readOctetsList(r: TlvReader, what: string): Uint8Array[] {
  return readTreePath(r, what);
}

export const writeOctetsList = writeTreePath;

/** SML_ProfObjHeaderEntry (§6.4.11): the columns of a GetProfilePack answer. */
export interface SmlProfObjHeaderEntry {
  readonly objName: Uint8Array;
  readonly unit: number;
  readonly scaler: number;
}

export function readProfObjHeaderEntry(r: TlvReader): SmlProfObjHeaderEntry {
  r.list('SML_ProfObjHeaderEntry', 3);
  return {
    objName: r.octets('SML_ProfObjHeaderEntry.objName'),
    unit: r.uint(1, 'SML_ProfObjHeaderEntry.unit'),
    scaler: r.int(1, 'SML_ProfObjHeaderEntry.scaler'),
  };
}

export function writeProfObjHeaderEntry(w: TlvWriter, e: SmlProfObjHeaderEntry): void {
  w.list(3).octets(e.objName).uint(e.unit, 1).int(e.scaler, 1);
}

/** SML_ValueEntry (§6.4.12). */
export interface SmlValueEntry {
  readonly value: SmlValue;
  readonly valueSignature?: Uint8Array;
}

/** SML_ProfObjPeriodEntry (§6.4.12): one row of a GetProfilePack answer. */
export interface SmlProfObjPeriodEntry {
  readonly valTime: SmlTime;
  readonly status: bigint;
  readonly values: readonly SmlValueEntry[];
  readonly periodSignature?: Uint8Array;
}

export function readProfObjPeriodEntry(r: TlvReader): SmlProfObjPeriodEntry {
  r.list('SML_ProfObjPeriodEntry', 4);
  const valTime = readTime(r, 'SML_ProfObjPeriodEntry.valTime');
  const status = r.uint64('SML_ProfObjPeriodEntry.status');
  const n = r.list('SML_ProfObjPeriodEntry.value_List');
  const values: SmlValueEntry[] = [];
  for (let i = 0; i < n; i++) {
    r.list('SML_ValueEntry', 2);
    const value = readValue(r, 'SML_ValueEntry.value');
    const valueSignature = r.optOctets('SML_ValueEntry.valueSignature');
    values.push({ value, ...(valueSignature !== undefined && { valueSignature }) });
  }
  const periodSignature = r.optOctets('SML_ProfObjPeriodEntry.periodSignature');
  return { valTime, status, values, ...(periodSignature !== undefined && { periodSignature }) };
}

export function writeProfObjPeriodEntry(w: TlvWriter, e: SmlProfObjPeriodEntry): void {
  w.list(4);
  writeTime(w, e.valTime);
  w.uint(e.status, 8).list(e.values.length);
  for (const v of e.values) {
    w.list(2);
    writeValue(w, v.value);
    w.optOctets(v.valueSignature);
  }
  w.optOctets(e.periodSignature);
}

/** Reads `n` elements with `read` (after a list header). */
export function readMany<T>(r: TlvReader, n: number, read: (r: TlvReader) => T): T[] {
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(read(r));
  return out;
}
