/**
 * Diehl IZAR "PRIOS" frames (manufacturer-specific CI A0–A7) of water meters: a few plain status
 * bytes, then a payload scrambled with the Diehl LFSR (diehl-lfsr.ts) under the meter key or a
 * published default key.
 *
 * Learned from wmbusmeters (src/driver_izar.cc and manufacturer_specificities.cc). After the CI:
 *   0      bits 0–3: transmission period, 2^(n+2) s; bit 7: general alarm
 *   1      bits 0–4: remaining battery life in half years; bits 5–7: alarms
 *   2      alarm bits
 *   3      (part of the scrambled frame's check: not decoded)
 *   4…     scrambled payload; unscrambled:
 *          0     4B (the check byte: a wrong key gives anything else)
 *          1–4   current volume, litres, unsigned little endian
 *          5–8   volume at the last billing date, litres
 *          9–10  that billing date, laid out like type G
 *
 * The scrambling seed includes the A field as sent, which a DriverInput carries in `linkHeader`
 * (the link layer reports the identity in standard order: link-layer.ts `addressLayout`). The
 * check is one byte: a wrong key passes it once in 256 tries, so only the bytes as sent are used.
 * Without a link header (a caller building inputs by hand) the A field is rebuilt from the
 * identity the way Diehl's SND_NR/SND_IR PRIOS frames send it (version and device type first);
 * SAP frames cannot be rebuilt that way and then get only their plain status bytes.
 */
import { readDateG } from '../data-types.js';
import { idFromString } from '../link-layer.js';
import type { DataRecord } from '../records.js';
import { DIEHL_DEFAULT_KEYS, diehlUnscramble, lfsrKey } from './diehl-lfsr.js';
import type { Driver, DriverInput, DriverMatch, DriverOutput } from './driver.js';
import { driverRecord, manufacturerBytes, uintLE, YEAR_S } from './driver-record.js';

const DIEHL_GROUP = ['DME', 'EWT', 'HYD', 'SAP', 'SPL'] as const;
const PRIOS_CIS = [0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7] as const;
const CHECK_BYTE = 0x4b;
const PLAIN_BYTES = 4;

/**
 * The A field as sent, rebuilt from the identity: Diehl's SND_NR/SND_IR PRIOS frames send version
 * and device type first (link-layer.ts `addressLayout` put them back in standard order).
 */
function aFieldAsSent(input: DriverInput): Uint8Array | null {
  if (!/^[0-9A-Fa-f]{8}$/.test(input.id)) return null;
  return Uint8Array.of(input.version, input.deviceType, ...idFromString(input.id));
}

function keysOf(input: DriverInput): number[] {
  // A configured key replaces the defaults, as in wmbusmeters.
  if (input.key !== null && input.key.length >= 8) return [lfsrKey(input.key)];
  return DIEHL_DEFAULT_KEYS.map(lfsrKey);
}

/**
 * The unscrambled payload, or null when no key and A-field order gives the check byte. `aField`:
 * the 6 A-field bytes as sent, when the caller has them (then only they are tried).
 */
export function unscramblePrios(input: DriverInput, aField?: Uint8Array): Uint8Array | null {
  const apl = input.apl;
  if (apl.length <= PLAIN_BYTES) return null;
  const payload = apl.subarray(PLAIN_BYTES);
  const m = manufacturerBytes(input.manufacturer);
  const a = aField ?? aFieldAsSent(input);
  if (a === null || a.length !== 6) return null;
  const header = Uint8Array.of(...m, ...a, input.ci, apl[0] as number, apl[1] as number, apl[2] as number);
  for (const key of keysOf(input)) {
    const plain = diehlUnscramble(payload, header, key);
    if (plain[0] === CHECK_BYTE) return plain;
  }
  return null;
}

export function decodeDiehlPrios(input: DriverInput): DriverOutput {
  const apl = input.apl;
  if (apl.length < 2) return { records: [] };
  // The status bytes are sent in the clear: they do not depend on the key.
  const out: DataRecord[] = [
    driverRecord({
      quantity: 'remaining battery life time',
      unit: 's',
      value: (((apl[1] as number) & 0x1f) / 2) * YEAR_S,
    }),
    driverRecord({
      quantity: 'period of nominal data transmissions',
      unit: 's',
      value: 2 ** (((apl[0] as number) & 0x0f) + 2),
    }),
  ];
  const asSent = input.linkHeader?.subarray(3, 9);
  const plain =
    asSent !== undefined
      ? unscramblePrios(input, asSent)
      : input.manufacturer === 'SAP'
        ? null
        : unscramblePrios(input);
  if (plain === null) return { records: out };
  const total = uintLE(plain, 1, 4);
  if (total !== null) out.push(driverRecord({ quantity: 'volume', unit: 'm3', value: total / 1000 }));
  const billing = uintLE(plain, 5, 4);
  if (billing !== null) out.push(driverRecord({ quantity: 'volume', unit: 'm3', value: billing / 1000, storage: 1 }));
  if (plain.length >= 11) {
    out.push(driverRecord({ quantity: 'date', unit: 'date', value: readDateG(plain, 9), storage: 1 }));
  }
  return { records: out, decrypted: true };
}

const matches: DriverMatch[] = DIEHL_GROUP.flatMap((manufacturer) => PRIOS_CIS.map((ci) => ({ manufacturer, ci })));

export const diehlPrios: Driver = { name: 'diehl-prios', matches, decode: decodeDiehlPrios };
