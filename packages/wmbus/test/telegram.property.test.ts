/**
 * Property tests of the frame layers and the pipeline (link layer, ELL, AFL, transport layer,
 * security, encoder): hostile input never throws anything but an SmgwError, `decodeToReport`
 * never throws, and decode(encode(x)) = x at the frame level (application layer as raw bytes).
 *
 * Inputs per CI run (the issue asks for ≥ 100,000 random and mutated inputs per codec):
 *   random frames 40,000 · mutated valid frames 60,000 · round trips 20,000 · fragments 5,000.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSmgwError, toHex } from '@opensmgw/core';
import fc from 'fast-check';
import { type EncodeTelegramInput, encodeTelegram, encodeTelegramFrames, plaintextOf } from '../src/encode.js';
import { WmbusError } from '../src/errors.js';
import { decodeToJsonLine, decodeToReport, stringifyReport } from '../src/report.js';
import { type DecodeOptions, DecoderState, decodeTelegram } from '../src/telegram.js';

const RUNS = { random: 40_000, mutated: 60_000, roundTrip: 20_000, fragments: 5_000 };

const KEY = Uint8Array.from({ length: 16 }, (_, i) => i * 17 + 3);

const letter = fc.integer({ min: 65, max: 90 }).map((c) => String.fromCharCode(c));
/** Addresses; radio-converter device types are left out (their identity can come from the APL). */
const address = fc.record({
  manufacturer: fc.tuple(letter, letter, letter).map((t) => t.join('')),
  id: fc.uint8Array({ minLength: 4, maxLength: 4 }).map((b) => toHex(b)),
  version: fc.integer({ min: 0, max: 255 }),
  deviceType: fc.integer({ min: 0, max: 255 }).filter((t) => t !== 0x36 && t !== 0x37),
});

/** Encoder inputs that the encoder accepts (or rejects with SMGW_WMBUS_ENCODE when too long). */
const input: fc.Arbitrary<EncodeTelegramInput> = fc
  .record({
    format: fc.constantFrom('A', 'B', 'stripped', 'wired' as const),
    cField: fc.constantFrom(0x44, 0x46, 0x08, 0x53),
    address,
    tplAddress: address,
    ci: fc.constantFrom(0x72, 0x7a, 0x78),
    mode: fc.constantFrom(0, 5, 7),
    accessNumber: fc.integer({ min: 0, max: 255 }),
    status: fc.integer({ min: 0, max: 255 }),
    configFlags: fc.constantFrom(0, 0x2000, 0x8000, 0xc000, 0x0004),
    ell: fc.option(
      fc.record({
        ci: fc.constantFrom(0x8c, 0x8d, 0x8e, 0x8f),
        cc: fc.integer({ min: 0, max: 255 }),
        partner: address,
        sessionNumber: fc.integer({ min: 0, max: 0x1fffffff }),
        encrypt: fc.boolean(),
      }),
      { nil: undefined },
    ),
    afl: fc.option(
      fc.record({
        counter: fc.integer({ min: 0, max: 0xffffffff }),
        authType: fc.constantFrom(0, 3, 4, 5, 6, 7),
        keyInfo: fc.option(fc.integer({ min: 0, max: 0xffff }), { nil: undefined }),
        includeLength: fc.boolean(),
      }),
      { nil: undefined },
    ),
    apl: fc.uint8Array({ maxLength: 120 }),
    tail: fc.uint8Array({ maxLength: 10 }),
  })
  .map((r): EncodeTelegramInput => {
    const wired = r.format === 'wired';
    // A wired frame carries its address in a long header; modes 5/7 need a header and an address.
    const ci = wired && r.mode !== 0 ? 0x72 : r.mode !== 0 && r.ci === 0x78 ? 0x7a : r.ci;
    const mode = r.mode as 0 | 5 | 7;
    const afl =
      r.afl ??
      (mode === 7 ? { counter: 1, authType: 5 as const, includeLength: false, keyInfo: undefined } : undefined);
    const ellCi = r.ell?.ci;
    return {
      format: r.format,
      cField: r.cField,
      ...(wired ? {} : { address: r.address }),
      ...(r.ell && !wired && ellCi !== undefined
        ? {
            ell: {
              ci: ellCi,
              cc: r.ell.cc,
              ...(ellCi === 0x8e || ellCi === 0x8f ? { address: r.ell.partner } : {}),
              ...(ellCi === 0x8d || ellCi === 0x8f
                ? { sessionNumber: r.ell.sessionNumber, encrypt: r.ell.encrypt }
                : {}),
            },
          }
        : {}),
      ...(afl
        ? {
            afl: {
              counter: afl.counter,
              authType: afl.authType as 0 | 3 | 4 | 5 | 6 | 7,
              includeLength: afl.includeLength,
              ...(afl.keyInfo !== undefined ? { keyInfo: afl.keyInfo } : {}),
            },
          }
        : {}),
      tpl: {
        ci,
        ...(ci === 0x72 ? { address: r.tplAddress } : {}),
        ...(ci !== 0x78 ? { accessNumber: r.accessNumber, status: r.status, configFlags: r.configFlags, mode } : {}),
      },
      apl: r.apl,
      ...(mode !== 0 ? { aplPlainTail: r.tail } : {}),
      key: KEY,
    };
  });

/** Encodes, or returns null for inputs the encoder rightly refuses (frame too long). */
function tryEncode(x: EncodeTelegramInput): Uint8Array | null {
  try {
    return encodeTelegram(x);
  } catch (e) {
    if (e instanceof WmbusError && e.code === 'SMGW_WMBUS_ENCODE') return null;
    throw e;
  }
}

/** Decodes and lets only SmgwErrors through; also checks the report path never throws. */
function decodeHostile(frame: Uint8Array, options: DecodeOptions): void {
  try {
    decodeTelegram(frame, options);
  } catch (e) {
    if (!isSmgwError(e)) throw e;
    if ((e as { code: string }).code === 'SMGW_CORE_INTERNAL') throw e;
  }
  const r = decodeToReport(frame, options);
  assert.equal(typeof r.ok, 'boolean');
  if (!r.ok) assert.notEqual(r.error?.code, 'SMGW_CORE_INTERNAL', r.error?.message);
  // The fast serialiser of the JSONL decoder writes exactly what JSON.stringify would.
  assert.equal(stringifyReport(r), JSON.stringify(r));
  if (options.state === undefined) assert.equal(decodeToJsonLine(frame, options), JSON.stringify(r));
}

const options = fc.record({
  key: fc.constantFrom(null, KEY),
  simulatedPlaintext: fc.boolean(),
  explain: fc.boolean(),
  frameFormat: fc.constantFrom('auto', 'auto', 'auto', 'A', 'B', 'stripped', 'wired' as const),
});

describe('wM-Bus frames: property tests', () => {
  it(`random bytes never throw anything but SmgwError (${RUNS.random} runs)`, () => {
    const state = new DecoderState();
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          // plausible starts: an L field matching the length, or a wired start
          fc.uint8Array({ minLength: 11, maxLength: 255 }).map((b) => {
            b[0] = b.length - 1;
            return b;
          }),
          fc
            .uint8Array({ minLength: 3, maxLength: 250 })
            .map((b) => Uint8Array.from([0x68, b.length + 2, b.length + 2, 0x68, 0x08, 0xfd, ...b, 0, 0x16])),
        ),
        options,
        (frame, o) => decodeHostile(frame, { ...o, state }),
      ),
      { numRuns: RUNS.random },
    );
  });

  it(`mutated valid frames never throw anything but SmgwError (${RUNS.mutated} runs)`, () => {
    const state = new DecoderState();
    const mutation = fc.oneof(
      fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
      fc.record({ kind: fc.constant('byte' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('length' as const), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    );
    fc.assert(
      fc.property(input, fc.array(mutation, { minLength: 1, maxLength: 3 }), options, (x, ms, o) => {
        const valid = tryEncode(x);
        if (valid === null) return;
        let f = Array.from(valid);
        for (const m of ms) {
          const at = 'at' in m ? m.at % Math.max(1, f.length) : 0;
          if (m.kind === 'flip') f[at] = (f[at] ?? 0) ^ (1 << m.bit);
          else if (m.kind === 'byte') f[at] = m.value;
          else if (m.kind === 'truncate') f = f.slice(0, at);
          else if (m.kind === 'insert') f.splice(at, 0, m.value);
          else if (f.length > 0) {
            // the L field (or the wired L fields)
            f[f[0] === 0x68 ? 1 : 0] = m.value;
          }
        }
        decodeHostile(Uint8Array.from(f), { ...o, state });
      }),
      { numRuns: RUNS.mutated },
    );
  });

  it(`decode(encode(x)) = x for every layer (${RUNS.roundTrip} runs)`, () => {
    fc.assert(
      fc.property(input, (x) => {
        const frame = tryEncode(x);
        if (frame === null) return;
        const t = decodeTelegram(frame, { key: KEY, skipRecords: true, frameFormat: x.format });
        assert.equal(t.dll.format, x.format);
        if (t.dll.kind === 'wireless') {
          assert.equal(t.dll.cField, x.cField);
          assert.deepEqual(
            [t.dll.manufacturer, t.dll.id, t.dll.version, t.dll.deviceType],
            [x.address?.manufacturer, x.address?.id, x.address?.version, x.address?.deviceType],
          );
        }
        const meter = x.tpl.address ?? x.address ?? null;
        assert.deepEqual(
          t.meter && [t.meter.manufacturer, t.meter.id, t.meter.version, t.meter.deviceType],
          meter && [meter.manufacturer, meter.id, meter.version, meter.deviceType],
        );
        if (x.ell) {
          assert.equal(t.ell?.ci, x.ell.ci);
          assert.equal(t.ell?.cc, x.ell.cc);
          assert.equal(t.ell?.address?.id, x.ell.address?.id);
          if (x.ell.sessionNumber !== undefined)
            assert.equal((t.ell?.sessionNumber ?? 0) & 0x1fffffff, x.ell.sessionNumber);
        } else assert.equal(t.ell, null);
        if (x.afl) {
          assert.equal(t.afl?.counter, x.afl.counter);
          assert.equal(t.afl?.keyInfo, x.afl.keyInfo ?? null);
          assert.equal(t.afl?.mac?.length ?? 0, [0, 0, 0, 2, 4, 8, 12, 16][x.afl.authType ?? 5]);
        } else assert.equal(t.afl, null);
        assert.equal(t.tpl?.ci, x.tpl.ci);
        const mode = x.tpl.mode ?? 0;
        assert.equal(t.security.mode, mode);
        if (x.tpl.ci !== 0x78) {
          assert.equal(t.accessNumber, x.tpl.accessNumber);
          assert.equal(t.tpl?.status, x.tpl.status);
        }
        const expectedApl = mode === 0 ? x.apl : Uint8Array.from([...plaintextOf(x.apl), ...(x.aplPlainTail ?? [])]);
        assert.equal(toHex(t.apl), toHex(expectedApl));
        assert.equal(t.security.decrypted, mode !== 0 || x.ell?.encrypt === true);
        assert.equal(t.security.mac, mode === 7 && (x.afl?.authType ?? 5) !== 0 ? 'verified' : 'absent');
      }),
      { numRuns: RUNS.roundTrip },
    );
  });

  it(`fragmented messages reassemble to the same plaintext (${RUNS.fragments} runs)`, () => {
    fc.assert(
      fc.property(
        address,
        fc.uint8Array({ minLength: 1, maxLength: 200 }),
        fc.integer({ min: 8, max: 80 }),
        fc.integer({ min: 0, max: 0xffffffff }),
        (addr, apl, fragmentSize, counter) => {
          const frames = encodeTelegramFrames({
            format: 'A',
            address: addr,
            afl: { counter, fragmentSize, includeLength: true },
            tpl: { ci: 0x7a, mode: 7 },
            apl,
            key: KEY,
          });
          const state = new DecoderState();
          let last = null;
          for (const f of frames) last = decodeTelegram(f, { key: KEY, state, skipRecords: true });
          assert.ok(last);
          assert.equal(last.fragment === null ? frames.length === 1 : last.fragment.complete, true);
          assert.equal(last.security.mac, 'verified');
          assert.equal(toHex(last.apl), toHex(plaintextOf(apl)));
          assert.equal(state.pendingFragments, 0);
        },
      ),
      { numRuns: RUNS.fragments },
    );
  });
});
