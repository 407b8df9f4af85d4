/**
 * Extended link layer (EN 13757-4 §13, OMS Vol.2 §7.2): CI 8C–8F.
 *
 * | CI | fields                                  |
 * |----|-----------------------------------------|
 * | 8C | CC, ACC                                 |
 * | 8D | CC, ACC, SN (4), payload CRC (2)        |
 * | 8E | CC, ACC, M2 (2), A2 (6)                 |
 * | 8F | CC, ACC, M2 (2), A2 (6), SN (4), CRC (2) |
 *
 * SN (little endian): session bits 0–3, time bits 4–28, encryption bits 29–31 (0 none, 1
 * AES-128-CTR, others reserved). With encryption 1 everything after SN, the payload CRC included,
 * is encrypted; the CRC (EN 13757-4 CRC-16 over the rest of the frame) is the only check that the
 * key was right. M2/A2 of 8E/8F address the receiver (or, for a radio converter, the partner), not
 * the meter. ELL V (CI 86, variable length) is recognised and reported as unsupported.
 */
import { reversed, toHex } from '@opensmgw/core';
import { crc16En13757 } from './crc.js';
import { truncated, WmbusError } from './errors.js';
import type { Explain } from './explain.js';
import { idToString, manufacturerFlag, mediumName } from './link-layer.js';
import { aesCtr, ellIv } from './security.js';

/** Header length after the CI field, by CI (data, not a switch). */
const ELL_HEADER_LENGTH: Readonly<Record<number, number>> = { 140: 2, 141: 8, 142: 10, 143: 16 };
const ELL_HAS_ADDRESS: ReadonlySet<number> = new Set([0x8e, 0x8f]);
const ELL_HAS_SN: ReadonlySet<number> = new Set([0x8d, 0x8f]);

export const ELL_CI_FIELDS: ReadonlySet<number> = new Set([0x8c, 0x8d, 0x8e, 0x8f, 0x86]);

export function isEllCi(ci: number): boolean {
  return ELL_CI_FIELDS.has(ci);
}

/** ELL session-number encryption field (EN 13757-4 Table 52). */
export type EllEncryption = 'none' | 'aes-ctr' | 'reserved';

export interface EllAddress {
  readonly mField: number;
  readonly manufacturer: string;
  readonly id: string;
  readonly version: number;
  readonly deviceType: number;
  readonly medium: string;
}

export interface ExtendedLinkLayer {
  readonly ci: number;
  /** Communication control: B D S H P A R X (EN 13757-4 Table 49). */
  readonly cc: number;
  readonly accessNumber: number;
  /** M2/A2 of CI 8E/8F: the receiver or partner, not the meter. */
  readonly address: EllAddress | null;
  readonly sessionNumber: number | null;
  readonly encryption: EllEncryption;
  /** Encryption field value (bits 29–31 of SN), for reporting reserved values. */
  readonly encryptionField: number;
  readonly payloadCrc: number | null;
}

export interface EllContext {
  /** Link-layer M field and A field (6 bytes) as on the wire: the IV uses the sender's address. */
  readonly mBytes: Uint8Array;
  readonly aBytes: Uint8Array;
  readonly key: Uint8Array | null;
  /** Test-data convention (see `DecodeOptions.simulatedPlaintext`). */
  readonly simulatedPlaintext: boolean;
  /** The length of `bytes` the link layer's L field implies, when the frame has bytes beyond it. */
  readonly declaredLength?: number | undefined;
}

export interface EllResult {
  readonly ell: ExtendedLinkLayer;
  /** The bytes after the ELL (next CI onwards), decrypted, payload CRC removed. */
  readonly payload: Uint8Array;
  /** True when AES-CTR decryption with the key was done (and the payload CRC then matched). */
  readonly decrypted: boolean;
}

const CC_BITS: ReadonlyArray<[number, string]> = [
  [0x80, 'bidirectional'],
  [0x40, 'fast response'],
  [0x20, 'synchronised'],
  [0x10, 'hop'],
  [0x08, 'priority'],
  [0x04, 'accessible'],
  [0x02, 'repeated access'],
];

function ccText(cc: number): string {
  const names = CC_BITS.filter(([bit]) => cc & bit).map(([, n]) => n);
  return names.length > 0 ? names.join(', ') : 'no flags';
}

/** Payload CRC check: CRC-16 EN 13757 over everything after the CRC field. */
function crcMatches(payload: Uint8Array): boolean {
  if (payload.length < 2) return false;
  const stored = (payload[0] as number) | ((payload[1] as number) << 8);
  return stored === crc16En13757(payload, 2);
}

/**
 * The payload whose CRC matches: all of it, or (quirk: a receiver appended bytes to a stripped
 * frame, as in jMBus' copy of the Kamstrup vector with a trailing 89) just the part the L field
 * covers. Null when neither matches.
 */
function checkedPayload(payload: Uint8Array, declaredRest: number | undefined): Uint8Array | null {
  if (crcMatches(payload)) return payload;
  if (declaredRest !== undefined && declaredRest >= 2 && declaredRest < payload.length) {
    const cut = payload.subarray(0, declaredRest);
    if (crcMatches(cut)) return cut;
  }
  return null;
}

/**
 * Decodes an extended link layer starting at its CI field, decrypting (AES-CTR) and checking the
 * payload CRC where the ELL has them.
 */
export function decodeEll(bytes: Uint8Array, ctx: EllContext, explain?: Explain, offset = 0): EllResult {
  const ci = bytes[0] as number;
  if (ci === 0x86) {
    throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', 'extended link layer V (CI 86, variable length) is not supported');
  }
  const headerLength = ELL_HEADER_LENGTH[ci];
  if (headerLength === undefined) throw new WmbusError('SMGW_WMBUS_MALFORMED', `CI ${ci.toString(16)} is not an ELL`);
  if (bytes.length < 1 + headerLength) throw truncated('ELL', 1 + headerLength, offset, bytes.length);

  const cc = bytes[1] as number;
  const acc = bytes[2] as number;
  explain?.push(
    {
      layer: 'ell',
      offset,
      hex: toHex(bytes.subarray(0, 1)),
      text: `CI ${toHex(bytes.subarray(0, 1))}: extended link layer`,
    },
    { layer: 'ell', offset: offset + 1, hex: toHex(bytes.subarray(1, 2)), text: `CC: ${ccText(cc)}` },
    { layer: 'ell', offset: offset + 2, hex: toHex(bytes.subarray(2, 3)), text: `access number ${acc}` },
  );
  let p = 3;
  let address: EllAddress | null = null;
  if (ELL_HAS_ADDRESS.has(ci)) {
    const m = (bytes[3] as number) | ((bytes[4] as number) << 8);
    address = {
      mField: m,
      manufacturer: manufacturerFlag(m),
      id: idToString(bytes.subarray(5, 9)),
      version: bytes[9] as number,
      deviceType: bytes[10] as number,
      medium: mediumName(bytes[10] as number),
    };
    explain?.push({
      layer: 'ell',
      offset: offset + 3,
      hex: toHex(bytes.subarray(3, 11)),
      text: `M2/A2: ${address.manufacturer} ${address.id} version ${address.version} type ${address.deviceType} (receiver/partner address)`,
    });
    p = 11;
  }

  if (!ELL_HAS_SN.has(ci)) {
    return {
      ell: {
        ci,
        cc,
        accessNumber: acc,
        address,
        sessionNumber: null,
        encryption: 'none',
        encryptionField: 0,
        payloadCrc: null,
      },
      payload: bytes.subarray(p),
      decrypted: false,
    };
  }

  const snBytes = bytes.subarray(p, p + 4);
  const sn = (snBytes[0] as number) | ((snBytes[1] as number) << 8) | ((snBytes[2] as number) << 16);
  const snFull = sn + (snBytes[3] as number) * 0x1000000;
  const encField = (snBytes[3] as number) >> 5;
  const encryption: EllEncryption = encField === 0 ? 'none' : encField === 1 ? 'aes-ctr' : 'reserved';
  explain?.push({
    layer: 'ell',
    offset: offset + p,
    hex: toHex(snBytes),
    text: `SN: session ${snFull & 0x0f}, time ${Math.floor(snFull / 16) & 0x1ffffff}, encryption ${encField} (${encryption})`,
  });
  p += 4;
  const rest = bytes.subarray(p);
  const crcOffset = offset + p;

  const declaredRest = ctx.declaredLength === undefined ? undefined : ctx.declaredLength - p;
  let plain: Uint8Array;
  let decrypted = false;
  if (encryption === 'reserved') {
    throw new WmbusError('SMGW_WMBUS_UNSUPPORTED', `ELL encryption ${encField} (reserved) is not supported`);
  }
  if (encryption === 'none') {
    const checked = checkedPayload(rest, declaredRest);
    if (checked === null)
      throw new WmbusError('SMGW_WMBUS_CRC', 'ELL payload CRC wrong: the frame was damaged in transit');
    plain = checked;
  } else if (ctx.key === null) {
    // Test-data convention: an ELL that says "encrypted" but carries a plaintext payload whose CRC
    // matches is taken as plaintext. The gateway never sets simulatedPlaintext.
    const checked = ctx.simulatedPlaintext ? checkedPayload(rest, declaredRest) : null;
    if (checked === null) {
      throw new WmbusError(
        'SMGW_WMBUS_NO_KEY',
        'the extended link layer is encrypted (AES-CTR) and no key is known for this meter',
      );
    }
    plain = checked;
  } else {
    const iv = ellIv(ctx.mBytes, ctx.aBytes, cc, snBytes);
    const checked = checkedPayload(aesCtr(ctx.key, iv, rest), declaredRest);
    if (checked === null) {
      let hint = '';
      if (ctx.key.length === 16 && checkedPayload(aesCtr(reversed(ctx.key), iv, rest), declaredRest) !== null) {
        hint = '; the byte-reversed key decrypts it: enter the key with its bytes in reverse order';
      }
      throw new WmbusError('SMGW_WMBUS_DECRYPT', `ELL payload CRC wrong after AES-CTR decryption: wrong key${hint}`, {
        detail: { layer: 'ell', reversedKeyWorks: hint !== '' },
      });
    }
    plain = checked;
    decrypted = true;
  }
  if (plain.length < rest.length) {
    explain?.push({
      layer: 'ell',
      offset: crcOffset + plain.length,
      hex: toHex(rest.subarray(plain.length)),
      text: `${rest.length - plain.length} byte(s) beyond the L field, outside the payload CRC: dropped`,
    });
  }
  const crc = (plain[0] as number) | ((plain[1] as number) << 8);
  if (decrypted) {
    explain?.push({
      layer: 'ell',
      offset: crcOffset,
      hex: toHex(rest),
      text: `${rest.length} encrypted byte(s) (AES-CTR)`,
    });
  }
  explain?.push({
    layer: 'ell',
    offset: crcOffset,
    hex: toHex(plain.subarray(0, 2)),
    text: `payload CRC ${crc.toString(16).toUpperCase().padStart(4, '0')} OK${decrypted ? ' (decrypted, AES-CTR)' : ''}`,
  });
  return {
    ell: {
      ci,
      cc,
      accessNumber: acc,
      address,
      sessionNumber: snFull,
      encryption,
      encryptionField: encField,
      payloadCrc: crc,
    },
    payload: plain.subarray(2),
    decrypted,
  };
}
