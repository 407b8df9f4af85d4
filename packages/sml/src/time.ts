/**
 * SML_Time (SML 1.04 §6.4.4): a CHOICE, sent as a list of two — the tag, then the time.
 *
 *   tag 1  secIndex        Unsigned32  seconds since some device-specific start (power-up, …)
 *   tag 2  timestamp       Unsigned32  seconds since 1970-01-01 UTC
 *   tag 3  localTimestamp  list of 3: timestamp, localOffset Integer16 and seasonTimeOffset
 *                                     Integer16, both in minutes (added in SML 1.04)
 *
 * Meters in the field are not tidy here, and we decode by the shape of the payload, keeping
 * enough to reproduce the original bytes:
 *  - some send a local timestamp under tag 2 (libsml reads any list as a local timestamp,
 *    whatever the tag): the tag is kept;
 *  - Holley DTZ541 sends a bare Unsigned32 without the CHOICE list (valTime of its list entries,
 *    e.g. `65 00148E03`). Its value counts seconds since the meter started, not since 1970, so it
 *    is read as a secIndex marked `bare` (see quirks.ts).
 */
import { malformed } from './errors.js';
import type { TlvReader, TlvWriter } from './tlv.js';

export type SmlTime =
  | {
      readonly type: 'secIndex';
      readonly secIndex: number;
      /** Sent as a bare Unsigned32, without the CHOICE list (Holley DTZ541). */
      readonly bare?: true;
    }
  | { readonly type: 'timestamp'; readonly timestamp: number }
  | {
      readonly type: 'localTimestamp';
      readonly timestamp: number;
      /** Minutes. */
      readonly localOffset: number;
      /** Minutes. */
      readonly seasonTimeOffset: number;
      /** The tag as sent, when it was not the standard 3. */
      readonly tag?: number;
    };

export const SML_TIME_TAG = { secIndex: 1, timestamp: 2, localTimestamp: 3 } as const;

export function readTime(r: TlvReader, what = 'SML_Time'): SmlTime {
  if (r.peekTl().type === 'uint') return { type: 'secIndex', secIndex: r.uint(4, what), bare: true };
  r.list(what, 2);
  const tag = r.uint(1, `${what}.tag`);
  if (r.peekTl().type === 'list') {
    r.list(`${what}.localTimestamp`, 3);
    const timestamp = r.uint(4, `${what}.timestamp`);
    const localOffset = r.int(2, `${what}.localOffset`);
    const seasonTimeOffset = r.int(2, `${what}.seasonTimeOffset`);
    return tag === SML_TIME_TAG.localTimestamp
      ? { type: 'localTimestamp', timestamp, localOffset, seasonTimeOffset }
      : { type: 'localTimestamp', timestamp, localOffset, seasonTimeOffset, tag };
  }
  const value = r.uint(4, `${what}.value`);
  if (tag === SML_TIME_TAG.secIndex) return { type: 'secIndex', secIndex: value };
  if (tag === SML_TIME_TAG.timestamp) return { type: 'timestamp', timestamp: value };
  throw malformed(`${what}: unknown tag ${tag}`, { what, tag });
}

export function readOptTime(r: TlvReader, what = 'SML_Time'): SmlTime | undefined {
  return r.skipped() ? undefined : readTime(r, what);
}

export function writeTime(w: TlvWriter, t: SmlTime): void {
  if (!(t.type === 'secIndex' && t.bare)) w.list(2);
  switch (t.type) {
    case 'secIndex':
      if (t.bare) w.uint(t.secIndex, 4);
      else w.uint(SML_TIME_TAG.secIndex, 1).uint(t.secIndex, 4);
      return;
    case 'timestamp':
      w.uint(SML_TIME_TAG.timestamp, 1).uint(t.timestamp, 4);
      return;
    case 'localTimestamp':
      w.uint(t.tag ?? SML_TIME_TAG.localTimestamp, 1)
        .list(3)
        .uint(t.timestamp, 4)
        .int(t.localOffset, 2)
        .int(t.seasonTimeOffset, 2);
      return;
  }
}

export function writeOptTime(w: TlvWriter, t: SmlTime | undefined): void {
  if (t === undefined) w.skipped();
  else writeTime(w, t);
}
