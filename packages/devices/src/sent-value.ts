/**
 * What a simulated meter reports it sent: one line of the `--sent-log` JSONL file per value, so a
 * test can compare what the gateway stored (and the EMT received) with what the meter sent.
 * Channels are OBIS hex as in docs/wire-protocols.md ("Meter IDs and channels").
 */
import type { Medium, Quantity, RegisterValue } from './consumption.js';

export interface SentValue {
  /** `<manufacturer>-<serial>` for wM-Bus meters; free for SML meters. */
  readonly meterId: string;
  /** OBIS as 12 lower-case hex digits. */
  readonly obis: string;
  /** The integer as sent, in decimal. */
  readonly value: string;
  /** Decimal exponent: the physical value is value × 10^scaler `unit`. */
  readonly scaler: number;
  readonly unit: string;
  /** wM-Bus: the AFL message counter of the telegram; SML: the file number. */
  readonly counter: number;
  /** When the meter sent it (ISO 8601 UTC). */
  readonly sentAt: string;
}

/** The OBIS channel of a register of a medium (the gateway's lmn/obis-map.ts uses the same table). */
const OBIS: Readonly<Record<Medium, Partial<Record<Quantity, string>>>> = {
  electricity: { energy: '0100010800ff', power: '0100100700ff' },
  gas: { volume: '0700030000ff' },
  water: { volume: '0800010000ff' },
  heat: { energy: '0600010000ff', volume: '0600020000ff' },
};

export function obisOf(medium: Medium, quantity: Quantity): string {
  const obis = OBIS[medium][quantity];
  if (obis === undefined) throw new Error(`no OBIS channel for ${medium} ${quantity}`);
  return obis;
}

export function sentValuesOf(
  meterId: string,
  medium: Medium,
  values: readonly RegisterValue[],
  counter: number,
  sentAtMs: number,
): SentValue[] {
  const sentAt = new Date(sentAtMs).toISOString();
  return values.map((v) => ({
    meterId,
    obis: obisOf(medium, v.quantity),
    value: String(v.value),
    scaler: v.scaler,
    unit: v.unit,
    counter,
    sentAt,
  }));
}
