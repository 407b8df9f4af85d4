/**
 * Manufacturer-specific payloads (DESIGN.md "drivers/"): a small interface and a registry keyed by
 * manufacturer, version, device type and CI, so formats can be added without touching the core.
 *
 * The pipeline decodes the standard layers first, then asks the registry for the most specific
 * driver of the meter and hands it the application bytes, the standard records and the
 * manufacturer data (after DIF 0F/1F). The driver returns extra records in the contract's units.
 * A driver also sees telegrams the core cannot decode on its own: manufacturer-specific CIs
 * (A0–B7) and manufacturer-specific security modes (1, 16–31), whose bytes arrive as received.
 */
import type { DataRecord } from '../records.js';
import { builtinDrivers } from './builtin.js';

/** What a driver is matched on: the meter's identity (long transport header, else link layer). */
export interface DriverMatch {
  /** Three-letter manufacturer flag, e.g. "KAM". */
  readonly manufacturer: string;
  readonly version?: number;
  readonly deviceType?: number;
  /** The transport-layer CI field. */
  readonly ci?: number;
}

export interface DriverInput {
  readonly manufacturer: string;
  readonly id: string;
  readonly version: number;
  readonly deviceType: number;
  readonly ci: number;
  /** Security mode of the transport layer (0 without one). */
  readonly securityMode: number;
  /**
   * The link layer's C, M and A fields (9 bytes) exactly as received, before the link layer
   * undoes a manufacturer's field-order quirk; null for wired frames. Manufacturer scrambling
   * (Diehl) seeds on these bytes.
   */
  readonly linkHeader: Uint8Array | null;
  /** The transport header as received: CI and the header bytes after it. */
  readonly transportHeader: Uint8Array;
  /**
   * The application layer: plaintext after decryption for standard modes; for manufacturer-specific
   * CIs and security modes, the bytes as received.
   */
  readonly apl: Uint8Array;
  /** True when `apl` is plaintext the core produced or checked (not a manufacturer-specific body). */
  readonly plaintext: boolean;
  /** Records the standard decoder found (empty when it could not decode `apl`). */
  readonly records: readonly DataRecord[];
  /** Bytes after a manufacturer-specific DIF 0F/1F, or null. */
  readonly manufacturerData: Uint8Array | null;
  /** The meter key, for drivers of manufacturer-specific encryption. Never log it. */
  readonly key: Uint8Array | null;
}

export interface DriverOutput {
  /** Records to add to the standard ones (same shape and units as the contract). */
  readonly records: readonly DataRecord[];
  /** True when the driver decrypted a manufacturer-specific body with the key. */
  readonly decrypted?: boolean;
}

export interface Driver {
  /** Short name, reported in explanations ("kamstrup-compact"). */
  readonly name: string;
  readonly matches: readonly DriverMatch[];
  /** Throws `WmbusError` on bytes it cannot decode. */
  decode(input: DriverInput): DriverOutput;
}

/** How specific a match is: each field that is given and equal adds one; a mismatch disqualifies. */
function score(m: DriverMatch, manufacturer: string, version: number, deviceType: number, ci: number): number {
  if (m.manufacturer !== manufacturer) return -1;
  let s = 0;
  for (const [want, got] of [
    [m.version, version],
    [m.deviceType, deviceType],
    [m.ci, ci],
  ] as const) {
    if (want === undefined) continue;
    if (want !== got) return -1;
    s++;
  }
  return s;
}

/** Drivers by manufacturer; `find` returns the most specific match (first registered on a tie). */
export class DriverRegistry {
  readonly #byManufacturer = new Map<string, Driver[]>();

  register(driver: Driver): this {
    if (driver.matches.length === 0) throw new RangeError(`driver ${driver.name} matches nothing`);
    for (const m of new Set(driver.matches.map((x) => x.manufacturer))) {
      const list = this.#byManufacturer.get(m) ?? [];
      if (!list.includes(driver)) list.push(driver);
      this.#byManufacturer.set(m, list);
    }
    return this;
  }

  find(manufacturer: string, version: number, deviceType: number, ci: number): Driver | undefined {
    const list = this.#byManufacturer.get(manufacturer);
    if (list === undefined) return undefined;
    let best: Driver | undefined;
    let bestScore = -1;
    for (const d of list) {
      for (const m of d.matches) {
        const s = score(m, manufacturer, version, deviceType, ci);
        if (s > bestScore) {
          best = d;
          bestScore = s;
        }
      }
    }
    return best;
  }

  get size(): number {
    const all = new Set<Driver>();
    for (const list of this.#byManufacturer.values()) for (const d of list) all.add(d);
    return all.size;
  }
}

/** The registry the decoder uses unless told otherwise: the built-in drivers (builtin.ts). */
export const defaultDrivers = builtinDrivers.reduce((r, d) => r.register(d), new DriverRegistry());
