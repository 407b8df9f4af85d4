/**
 * OBIS codes (IEC 62056-61): six value groups A-B:C.D.E*F, sent in SML as the 6-byte objName.
 * Printed in the usual decimal form `1-0:1.8.0*255`. The names table covers what German
 * household meters (EDL21/eHZ, MME) put in their SML lists; it is data, not logic.
 */
import { toHex } from '@opensmgw/core';
import { malformed } from './errors.js';

/** `1-0:1.8.0*255` for a 6-byte code; other lengths (not OBIS) as upper-case hex. */
export function formatObis(code: Uint8Array): string {
  if (code.length !== 6) return toHex(code);
  return `${code[0]}-${code[1]}:${code[2]}.${code[3]}.${code[4]}*${code[5]}`;
}

const OBIS_TEXT = /^(\d{1,3})-(\d{1,3}):(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\*(\d{1,3}))?$/;

/** Parses `A-B:C.D.E*F` (F defaults to 255) into the 6-byte code. */
export function parseObis(text: string): Uint8Array {
  const m = OBIS_TEXT.exec(text.trim());
  if (m === null) throw malformed(`not an OBIS code: ${JSON.stringify(text)}`);
  const groups = m.slice(1, 7).map((g, i) => (g === undefined && i === 5 ? 255 : Number(g)));
  if (groups.some((g) => g > 255)) throw malformed(`OBIS value group above 255: ${JSON.stringify(text)}`);
  return Uint8Array.from(groups);
}

/**
 * Names of common OBIS codes. Keys without `*F` match any F; a key with F wins over one without.
 * Sources: IEC 62056-61 value-group meanings, the EDL21/eHZ lists of FNN "Lastenheft EDL" and
 * what the public meter dumps carry.
 */
export const OBIS_NAMES: Readonly<Record<string, string>> = {
  '1-0:1.8.0': 'Active energy import (A+), total',
  '1-0:1.8.1': 'Active energy import (A+), tariff 1',
  '1-0:1.8.2': 'Active energy import (A+), tariff 2',
  '1-0:1.8.3': 'Active energy import (A+), tariff 3',
  '1-0:1.8.4': 'Active energy import (A+), tariff 4',
  '1-0:2.8.0': 'Active energy export (A-), total',
  '1-0:2.8.1': 'Active energy export (A-), tariff 1',
  '1-0:2.8.2': 'Active energy export (A-), tariff 2',
  '1-0:3.8.0': 'Reactive energy import (R+), total',
  '1-0:4.8.0': 'Reactive energy export (R-), total',
  '1-0:15.8.0': 'Active energy, absolute (|A|), total',
  '1-0:1.7.0': 'Active power import (P+)',
  '1-0:2.7.0': 'Active power export (P-)',
  '1-0:15.7.0': 'Active power, absolute (|P|)',
  '1-0:16.7.0': 'Active power, total (P+ - P-)',
  '1-0:21.7.0': 'Active power import L1',
  '1-0:41.7.0': 'Active power import L2',
  '1-0:61.7.0': 'Active power import L3',
  '1-0:36.7.0': 'Active power L1 (P+ - P-)',
  '1-0:56.7.0': 'Active power L2 (P+ - P-)',
  '1-0:76.7.0': 'Active power L3 (P+ - P-)',
  '1-0:31.7.0': 'Current L1',
  '1-0:51.7.0': 'Current L2',
  '1-0:71.7.0': 'Current L3',
  '1-0:91.7.0': 'Current neutral',
  '1-0:32.7.0': 'Voltage L1',
  '1-0:52.7.0': 'Voltage L2',
  '1-0:72.7.0': 'Voltage L3',
  '1-0:14.7.0': 'Frequency',
  '1-0:81.7.1': 'Phase angle U-L2 to U-L1',
  '1-0:81.7.2': 'Phase angle U-L3 to U-L1',
  '1-0:81.7.4': 'Phase angle I-L1 to U-L1',
  '1-0:81.7.15': 'Phase angle I-L2 to U-L2',
  '1-0:81.7.26': 'Phase angle I-L3 to U-L3',
  '1-0:0.0.0': 'Property number (Eigentumsnummer)',
  '1-0:0.0.9': 'Device identification (server ID)',
  '1-0:0.2.0': 'Firmware version',
  '1-0:96.1.0': 'Device identification (serial number)',
  '0-0:96.1.255': 'Device identification (serial number)',
  '1-0:96.5.0': 'Operating status word',
  '1-0:96.50.1': 'Manufacturer identification',
  '1-0:96.90.2': 'Firmware checksum',
  '1-0:97.97.0': 'Error register',
  '129-129:199.130.3': 'Manufacturer identification',
  '129-129:199.130.5': 'Public key of the meter',
};

/** The name of an OBIS code (bytes or text), if it is a common one. */
export function obisName(code: Uint8Array | string): string | undefined {
  const text = typeof code === 'string' ? code : formatObis(code);
  const exact = OBIS_NAMES[text];
  if (exact !== undefined) return exact;
  const star = text.indexOf('*');
  return star < 0 ? undefined : OBIS_NAMES[text.slice(0, star)];
}

export interface ObisInfo {
  readonly text: string;
  readonly name: string | undefined;
}

/** Meters repeat the same few codes in every frame: remember them (bounded, hostile input can
 *  send any number of distinct codes). */
const INFO_CACHE = new Map<number, ObisInfo>();
const INFO_CACHE_MAX = 4096;

/** The text form and name of a code, cached for 6-byte codes. */
export function obisInfo(code: Uint8Array): ObisInfo {
  if (code.length !== 6) {
    const text = formatObis(code);
    return { text, name: undefined };
  }
  const key =
    (code[0] as number) * 2 ** 40 +
    (code[1] as number) * 2 ** 32 +
    (code[2] as number) * 2 ** 24 +
    (code[3] as number) * 2 ** 16 +
    (code[4] as number) * 2 ** 8 +
    (code[5] as number);
  let info = INFO_CACHE.get(key);
  if (info === undefined) {
    const text = formatObis(code);
    info = { text, name: obisName(text) };
    if (INFO_CACHE.size >= INFO_CACHE_MAX) INFO_CACHE.clear();
    INFO_CACHE.set(key, info);
  }
  return info;
}
