/**
 * Shared by the driver tests: decode a corpus telegram through the whole pipeline (default
 * registry, so registration is tested too) and look up the records a driver made.
 */
import assert from 'node:assert/strict';
import { fromHex } from '@opensmgw/core';
import type { DriverInput } from '../../src/drivers/driver.js';
import type { DataRecord } from '../../src/records.js';
import { DecoderState, decodeTelegram, type Telegram } from '../../src/telegram.js';

/**
 * Decodes like the corpus tooling does: public test telegrams that claim encryption but are
 * stored decrypted are taken as plaintext (test-data convention of telegram.ts). Several hex
 * strings are decoded in order with one DecoderState; the last one is returned.
 */
export function decodeCorpus(hex: string | readonly string[], key?: string): Telegram {
  const all = typeof hex === 'string' ? [hex] : hex;
  const state = new DecoderState();
  let t: Telegram | undefined;
  for (const h of all) {
    t = decodeTelegram(fromHex(h), {
      simulatedPlaintext: true,
      state,
      ...(key !== undefined ? { key: fromHex(key) } : {}),
    });
  }
  assert.ok(t);
  return t;
}

/** Records that no DIB/VIB carried: the driver read them from manufacturer bytes. */
export function driverRecords(t: Telegram): DataRecord[] {
  return t.records.filter((r) => r.dif === '');
}

export interface Want {
  readonly quantity: string;
  readonly unit: string;
  readonly value: number | string | null;
  readonly storage?: number;
  readonly function?: DataRecord['function'];
}

/** Asserts that a record with this quantity, unit, storage (default 0) and value exists. */
export function assertRecord(records: readonly DataRecord[], want: Want): void {
  const storage = want.storage ?? 0;
  const same = records.filter(
    (r) =>
      r.quantity === want.quantity &&
      r.unit === want.unit &&
      r.storage === storage &&
      (want.function === undefined || r.function === want.function),
  );
  assert.ok(same.length > 0, `no record "${want.quantity}" [${want.unit}] storage ${storage}`);
  const hit = same.some((r) =>
    typeof want.value === 'number' && typeof r.value === 'number'
      ? Math.abs(r.value - want.value) <= Math.max(1e-9 * Math.abs(want.value), 1e-9)
      : r.value === want.value,
  );
  assert.ok(
    hit,
    `"${want.quantity}" storage ${storage}: want ${want.value}, have ${same.map((r) => r.value).join(', ')}`,
  );
}

export const KWH = 1000;
export const YEAR_S = 31_556_952;

/** A DriverInput for calling a driver directly; fields not given are empty. */
export function driverInput(fields: Partial<DriverInput> & Pick<DriverInput, 'manufacturer'>): DriverInput {
  return {
    id: '12345678',
    version: 0,
    deviceType: 0,
    ci: 0x7a,
    securityMode: 0,
    linkHeader: null,
    transportHeader: Uint8Array.of(0x7a, 0, 0, 0, 0),
    apl: new Uint8Array(0),
    plaintext: true,
    records: [],
    manufacturerData: null,
    key: null,
    ...fields,
  };
}
