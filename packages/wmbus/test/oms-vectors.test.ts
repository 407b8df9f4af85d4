/**
 * The 13 OMS / EN 13757 security vectors (test/fixtures/oms_security_vectors.jsonl, origins in
 * the fixtures README) as unit tests, negative ones included.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { crc16En13757 } from '../src/crc.js';
import { decodeToReport } from '../src/report.js';
import { aesCmac, deriveMode7Keys, ellIv, mode5Iv } from '../src/security.js';
import { decodeTelegram, type Telegram } from '../src/telegram.js';

interface Vector {
  name: string;
  telegram: string | null;
  key: string | null;
  expected: Record<string, unknown>;
}

const vectors: Vector[] = readFileSync(new URL('./fixtures/oms_security_vectors.jsonl', import.meta.url), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .map((l) => JSON.parse(l) as Vector);

const keyOf = (v: Vector) => (v.key ? fromHex(v.key) : null);
const hexOf = (v: unknown) => String(v).replace(/\s.*$/, '').toUpperCase();

/** The 4-byte ID and 2-byte M field the IVs and the KDF of `t` use: the long header's, else the link layer's. */
function meterAddress(t: Telegram): { m: Uint8Array; a: Uint8Array } {
  const long = t.tpl?.long;
  if (long) return { m: long.mBytes, a: long.aBytes };
  if (t.dll.kind !== 'wireless') throw new Error('no address');
  return { m: t.dll.mBytes, a: t.dll.aBytes };
}

describe('OMS security vectors', () => {
  assert.equal(vectors.length, 13);

  for (const [i, v] of vectors.entries()) {
    const e = v.expected;
    if (v.telegram === null) continue;
    it(`#${i} ${v.name}`, () => {
      const t = decodeTelegram(fromHex(v.telegram as string), { key: keyOf(v) });
      if (e['manufacturer'] !== undefined) assert.equal(t.meter?.manufacturer, e['manufacturer']);
      if (e['id'] !== undefined) assert.equal(t.meter?.id, e['id']);
      if (e['version'] !== undefined) assert.equal(t.meter?.version, e['version']);
      if (e['device_type'] !== undefined) assert.equal(t.meter?.deviceType, e['device_type']);
      if (e['access_no'] !== undefined) assert.equal(t.accessNumber, e['access_no']);
      if (v.key !== null && t.security.mode !== 0) assert.equal(t.security.decrypted, true);

      // Plaintext: for an ELL with payload CRC the vector lists CRC || CI || APL.
      if (e['plaintext'] !== undefined) {
        const plain = hexOf(e['plaintext']);
        if (t.ell?.payloadCrc != null) {
          const crc = t.ell.payloadCrc;
          const ci = (t.tpl?.ci ?? 0).toString(16).toUpperCase().padStart(2, '0');
          assert.equal(`${toHex(Uint8Array.of(crc & 0xff, crc >> 8))}${ci}${toHex(t.apl)}`, plain);
        } else {
          assert.equal(toHex(t.apl), plain + String(e['unencrypted_tail'] ?? ''));
        }
      }
      if (e['iv'] !== undefined) {
        const { m, a } = meterAddress(t);
        // ELL: AES-CTR IV; mode 7: zero IV (fresh keys); mode 5: M, A, access number.
        const iv =
          t.ell?.encryption === 'aes-ctr' && t.dll.kind === 'wireless'
            ? ellIv(t.dll.mBytes, t.dll.aBytes, t.ell.cc, fromHex(v.telegram as string).subarray(13, 17))
            : t.security.mode === 7
              ? new Uint8Array(16)
              : mode5Iv(m, a, t.accessNumber ?? 0);
        assert.equal(toHex(iv), hexOf(e['iv']));
      }
      if (e['kenc'] !== undefined || e['kmac'] !== undefined) {
        const { a } = meterAddress(t);
        const k = deriveMode7Keys(keyOf(v) as Uint8Array, t.afl?.counterBytes as Uint8Array, a.subarray(0, 4));
        if (e['kenc'] !== undefined) assert.equal(toHex(k.kEnc), e['kenc']);
        if (e['kmac'] !== undefined) assert.equal(toHex(k.kMac), e['kmac']);
        assert.equal(t.security.mac, 'verified');
      }
      const afl = e['afl'] as Record<string, unknown> | undefined;
      if (afl !== undefined) {
        assert.equal(`0x${(t.afl?.fcl ?? 0).toString(16).toUpperCase().padStart(4, '0')}`, afl['fcl']);
        assert.equal(`0x${(t.afl?.mcl ?? 0).toString(16)}`, afl['mcl']);
        assert.equal(t.afl?.counter, afl['mcr']);
        assert.equal(toHex(t.afl?.mac ?? new Uint8Array(0)), afl['mac']);
      }
      if (e['mac'] !== undefined) assert.equal(toHex(t.afl?.mac ?? new Uint8Array(0)), e['mac']);
      if (e['crc_stripped'] !== undefined) {
        assert.equal(t.dll.format, 'A');
        const s = decodeTelegram(fromHex(String(e['crc_stripped'])), { key: keyOf(v) });
        assert.equal(s.dll.format, 'stripped');
        assert.equal(toHex(s.apl), toHex(t.apl));
        assert.equal(s.meter?.id, t.meter?.id);
      }
      if (e['crc1'] !== undefined) assert.equal(t.dll.format, 'B');

      // Negative vectors.
      if (e['wrong_key'] !== undefined) {
        assert.throws(
          () => decodeTelegram(fromHex(v.telegram as string), { key: fromHex(hexOf(e['wrong_key'])) }),
          (err: Error & { code?: string }) =>
            ['SMGW_WMBUS_DECRYPT', 'SMGW_WMBUS_MAC'].includes(err.code ?? '') && /wrong key/.test(err.message),
        );
      }
      const flip = /flip MAC byte (\d+) \(([0-9A-F]{2})->([0-9A-F]{2})\)/i.exec(String(e['negative_test'] ?? ''));
      if (flip && afl !== undefined) {
        const mac = String(afl['mac']);
        const n = Number(flip[1]);
        const bad = mac.slice(0, 2 * n) + (flip[3] as string) + mac.slice(2 * n + 2);
        const tampered = (v.telegram as string).toUpperCase().replace(mac, bad);
        assert.notEqual(tampered, (v.telegram as string).toUpperCase());
        assert.throws(() => decodeTelegram(fromHex(tampered), { key: keyOf(v) }), {
          code: 'SMGW_WMBUS_MAC',
          message: /wrong key, or counter\/ID mismatch/,
        });
      }
    });
  }

  it('#10 sibling: the same key decrypts the other telegram, which lacks 2F2F: "wrong key"', () => {
    const v = vectors[10] as Vector;
    assert.throws(
      () =>
        decodeTelegram(fromHex('1e440c2e7856341201027a2a00100569bb7b2d9effa3e90b4cede3b8503cf2'), { key: keyOf(v) }),
      {
        code: 'SMGW_WMBUS_DECRYPT',
        message: /wrong key/,
      },
    );
  });

  it('#11 RFC 4493 AES-CMAC vectors', () => {
    const v = vectors[11] as Vector;
    const key = keyOf(v) as Uint8Array;
    for (const [name, want] of Object.entries(v.expected)) {
      const m = /^cmac\(([0-9a-f]*)\)$/i.exec(name.replace('empty', ''));
      assert.ok(m, name);
      assert.equal(toHex(aesCmac(key, fromHex(m[1] as string))), want);
    }
  });

  it('#12 CRC-16 EN 13757 vectors', () => {
    const v = vectors[12] as Vector;
    for (const [data, want] of Object.entries(v.expected)) {
      assert.equal(crc16En13757(fromHex(data)).toString(16).toUpperCase().padStart(4, '0'), want);
    }
  });
});

describe('OMS security vectors: records (with the application layer)', () => {
  const recordVectors = vectors.filter(
    (v) =>
      v.telegram !== null &&
      (v.expected['records'] || v.expected['wmbusmeters_json'] || v.expected['wmbusmeters_fields']),
  );
  for (const v of recordVectors) {
    it(v.name, () => {
      const r = decodeToReport(v.telegram as string, { key: keyOf(v) });
      assert.equal(r.ok, true, JSON.stringify(r.error));
      const records = r.records;
      for (const want of (v.expected['records'] as Array<Record<string, unknown>> | undefined) ?? []) {
        const hit = records.find((rec) => {
          if (typeof want['value'] === 'number') {
            if (
              typeof rec.value !== 'number' ||
              Math.abs(rec.value - want['value']) > 1e-6 * Math.max(1, Math.abs(want['value']))
            )
              return false;
          } else if (typeof rec.value !== 'string' || !rec.value.startsWith(String(want['value']).replace(' ', 'T'))) {
            return false;
          }
          if (want['unit'] !== undefined && rec.unit !== want['unit']) return false;
          if (want['storage'] !== undefined && rec.storage !== want['storage']) return false;
          if (want['dif_vif'] !== undefined && `${rec.dif}${rec.vif}` !== want['dif_vif']) return false;
          return true;
        });
        assert.ok(hit, `no record ${JSON.stringify(want)} in ${JSON.stringify(records)}`);
      }
      const fields = {
        ...((v.expected['wmbusmeters_json'] as object) ?? {}),
        ...((v.expected['wmbusmeters_fields'] as object) ?? {}),
      };
      const units: Record<string, [string, number]> = { m3: ['m3', 1], kwh: ['Wh', 1000] };
      for (const [field, want] of Object.entries(fields)) {
        const u = units[field.slice(field.lastIndexOf('_') + 1)];
        if (typeof want !== 'number' || u === undefined) continue;
        assert.ok(
          records.some(
            (rec) =>
              rec.unit === u[0] &&
              typeof rec.value === 'number' &&
              Math.abs(rec.value / u[1] - want) < 1e-6 * Math.max(1, want),
          ),
          `${field}=${want}`,
        );
      }
    });
  }
});
