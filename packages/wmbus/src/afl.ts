/**
 * Authentication and Fragmentation Layer, CI 90 (EN 13757-7:2018 §6, OMS Vol.2 §7.3).
 *
 * Layout: CI 90 | AFLL | FCL (2) | [MCL] | [KI (2)] | [MCR (4)] | [MAC (n)] | [ML (2)], where FCL
 * says which optional fields this fragment carries:
 *
 * | FCL bit | meaning                        |
 * |---------|--------------------------------|
 * | 0–7     | fragment ID (0 = not fragmented, 1 = first fragment, then +1) |
 * | 9       | KI in this fragment            |
 * | 10      | MAC in this fragment           |
 * | 11      | MCR in this fragment           |
 * | 12      | ML in this fragment            |
 * | 13      | MCL in this fragment           |
 * | 14      | more fragments follow          |
 *
 * MCL bits 0–3 are the authentication type (3/4/5/6/7: AES-CMAC-128 truncated to 2/4/8/12/16
 * bytes; 8/9: AES-GMAC-128 with 12/16 bytes), bits 4–6 say KI/MCR/ML are in the message.
 *
 * The MAC covers AFL.MCL || AFL.MCR || {AFL.ML} || the whole TPDU (TPL CI field to the last byte of
 * the message, all fragments joined) and is checked BEFORE anything is decrypted
 * (TR-03116-3 §7: padding must not be processed before the MAC is verified). KI is not part of
 * the MAC input in EN 13757-7's formula.
 */
import { concatBytes, readUIntLE, timingSafeEqualBytes, toHex } from '@opensmgw/core';
import { truncated, WmbusError } from './errors.js';
import type { Explain } from './explain.js';
import type { CmacKey } from './security.js';

export const AFL_CI = 0x90;

/** FCL bits (EN 13757-7 Table 4). */
export const FCL = {
  fragmentId: 0x00ff,
  keyInfo: 0x0200,
  mac: 0x0400,
  counter: 0x0800,
  length: 0x1000,
  control: 0x2000,
  moreFragments: 0x4000,
} as const;

/** MCL bits (EN 13757-7 Table 5). */
export const MCL = {
  authType: 0x0f,
  keyInfo: 0x10,
  counter: 0x20,
  length: 0x40,
} as const;

export type AflAuthentication = 'none' | 'aes-cmac-128' | 'aes-gmac-128';

/** Authentication types (EN 13757-7 Table 6): algorithm and MAC length in bytes. */
const AUTH_TYPES: Readonly<Record<number, readonly [AflAuthentication, number]>> = {
  0: ['none', 0],
  3: ['aes-cmac-128', 2],
  4: ['aes-cmac-128', 4],
  5: ['aes-cmac-128', 8],
  6: ['aes-cmac-128', 12],
  7: ['aes-cmac-128', 16],
  8: ['aes-gmac-128', 12],
  9: ['aes-gmac-128', 16],
};

export function authTypeInfo(authType: number): readonly [AflAuthentication, number] | undefined {
  return AUTH_TYPES[authType];
}

/** The AFL fields of one fragment (or, after reassembly, of the whole message). */
export interface AflFields {
  readonly fcl: number;
  readonly fragmentId: number;
  readonly moreFragments: boolean;
  readonly mcl: number | null;
  readonly keyInfo: number | null;
  /** Message counter MCR (the KDF's C), as a number and as the 4 bytes on the wire. */
  readonly counter: number | null;
  readonly counterBytes: Uint8Array | null;
  readonly mac: Uint8Array | null;
  readonly messageLength: number | null;
}

export interface AflResult {
  readonly afl: AflFields;
  /** What follows the AFL in this frame: the TPDU, or a part of it in a fragment. */
  readonly rest: Uint8Array;
}

/**
 * Decodes the AFL of one frame. `mclOfMessage` is the MCL of an earlier fragment of the same
 * message (it sizes a MAC carried by a later fragment).
 */
export function decodeAfl(
  bytes: Uint8Array,
  explain?: Explain,
  offset = 0,
  mclOfMessage: number | null = null,
): AflResult {
  if (bytes[0] !== AFL_CI) throw new WmbusError('SMGW_WMBUS_MALFORMED', 'AFL: CI is not 90');
  if (bytes.length < 2) throw truncated('AFL', 2, offset, bytes.length);
  const afll = bytes[1] as number;
  if (bytes.length < 2 + afll) throw truncated('AFL', 2 + afll, offset, bytes.length);
  if (afll < 2) throw new WmbusError('SMGW_WMBUS_MALFORMED', `AFL: length ${afll} leaves no room for the FCL`);
  const end = 2 + afll;
  const fcl = (bytes[2] as number) | ((bytes[3] as number) << 8);
  const fragmentId = fcl & FCL.fragmentId;
  const moreFragments = (fcl & FCL.moreFragments) !== 0;
  explain?.push(
    { layer: 'afl', offset, hex: toHex(bytes.subarray(0, 1)), text: 'CI 90: authentication and fragmentation layer' },
    { layer: 'afl', offset: offset + 1, hex: toHex(bytes.subarray(1, 2)), text: `AFL length ${afll}` },
    {
      layer: 'afl',
      offset: offset + 2,
      hex: toHex(bytes.subarray(2, 4)),
      text: `FCL: fragment ${fragmentId}${moreFragments ? ', more follow' : fragmentId > 0 ? ', last' : ' (not fragmented)'}`,
    },
  );
  let p = 4;
  const need = (n: number, what: string) => {
    if (p + n > end) {
      throw new WmbusError('SMGW_WMBUS_MALFORMED', `AFL: ${what} does not fit in the AFL length ${afll}`, {
        detail: { offset: offset + p },
      });
    }
  };
  /** Takes the next `n` bytes of field `what` (a view), accounts for them in the explanation. */
  const field = (n: number, what: string, text: (b: Uint8Array) => string): Uint8Array => {
    need(n, what);
    const b = bytes.subarray(p, p + n);
    explain?.push({ layer: 'afl', offset: offset + p, hex: toHex(b), text: text(b) });
    p += n;
    return b;
  };

  let mcl: number | null = null;
  if (fcl & FCL.control) {
    mcl = field(1, 'MCL', ([m]) => {
      const at = authTypeInfo((m as number) & MCL.authType);
      return `MCL: authentication ${at ? `${at[0]} (${at[1]} bytes)` : `type ${(m as number) & MCL.authType} (reserved)`}`;
    })[0] as number;
  }
  let keyInfo: number | null = null;
  if (fcl & FCL.keyInfo) {
    keyInfo = readUIntLE(
      field(2, 'KI', (b) => `KI: key information ${readUIntLE(b, 0, 2)}`),
      0,
      2,
    );
  }
  let counter: number | null = null;
  let counterBytes: Uint8Array | null = null;
  if (fcl & FCL.counter) {
    counterBytes = field(4, 'MCR', (b) => `MCR: message counter ${readUIntLE(b, 0, 4)}`).slice();
    counter = readUIntLE(counterBytes, 0, 4);
  }
  let mac: Uint8Array | null = null;
  if (fcl & FCL.mac) {
    const sizing = mcl ?? mclOfMessage;
    if (sizing === null) {
      if (fragmentId > 1) {
        throw new WmbusError(
          'SMGW_WMBUS_FRAGMENT',
          `AFL: fragment ${fragmentId} carries a MAC sized by fragment 1, which has not arrived; discarded`,
          { detail: { fragmentId } },
        );
      }
      throw new WmbusError('SMGW_WMBUS_MALFORMED', 'AFL: a MAC without MCL (its length is unknown)');
    }
    const at = authTypeInfo(sizing & MCL.authType);
    if (at === undefined) {
      throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', `AFL: authentication type ${sizing & MCL.authType} is reserved`);
    }
    if (at[1] === 0)
      throw new WmbusError('SMGW_WMBUS_MALFORMED', 'AFL: MAC present but the authentication type is "none"');
    mac = field(at[1], 'MAC', () => `MAC (${at[0]}, ${at[1]} bytes)`).slice();
  }
  let messageLength: number | null = null;
  if (fcl & FCL.length) {
    messageLength = readUIntLE(
      field(2, 'ML', (b) => `ML: message length ${readUIntLE(b, 0, 2)}`),
      0,
      2,
    );
  }
  if (p !== end) {
    throw new WmbusError('SMGW_WMBUS_MALFORMED', `AFL: ${end - p} byte(s) in the AFL length not accounted for by FCL`, {
      detail: { offset: offset + p },
    });
  }
  return {
    afl: { fcl, fragmentId, moreFragments, mcl, keyInfo, counter, counterBytes, mac, messageLength },
    rest: bytes.subarray(end),
  };
}

/** The MAC input of EN 13757-7 §6.3.6: MCL || MCR || {ML} || TPDU. */
export function aflMacInput(afl: AflFields, tpdu: Uint8Array): Uint8Array {
  if (afl.mcl === null) throw new WmbusError('SMGW_WMBUS_MALFORMED', 'AFL: MAC check needs the MCL');
  const parts: Uint8Array[] = [Uint8Array.of(afl.mcl)];
  if (afl.counterBytes !== null) parts.push(afl.counterBytes);
  if (afl.messageLength !== null) parts.push(Uint8Array.of(afl.messageLength & 0xff, afl.messageLength >> 8));
  parts.push(tpdu);
  return concatBytes(...parts);
}

/** Computes the (truncated) AFL MAC for `afl`'s authentication type. */
export function computeAflMac(afl: AflFields, tpdu: Uint8Array, kMac: CmacKey): Uint8Array {
  const at = afl.mcl === null ? undefined : authTypeInfo(afl.mcl & MCL.authType);
  if (at === undefined || at[0] === 'none') throw new WmbusError('SMGW_WMBUS_MALFORMED', 'AFL: no authentication type');
  if (at[0] !== 'aes-cmac-128') {
    throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', `AFL: ${at[0]} authentication is not supported`);
  }
  return kMac.mac(aflMacInput(afl, tpdu)).subarray(0, at[1]);
}

/** True when the AFL MAC matches (constant-time compare of the truncated CMAC). */
export function verifyAflMac(afl: AflFields, tpdu: Uint8Array, kMac: CmacKey): boolean {
  if (afl.mac === null) return false;
  return timingSafeEqualBytes(computeAflMac(afl, tpdu, kMac), afl.mac);
}

/** Limits of one reassembly buffer: a wM-Bus message is at most a few fragments of ≤ 255 bytes. */
export const FRAGMENT_LIMITS = { maxFragments: 16, maxBytes: 4096 } as const;

/**
 * Collects the fragments of one AFL-fragmented message (EN 13757-7 §6.2): fragment IDs start at
 * 1 and increase by one; MCL/KI/MCR/ML/MAC may sit in any fragment (FCL says which); the TPDU is
 * the concatenation of what follows the AFL in each fragment. A gap, a repeat or an overflow
 * discards the buffer with `SMGW_WMBUS_FRAGMENT`.
 */
export class FragmentBuffer {
  #nextId = 1;
  #parts: Uint8Array[] = [];
  #bytes = 0;
  #fields: {
    mcl: number | null;
    keyInfo: number | null;
    counter: number | null;
    counterBytes: Uint8Array | null;
    mac: Uint8Array | null;
    messageLength: number | null;
  } = { mcl: null, keyInfo: null, counter: null, counterBytes: null, mac: null, messageLength: null };

  /** The MCL seen so far (sizes a MAC in a later fragment). */
  get mcl(): number | null {
    return this.#fields.mcl;
  }

  get expectedId(): number {
    return this.#nextId;
  }

  /**
   * Adds one fragment; returns the whole message (fields merged, TPDU joined) after the last
   * fragment, else null.
   */
  add(afl: AflFields, part: Uint8Array): { afl: AflFields; tpdu: Uint8Array } | null {
    if (afl.fragmentId !== this.#nextId) {
      throw new WmbusError(
        'SMGW_WMBUS_FRAGMENT',
        `AFL: fragment ${afl.fragmentId} arrived, fragment ${this.#nextId} was expected; the message is discarded`,
        { detail: { fragmentId: afl.fragmentId, expected: this.#nextId } },
      );
    }
    if (this.#parts.length >= FRAGMENT_LIMITS.maxFragments || this.#bytes + part.length > FRAGMENT_LIMITS.maxBytes) {
      throw new WmbusError('SMGW_WMBUS_FRAGMENT', 'AFL: fragmented message exceeds the reassembly limits; discarded');
    }
    const f = this.#fields;
    for (const k of ['mcl', 'keyInfo', 'counter', 'counterBytes', 'mac', 'messageLength'] as const) {
      const v = afl[k];
      if (v !== null) {
        if (f[k] !== null) {
          throw new WmbusError(
            'SMGW_WMBUS_FRAGMENT',
            `AFL: field ${k} repeated in fragment ${afl.fragmentId}; discarded`,
          );
        }
        (f as Record<string, unknown>)[k] = v;
      }
    }
    this.#parts.push(part.slice());
    this.#bytes += part.length;
    this.#nextId++;
    if (afl.moreFragments) return null;
    return {
      afl: { ...f, fcl: afl.fcl, fragmentId: afl.fragmentId, moreFragments: false },
      tpdu: concatBytes(...this.#parts),
    };
  }
}
