import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromHex, toHex } from '@opensmgw/core';
import { type EncodeTelegramInput, encodeTelegram, encodeTelegramFrames, plaintextOf } from '../src/encode.js';
import { DecoderState, decodeTelegram } from '../src/telegram.js';

// The OMS / EN 13757 vectors of test/fixtures/oms_security_vectors.jsonl, re-created byte for byte.
const ELS = { manufacturer: 'ELS', id: '12345678', version: 0x33, deviceType: 0x03 };
const GAS_APL = fromHex('0C1427048502046D32371F1502FD170000');
const KEY_N21 = fromHex('0102030405060708090A0B0C0D0E0F11');
const KEY_0F = fromHex('000102030405060708090A0B0C0D0E0F');

describe('encodeTelegram reproduces the spec vectors byte for byte', () => {
  it('OMS Annex N.2.1: mode 5, short header, stripped and format A', () => {
    const input: EncodeTelegramInput = {
      format: 'stripped',
      address: ELS,
      tpl: { ci: 0x7a, accessNumber: 0x2a, mode: 5, configFlags: 0x2000 },
      apl: GAS_APL,
      key: KEY_N21,
    };
    assert.equal(
      toHex(encodeTelegram(input)),
      '2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3',
    );
    assert.equal(
      toHex(encodeTelegram({ ...input, format: 'A' })),
      '2E44931578563412330333637A2A0020255923C95AAA26D1B2E7493BC2AD013EC4A6F6D3529B520EDFF0EA6DEFC955B29D6D69EBF3EC8A',
    );
  });

  it('OMS mode-7 example: ELL 8C, AFL with CMAC-8, short header, KDF-A', () => {
    const frame = encodeTelegram({
      format: 'stripped',
      address: ELS,
      ell: { ci: 0x8c, cc: 0x20 },
      afl: { counter: 2739, authType: 5 },
      tpl: { ci: 0x7a, accessNumber: 0x75, mode: 7, kdf: 1 },
      apl: GAS_APL,
      key: KEY_0F,
    });
    assert.equal(
      toHex(frame),
      '434493157856341233038C2075900F002C25B30A000021924D4F2FB66E017A75002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93',
    );
  });

  it('CEN/TR 17167 F.3: radio converter, ELL 8E with partner address, AFL, long header', () => {
    const frame = encodeTelegram({
      format: 'stripped',
      cField: 0x08,
      address: { manufacturer: 'RAD', id: '11223344', version: 0x03, deviceType: 0x37 },
      ell: { ci: 0x8e, cc: 0x80, address: { manufacturer: 'XYZ', id: '33445566', version: 0x0a, deviceType: 0x31 } },
      afl: { counter: 2739 },
      tpl: { ci: 0x72, address: ELS, accessNumber: 0x75, mode: 7 },
      apl: GAS_APL,
      key: KEY_0F,
    });
    assert.equal(
      toHex(frame),
      '530824484433221103378E80753A63665544330A31900F002C25B30A0000AF5D74DF73A600D972785634129315330375002007109058475F4BC91DF878B80A1B0F98B629024AAC727942BFC549233C0140829B93',
    );
  });

  it('jMBus Kamstrup: ELL 8D with AES-CTR and payload CRC', () => {
    const frame = encodeTelegram({
      format: 'stripped',
      address: { manufacturer: 'KAM', id: '63452869', version: 0x1b, deviceType: 0x16 },
      ell: { ci: 0x8d, cc: 0x30, accessNumber: 0x50, sessionNumber: 0x01d69c20, encrypt: true },
      tpl: { ci: 0x78 },
      apl: fromHex('02FF2000000413803C070044139F380700'),
      key: fromHex('4E5508544202058100DFEFA06B0934A5'),
    });
    assert.equal(toHex(frame), '24442D2C692845631B168D3050209CD621B006B1140AEF4953AE5B86FAFC0B00E70705B846');
  });

  it('OMS Annex N.2.2 and N.5.4: wired long frames, mode 0 and mode 5 with a plain tail', () => {
    assert.equal(
      toHex(
        encodeTelegram({
          format: 'wired',
          primaryAddress: 0xfd,
          tpl: { ci: 0x72, address: ELS, accessNumber: 0x2a },
          apl: GAS_APL,
        }),
      ),
      '6820206808FD7278563412931533032A0000000C1427048502046D32371F1502FD1700008916',
    );
    assert.equal(
      toHex(
        encodeTelegram({
          format: 'wired',
          tpl: {
            ci: 0x72,
            address: { manufacturer: 'QDS', id: '55667788', version: 0x55, deviceType: 0x08 },
            accessNumber: 0,
            status: 0x04,
            mode: 5,
          },
          apl: fromHex('0B6E341200426CFE044B6E563402'),
          aplPlainTail: fromHex('0CFD10785634120C7844332211'),
          key: KEY_0F,
        }),
      ),
      '682C2C6808FD7288776655934455080004100500DFE2A782146D1513581CD2F83F39040CFD10785634120C78443322112616',
    );
  });
});

describe('encodeTelegram: round trips and fragments', () => {
  it('decodes back what it encoded, for every frame format', () => {
    for (const format of ['A', 'B', 'stripped'] as const) {
      const t = decodeTelegram(
        encodeTelegram({
          format,
          address: ELS,
          ell: { ci: 0x8d, encrypt: true, sessionNumber: 12345 },
          afl: { counter: 99, includeLength: true, keyInfo: 0x0102 },
          tpl: { ci: 0x7a, accessNumber: 7, mode: 7 },
          apl: GAS_APL,
          key: KEY_0F,
        }),
        { key: KEY_0F, skipRecords: true },
      );
      assert.equal(t.dll.format, format);
      assert.equal(t.security.mac, 'verified');
      assert.equal(t.afl?.keyInfo, 0x0102);
      // ML counts the TPDU: CI, ACC, STS, CFG (2), CFG-ext, 32 encrypted bytes
      assert.equal(t.afl?.messageLength, 38);
      assert.equal(toHex(t.apl), toHex(plaintextOf(GAS_APL)));
    }
  });

  it('splits a long message into AFL fragments that the decoder joins', () => {
    const apl = new Uint8Array(150).fill(0x2f);
    apl.set(GAS_APL, 0);
    const frames = encodeTelegramFrames({
      format: 'A',
      address: ELS,
      afl: { counter: 5, fragmentSize: 60, includeLength: true },
      tpl: { ci: 0x7a, accessNumber: 1, mode: 7 },
      apl,
      key: KEY_0F,
    });
    assert.equal(frames.length, 3);
    const state = new DecoderState();
    const a = decodeTelegram(frames[0] as Uint8Array, { key: KEY_0F, state, skipRecords: true });
    assert.deepEqual(a.fragment, { id: 1, complete: false });
    assert.equal(state.pendingFragments, 1);
    decodeTelegram(frames[1] as Uint8Array, { key: KEY_0F, state, skipRecords: true });
    const c = decodeTelegram(frames[2] as Uint8Array, { key: KEY_0F, state, skipRecords: true });
    assert.deepEqual(c.fragment, { id: 3, complete: true });
    assert.equal(c.security.mac, 'verified');
    assert.equal(toHex(c.apl), toHex(plaintextOf(apl)));
    assert.equal(state.pendingFragments, 0);
  });

  it('rejects what it cannot encode with SMGW_WMBUS_ENCODE', () => {
    const base: EncodeTelegramInput = { format: 'stripped', address: ELS, tpl: { ci: 0x7a }, apl: GAS_APL };
    const bad: Array<Partial<EncodeTelegramInput>> = [
      { tpl: { ci: 0x7a, mode: 5 } }, // no key
      { tpl: { ci: 0x7a, mode: 7 }, key: KEY_0F }, // KDF-A without AFL
      { tpl: { ci: 0x72 } }, // long header without address
      { tpl: { ci: 0x78, mode: 5 }, key: KEY_0F }, // no header for a mode
      { tpl: { ci: 0x10 } }, // not a TPL CI
      { apl: new Uint8Array(250) }, // L > 255
      { address: { ...ELS, id: '123' } },
      { address: { ...ELS, manufacturer: 'e1s' } },
      { ell: { ci: 0x8c, encrypt: true } },
      { ell: { ci: 0x8e } },
      { format: 'wired' },
      { afl: { counter: -1 } },
      { tpl: { ci: 0x7a, accessNumber: 256 } },
      { tpl: { ci: 0x7a, configFlags: 0x0500 } },
    ];
    for (const b of bad)
      assert.throws(() => encodeTelegram({ ...base, ...b }), { code: 'SMGW_WMBUS_ENCODE' }, JSON.stringify(b));
  });

  it('plaintextOf adds 2F2F and pads to whole blocks', () => {
    assert.equal(toHex(plaintextOf(fromHex('0C13'))), '2F2F0C132F2F2F2F2F2F2F2F2F2F2F2F');
    assert.equal(toHex(plaintextOf(fromHex('2F2F0C13'))), '2F2F0C132F2F2F2F2F2F2F2F2F2F2F2F');
    assert.equal(plaintextOf(new Uint8Array(15)).length, 32);
  });
});
