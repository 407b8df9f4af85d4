// HTTP Digest (RFC 2617 / 7616, MD5, qop=auth) of the HAN interface: parser, responses,
// nonce expiry and replay (nc) protection.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import fc from 'fast-check';
import {
  DigestAuthenticator,
  type DigestCredentials,
  digestHa1,
  digestResponse,
  md5Hex,
  parseDigestAuthorization,
} from '../src/han/digest-auth.js';

const REALM = 'opensmgw-han';

function nonceOf(challenge: string): string {
  const m = /nonce="([^"]+)"/.exec(challenge);
  assert.ok(m);
  return m[1] as string;
}

function credentials(nonce: string, nc: string, password = 'pw', uri = '/han/v1/me'): DigestCredentials {
  const base = { nonce, nc, cnonce: 'c0ffee', qop: 'auth', uri };
  return {
    ...base,
    username: 'alice',
    realm: REALM,
    response: digestResponse(digestHa1('alice', REALM, password), 'GET', base),
  };
}

describe('Digest', () => {
  test('RFC 2617 §3.5 example response', () => {
    const ha1 = md5Hex('Mufasa:testrealm@host.com:Circle Of Life');
    const r = digestResponse(ha1, 'GET', {
      uri: '/dir/index.html',
      nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
      nc: '00000001',
      cnonce: '0a4f113b',
      qop: 'auth',
    });
    assert.equal(r, '6629fae49393a05397450978507c4ef1');
  });

  test('parses a curl-style header', () => {
    const c = parseDigestAuthorization(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b", uri="/dir/index.html", ' +
        'cnonce="0a4f113b", nc=00000001, qop=auth, response="6629fae49393a05397450978507c4ef1", algorithm=MD5, opaque="5ccc"',
    );
    assert.equal(c.username, 'Mufasa');
    assert.equal(c.nc, '00000001');
    assert.equal(c.opaque, '5ccc');
    assert.equal(c.uri, '/dir/index.html');
  });

  test('refuses responses without qop, other algorithms, duplicates and junk', () => {
    const bad = [
      'Basic dXNlcjpwdw==',
      'Digest username="a", realm="r", nonce="n", uri="/", response="6629fae49393a05397450978507c4ef1"',
      'Digest username="a", realm="r", nonce="n", uri="/", cnonce="c", nc=00000001, qop=auth, response="6629fae49393a05397450978507c4ef1", algorithm=SHA-256',
      'Digest username="a", username="b", realm="r", nonce="n", uri="/", cnonce="c", nc=00000001, qop=auth, response="6629fae49393a05397450978507c4ef1"',
      'Digest username="a, realm="r"',
      `Digest username="${'a'.repeat(5000)}"`,
    ];
    for (const h of bad) {
      assert.throws(
        () => parseDigestAuthorization(h),
        (e: unknown) => (e as { code?: string }).code === 'SMGW_HAN_BAD_REQUEST',
        h,
      );
    }
  });

  test('hostile headers give credentials or SMGW_HAN_BAD_REQUEST, nothing else (property)', () => {
    const part = fc.oneof(
      fc.string(),
      fc.constantFrom('Digest ', 'username=', 'nc=00000001', 'qop=auth', '"', '\\', ',', ' ', 'response="', '='),
    );
    fc.assert(
      fc.property(fc.array(part, { maxLength: 20 }), (parts) => {
        try {
          parseDigestAuthorization(parts.join(''));
        } catch (e) {
          assert.equal((e as { code?: string }).code, 'SMGW_HAN_BAD_REQUEST');
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('a correct response passes once per nc; a replayed nc, a wrong password, another URI fail', () => {
    const clock = new FakeClock(0);
    const auth = new DigestAuthenticator({ realm: REALM, clock });
    const ha1 = (u: string) => (u === 'alice' ? digestHa1('alice', REALM, 'pw') : undefined);
    const nonce = nonceOf(auth.challenge());
    assert.deepEqual(auth.verify(credentials(nonce, '00000001'), 'GET', '/han/v1/me', ha1), {
      ok: true,
      username: 'alice',
    });
    assert.deepEqual(auth.verify(credentials(nonce, '00000001'), 'GET', '/han/v1/me', ha1), {
      ok: false,
      reason: 'replay',
    });
    assert.deepEqual(auth.verify(credentials(nonce, '00000002'), 'GET', '/han/v1/me', ha1), {
      ok: true,
      username: 'alice',
    });
    assert.deepEqual(auth.verify(credentials(nonce, '00000003', 'guess'), 'GET', '/han/v1/me', ha1), {
      ok: false,
      reason: 'bad-response',
    });
    assert.deepEqual(auth.verify(credentials(nonce, '00000004'), 'GET', '/han/v1/log', ha1), {
      ok: false,
      reason: 'wrong-uri',
    });
    assert.deepEqual(auth.verify(credentials('made-up', '00000001'), 'GET', '/han/v1/me', ha1), {
      ok: false,
      reason: 'stale',
    });
  });

  test('a nonce expires after its lifetime (stale)', () => {
    const clock = new FakeClock(0);
    const auth = new DigestAuthenticator({ realm: REALM, clock, nonceLifetimeMs: 60_000 });
    const ha1 = () => digestHa1('alice', REALM, 'pw');
    const nonce = nonceOf(auth.challenge());
    clock.advance(59_999);
    assert.equal(auth.verify(credentials(nonce, '00000001'), 'GET', '/han/v1/me', ha1).ok, true);
    clock.advance(1);
    assert.deepEqual(auth.verify(credentials(nonce, '00000002'), 'GET', '/han/v1/me', ha1), {
      ok: false,
      reason: 'stale',
    });
    assert.match(auth.challenge(true), /stale=true/);
  });
});
