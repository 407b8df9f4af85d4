/**
 * Identifier formats shared by gateway, head-end and devices (spec notes §7.2).
 */
import { invalid, string } from './json-check.js';

/** Profile and meter identifiers: letters, digits, '.', '_', '-'; 1 to 64 characters. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** An OBIS code as 12 hex digits (A B C D E F, one byte each), e.g. "0100010800ff" (§7.2). */
export const OBIS_HEX = /^[0-9a-f]{12}$/;

/** A wM-Bus manufacturer flag (three capital letters, EN 13757-3 / FLAG association). */
export const MANUFACTURER = /^[A-Z]{3}$/;

/** A wM-Bus identification number as printed: eight BCD digits. */
export const WMBUS_SERIAL = /^[0-9]{8}$/;

/** An AES-128 key as 32 hex digits. */
export const AES128_HEX = /^[0-9a-fA-F]{32}$/;

export function id(v: unknown, path: string): string {
  return string(v, path, ID_PATTERN, 64);
}

export function obisHex(v: unknown, path: string): string {
  return string(v, path, OBIS_HEX, 12);
}

/** "0100010800ff" -> "1-0:1.8.0*255" (the notation operators read). */
export function obisToText(hex: string): string {
  if (!OBIS_HEX.test(hex)) throw invalid('obis', 'expected 12 lower-case hex digits');
  const b = Array.from({ length: 6 }, (_, i) => Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16));
  return `${b[0]}-${b[1]}:${b[2]}.${b[3]}.${b[4]}*${b[5]}`;
}

/** A wM-Bus meter's canonical meter ID in profiles: manufacturer flag + serial, e.g. "ELS-12345678". */
export function wmbusMeterId(manufacturer: string, serial: string): string {
  return `${manufacturer}-${serial}`;
}
