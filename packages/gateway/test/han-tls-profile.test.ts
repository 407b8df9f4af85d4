// The HAN server profile's client-certificate option (security profiles.ts): 'required' stays
// the default on every interface; 'optional' (Digest fallback, spec notes §9.1) is accepted on
// the HAN server only.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { hanClientProfile, hanServerProfile, lmnServerProfile, tlsProfile, wanServerProfile } from '@opensmgw/security';
import { type HanPki, makeHanPki } from './fixtures/han-server-fixture.js';

let pki: HanPki;
before(async () => {
  pki = await makeHanPki();
});
after(async () => {
  await pki.cleanup();
});

const badConfig = (e: unknown) => (e as { code?: string }).code === 'SMGW_TLS_BAD_CONFIG';

describe('HAN server profile: client certificate', () => {
  const base = () => ({
    key: { kind: 'pem' as const, pem: pki.gatewayKeyPem },
    certificates: pki.gatewayCertPem,
    trust: { kind: 'pinned' as const, certificates: [pki.consumerCertPem] },
    clock: new FakeClock(Date.now()),
  });

  test('the default is unchanged: mutual TLS, OpenSSL rejects a missing or unknown certificate', () => {
    const p = hanServerProfile(base());
    assert.equal(p.clientCertificate, 'required');
    assert.equal(p.options.requestCert, true);
    assert.equal(p.options.rejectUnauthorized, true);
    assert.deepEqual(p.options.ca, [pki.consumerCertPem]);
    for (const other of [lmnServerProfile(base()), wanServerProfile({ ...base() })]) {
      assert.equal(other.clientCertificate, 'required');
      assert.equal(other.options.rejectUnauthorized, true);
    }
  });

  test('optional: certificate requested, not required; pinned list may be empty and then trusts nothing', () => {
    const p = hanServerProfile({ ...base(), clientCertificate: 'optional' });
    assert.equal(p.clientCertificate, 'optional');
    assert.equal(p.options.requestCert, true);
    assert.equal(p.options.rejectUnauthorized, false);
    const empty = hanServerProfile({
      ...base(),
      trust: { kind: 'pinned', certificates: [] },
      clientCertificate: 'optional',
    });
    assert.equal(empty.options.ca, undefined);
    assert.throws(
      () => empty.verifyPeer([]),
      (e: unknown) => (e as { code?: string }).code === 'SMGW_TLS_PEER_REJECTED',
    );
  });

  test('optional is refused on other interfaces and roles; an empty pin list without it too', () => {
    assert.throws(() => lmnServerProfile({ ...base(), clientCertificate: 'optional' }), badConfig);
    assert.throws(() => hanClientProfile({ ...base(), clientCertificate: 'optional' }), badConfig);
    assert.throws(
      () => tlsProfile({ ...base(), interface: 'wan', role: 'server', clientCertificate: 'optional' }),
      badConfig,
    );
    assert.throws(() => hanServerProfile({ ...base(), clientCertificate: 'maybe' as 'optional' }), badConfig);
    assert.throws(() => hanServerProfile({ ...base(), trust: { kind: 'pinned', certificates: [] } }), badConfig);
  });
});
