/**
 * The result object of `smgw wmbus decode` (issue 2, §4 "CLI contract"; other tools depend on it):
 *
 *   {"ok", "error":{"code","message"} (when not ok), "manufacturer", "id", "version", "deviceType",
 *    "medium", "accessNumber", "security":{"mode","decrypted","mac"},
 *    "records":[{"dif","vif","storage","tariff","subunit","function","quantity","unit","value"}]}
 *
 * Identity is the meter's own: the long transport header's where there is one (radio converters,
 * wired frames), else the link layer's. `decodeToReport` never throws: on error it answers
 * `ok:false` with the error's stable code and every header field decoded before the error.
 * Optional members appear only when they apply: `fragment` (AFL-fragmented messages), `warnings`
 * (the telegram decoded, but not all of it: e.g. trailing bytes that are no record) and `explain`
 * (with the explain option).
 */
import { fromHex, type SmgwError, toSmgwError } from '@opensmgw/core';
import type { ExplainEntry } from './explain.js';
import type { DataRecord } from './records.js';
import { type DecodeOptions, decodeInto, type TelegramProgress } from './telegram.js';
import type { MacStatus } from './transport-layer.js';

/** A record of the report: exactly the contract's fields (a DataRecord may one day carry more). */
export type ReportRecord = Pick<
  DataRecord,
  'dif' | 'vif' | 'storage' | 'tariff' | 'subunit' | 'function' | 'quantity' | 'unit' | 'value'
>;

export interface TelegramReport {
  readonly ok: boolean;
  readonly error?: { readonly code: string; readonly message: string };
  readonly manufacturer: string | null;
  readonly id: string | null;
  readonly version: number | null;
  readonly deviceType: number | null;
  readonly medium: string | null;
  readonly accessNumber: number | null;
  readonly security: {
    /** TPL security mode; null when the decoder did not get as far as the transport layer. */
    readonly mode: number | null;
    readonly decrypted: boolean;
    /**
     * 'verified': an AFL MAC was checked with the key; 'failed': it did not match; 'absent': no MAC
     * was checked (none present, or no key to check it with).
     */
    readonly mac: MacStatus;
  };
  readonly records: ReportRecord[];
  readonly fragment?: { readonly id: number; readonly complete: boolean };
  /** Problems that did not stop decoding; `offset` is into the application layer. */
  readonly warnings?: ReadonlyArray<{ readonly code: string; readonly message: string; readonly offset: number }>;
  readonly explain?: ExplainEntry[];
}

function reportRecord(r: DataRecord): ReportRecord {
  // Only the contract's fields, in the contract's order.
  return {
    dif: r.dif,
    vif: r.vif,
    storage: r.storage,
    tariff: r.tariff,
    subunit: r.subunit,
    function: r.function,
    quantity: r.quantity,
    unit: r.unit,
    value: r.value,
  };
}

function header(p: TelegramProgress) {
  const m = p.meter ?? null;
  return {
    manufacturer: m?.manufacturer ?? null,
    id: m?.id ?? null,
    version: m?.version ?? null,
    deviceType: m?.deviceType ?? null,
    medium: m?.medium ?? null,
    accessNumber: p.accessNumber ?? p.tpl?.accessNumber ?? null,
  };
}

/**
 * Decodes one telegram (bytes, or hex with `_ | # space` separators) into the contract object.
 * Never throws.
 */
export function decodeToReport(frame: Uint8Array | string, options: DecodeOptions = {}): TelegramReport {
  return buildReport(frame, options, true);
}

/**
 * `JSON.stringify(decodeToReport(frame, options))`, without building the report's record copies:
 * the JSONL decoder's path. Never throws.
 */
export function decodeToJsonLine(frame: Uint8Array | string, options: DecodeOptions = {}): string {
  return stringifyReport(buildReport(frame, options, false));
}

/**
 * The report. `copyRecords`: give it records with exactly the contract's fields (a DataRecord may
 * carry more); `stringifyReport` writes only those fields anyway, so it can take the decoder's own.
 */
function buildReport(frame: Uint8Array | string, options: DecodeOptions, copyRecords: boolean): TelegramReport {
  const p: TelegramProgress = {};
  try {
    const bytes = typeof frame === 'string' ? fromHex(frame) : frame;
    const t = decodeInto(bytes, options, p);
    return {
      ok: true,
      ...header(p),
      security: { mode: t.tpl === null ? null : t.security.mode, decrypted: t.security.decrypted, mac: t.security.mac },
      records: copyRecords ? t.records.map(reportRecord) : (t.records as ReportRecord[]),
      ...(t.fragment ? { fragment: t.fragment } : {}),
      ...(t.undecoded ? { warnings: [t.undecoded] } : {}),
      ...(t.explain ? { explain: t.explain } : {}),
    };
  } catch (e) {
    const err: SmgwError = toSmgwError(e);
    return {
      ok: false,
      error: { code: err.code, message: err.message },
      ...header(p),
      security: {
        mode: p.securityMode ?? null,
        decrypted: p.decrypted ?? false,
        mac: err.code === 'SMGW_WMBUS_MAC' ? 'failed' : (p.mac ?? 'absent'),
      },
      records: [],
      ...(p.explain ? { explain: p.explain } : {}),
    };
  }
}

/** JSON text of strings that repeat from telegram to telegram (quantities, units, media). */
const jsonText = new Map<string, string>();
function cachedJson(s: string): string {
  let t = jsonText.get(s);
  if (t === undefined) {
    t = JSON.stringify(s);
    if (jsonText.size < 4096) jsonText.set(s, t);
  }
  return t;
}

function jsonValue(v: number | string | boolean | null): string {
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : 'null';
  return JSON.stringify(v);
}

/**
 * `JSON.stringify(report)`, the same text, about twice as fast: the JSONL decoder spends as long
 * serialising reports as decoding telegrams. Members are written in the order `decodeToReport`
 * creates them; report.test.ts checks the equality on every corpus telegram and on fuzzed ones.
 */
export function stringifyReport(r: TelegramReport): string {
  let o = `{"ok":${r.ok}`;
  if (r.error !== undefined) o += `,"error":${JSON.stringify(r.error)}`;
  o += `,"manufacturer":${jsonValue(r.manufacturer)},"id":${jsonValue(r.id)},"version":${jsonValue(r.version)}`;
  o += `,"deviceType":${jsonValue(r.deviceType)},"medium":${r.medium === null ? 'null' : cachedJson(r.medium)}`;
  o += `,"accessNumber":${jsonValue(r.accessNumber)}`;
  const s = r.security;
  o += `,"security":{"mode":${jsonValue(s.mode)},"decrypted":${s.decrypted},"mac":${cachedJson(s.mac)}},"records":[`;
  const records = r.records;
  for (let i = 0; i < records.length; i++) {
    const x = records[i] as ReportRecord;
    o += `${i === 0 ? '' : ','}{"dif":${cachedJson(x.dif)},"vif":${cachedJson(x.vif)},"storage":${jsonValue(x.storage)}`;
    o += `,"tariff":${jsonValue(x.tariff)},"subunit":${jsonValue(x.subunit)},"function":${cachedJson(x.function)}`;
    o += `,"quantity":${cachedJson(x.quantity)},"unit":${cachedJson(x.unit)},"value":${jsonValue(x.value)}}`;
  }
  o += ']';
  if (r.fragment !== undefined) o += `,"fragment":${JSON.stringify(r.fragment)}`;
  if (r.warnings !== undefined) o += `,"warnings":${JSON.stringify(r.warnings)}`;
  if (r.explain !== undefined) o += `,"explain":${JSON.stringify(r.explain)}`;
  return `${o}}`;
}
