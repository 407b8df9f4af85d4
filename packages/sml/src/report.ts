/**
 * The stream decoder behind `smgw sml decode`: bytes in, one report per transport frame out
 * (the CLI contract of issue §4):
 *
 *   {"ok","index","error"?,"values":[{"obis":"1-0:1.8.0*255","value":<raw × 10^scaler>,"unit":"Wh"|null}]}
 *
 * `index` counts the frames found (complete or damaged) in stream order. A frame is `ok` when its
 * transport CRC matched and every message in it decoded; its values are the entries of its
 * GetList answers (and of GetProfileList / GetProcParameter answers, when present). A damaged
 * frame is `ok: false` with `error: {code, message}` and no values. Extra fields (offset, length,
 * messages, name, raw, scaler, warnings, quirks) are informative.
 *
 * Nothing here throws: a bug surfaces as a frame with error code SMGW_CORE_INTERNAL, never as a
 * crash of the caller's process.
 */
import { toHex, toSmgwError } from '@opensmgw/core';
import type { SmlMessageBody } from './bodies.js';
import type { SmlListEntry, SmlPeriodEntry, SmlTree } from './entries.js';
import { decodeSmlFile } from './messages.js';
import { obisInfo } from './obis.js';
import { applyListQuirks } from './quirks.js';
import { SmlTransportSplitter, type SplitterOptions, type TransportEvent } from './transport.js';
import { dlmsUnitSymbol } from './units.js';
import type { SmlValue } from './value.js';

export interface SmlValueReport {
  readonly obis: string;
  /** Integers: raw × 10^scaler. Octet strings: the text when printable ASCII, else hex. */
  readonly value: number | string | boolean | null;
  readonly unit: string | null;
  readonly name?: string;
  /** The integer as sent (a string beyond ±2^53). */
  readonly raw?: number | string;
  readonly scaler?: number;
  /** Ids of meter quirks applied to this value (see quirks.ts). */
  readonly quirks?: readonly string[];
}

export interface SmlFrameReport {
  readonly ok: boolean;
  readonly index: number;
  readonly error?: { readonly code: string; readonly message: string };
  readonly values: readonly SmlValueReport[];
  /** Stream offset of the frame's start sequence, and its length on the wire. */
  readonly offset: number;
  readonly length: number;
  /** Message body kinds, in order (empty when the transport frame is damaged). */
  readonly messages: readonly string[];
  /** The server ID of the first answer that names one, as hex. */
  readonly serverId?: string;
  /** Tolerated departures from SML 1.04 (wrong message CRC, KERMIT CRC, unpadded frame). */
  readonly warnings?: readonly string[];
}

export interface StreamDecodeOptions extends SplitterOptions {
  /** Apply the value quirks of `quirks.ts` (default true). */
  readonly quirks?: boolean;
}

/**
 * Decodes SML from a stream delivered in chunks (serial port, TCP, TLS): `push` returns the reports
 * of frames completed by that chunk, `finish` those left open at the end.
 */
export class SmlStreamDecoder {
  readonly #splitter: SmlTransportSplitter;
  readonly #quirks: boolean;
  #index = 0;

  constructor(options: StreamDecodeOptions = {}) {
    this.#splitter = new SmlTransportSplitter(options);
    this.#quirks = options.quirks ?? true;
  }

  push(chunk: Uint8Array): SmlFrameReport[] {
    return this.#reports(() => this.#splitter.push(chunk));
  }

  finish(): SmlFrameReport[] {
    return this.#reports(() => this.#splitter.finish());
  }

  #reports(next: () => TransportEvent[]): SmlFrameReport[] {
    let events: TransportEvent[];
    try {
      events = next();
    } catch (e) {
      // Unreachable by design (the splitter does not throw); reported, never propagated.
      const err = toSmgwError(e);
      return [
        {
          ok: false,
          index: this.#index++,
          error: { code: err.code, message: err.message },
          values: [],
          offset: 0,
          length: 0,
          messages: [],
        },
      ];
    }
    return events.map((ev) => frameReport(ev, this.#index++, this.#quirks));
  }
}

/** All frame reports of a complete capture. Never throws. */
export function decodeSmlStream(bytes: Uint8Array, options: StreamDecodeOptions = {}): SmlFrameReport[] {
  const d = new SmlStreamDecoder(options);
  const out = d.push(bytes);
  for (const r of d.finish()) out.push(r);
  return out;
}

/** The report of one transport event. Never throws. */
export function frameReport(ev: TransportEvent, index: number, quirks = true): SmlFrameReport {
  const where = { offset: ev.offset, length: ev.length };
  try {
    if (ev.kind === 'fault') {
      return {
        ok: false,
        index,
        error: { code: ev.error.code, message: ev.error.message },
        values: [],
        ...where,
        messages: [],
      };
    }
    const decoded = decodeSmlFile(ev.file);
    const messages = decoded.messages.map((m) => m.body.kind);
    const serverId = decoded.messages.map((m) => bodyServerId(m.body)).find((s) => s !== undefined);
    const base = { index, ...where, messages, ...(serverId !== undefined && { serverId: toHex(serverId) }) };
    if (decoded.error !== undefined) {
      return { ok: false, ...base, error: { code: decoded.error.code, message: decoded.error.message }, values: [] };
    }
    const warnings: string[] = [];
    if (ev.crc === 'kermit') warnings.push('transport CRC is CRC-16/KERMIT, not X.25');
    if (!ev.aligned) warnings.push('end sequence not on the 4-byte grid (frame not padded)');
    const values: SmlValueReport[] = [];
    decoded.messages.forEach((m, i) => {
      if (!m.crcOk) warnings.push(`message ${i} (${m.body.kind}): CRC mismatch, tolerated`);
      else if (m.crcVariant === 'kermit') warnings.push(`message ${i} (${m.body.kind}): CRC-16/KERMIT`);
      collectValues(m.body, quirks, values);
    });
    return { ok: true, ...base, values, ...(warnings.length > 0 && { warnings }) };
  } catch (e) {
    const err = toSmgwError(e);
    return { ok: false, index, error: { code: err.code, message: err.message }, values: [], ...where, messages: [] };
  }
}

function bodyServerId(body: SmlMessageBody): Uint8Array | undefined {
  return 'serverId' in body && body.serverId instanceof Uint8Array ? body.serverId : undefined;
}

function collectValues(body: SmlMessageBody, quirks: boolean, out: SmlValueReport[]): void {
  switch (body.kind) {
    case 'GetListResponse':
      for (const e of body.valList) {
        const q = quirks ? applyListQuirks(body.serverId, e) : { entry: e, applied: [] };
        out.push(entryReport(q.entry, q.applied));
      }
      return;
    case 'GetProfileListResponse':
      for (const e of body.periodList) out.push(periodReport(e));
      return;
    case 'GetProcParameterResponse':
      treeValues(body.parameterTree, out);
      return;
    default:
      return;
  }
}

function treeValues(t: SmlTree, out: SmlValueReport[]): void {
  const p = t.parameterValue;
  if (p?.type === 'value' && t.parameterName.length === 6) {
    out.push(valueReport(t.parameterName, p.value, undefined, undefined, []));
  } else if (p?.type === 'periodEntry') out.push(periodReport(p.value));
  else if (p?.type === 'listEntry') out.push(entryReport(p.value, []));
  for (const c of t.children ?? []) treeValues(c, out);
}

function entryReport(e: SmlListEntry, quirks: readonly string[]): SmlValueReport {
  return valueReport(e.objName, e.value, e.unit, e.scaler, quirks);
}

function periodReport(e: SmlPeriodEntry): SmlValueReport {
  return valueReport(e.objName, e.value, e.unit, e.scaler, []);
}

function valueReport(
  objName: Uint8Array,
  v: SmlValue,
  unitCode: number | undefined,
  scaler: number | undefined,
  quirks: readonly string[],
): SmlValueReport {
  const { text: obis, name } = obisInfo(objName);
  // Assigned field by field in print order (no spreads): this runs for every value of every frame.
  const r: Mutable<SmlValueReport> =
    name === undefined ? { obis, value: null, unit: null } : { obis, name, value: null, unit: null };
  switch (v.type) {
    case 'int':
    case 'uint': {
      const raw = Number(v.value);
      r.value = scale(raw, scaler ?? 0);
      r.unit = dlmsUnitSymbol(unitCode);
      r.raw = Number.isSafeInteger(raw) ? raw : v.value.toString();
      if (scaler !== undefined) r.scaler = scaler;
      break;
    }
    case 'octets':
      r.value = octetsText(v.value);
      break;
    case 'boolean':
      r.value = v.value;
      break;
    case 'time':
      r.value = v.value.type === 'secIndex' ? v.value.secIndex : v.value.timestamp;
      r.unit = 's';
      break;
    default:
      break;
  }
  if (quirks.length > 0) r.quirks = quirks;
  return r;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** raw × 10^scaler, dividing for negative scalers so 6079447 × 10^-1 prints as 607944.7. */
export function scale(raw: number, scaler: number): number {
  if (scaler === 0) return raw;
  return scaler < 0 ? raw / 10 ** -scaler : raw * 10 ** scaler;
}

/** Printable ASCII as text (manufacturer IDs, "1ESY1162232997"), anything else as hex. */
export function octetsText(b: Uint8Array): string {
  for (let i = 0; i < b.length; i++) {
    const c = b[i] as number;
    if (c < 0x20 || c > 0x7e) return toHex(b);
  }
  return String.fromCharCode(...b);
}
