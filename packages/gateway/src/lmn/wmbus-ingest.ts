/**
 * wM-Bus ingest: radio frames in, readings in the original value list out (spec notes §8.2,
 * §3.6). Per frame:
 *
 *   link-layer address -> meter profile (O(1)) -> decodeTelegram with the profile's key only
 *   -> security mode 7 with a verified AFL MAC and counter (mode 5 only if the profile allows
 *   it) -> records of the profile's channels -> one store.accept() for the whole batch, whose
 *   replay check on the AFL counter (MCR) runs in the same transaction as the write.
 *
 * Nothing is acknowledged before it is persisted: the result of a frame is known only after the
 * batch's transaction committed. Bad frames become a refusal code and a (rate-limited)
 * system-log event; handleBatch never throws for anything a frame contains.
 *
 * Hot path (≥ 5,000 telegrams/s with 10,000 meters): the profile is found from the raw M and ID
 * bytes of the format-A first block as one number (no strings, no allocation); each frame is
 * decoded once; the keys' cipher objects stay in the DecoderState's key cache, sized to the
 * number of meters.
 */
import type { Clock } from '@opensmgw/core';
import { isSmgwError } from '@opensmgw/core';
import { type MeterProfile, type WmbusAccess, wmbusMeterId } from '@opensmgw/protocol';
import {
  DecoderState,
  decodeLinkLayer,
  decodeTelegram,
  idFromString,
  manufacturerCode,
  type Telegram,
} from '@opensmgw/wmbus';
import type { EventLog } from '../core/event-log.js';
import type { GatewayStore, IncomingValues, NewReading, ReadingSecurity } from '../store/types.js';
import type { LmnErrorCode } from './errors.js';
import { mapRecord } from './obis-map.js';

export interface RadioFrame {
  /** One wM-Bus frame, format A with its block CRCs, from the L field (docs/wire-protocols.md). */
  readonly bytes: Uint8Array;
  /** Wall time (ms) the receiver got the frame: the capture time of its readings. */
  readonly receivedAtMs: number;
}

export type IngestRefusal = Exclude<LmnErrorCode, 'SMGW_LMN_TLS_REFUSED' | 'SMGW_LMN_STATE'>;
/**
 * 'stored': persisted. 'pending': an AFL fragment of a message not yet complete (nothing stored,
 * nothing refused). Otherwise the refusal code.
 */
export type IngestResult = 'stored' | 'pending' | IngestRefusal;

export interface WmbusIngestOptions {
  readonly store: GatewayStore;
  readonly events: EventLog;
  /** Fallback capture time for a frame without a usable receive time. */
  readonly clock: Clock;
  /** The SMGW status word (spec notes §7.3) stamped on every reading. */
  readonly statusWord: () => number;
}

interface MeterEntry {
  readonly meterId: string;
  readonly profile: MeterProfile;
  readonly access: WmbusAccess;
  readonly key: Uint8Array;
  readonly channels: ReadonlySet<string>;
}

/** Decoder state limits: the key cache holds every registered meter's key (plus head room). */
const MIN_CACHED_KEYS = 64;
const MAX_CACHED_KEYS = 50_000;
/** Telegrams per store.accept call (the SQLite store's MAX_ACCEPT_BATCH). */
const ACCEPT_CHUNK = 10_000;
/** Format A: L C M(2) A(6) then the first block's CRC (EN 13757-4 §5.2.2). */
const FIRST_BLOCK = 12;

/** M field and identification number as one number: M × 2^32 + ID (the wire bytes, little endian). */
function addressKey(m: number, id0: number, id1: number, id2: number, id3: number): number {
  return m * 0x1_0000_0000 + ((id0 | (id1 << 8) | (id2 << 16) | (id3 << 24)) >>> 0);
}

function frameAddressKey(b: Uint8Array): number {
  return addressKey(
    (b[2] as number) | ((b[3] as number) << 8),
    b[4] as number,
    b[5] as number,
    b[6] as number,
    b[7] as number,
  );
}

function hexKey(hex: string): Uint8Array {
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** What a decoder error means for the gateway (wmbus errors.ts codes). */
const WMBUS_REFUSALS: Readonly<Record<string, IngestRefusal>> = {
  SMGW_WMBUS_MAC: 'SMGW_LMN_BAD_MAC',
  SMGW_WMBUS_DECRYPT: 'SMGW_LMN_DECRYPT',
  SMGW_WMBUS_NO_KEY: 'SMGW_LMN_INSECURE',
};

const EVENT_TEXT: Readonly<Record<IngestRefusal, string>> = {
  SMGW_LMN_UNKNOWN_METER: 'telegram from a meter without an active profile dropped',
  SMGW_LMN_INSECURE: 'telegram without the required security (mode 7 + AFL MAC) dropped',
  SMGW_LMN_BAD_MAC: 'telegram with a wrong AFL MAC dropped',
  SMGW_LMN_DECRYPT: 'telegram that does not decrypt with the meter key dropped',
  SMGW_LMN_MALFORMED: 'undecodable telegram dropped',
  SMGW_LMN_REPLAY: 'replayed telegram (message counter not increasing) dropped',
  SMGW_LMN_STORE_FAILED: 'telegrams not stored: the store refused the batch',
};

export class WmbusIngest {
  readonly #store: GatewayStore;
  readonly #events: EventLog;
  readonly #clock: Clock;
  readonly #statusWord: () => number;
  #meters = new Map<number, MeterEntry>();
  #state = new DecoderState({ maxCachedKeys: MIN_CACHED_KEYS });
  #stateCapacity = MIN_CACHED_KEYS;

  constructor(options: WmbusIngestOptions) {
    this.#store = options.store;
    this.#events = options.events;
    this.#clock = options.clock;
    this.#statusWord = options.statusWord;
  }

  /** Number of wM-Bus meters currently accepted (active profiles). */
  get meterCount(): number {
    return this.#meters.size;
  }

  /**
   * Takes the current meter profiles: active wM-Bus meters are indexed by manufacturer and
   * serial; everything else is ignored (SML meters, inactive ones). Keys are parsed once here.
   */
  reloadProfiles(profiles: readonly MeterProfile[]): void {
    const meters = new Map<number, MeterEntry>();
    for (const p of profiles) {
      if (!p.active || p.access.type !== 'wmbus') continue;
      const a = p.access;
      const id = idFromString(a.serial);
      const k = addressKey(
        manufacturerCode(a.manufacturer),
        id[0] as number,
        id[1] as number,
        id[2] as number,
        id[3] as number,
      );
      meters.set(k, {
        meterId: wmbusMeterId(a.manufacturer, a.serial),
        profile: p,
        access: a,
        key: hexKey(a.keyHex),
        channels: new Set(p.channels),
      });
    }
    this.#meters = meters;
    const wanted = Math.min(MAX_CACHED_KEYS, Math.max(MIN_CACHED_KEYS, Math.ceil(meters.size * 1.25)));
    if (wanted > this.#stateCapacity) {
      // The key cache is sized at construction: a larger fleet needs a new state (fragments of
      // messages in progress are dropped, compact-frame formats relearned).
      this.#state = new DecoderState({ maxCachedKeys: wanted });
      this.#stateCapacity = wanted;
    }
  }

  /** Decodes, checks and stores a batch of frames; one result per frame, in order. Never throws. */
  handleBatch(frames: readonly RadioFrame[]): IngestResult[] {
    const results: IngestResult[] = new Array(frames.length);
    const items: IncomingValues[] = [];
    /** For each item: the index of its frame in `frames`. */
    const itemFrame: number[] = [];
    let status: number | undefined;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i] as RadioFrame;
      status ??= this.#status();
      const r = this.#frame(frame, status);
      if (typeof r === 'string') results[i] = r;
      else {
        items.push(r);
        itemFrame.push(i);
      }
    }
    if (items.length === 0) return results;
    // One transaction per call; the store bounds a call's size (store MAX_ACCEPT_BATCH), so only
    // a caller's oversize batch is split. The radio's batches are far smaller.
    for (let from = 0; from < items.length; from += ACCEPT_CHUNK) {
      const chunk = from === 0 && items.length <= ACCEPT_CHUNK ? items : items.slice(from, from + ACCEPT_CHUNK);
      let outcomes: readonly string[];
      try {
        outcomes = this.#store.accept(chunk);
      } catch (e) {
        this.#event('SMGW_LMN_STORE_FAILED', undefined, isSmgwError(e) ? e.code : 'store error', 3);
        for (let n = 0; n < chunk.length; n++) results[itemFrame[from + n] as number] = 'SMGW_LMN_STORE_FAILED';
        continue;
      }
      for (let n = 0; n < chunk.length; n++) {
        const i = itemFrame[from + n] as number;
        if (outcomes[n] === 'stored') results[i] = 'stored';
        else {
          results[i] = 'SMGW_LMN_REPLAY';
          const item = chunk[n] as IncomingValues;
          this.#event('SMGW_LMN_REPLAY', item.meterId, `counter ${item.counter}`);
        }
      }
    }
    return results;
  }

  #status(): number {
    try {
      return this.#statusWord();
    } catch {
      return 0;
    }
  }

  /** One frame up to (not including) the store: its values, or why it is refused. */
  #frame(frame: RadioFrame, status: number): IncomingValues | IngestResult {
    const bytes = frame?.bytes;
    if (!(bytes instanceof Uint8Array)) return this.#refuse('SMGW_LMN_MALFORMED', undefined, 'not a byte frame');
    const entry = bytes.length >= FIRST_BLOCK ? this.#meters.get(frameAddressKey(bytes)) : undefined;
    if (entry === undefined) return this.#unknown(bytes);

    let t: Telegram;
    try {
      t = decodeTelegram(bytes, {
        key: entry.key,
        state: this.#state,
        frameFormat: 'A',
        manufacturerDefaultKeys: false,
      });
    } catch (e) {
      const code = isSmgwError(e) ? e.code : 'internal';
      return this.#refuse(WMBUS_REFUSALS[code] ?? 'SMGW_LMN_MALFORMED', entry.meterId, code);
    }
    if (t.fragment !== null && !t.fragment.complete) return 'pending';
    // The telegram must be about the meter whose key opened it (a long TPL header may name
    // another one than the link layer).
    const m = t.meter;
    if (m === null || m.manufacturer !== entry.access.manufacturer || m.id !== entry.access.serial) {
      return this.#refuse('SMGW_LMN_UNKNOWN_METER', entry.meterId, 'transport header names another meter');
    }

    const sec = t.security;
    let security: ReadingSecurity;
    let counter: number | null = null;
    const macCounter = sec.mac === 'verified' && t.afl !== null ? t.afl.counter : null;
    if (sec.mode === 7 && macCounter !== null) {
      security = 'mode7';
      counter = macCounter;
    } else if (sec.mode === 5 && entry.access.allowMode5 && sec.decrypted) {
      security = 'mode5';
      counter = macCounter;
    } else {
      return this.#refuse('SMGW_LMN_INSECURE', entry.meterId, `security mode ${sec.mode}, MAC ${sec.mac}`);
    }

    const captureTimeMs = Number.isSafeInteger(frame.receivedAtMs) ? frame.receivedAtMs : this.#clock.now();
    const readings: NewReading[] = [];
    const medium = entry.profile.medium;
    for (const rec of t.records) {
      const v = mapRecord(medium, rec);
      if (v === undefined || !entry.channels.has(v.obis)) continue;
      readings.push({
        meterId: entry.meterId,
        obis: v.obis,
        value: v.value,
        scaler: v.scaler,
        unit: v.unit,
        captureTimeMs,
        smgwStatus: status,
        ...(t.tpl === null || t.tpl.status === null ? {} : { meterStatus: t.tpl.status }),
        security,
      });
    }
    return { meterId: entry.meterId, counter, readings };
  }

  /** No profile for the frame's address: an unknown meter, or not a frame at all. */
  #unknown(bytes: Uint8Array): IngestRefusal {
    let subject: string;
    try {
      const { dll } = decodeLinkLayer(bytes, undefined, 'A');
      if (dll.kind !== 'wireless') return this.#refuse('SMGW_LMN_MALFORMED', undefined, 'not a wireless frame');
      subject = wmbusMeterId(dll.manufacturer, dll.id);
    } catch (e) {
      return this.#refuse('SMGW_LMN_MALFORMED', undefined, isSmgwError(e) ? e.code : 'internal');
    }
    return this.#refuse('SMGW_LMN_UNKNOWN_METER', subject, 'no active meter profile');
  }

  #refuse(code: IngestRefusal, subject: string | undefined, why: string): IngestRefusal {
    this.#event(code, subject, why);
    return code;
  }

  /** A system-log event; the EventLog rate-limits per event and subject. Never throws. */
  #event(code: IngestRefusal, subject: string | undefined, why: string, level: 2 | 3 = 2): void {
    try {
      this.#events.record('system', {
        level,
        outcome: 1,
        event: code.slice('SMGW_'.length),
        message: `${EVENT_TEXT[code]} (${why})`,
        ...(subject === undefined ? {} : { subject }),
      });
    } catch {
      // Logging must not turn a refused frame into a crash of the radio path.
    }
  }
}
