/**
 * One line of `smgw wmbus decode --jsonl` in, one line out: the request format of the CLI contract
 * (issue 2, §4). Used in-process and by the decode workers (wmbus-decode-worker.ts).
 */
import { CoreError, fromHex, isSmgwError } from '@opensmgw/core';
import { type DecoderState, decodeToJsonLine } from '@opensmgw/wmbus';
import { OVERLONG_LINE } from './line-stream.js';

export interface RequestOptions {
  readonly explain: boolean;
  readonly simulatedPlaintext: boolean;
}

/** One JSONL request: `{"telegram":"HEX","key":"HEX"|null}` or with `"telegrams":[...]`. */
interface Request {
  telegrams: string[];
  key: string | null;
}

function parseRequest(line: string): Request {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', 'request is not JSON: expected {"telegram":"HEX","key":"HEX"|null}');
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', 'request is not a JSON object');
  }
  const o = obj as Record<string, unknown>;
  const key = o['key'] ?? null;
  if (key !== null && typeof key !== 'string') {
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', '"key" must be a hex string or null');
  }
  const list = o['telegrams'];
  if (Array.isArray(list) && list.length > 0) {
    if (!list.every((t): t is string => typeof t === 'string')) {
      throw new CoreError('SMGW_CORE_BAD_ARGUMENT', '"telegrams" must be an array of hex strings');
    }
    return { telegrams: list, key };
  }
  if (typeof o['telegram'] !== 'string') {
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', 'request has no "telegram" hex string');
  }
  return { telegrams: [o['telegram']], key };
}

/** The meter key of a request: hex, or nothing. */
export function parseKey(key: string | null | undefined): Uint8Array | null {
  if (key === null || key === undefined || key === '') return null;
  return fromHex(key);
}

/** Only whitespace (a request starts with "{" at once, so this returns early). */
function isBlank(line: string): boolean {
  for (let i = 0; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c !== 0x20 && c !== 0x09 && c !== 0x0d) return false;
  }
  return true;
}

/** The answer line for one request line; null for a blank line (not a request). Never throws. */
export function answerRequest(line: string, state: DecoderState, options: RequestOptions): string | null {
  if (isBlank(line)) return null;
  if (line === OVERLONG_LINE) {
    return JSON.stringify({
      ok: false,
      error: { code: 'SMGW_CORE_BAD_ARGUMENT', message: 'request line longer than 1 MiB: not read' },
    });
  }
  try {
    const req = parseRequest(line);
    const key = parseKey(req.key);
    let out = '';
    for (const t of req.telegrams) {
      const decodeOptions = { key, state, explain: options.explain, simulatedPlaintext: options.simulatedPlaintext };
      out = decodeToJsonLine(fromHex(t), decodeOptions);
    }
    return out;
  } catch (e) {
    const err = isSmgwError(e) ? e : new CoreError('SMGW_CORE_INTERNAL', `internal error: ${String(e)}`);
    return JSON.stringify({ ok: false, error: { code: err.code, message: err.message } });
  }
}

/**
 * Which decoder a request line belongs to when several run in parallel: every request of one
 * meter must reach the same decoder, which keeps that meter's state (compact-frame formats,
 * fragments). The key is the hex of the frame's bytes 2–9 (wireless: M and A fields; wired:
 * C, A, CI and the long header's ID), read without parsing the JSON; any line it cannot read
 * goes to decoder 0, which answers it (usually with an error) like any other.
 */
export function shardOf(line: string, shards: number): number {
  if (shards <= 1) return 0;
  const at = line.indexOf('"telegram');
  if (at < 0) return 0;
  let i = line.indexOf('"', line.indexOf(':', at) + 1) + 1;
  if (i <= 0) return 0;
  let hash = 0;
  let digits = 0;
  for (; i < line.length && digits < 20; i++) {
    const c = line.charCodeAt(i);
    if (c === 0x22) break; // closing quote
    const hex = (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
    if (!hex) continue; // separators
    if (digits >= 4) hash = (hash * 31 + (c | 0x20)) | 0;
    digits++;
  }
  return (hash >>> 0) % shards;
}
