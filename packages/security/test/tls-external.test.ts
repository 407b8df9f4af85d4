/**
 * External checks of the server profiles with tools that are not Node: the system's
 * `openssl s_client` for every profile, and testssl.sh for the LMN server (all three with
 * SMGW_TESTSSL_ALL=1; `scripts/testssl-profiles.sh` runs all three and prints the summary that
 * docs/tls.md quotes). testssl.sh takes 15-35 s per server on this machine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import { type ClientIdentityFiles, opensslVersion, sClient, testsslVersion } from './tls-external.js';
import { type ProfileUnderTest, startProfileServers, testsslProfile } from './tls-profile-servers.js';
import { makeTlsTestMaterial, type TlsTestMaterial } from './tls-test-certs.js';

const GROUPS = 'brainpoolP256r1:brainpoolP384r1:brainpoolP512r1:P-256:P-384';
const TESTSSL = testsslVersion();

let material: TlsTestMaterial;
let servers: ProfileUnderTest[];

before(async () => {
  material = await makeTlsTestMaterial();
  servers = await startProfileServers(material, new FakeClock(material.issuedAt + 60_000));
});
after(async () => {
  for (const s of servers ?? []) await s.running.close();
  material?.cleanup();
});

const identityArgs = (c: ClientIdentityFiles): string[] => [
  '-cert',
  c.certPath,
  '-key',
  c.keyPath,
  ...(c.chainPath === undefined ? [] : ['-cert_chain', c.chainPath]),
];

function baseArgs(p: ProfileUnderTest): string[] {
  return ['-connect', `127.0.0.1:${p.running.port}`, '-servername', p.servername, '-CAfile', p.caFile];
}

it('the system OpenSSL is 3.0.x (what these checks were written against)', () => {
  assert.match(opensslVersion(), /^OpenSSL 3\.0\./);
});

for (const index of [0, 1, 2]) {
  const p = (): ProfileUnderTest => servers[index] as ProfileUnderTest;
  const name = ['LMN server', 'WAN head-end server', 'HAN server'][index];

  describe(`openssl s_client against the ${name}`, { timeout: 60_000 }, () => {
    const ok = (extra: string[] = [], options = {}) =>
      sClient([...baseArgs(p()), ...identityArgs(p().client), '-groups', GROUPS, ...extra], options);
    const refused = async (label: string, extra: string[], client = p().client) => {
      const r = await sClient([...baseArgs(p()), ...identityArgs(client), ...extra]);
      assert.notEqual(r.code, 0, `${label} was accepted:\n${r.output}`);
      assert.doesNotMatch(r.output, /Verify return code: 0 \(ok\)[\s\S]*Protocol {2}: TLSv1\.[0-3]/, label);
      return r;
    };

    it('a TLS 1.3-capable client with our groups and certificate gets TLS 1.2, an allowed suite, brainpoolP256r1', async () => {
      const r = await ok(['-verify_return_error']);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /Protocol {2}: TLSv1\.2/);
      assert.match(r.output, /New, TLSv1\.2, Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
      assert.match(r.output, /Server Temp Key: ECDH, brainpoolP256r1, 256 bits/);
      assert.match(r.output, /Compression: NONE/);
      assert.match(r.output, /Extended master secret: yes/);
      assert.match(r.output, /Verify return code: 0 \(ok\)/);
      assert.match(r.output, /Requested Signature Algorithms: ECDSA\+SHA256:ECDSA\+SHA384:ECDSA\+SHA512\n/);
    });

    it('a CBC suite runs with Encrypt-then-MAC (RFC 7366) and the extended master secret (RFC 7627)', async () => {
      const r = await ok(['-tls1_2', '-cipher', 'ECDHE-ECDSA-AES128-SHA256', '-tlsextdebug']);
      assert.equal(r.code, 0, r.output);
      assert.match(r.output, /Cipher is ECDHE-ECDSA-AES128-SHA256/);
      assert.match(r.output, /TLS server extension "encrypt-then-mac" \(id=22\)/);
      assert.match(r.output, /TLS server extension "extended master secret" \(id=23\)/);
      assert.doesNotMatch(r.output, /session ticket/i);
    });

    it('refuses TLS 1.0, TLS 1.1 and a TLS 1.3-only client', async () => {
      await refused('-tls1', ['-tls1', '-cipher', 'ECDHE-ECDSA-AES128-SHA@SECLEVEL=0', '-groups', GROUPS]);
      const r = await refused('-tls1_1', [
        '-tls1_1',
        '-cipher',
        'ECDHE-ECDSA-AES128-SHA@SECLEVEL=0',
        '-groups',
        GROUPS,
      ]);
      assert.match(r.output, /alert protocol version|unsupported protocol/);
      await refused('-no_tls1_2', ['-no_tls1_2', '-groups', GROUPS]);
    });

    it('refuses suites outside the list (SHA-1 CBC, CCM, ChaCha20, ECDHE-RSA)', async () => {
      for (const suite of [
        'ECDHE-ECDSA-AES128-SHA',
        'ECDHE-ECDSA-AES128-CCM',
        'ECDHE-ECDSA-CHACHA20-POLY1305',
        'ECDHE-RSA-AES128-GCM-SHA256',
      ]) {
        await refused(suite, ['-tls1_2', '-cipher', suite, '-groups', GROUPS]);
      }
    });

    it('refuses groups and signature algorithms outside the list; never picks X25519', async () => {
      await refused('-groups X25519', ['-tls1_2', '-groups', 'X25519']);
      await refused('-groups secp521r1', ['-tls1_2', '-groups', 'secp521r1']);
      await refused('-sigalgs ECDSA+SHA224', ['-tls1_2', '-groups', GROUPS, '-sigalgs', 'ECDSA+SHA224']);
      const r = await ok(['-tls1_2', '-groups', `X25519:${GROUPS}`]);
      assert.match(r.output, /Server Temp Key: ECDH, brainpoolP256r1/);
    });

    it('resumes by session ID (-reconnect), without tickets', async () => {
      const r = await ok(['-tls1_2', '-reconnect']);
      assert.equal(r.code, 0, r.output);
      assert.equal(r.output.match(/^Reused, TLSv1\.2/gm)?.length, 5, r.output);
      assert.doesNotMatch(r.output, /TLS session ticket:/);
    });

    it('refuses client-initiated renegotiation (s_client "R")', async () => {
      const r = await ok(['-tls1_2'], { send: 'R', until: /no renegotiation|RENEGOTIATING[\s\S]*(error|errno)/ });
      assert.match(r.output, /RENEGOTIATING/);
      assert.match(r.output, /no renegotiation/);
    });

    it('rejects a client without a certificate, and a foreign one', async () => {
      const before = p().running.errors.length;
      const r = await sClient([...baseArgs(p()), '-groups', GROUPS]);
      assert.notEqual(r.code, 0, r.output);
      assert.match(r.output, /alert handshake failure|SSL alert number 40/);
      const code = (e: Error) => (e as Error & { code?: string }).code;
      await p().running.waitForError((e) => code(e) === 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE', before);

      // OpenSSL's verification fails; Node closes the connection without telling why (ECONNRESET).
      const accepted = p().running.accepted.length;
      const afterNoCert = p().running.errors.length;
      const f = await sClient([...baseArgs(p()), ...identityArgs(p().foreign), '-groups', GROUPS]);
      assert.notEqual(f.code, 0, f.output);
      await p().running.waitForError((e) => code(e) === 'ECONNRESET', afterNoCert);
      assert.equal(p().running.accepted.length, accepted);
    });

    if (index === 1) {
      it('our peer check rejects an EMT certificate where a gateway is expected (OpenSSL would accept it)', async () => {
        const before = p().running.errors.length;
        const accepted = p().running.accepted.length;
        await sClient([...baseArgs(p()), ...identityArgs(p().wrongRole as ClientIdentityFiles), '-groups', GROUPS]);
        const e = await p().running.waitForError(isSmgwError, before);
        assert.ok(isSmgwError(e) && e.code === 'SMGW_TLS_PEER_REJECTED', String(e));
        assert.match(e.message, /role EMT; expected SMGW/);
        assert.equal(p().running.accepted.length, accepted);
      });
    }
  });
}

describe('testssl.sh', { skip: TESTSSL === undefined ? 'testssl.sh not installed (CI installs it)' : false }, () => {
  const all = process.env['SMGW_TESTSSL_ALL'] === '1';
  for (const index of [0, 1, 2]) {
    const name = ['LMN server', 'WAN head-end server', 'HAN server'][index];
    const skip = index !== 0 && !all ? 'set SMGW_TESTSSL_ALL=1 (or run scripts/testssl-profiles.sh)' : false;
    it(`${name}: only TLS 1.2, only the allowed suites, no compression, no client renegotiation`, {
      skip,
      timeout: 240_000,
    }, async () => {
      assert.match(TESTSSL ?? '', /^3\.0\./);
      const s = servers[index] as ProfileUnderTest;
      const { run, violations } = await testsslProfile(s, material.dir, `${index}`);
      assert.ok(run.findings.length > 0, `no JSON from testssl.sh:\n${run.text}`);
      assert.deepEqual(violations, [], run.text);
    });
  }
});
