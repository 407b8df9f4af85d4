/**
 * Property tests of the built-in drivers: fed random and mutated inputs, a driver never throws
 * anything but an SmgwError (the built-in ones throw nothing at all), and every record it makes
 * has a contract unit and a finite number, a string or null as its value. The same through the
 * whole pipeline with mutated corpus telegrams of every driver's meters.
 *
 * Inputs per run: 10,000 direct calls per built-in driver (13 drivers: 130,000), 10,000 for the
 * real-data unscrambler with headers of any length, and 20,000 mutated telegrams.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, isSmgwError, toHex } from '@opensmgw/core';
import fc from 'fast-check';
import { builtinDrivers } from '../../src/drivers/builtin.js';
import { decodeDiehlRealData } from '../../src/drivers/diehl-real-data.js';
import type { Driver, DriverInput } from '../../src/drivers/driver.js';
import type { DataRecord } from '../../src/records.js';
import { decodeTelegram } from '../../src/telegram.js';

const RUNS = { direct: 10_000, pipeline: 20_000 };

const CONTRACT_UNITS = new Set([
  '',
  'Wh',
  'J',
  'm3',
  'kg',
  'W',
  'J/h',
  'm3/h',
  'kg/h',
  '°C',
  'K',
  'bar',
  's',
  'V',
  'A',
  'HCA',
  'date',
  'datetime',
]);

function checkRecords(records: readonly DataRecord[]): void {
  for (const r of records) {
    assert.ok(CONTRACT_UNITS.has(r.unit), `unit ${r.unit}`);
    if (typeof r.value === 'number') assert.ok(Number.isFinite(r.value), `${r.quantity}: ${r.value}`);
    else assert.ok(r.value === null || typeof r.value === 'string');
  }
}

function callDriver(d: Driver, input: DriverInput): void {
  try {
    checkRecords(d.decode(input).records);
  } catch (e) {
    if (e instanceof assert.AssertionError) throw e;
    assert.ok(isSmgwError(e), `driver ${d.name} threw ${String(e)}`);
  }
}

const bytes = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
const hexOf = (max: number) => bytes(max).map((b) => toHex(b));

/** DIB/VIB pairs the drivers look for, and a few they must ignore. */
const KEYS = [
  ['0D', 'FF5F'],
  ['03', '6E'],
  ['849010', 'FF80843B'],
  ['8410', 'FF842B'],
  ['848020', 'FF8748'],
  ['84B010', 'FF8F21'],
  ['82B010', 'FF8C2B'],
  ['04', '13'],
  ['', ''],
] as const;

/** A walk-by-sized payload whose unit byte is often a real VIF. */
const walkBy = fc
  .tuple(fc.uint8Array({ minLength: 53, maxLength: 53 }), fc.constantFrom(0x13, 0x05, 0x0d, 0x6e, 0x3b, 0xfd, 0x00))
  .map(([b, vif]) => {
    b[9] = vif;
    return toHex(b);
  });

/** Records shaped like the ones drivers look for, with hostile contents. */
const record: fc.Arbitrary<DataRecord> = fc
  .record({
    key: fc.constantFrom(...KEYS),
    storage: fc.nat(40),
    tariff: fc.nat(10),
    subunit: fc.nat(3),
    function: fc.constantFrom('instantaneous', 'maximum', 'minimum', 'error' as const),
    quantity: fc.constantFrom('manufacturer specific', 'volume'),
    value: fc.oneof(fc.constant(null), fc.double(), hexOf(8), hexOf(60), walkBy, fc.string({ maxLength: 12 })),
  })
  .map((r) => ({
    dif: r.key[0],
    vif: r.key[1],
    storage: r.storage,
    tariff: r.tariff,
    subunit: r.subunit,
    function: r.function,
    quantity: r.quantity,
    unit: '',
    value: r.value,
  }));

/** Manufacturer data that often starts with a layout byte a driver knows. */
const manufacturerData = fc
  .tuple(bytes(90), fc.constantFrom(0x10, 0x11, 0x15, 0x95, 0x8f, 0x01, 0x02, -1))
  .map(([b, first]) => {
    if (first >= 0 && b.length > 0) b[0] = first;
    return b;
  });

function inputFor(d: Driver): fc.Arbitrary<DriverInput> {
  return fc
    .record({
      match: fc.constantFrom(...d.matches),
      id: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => toHex(b)),
      version: fc.nat(255),
      deviceType: fc.nat(255),
      ci: fc.nat(255),
      useMatch: fc.boolean(),
      securityMode: fc.constantFrom(0, 5, 7, 21),
      linkHeader: fc.option(fc.uint8Array({ minLength: 9, maxLength: 9 }), { nil: null }),
      transportHeader: bytes(13),
      apl: bytes(120),
      plaintext: fc.boolean(),
      records: fc.array(record, { maxLength: 6 }),
      manufacturerData: fc.option(manufacturerData, { nil: null }),
      key: fc.option(bytes(20), { nil: null }),
    })
    .map((x) => ({
      manufacturer: x.match.manufacturer,
      id: x.id,
      version: x.useMatch ? (x.match.version ?? x.version) : x.version,
      deviceType: x.useMatch ? (x.match.deviceType ?? x.deviceType) : x.deviceType,
      ci: x.useMatch ? (x.match.ci ?? x.ci) : x.ci,
      securityMode: x.securityMode,
      linkHeader: x.linkHeader,
      transportHeader: x.transportHeader,
      apl: x.apl,
      plaintext: x.plaintext,
      records: x.records,
      manufacturerData: x.manufacturerData,
      key: x.key,
    }));
}

/** One corpus telegram (wmbusmeters test corpus) per driver format, mutated below. */
const SEEDS = [
  '49449344123456781606780DFF5F3500824E00007F0007C113FFFF63961300DF2C82731200FE2463811300A400F200D100A900DD00E000E90006011601EA0027010F012F046D0211F225',
  '2944A511780729662366A20118001378D3B3DB8CEDD77731F25832AAF3DA8CADF9774EA673172E8C61F2',
  '4944B4092243658713077A7F0000000C1363020400046D242C12360F950A24042507000000A405006E0700850900CA0B004A0E00FFFFFFFFFFFF020000020000250000B3010095030000',
  '5144B0095209009385088C20807A800040252F2F036E540200436ED90800426C3F3C0F1100009924293400003713DF08BC163633960E8208D401D90879076006DA080809DA08E537000A3500DF1201830900',
  '685C5C6808017278563412A52566020300000082B010FF8B28EB0282B010FF8C2B01008410FF8D2B070000008410FF8E2B691D00008420FF8E2BC50D000084B010FF8F21BB260C008410FF8F215A1C0C008420FF8F21610A00000F00000000006216',
  '4E4401062020202505077AEF0040852F2F0F07112294100200436103848B745953486C0910000010819202007501F1800200E5640200534A02003431020080150200D9000200A0DC939703FFFFA434',
  '1C441486069C14000F0FA042F214000040030000000005FF0472BF1400',
  '25441486323737370408B60AFFFFF5450186F41B9D58A0A100007809000000001F2D6416C819',
  '37446850792055673943A2109F2F13C500608F1D00008066E8A69B26988D335F6411450C564C5145145CA0F1DA35B9DD37A1936BBF3D31D8',
  '2F446850313233347462A2069F255900B029310000000306060906030609070606050509050505050407040605070500',
  '1E44496A677308500B167AD80010252F2F0F0000000080BF1B0000A6420000',
  '3944E61E46441510020E8C04427250076819E61E3C07B10020452F2F03748B05000413DC690D004413A4630D00426C213C02FD74B5140F0100E3',
].map(fromHex);

const mutated: fc.Arbitrary<Uint8Array> = fc
  .record({
    seed: fc.constantFrom(...SEEDS),
    edits: fc.array(
      fc.record({ at: fc.nat(200), kind: fc.constantFrom('flip', 'set', 'cut', 'insert'), byte: fc.nat(255) }),
      { minLength: 1, maxLength: 4 },
    ),
  })
  .map(({ seed, edits }) => {
    let b = Uint8Array.from(seed);
    for (const e of edits) {
      const at = e.at % Math.max(1, b.length);
      if (e.kind === 'flip') b[at] = (b[at] as number) ^ (1 << (e.byte % 8));
      else if (e.kind === 'set') b[at] = e.byte;
      else if (e.kind === 'cut') b = b.subarray(0, Math.max(11, at));
      else b = Uint8Array.from([...b.subarray(0, at), e.byte, ...b.subarray(at)]);
    }
    // keep the L field consistent with the new length so that the bytes reach the drivers
    if (b[0] !== 0x68 && b.length > 0) b[0] = (b.length - 1) & 0xff;
    return b;
  });

describe('built-in drivers: hostile input', () => {
  for (const d of builtinDrivers) {
    it(`${d.name}: random and mutated inputs never throw a non-SmgwError, records are well formed`, () => {
      fc.assert(
        fc.property(inputFor(d), (input) => callDriver(d, input)),
        { numRuns: RUNS.direct },
      );
    });
  }

  it('mutated corpus telegrams through the pipeline throw nothing but SmgwError', () => {
    fc.assert(
      fc.property(mutated, fc.boolean(), (frame, plain) => {
        try {
          const t = decodeTelegram(frame, { simulatedPlaintext: plain });
          checkRecords(t.records);
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          assert.ok(isSmgwError(e), String(e));
        }
      }),
      { numRuns: RUNS.pipeline },
    );
  });

  it('decodeDiehlRealData (behind the diehl-real-data driver): random frames never throw a non-SmgwError', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.uint8Array({ minLength: 13, maxLength: 13 }), bytes(16)),
        bytes(120),
        fc.option(bytes(16), { nil: null }),
        (header, payload, key) => {
          try {
            const out = decodeDiehlRealData(header, payload, key);
            if (out !== null) checkRecords(out.records);
          } catch (e) {
            if (e instanceof assert.AssertionError) throw e;
            assert.ok(isSmgwError(e), String(e));
          }
        },
      ),
      { numRuns: RUNS.direct },
    );
  });

  it('lists every driver once, each with at least one match', () => {
    assert.equal(new Set(builtinDrivers.map((d) => d.name)).size, builtinDrivers.length);
    for (const d of builtinDrivers) assert.ok(d.matches.length > 0, d.name);
  });
});
