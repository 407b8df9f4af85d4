import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import { issueCertificate } from '../src/pki/certificate-builder.js';
import { endUserProfile } from '../src/pki/certificate-profiles.js';
import { type BuildCrlOptions, buildCrl, serialBytes } from '../src/pki/crl.js';
import { toPem } from '../src/pki/pem.js';
import { type MemoryCa, makeMemoryCa } from './memory-ca.js';
import { openssl } from './pki-openssl.js';

const NOW = new Date('2026-01-15T10:00:00Z');
const AT = ['-attime', String(Math.floor(NOW.getTime() / 1000) + 60)];
const plusDays = (d: number) => new Date(NOW.getTime() + d * 86_400_000);

describe('CRL builder', () => {
  let dir: string;
  const f = (name: string) => join(dir, name);
  let ca: MemoryCa;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smgw-crl-'));
    ca = await makeMemoryCa({ notBefore: NOW, rootNotAfter: plusDays(3650), subNotAfter: plusDays(3650), dir });
    for (const [name, serial] of [
      ['a', 0x0a],
      ['b', 0x0b],
    ] as const) {
      const key = await ca.module.generateKeyPair(name, 'brainpoolP256r1');
      const c = await issueCertificate({
        issuer: ca.sub,
        subjectPublicKey: key,
        ...endUserProfile({
          keys: { subjectKey: key, issuerKey: ca.subKey },
          role: 'SMGW',
          type: 'tls',
          commonName: `EOSM010000000${serial}.SMGW`,
          crlDistributionPoint: 'http://pki.opensmgw.test/subca.crl',
          issuerAltName: [{ uri: 'http://pki.opensmgw.test/subca' }],
        }),
        serial: new Uint8Array([serial]),
        notBefore: NOW,
        notAfter: plusDays(3650),
      });
      writeFileSync(f(`${name}.pem`), toPem('CERTIFICATE', c.der));
    }
    /** A CRL of the CA key in `slot`, valid 30 days from NOW. */
    const crl = (slot: string, certificate: Uint8Array, o: Pick<BuildCrlOptions, 'crlNumber' | 'revoked' | 'hash'>) =>
      buildCrl({ issuer: { module: ca.module, slot, certificate }, thisUpdate: NOW, nextUpdate: plusDays(30), ...o });
    const rootCrl = await crl('root', ca.rootDer, { crlNumber: 1, revoked: [], hash: 'SHA-384' });
    writeFileSync(f('root.crl'), toPem('X509 CRL', rootCrl));
    const subCrl = await crl('sub', ca.subDer, {
      crlNumber: 7,
      revoked: [{ serial: '0b', date: NOW, reason: 'keyCompromise' }],
      hash: 'SHA-256',
    });
    writeFileSync(f('sub.crl'), toPem('X509 CRL', subCrl));
    writeFileSync(f('crls.pem'), toPem('X509 CRL', rootCrl) + toPem('X509 CRL', subCrl));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('openssl crl parses the Sub-CA CRL: v2, SHA256, AKI, number, entry with reason', () => {
    const r = openssl(['crl', '-in', f('sub.crl'), '-text', '-noout']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /Version 2 \(0x1\)/);
    assert.match(r.stdout, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.match(r.stdout, /Issuer: C = DE, O = SM-Test-PKI-DE, serialNumber = 1, CN = SM-Test-Sub.CA/);
    assert.match(r.stdout, /Authority Key Identifier/);
    assert.match(r.stdout, /X509v3 CRL Number:\s+7/);
    assert.match(r.stdout, /Serial Number: 0B[\s\S]*Key Compromise/);
  });

  it('openssl crl parses the empty root CRL and verifies its signature with the root', () => {
    const r = openssl(['crl', '-in', f('root.crl'), '-text', '-noout', '-CAfile', f('root.pem')]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr + r.stdout, /verify OK/);
    assert.match(r.stdout, /No Revoked Certificates/);
  });

  it('openssl verify -crl_check_all accepts the unrevoked leaf and reports the revoked one', () => {
    const base = ['verify', ...AT, '-crl_check_all', '-CAfile', f('root.pem'), '-untrusted', f('sub.pem')];
    const ok = openssl([...base, '-CRLfile', f('crls.pem'), f('a.pem')]);
    assert.equal(ok.status, 0, ok.stdout + ok.stderr);
    const bad = openssl([...base, '-CRLfile', f('crls.pem'), f('b.pem')]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout + bad.stderr, /certificate revoked/);
  });

  it('rejects bad arguments with PkiError', async () => {
    const issuer = ca.sub;
    const base = {
      issuer,
      thisUpdate: NOW,
      nextUpdate: plusDays(1),
      crlNumber: 1,
      revoked: [],
      hash: 'SHA-256' as const,
    };
    const code = (c: string) => (e: unknown) => isSmgwError(e) && e.code === c;
    await assert.rejects(buildCrl({ ...base, nextUpdate: plusDays(-1) }), code('SMGW_PKI_BAD_ARGUMENT'));
    await assert.rejects(buildCrl({ ...base, crlNumber: -1 }), code('SMGW_PKI_BAD_ARGUMENT'));
    await assert.rejects(buildCrl({ ...base, revoked: [{ serial: 'xyz', date: NOW }] }), code('SMGW_PKI_BAD_ARGUMENT'));
    await assert.rejects(buildCrl({ ...base, issuer: { ...issuer, slot: 'root' } }), code('SMGW_PKI_BAD_ARGUMENT'));
    assert.deepEqual(serialBytes('abc'), new Uint8Array([0x0a, 0xbc]));
    assert.deepEqual(serialBytes('80'), new Uint8Array([0, 0x80]));
  });
});
