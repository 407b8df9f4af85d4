import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { opensslSelfSigned } from '../../security/test/pki-openssl.js';
import { runCli } from './run-cli.js';

let dir: string;
let pki: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-pki-check-'));
  pki = join(dir, 'pki');
  const r = await runCli(['pki', 'init', pki]);
  assert.equal(r.code, 0, r.stderr);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('smgw pki lint', () => {
  it('every certificate of `smgw pki init` passes (exit 0)', async () => {
    const files = [
      'root/ca.crt.pem',
      'subca/ca.crt.pem',
      'gwa/tls.crt.pem',
      'gwa/sig.crt.pem',
      'gwa/enc.crt.pem',
      'emt-1/tls.crt.pem',
      'gateway/tls.crt.pem',
      'gateway/factory-sig.crt.pem',
      'gateway/lmn-tls.crt.pem',
      'meter-1/lmn-tls.crt.pem',
      'consumer-1/han-tls.crt.pem',
    ].map((f) => join(pki, f));
    const all = await runCli(['pki', 'lint', '--json', ...files]);
    assert.equal(all.code, 0, all.stderr);
    const entries = JSON.parse(all.stdout) as Array<{
      kind: string;
      role?: string;
      type?: string;
      findings: unknown[];
    }>;
    assert.equal(entries.length, files.length);
    assert.deepEqual(
      entries.map((e) => e.kind),
      [
        'root',
        'subca',
        'end-user',
        'end-user',
        'end-user',
        'end-user',
        'end-user',
        'end-user',
        'local',
        'local',
        'local',
      ],
    );
    assert.deepEqual(
      entries.slice(2, 5).map((e) => `${e.role}/${e.type}`),
      ['GWA/tls', 'GWA/sig', 'GWA/enc'],
    );
    assert.ok(entries.every((e) => e.findings.length === 0));
  });

  it('explains violations with rule ids and sources (exit 1); an unreadable file is exit 3', async () => {
    // an openssl-made certificate that is no SM-PKI end-user certificate
    const bad = opensslSelfSigned({
      curve: 'brainpoolP256r1',
      subject: '/CN=*.GWA/O=ACME/C=DE',
      days: 30,
      dir,
      name: 'bad',
      extensions: ['keyUsage=digitalSignature'],
    });
    const r = await runCli(['pki', 'lint', '--kind', 'end-user', '--type', 'tls', bad.certPath]);
    assert.equal(r.code, 1);
    for (const rule of [
      'SMPKI_SUBJECT_O',
      'SMPKI_KU_CRITICAL',
      'SMPKI_TLS_EKU',
      'TLS_NO_WILDCARD',
      'SMPKI_ENDUSER_REQUIRES_CRLDP',
    ]) {
      assert.match(r.stdout, new RegExp(`error ${rule}: .*Requirement: `), rule);
    }
    assert.match(r.stdout, /source: TR-03116-TS TLS_CERT_03/);
    assert.match(r.stdout, /1 certificate\(s\) checked, \d+ error\(s\)/);
    const missing = await runCli(['pki', 'lint', join(dir, 'nope.pem')]);
    assert.equal(missing.code, 3);
    assert.match(missing.stderr, /^error: SMGW_PKI_IO: cannot read/);
  });
});

describe('smgw pki verify', () => {
  const verify = (...args: string[]) => runCli(['pki', 'verify', ...args]);
  const inPki = (rel: string) => join(pki, rel);
  /** Trust given as files instead of --pki: the root and the Sub-CA chain. */
  const trustFiles = () => ['--roots', inPki('trust/roots.pem'), '--untrusted', inPki('subca/chain.pem')];

  it('accepts a GWA TLS server certificate with --pki, prints the chain (exit 0)', async () => {
    const r = await verify(
      '--pki',
      pki,
      '--type',
      'tls',
      '--eku',
      'serverAuth',
      '--role',
      'GWA',
      inPki('gwa/tls.crt.pem'),
    );
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /\[0\] .*CN=OpenSMGW-Test\.GWA/);
    assert.match(r.stdout, /\[1\] .*CN=SM-Test-Sub\.CA/);
    assert.match(r.stdout, /\[2\] .*CN=SM-Test-Root\.CA/);
    assert.match(r.stdout, /usage: TLS serverAuth, role GWA/);
    assert.match(r.stdout, /^OK$/m);
  });

  it('reports expiry, wrong use and revocation with their codes (exit 1)', async () => {
    const future = await verify('--pki', pki, '--at', '2090-01-01T00:00:00Z', inPki('emt-1/sig.crt.pem'));
    assert.equal(future.code, 1);
    assert.match(future.stdout, /FAILED: SMGW_PKI_CERT_EXPIRED: /);
    const explicit = await verify(
      ...trustFiles(),
      '--crl',
      inPki('root/ca.crl.pem'),
      '--crl',
      inPki('subca/ca.crl.pem'),
      '--role',
      'EMT',
      '--json',
      inPki('gwa/tls.crt.pem'),
    );
    assert.equal(explicit.code, 1);
    const json = JSON.parse(explicit.stdout) as { ok: boolean; error: { code: string } };
    assert.equal(json.ok, false);
    assert.equal(json.error.code, 'SMGW_PKI_USAGE');
    const noCrl = await verify(...trustFiles(), inPki('gwa/sig.crt.pem'));
    assert.equal(noCrl.code, 1);
    assert.match(noCrl.stdout, /SMGW_PKI_NO_CRL/);
    // revoke with H3's command on a copy, then verify sees it
    const copy = join(dir, 'pki-revoked');
    cpSync(pki, copy, { recursive: true });
    const rev = await runCli([
      'pki',
      'revoke',
      copy,
      '--cert',
      join(copy, 'emt-2/tls.crt.pem'),
      '--reason',
      'keyCompromise',
    ]);
    assert.equal(rev.code, 0, rev.stderr);
    const revoked = await verify('--pki', copy, join(copy, 'emt-2/tls.crt.pem'));
    assert.equal(revoked.code, 1);
    assert.match(revoked.stdout, /FAILED: SMGW_PKI_REVOKED: .*keyCompromise/);
  });

  it('checks pinned LMN certificates; option errors are exit 2', async () => {
    const meter = inPki('meter-1/lmn-tls.crt.pem');
    const ok = await verify('--pinned', meter, meter);
    assert.equal(ok.code, 0, ok.stdout);
    const other = await verify('--pinned', inPki('gateway/lmn-tls.crt.pem'), meter);
    assert.equal(other.code, 1);
    assert.match(other.stdout, /SMGW_PKI_UNTRUSTED/);
    const both = await verify('--pki', pki, '--roots', inPki('trust/roots.pem'), meter);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /SMGW_PKI_BAD_ARGUMENT/);
  });

  it('--help of lint and verify shows examples', async () => {
    for (const cmd of ['lint', 'verify']) {
      const r = await runCli(['pki', cmd, '--help']);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /Examples:\n {2}smgw pki /);
    }
  });
});
