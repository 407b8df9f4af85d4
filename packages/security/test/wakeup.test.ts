import assert from 'node:assert/strict';
import { sign as nodeSign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import { CURVE_NAMES, CURVES, type HashName } from '../src/curves.js';
import { derToRawSignature, type EcPublicKey } from '../src/ec-keys.js';
import { WakeupError } from '../src/errors.js';
import { SoftwareSecurityModule } from '../src/module/software-module.js';
import {
  assembleWakeupPacket,
  DEFAULT_WAKEUP_WINDOW_MS,
  decodeWakeupPacket,
  encodeWakeupBody,
  SMS_MAX_OCTETS,
  signWakeupPacket,
  WakeupVerifier,
  wakeupPacketLength,
} from '../src/wakeup/index.js';
import { opensslSelfSigned } from './pki-openssl.js';

const GW = 'EOSM0100000001';
const T0 = Date.parse('2026-03-01T12:00:00Z');
const MIN5 = 5 * 60 * 1000;

/** The verifier's answer: 'accepted' or the WakeupError code. */
function outcome(v: WakeupVerifier, bytes: Uint8Array): string {
  try {
    v.verify(bytes);
  } catch (e) {
    assert.ok(e instanceof WakeupError, `expected WakeupError, got ${String(e)}`);
    return e.code;
  }
  return 'accepted';
}

describe('wake-up packets', () => {
  let module: SoftwareSecurityModule;
  let gwa: EcPublicKey;
  let gwaP256: EcPublicKey;
  let stranger: EcPublicKey;

  before(async () => {
    module = await SoftwareSecurityModule.open();
    gwa = await module.generateKeyPair('wan-sig', 'brainpoolP256r1');
    gwaP256 = await module.generateKeyPair('gwa-p256', 'P-256');
    stranger = await module.generateKeyPair('stranger', 'brainpoolP256r1');
    await module.generateKeyPair('gwa-bp384', 'brainpoolP384r1');
    await module.generateKeyPair('gwa-bp512', 'brainpoolP512r1');
  });

  const verifier = (clock: FakeClock, extra: Partial<ConstructorParameters<typeof WakeupVerifier>[0]> = {}) =>
    new WakeupVerifier({ gatewayId: GW, gwaSignatureKeys: [gwa, gwaP256.spki], clock, ...extra });
  const packet = (timestampMs = T0, sequence = 1n, gatewayId = GW, slot = 'wan-sig') =>
    signWakeupPacket(module, slot, { gatewayId, timestampMs, sequence });

  it('accepts a valid brainpoolP256r1 packet: 98 bytes (fits an SMS), fields returned, state updated', async () => {
    const bytes = await packet(T0 - 1234, 7n);
    assert.equal(bytes.length, 98);
    assert.ok(bytes.length <= SMS_MAX_OCTETS);
    assert.deepEqual([...bytes.subarray(0, 4)], [0x57, 0x55, 0x01, 0x11]);
    const v = verifier(new FakeClock(T0));
    assert.equal(v.exportState(), undefined);
    const p = v.verify(bytes);
    assert.equal(p.gatewayId, GW);
    assert.equal(p.timestampMs, T0 - 1234);
    assert.equal(p.sequence, 7n);
    assert.equal(p.curve, 'brainpoolP256r1');
    assert.equal(p.hash, 'SHA-256');
    assert.deepEqual(v.exportState(), { lastTimestampMs: T0 - 1234, lastSequence: '7' });
  });

  it('works on P-256 and the other curves; sizes per curve (brainpoolP512r1 exceeds one SMS)', async () => {
    const clock = new FakeClock(T0);
    const sizes: Record<string, number> = {};
    for (const [slot, curve] of [
      ['gwa-p256', 'P-256'],
      ['gwa-bp384', 'brainpoolP384r1'],
      ['gwa-bp512', 'brainpoolP512r1'],
    ] as const) {
      const key = await module.publicKey(slot);
      const bytes = await packet(T0, 1n, GW, slot);
      assert.equal(bytes.length, wakeupPacketLength(curve));
      sizes[curve] = bytes.length;
      const p = new WakeupVerifier({ gatewayId: GW, gwaSignatureKeys: [key], clock }).verify(bytes);
      assert.equal(p.curve, curve);
      assert.equal(p.hash, CURVES[curve].hash);
    }
    assert.deepEqual(sizes, { 'P-256': 98, brainpoolP384r1: 130, brainpoolP512r1: 162 });
    assert.ok(sizes.brainpoolP512r1! > SMS_MAX_OCTETS);
  });

  it('signs with a non-default hash when asked (brainpoolP256r1 + SHA-512)', async () => {
    const bytes = await signWakeupPacket(
      module,
      'wan-sig',
      { gatewayId: GW, timestampMs: T0, sequence: 1n },
      'SHA-512',
    );
    assert.equal(bytes[3], 0x13);
    assert.equal(verifier(new FakeClock(T0)).verify(bytes).hash, 'SHA-512');
  });

  it('rejects a packet for another gateway; compares IDs without case', async () => {
    const v = verifier(new FakeClock(T0));
    assert.equal(outcome(v, await packet(T0, 1n, 'EOSM0100000002')), 'SMGW_WAKEUP_WRONG_RECIPIENT');
    assert.equal(v.exportState(), undefined);
    assert.equal(outcome(v, await packet(T0, 2n, 'eosm0100000001')), 'accepted');
  });

  it('accepts timestamps exactly ±5 min from now and rejects ±(5 min + 1 ms) (window inclusive)', async () => {
    assert.equal(DEFAULT_WAKEUP_WINDOW_MS, MIN5);
    const clock = new FakeClock(T0);
    const cases: [number, string][] = [
      [T0 - MIN5 - 1, 'SMGW_WAKEUP_STALE'],
      [T0 - MIN5, 'accepted'],
      [T0 + MIN5, 'accepted'],
      [T0 + MIN5 + 1, 'SMGW_WAKEUP_STALE'],
    ];
    for (const [ts, expected] of cases) {
      const bytes = await packet(ts);
      assert.equal(outcome(verifier(clock), bytes), expected, `timestamp now${ts - T0 >= 0 ? '+' : ''}${ts - T0}`);
    }
    // The window is configurable.
    const narrow = verifier(clock, { windowMs: 1000 });
    assert.equal(outcome(narrow, await packet(T0 + 1001)), 'SMGW_WAKEUP_STALE');
    assert.equal(outcome(narrow, await packet(T0 + 1000)), 'accepted');
  });

  it('rejects a replay, an older sequence in the same millisecond, and an older timestamp', async () => {
    const clock = new FakeClock(T0);
    const v = verifier(clock);
    const first = await packet(T0, 10n);
    v.verify(first);
    assert.equal(outcome(v, first), 'SMGW_WAKEUP_REPLAY');
    assert.equal(outcome(v, await packet(T0, 9n)), 'SMGW_WAKEUP_REPLAY');
    assert.equal(outcome(v, await packet(T0 - 1, 99n)), 'SMGW_WAKEUP_REPLAY');
    assert.equal(outcome(v, await packet(T0, 11n)), 'accepted');
    clock.advance(1);
    assert.equal(outcome(v, await packet(T0 + 1, 0n)), 'accepted');
    assert.deepEqual(v.exportState(), { lastTimestampMs: T0 + 1, lastSequence: '0' });
  });

  it('rejects a signature by an unknown key and by a key on a curve with no configured key', async () => {
    const v = verifier(new FakeClock(T0));
    const foreign = await packet(T0, 1n, GW, 'stranger');
    assert.equal(outcome(v, foreign), 'SMGW_WAKEUP_BAD_SIGNATURE');
    const only384 = new WakeupVerifier({ gatewayId: GW, gwaSignatureKeys: [stranger], clock: new FakeClock(T0) });
    try {
      only384.verify(await packet(T0, 1n, GW, 'gwa-bp384'));
      assert.fail('accepted');
    } catch (e) {
      assert.ok(e instanceof WakeupError);
      assert.equal(e.code, 'SMGW_WAKEUP_BAD_SIGNATURE');
      assert.equal(e.detail.reason, 'no-key');
    }
    assert.equal(v.exportState(), undefined);
  });

  it('a rejected far-future packet does not change the replay state', async () => {
    const clock = new FakeClock(T0);
    const v = verifier(clock);
    // Forged: a genuine body for +4 min with the signature of another key.
    const body = encodeWakeupBody({
      gatewayId: GW,
      timestampMs: T0 + 4 * 60_000,
      sequence: 0n,
      curve: 'brainpoolP256r1',
      hash: 'SHA-256',
    });
    const forged = assembleWakeupPacket(body, derToRawSignature(await module.sign('stranger', body, 'SHA-256'), 32));
    assert.equal(outcome(v, forged), 'SMGW_WAKEUP_BAD_SIGNATURE');
    assert.equal(v.exportState(), undefined);
    assert.equal(outcome(v, await packet(T0, 5n)), 'accepted');
  });

  it('any single flipped bit anywhere gives a typed error, never acceptance', async () => {
    const bytes = await packet(T0, 3n);
    const v = verifier(new FakeClock(T0));
    const codes = new Map<string, number>();
    for (let i = 0; i < bytes.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const m = bytes.slice();
        m[i]! ^= 1 << bit;
        const code = outcome(v, m);
        assert.notEqual(code, 'accepted', `byte ${i} bit ${bit}`);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
    }
    assert.equal(v.exportState(), undefined);
    // Every check is reached by some flip.
    for (const c of [
      'SMGW_WAKEUP_MALFORMED',
      'SMGW_WAKEUP_WRONG_RECIPIENT',
      'SMGW_WAKEUP_STALE',
      'SMGW_WAKEUP_BAD_SIGNATURE',
    ]) {
      assert.ok((codes.get(c) ?? 0) > 0, `no flip produced ${c}: ${JSON.stringify([...codes])}`);
    }
    assert.equal(v.verify(bytes).sequence, 3n);
  });

  it('exports and restores the replay state (a restart keeps rejecting replays)', async () => {
    const clock = new FakeClock(T0);
    const a = verifier(clock);
    const p = await packet(T0, 42n);
    a.verify(p);
    const saved = JSON.parse(JSON.stringify(a.exportState()));
    const b = verifier(clock, { state: saved });
    assert.equal(outcome(b, p), 'SMGW_WAKEUP_REPLAY');
    const c = verifier(clock);
    c.restoreState(saved);
    assert.equal(outcome(c, p), 'SMGW_WAKEUP_REPLAY');
    for (const bad of [
      { lastTimestampMs: -1, lastSequence: '0' },
      { lastTimestampMs: 1.5, lastSequence: '0' },
      { lastTimestampMs: 0, lastSequence: '-1' },
      { lastTimestampMs: 0, lastSequence: '18446744073709551616' },
      { lastTimestampMs: 0, lastSequence: 'x' },
      null,
    ]) {
      assert.throws(
        () => c.restoreState(bad as never),
        (e: unknown) => e instanceof WakeupError && e.code === 'SMGW_WAKEUP_BAD_ARGUMENT',
      );
    }
  });

  describe('with a GWA certificate instead of a key', () => {
    let dir: string;
    let certDer: Uint8Array;
    let keyPem: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'wakeup-test-'));
      const made = opensslSelfSigned({ curve: 'brainpoolP256r1', subject: '/CN=GWA.SIG', days: 30, dir, der: true });
      certDer = new Uint8Array(made.cert);
      keyPem = made.key.toString('utf8');
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    it('verifies with the key taken from the certificate', () => {
      const body = encodeWakeupBody({
        gatewayId: GW,
        timestampMs: T0,
        sequence: 1n,
        curve: 'brainpoolP256r1',
        hash: 'SHA-256',
      });
      const raw = derToRawSignature(new Uint8Array(nodeSign('sha256', body, { key: keyPem, dsaEncoding: 'der' })), 32);
      const v = new WakeupVerifier({ gatewayId: GW, gwaCertificates: [certDer], clock: new FakeClock(T0) });
      assert.equal(v.verify(assembleWakeupPacket(body, raw)).sequence, 1n);
      assert.throws(
        () => new WakeupVerifier({ gatewayId: GW, gwaCertificates: [certDer.subarray(1)], clock: new FakeClock(T0) }),
        (e: unknown) => e instanceof WakeupError && e.code === 'SMGW_WAKEUP_BAD_ARGUMENT',
      );
    });
  });

  it('refuses a configuration without keys, with a bad gateway ID or a bad window', () => {
    const clock = new FakeClock(T0);
    const bad = (cfg: Parameters<typeof verifier>[1] & { gatewayId?: string }) =>
      assert.throws(
        () => new WakeupVerifier({ gatewayId: GW, gwaSignatureKeys: [gwa], clock, ...cfg }),
        (e: unknown) => e instanceof WakeupError && e.code === 'SMGW_WAKEUP_BAD_ARGUMENT',
      );
    bad({ gwaSignatureKeys: [] });
    bad({ gatewayId: 'EOSM01' });
    bad({ gatewayId: 'EOSM010000000!' });
    bad({ windowMs: -1 });
    bad({ windowMs: Number.POSITIVE_INFINITY });
    bad({ gwaSignatureKeys: [new Uint8Array([0x30, 0x00])] });
  });
});

describe('wake-up codec', () => {
  const body = () =>
    encodeWakeupBody({ gatewayId: GW, timestampMs: T0, sequence: 1n, curve: 'brainpoolP256r1', hash: 'SHA-256' });
  const full = () => {
    const b = new Uint8Array(98);
    b.set(body());
    b.fill(1, 34);
    return b;
  };
  const reason = (bytes: unknown) => {
    try {
      decodeWakeupPacket(bytes);
    } catch (e) {
      assert.ok(e instanceof WakeupError);
      assert.equal(e.code, 'SMGW_WAKEUP_MALFORMED');
      return e.detail.reason;
    }
    return 'ok';
  };

  it('names what is malformed', () => {
    const withByte = (i: number, v: number, b = full()) => {
      b[i] = v;
      return b;
    };
    const bigTs = full();
    new DataView(bigTs.buffer).setBigUint64(18, 1n << 53n);
    assert.equal(reason(full()), 'ok');
    assert.equal(reason('WU'), 'type');
    assert.equal(reason(full().subarray(0, 33)), 'length');
    assert.equal(reason(full().subarray(0, 97)), 'length');
    assert.equal(reason(new Uint8Array([...full(), 0])), 'length');
    assert.equal(reason(withByte(0, 0x58)), 'magic');
    assert.equal(reason(withByte(2, 2)), 'version');
    assert.equal(reason(withByte(3, 0x61)), 'algorithm');
    assert.equal(reason(withByte(3, 0x14)), 'algorithm');
    assert.equal(reason(withByte(3, 0x21)), 'length');
    assert.equal(reason(withByte(10, 0x20)), 'gatewayId');
    assert.equal(reason(withByte(10, 0xc3)), 'gatewayId');
    assert.equal(reason(bigTs), 'timestamp');
  });

  it('refuses to encode fields out of range', () => {
    const ok = { gatewayId: GW, timestampMs: T0, sequence: 1n, curve: 'brainpoolP256r1', hash: 'SHA-256' } as const;
    for (const bad of [
      { gatewayId: 'EOSM010000000' },
      { gatewayId: 'EÖSM0100000001' },
      { timestampMs: -1 },
      { timestampMs: 2 ** 53 },
      { timestampMs: 1.5 },
      { sequence: -1n },
      { sequence: 1n << 64n },
      { sequence: 1 },
      { curve: 'secp256k1' },
      { hash: 'SHA-1' },
      { curve: '__proto__' },
    ]) {
      assert.throws(
        () => encodeWakeupBody({ ...ok, ...bad } as never),
        (e: unknown) => e instanceof WakeupError && e.code === 'SMGW_WAKEUP_BAD_ARGUMENT',
        JSON.stringify(bad, (_k, v) => (typeof v === 'bigint' ? `${v}n` : v)),
      );
    }
    assert.throws(() => assembleWakeupPacket(body(), new Uint8Array(63)), WakeupError);
  });

  it('round-trips every field combination (property)', () => {
    const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    // Every DKE/FLAG ID the gateway-id rule allows: E or e, a 3-letter flag, 10 digits.
    const gatewayIdArb = fc
      .tuple(
        fc.constantFrom('E', 'e'),
        fc.string({ unit: fc.constantFrom(...letters), minLength: 3, maxLength: 3 }),
        fc.string({ unit: fc.constantFrom(...'0123456789'), minLength: 10, maxLength: 10 }),
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(
        gatewayIdArb,
        fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
        fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        fc.constantFrom(...CURVE_NAMES),
        fc.constantFrom<HashName>('SHA-256', 'SHA-384', 'SHA-512'),
        fc.uint8Array({ minLength: 128, maxLength: 128 }),
        (gatewayId, timestampMs, sequence, curve, hash, sig) => {
          const fields = { gatewayId, timestampMs, sequence, curve, hash };
          const b = encodeWakeupBody(fields);
          const signature = sig.subarray(0, 2 * CURVES[curve].size);
          const p = decodeWakeupPacket(assembleWakeupPacket(b, signature));
          assert.deepEqual({ ...p }, { ...fields, version: 1, signedBytes: b, signature: new Uint8Array(signature) });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('hostile bytes and mutations of a valid packet give only WakeupError (property)', async () => {
    const module = await SoftwareSecurityModule.open();
    const key = await module.generateKeyPair('wan-sig', 'brainpoolP256r1');
    const valid = await signWakeupPacket(module, 'wan-sig', { gatewayId: GW, timestampMs: T0, sequence: 1n });
    const v = new WakeupVerifier({ gatewayId: GW, gwaSignatureKeys: [key], clock: new FakeClock(T0) });
    const check = (bytes: Uint8Array) => {
      try {
        decodeWakeupPacket(bytes);
      } catch (e) {
        assert.ok(isSmgwError(e) && e instanceof WakeupError, `not a WakeupError: ${String(e)}`);
      }
      v.restoreState(undefined);
      try {
        v.verify(bytes);
        // A mutation may write back the original bytes: only the genuine packet is accepted.
        assert.deepEqual(bytes, valid);
      } catch (e) {
        assert.ok(isSmgwError(e) && e instanceof WakeupError, `not a WakeupError: ${String(e)}`);
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), check), { numRuns: 500 });
    // Structured mutations: overwrite, truncate or extend a valid packet.
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(valid.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 120 }),
        (edits, len) => {
          const m = valid.slice();
          for (const [i, b] of edits) m[i] = b;
          check(m);
          const resized = new Uint8Array(len);
          resized.set(m.subarray(0, Math.min(len, m.length)));
          check(resized);
        },
      ),
      { numRuns: 300 },
    );
  });
});
