import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import { PkiError } from '../src/errors.js';
import { subjectAltNameExtension } from '../src/pki/certificate-extensions.js';
import { buildCsr, parseCsr, readVerifiedCsr, verifyCsr } from '../src/pki/csr.js';
import { readDerObjects, toPem } from '../src/pki/pem.js';
import { MemorySecurityModule } from './pki-memory-module.js';
import { openssl } from './pki-openssl.js';

describe('PKCS#10 requests', () => {
  let dir: string;
  const m = new MemorySecurityModule();
  let csrDer: Uint8Array;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smgw-csr-'));
    await m.generateKeyPair('wan-tls', 'brainpoolP256r1');
    csrDer = await buildCsr({
      module: m,
      slot: 'wan-tls',
      subject: [
        { type: 'C', value: 'DE' },
        { type: 'O', value: 'SM-Test-PKI-DE' },
        { type: 'CN', value: 'OpenSMGW-Test.GWA' },
      ],
      extensions: [subjectAltNameExtension([{ dns: 'gwa.opensmgw.test' }])],
    });
    writeFileSync(join(dir, 'req.pem'), toPem('CERTIFICATE REQUEST', csrDer));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('openssl req -verify accepts a request signed inside the module', () => {
    const r = openssl(['req', '-in', join(dir, 'req.pem'), '-verify', '-noout', '-text']);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /verify OK|Certificate request self-signature verify OK/);
    assert.match(r.stdout, /Subject: C = DE, O = SM-Test-PKI-DE, CN = OpenSMGW-Test.GWA/);
    assert.match(r.stdout, /ASN1 OID: brainpoolP256r1/);
    assert.match(r.stdout, /DNS:gwa.opensmgw.test/);
    assert.match(r.stdout, /Signature Algorithm: ecdsa-with-SHA256/);
  });

  it('parses and verifies its own request', async () => {
    const csr = readVerifiedCsr(csrDer);
    assert.equal(csr.commonName, 'OpenSMGW-Test.GWA');
    assert.equal(csr.hash, 'SHA-256');
    assert.equal(csr.publicKey.curve, 'brainpoolP256r1');
    assert.deepEqual(csr.publicKey.spki, (await m.publicKey('wan-tls')).spki);
    assert.deepEqual(
      csr.subject.map((a) => `${a.type}=${a.value}`),
      ['C=DE', 'O=SM-Test-PKI-DE', 'CN=OpenSMGW-Test.GWA'],
    );
    assert.equal(csr.requestedExtensions.length, 1);
    assert.equal(csr.requestedExtensions[0]?.oid, '2.5.29.17');
  });

  it('parses and verifies a brainpoolP384r1 request made by openssl (SHA384)', () => {
    const key = join(dir, 'k.pem');
    const req = join(dir, 'o.pem');
    const g = openssl(['ecparam', '-name', 'brainpoolP384r1', '-genkey', '-noout', '-out', key]);
    assert.equal(g.status, 0, g.stderr);
    const r = openssl(['req', '-new', '-key', key, '-sha384', '-subj', '/C=DE/CN=x.EMT', '-out', req]);
    assert.equal(r.status, 0, r.stderr);
    const csr = readVerifiedCsr(
      readDerObjects(readFileSync(req, 'utf8'), 'CERTIFICATE REQUEST')[0] ?? new Uint8Array(),
    );
    assert.equal(csr.commonName, 'x.EMT');
    assert.equal(csr.hash, 'SHA-384');
    assert.equal(csr.publicKey.curve, 'brainpoolP384r1');
    assert.equal(csr.requestedExtensions.length, 0);
  });

  it('a request from a foreign key algorithm (RSA) is SMGW_PKI_MALFORMED', () => {
    const key = join(dir, 'rsa.pem');
    const req = join(dir, 'rsa-req.pem');
    assert.equal(openssl(['genrsa', '-out', key, '1024']).status, 0);
    assert.equal(openssl(['req', '-new', '-key', key, '-subj', '/CN=x', '-out', req]).status, 0);
    const der = readDerObjects(readFileSync(req, 'utf8'), 'CERTIFICATE REQUEST')[0] ?? new Uint8Array();
    assert.throws(
      () => parseCsr(der),
      (e) => e instanceof PkiError && e.code === 'SMGW_PKI_MALFORMED',
    );
  });

  it('a changed subject breaks the self-signature: SMGW_PKI_BAD_SIGNATURE', () => {
    const csr = parseCsr(csrDer);
    const at = Buffer.from(csrDer).indexOf('OpenSMGW-Test.GWA');
    const bad = new Uint8Array(csrDer);
    bad[at] = 0x58; // 'O' -> 'X'
    const parsed = parseCsr(bad);
    assert.equal(parsed.commonName, 'XpenSMGW-Test.GWA');
    assert.throws(
      () => verifyCsr(parsed),
      (e) => e instanceof PkiError && e.code === 'SMGW_PKI_BAD_SIGNATURE',
    );
    verifyCsr(csr);
  });

  it('random bytes and random mutations of a request give only PkiError', () => {
    const check = (bytes: Uint8Array) => {
      try {
        readVerifiedCsr(bytes);
      } catch (e) {
        assert.ok(isSmgwError(e) && e instanceof PkiError, `not a PkiError: ${String(e)}`);
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), (b) => check(b)),
      { numRuns: 1000 },
    );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(csrDer.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
        fc.nat(csrDer.length),
        fc.boolean(),
        (flips, cut, truncate) => {
          const b = new Uint8Array(csrDer);
          for (const [i, v] of flips) b[i] = v;
          check(truncate ? b.subarray(0, cut) : b);
        },
      ),
      { numRuns: 3000 },
    );
  });
});
