import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import { parseAdminJob } from '../src/admin.js';
import {
  ClsLineSplitter,
  type ClsMessage,
  encodeClsMessage,
  MAX_CLS_LINE_BYTES,
  parseClsMessage,
  parseClsProfile,
  parseHostPort,
} from '../src/cls.js';

const PEM = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

const message: fc.Arbitrary<ClsMessage> = fc.oneof(
  fc.record({
    type: fc.constantFrom('set-power-limit' as const, 'ack' as const),
    id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/),
    watts: fc.integer({ min: 0, max: 10_000_000 }),
  }),
  fc.record({
    type: fc.constant('error' as const),
    id: fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/),
    code: fc.stringMatching(/^[A-Z][A-Z0-9_]{0,63}$/),
    message: fc.string({ maxLength: 200 }),
  }),
);

describe('CLS profile', () => {
  it('reads a profile, with and without the device endpoint', () => {
    assert.deepEqual(parseClsProfile({ id: 'pv-1', certificatePem: PEM, emtProfileId: 'vnb-1' }), {
      id: 'pv-1',
      certificatePem: PEM,
      emtProfileId: 'vnb-1',
    });
    assert.equal(
      parseClsProfile({ id: 'pv-1', certificatePem: PEM, emtProfileId: 'vnb-1', deviceEndpoint: '192.168.1.20:4443' })
        .deviceEndpoint,
      '192.168.1.20:4443',
    );
  });

  it('refuses unknown fields, bad endpoints and non-certificates', () => {
    const ok = { id: 'pv-1', certificatePem: PEM, emtProfileId: 'vnb-1' };
    for (const bad of [
      { ...ok, target: 'https://elsewhere' },
      { ...ok, deviceEndpoint: 'https://x:1' },
      { ...ok, deviceEndpoint: 'x:0' },
      { ...ok, deviceEndpoint: 'x:70000' },
      { ...ok, deviceEndpoint: 'x' },
      { ...ok, certificatePem: 'hello' },
      { ...ok, emtProfileId: '' },
    ]) {
      assert.throws(() => parseClsProfile(bad), { code: 'SMGW_PROTO_INVALID' }, JSON.stringify(bad));
    }
    assert.deepEqual(parseHostPort('localhost:8'), { host: 'localhost', port: 8 });
  });

  it('the three CLS admin jobs', () => {
    const p = { id: 'pv-1', certificatePem: PEM, emtProfileId: 'vnb-1' };
    assert.deepEqual(parseAdminJob({ jobId: 'j1', type: 'set-cls-profile', profile: p }), {
      jobId: 'j1',
      type: 'set-cls-profile',
      profile: p,
    });
    assert.deepEqual(parseAdminJob({ jobId: 'j2', type: 'delete-cls-profile', id: 'pv-1' }), {
      jobId: 'j2',
      type: 'delete-cls-profile',
      id: 'pv-1',
    });
    assert.deepEqual(parseAdminJob({ jobId: 'j3', type: 'open-cls-channel', clsProfileId: 'pv-1' }), {
      jobId: 'j3',
      type: 'open-cls-channel',
      clsProfileId: 'pv-1',
    });
    assert.throws(() => parseAdminJob({ jobId: 'j4', type: 'open-cls-channel', clsProfileId: 'pv-1', url: 'x' }), {
      code: 'SMGW_PROTO_INVALID',
    });
    assert.throws(() => parseAdminJob({ jobId: 'j5', type: 'open-cls-channel', id: 'pv-1' }), {
      code: 'SMGW_PROTO_INVALID',
    });
  });
});

describe('CLS line protocol', () => {
  it('round-trips every message through encode, split and parse (property)', () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), fc.integer({ min: 1, max: 64 }), (msgs, cut) => {
        const bytes = Buffer.from(msgs.map(encodeClsMessage).join(''));
        const splitter = new ClsLineSplitter();
        const lines: Uint8Array[] = [];
        for (let i = 0; i < bytes.length; i += cut) lines.push(...splitter.push(bytes.subarray(i, i + cut)));
        assert.deepEqual(
          lines.map((l) => parseClsMessage(l)),
          msgs.map((m) => ({ ...m })), // fast-check records have a null prototype
        );
      }),
    );
  });

  it('hostile lines throw nothing but SmgwError (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array({ maxLength: 300 })), (input) => {
        try {
          parseClsMessage(input);
        } catch (e) {
          assert.ok(isSmgwError(e), String(e));
        }
      }),
    );
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 2000 }), { maxLength: 8 }), (chunks) => {
        const s = new ClsLineSplitter();
        try {
          for (const c of chunks) for (const l of s.push(c)) assert.ok(l.length <= MAX_CLS_LINE_BYTES);
        } catch (e) {
          assert.ok(isSmgwError(e), String(e));
        }
      }),
    );
  });

  it('refuses extra fields, wrong types and over-long lines', () => {
    assert.throws(() => parseClsMessage('{"type":"set-power-limit","id":"a","watts":1,"to":"x"}'), {
      code: 'SMGW_PROTO_INVALID',
    });
    assert.throws(() => parseClsMessage('{"type":"ack","id":"a","watts":1.5}'), { code: 'SMGW_PROTO_INVALID' });
    assert.throws(() => parseClsMessage('{"type":"ack","id":"a","watts":-1}'), { code: 'SMGW_PROTO_INVALID' });
    assert.throws(() => parseClsMessage('{"type":"reboot","id":"a"}'), { code: 'SMGW_PROTO_INVALID' });
    assert.throws(() => new ClsLineSplitter().push(new Uint8Array(MAX_CLS_LINE_BYTES + 1)), {
      code: 'SMGW_PROTO_TOO_LARGE',
    });
    assert.deepEqual(
      new ClsLineSplitter().push(Buffer.from('a\r\nb\n')).map((l) => Buffer.from(l).toString()),
      ['a', 'b'],
    );
  });
});
