import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import { PkiError } from '../src/errors.js';
import {
  findExtension,
  isSelfIssued,
  isSelfSigned,
  parseCertificate,
  parseCertificates,
  unknownCriticalExtensions,
  verifyCertificateSignature,
} from '../src/pki/certificate.js';
import { checkDer, childrenOf, readTlv } from '../src/pki/der-structure.js';
import {
  commonName,
  country,
  namesEqual,
  nameValues,
  organization,
  subjectSerialNumber,
} from '../src/pki/distinguished-name.js';
import { toPem } from '../src/pki/pem.js';
import {
  CLIENT_AUTH,
  endUserCert,
  ext,
  localCert,
  rootCert,
  rootKey,
  SERVER_AUTH,
  SMPKI_POLICY,
  subCaCert,
  T0,
  testKey,
  YEAR,
} from './pki-fixtures.js';
import { opensslSelfSigned, type SelfSignedFiles } from './pki-openssl.js';

function assertMalformed(fn: () => unknown): void {
  assert.throws(fn, (e: unknown) => e instanceof PkiError && e.code === 'SMGW_PKI_MALFORMED');
}

describe('parseCertificate', () => {
  it('reads every field of an SM-PKI end-user TLS certificate', () => {
    const cert = parseCertificate(endUserCert('GWA', 'tls', { serial: new Uint8Array([0x00, 0x9a, 0x01]) }));
    assert.equal(cert.version, 3);
    assert.equal(cert.serial, '9a01');
    assert.equal(cert.serialBytes.length, 3);
    assert.equal(cert.serialNegative, false);
    assert.equal(commonName(cert.subject), 'OpenSMGW-Test.GWA');
    assert.equal(organization(cert.subject), 'SM-Test-PKI-DE');
    assert.equal(country(cert.subject), 'DE');
    assert.equal(commonName(cert.issuer), 'SM-Test-Sub.CA');
    assert.equal(subjectSerialNumber(cert.issuer), '1');
    assert.equal(cert.subject.text, 'CN=OpenSMGW-Test.GWA,O=SM-Test-PKI-DE,C=DE');
    assert.deepEqual(
      cert.subject.attributes.map((a) => a.key),
      ['CN', 'O', 'C'],
    );
    assert.equal(cert.notBefore.toISOString(), T0.toISOString());
    assert.equal(cert.notAfter.getTime(), T0.getTime() + 2 * YEAR);
    assert.equal(cert.publicKey.curve, 'brainpoolP256r1');
    assert.ok(cert.publicKey.key);
    assert.equal(cert.hash, 'SHA-256');
    assert.equal(cert.signatureAlgorithm, '1.2.840.10045.4.3.2');
    assert.equal(cert.tbsSignatureAlgorithm, cert.signatureAlgorithm);
    assert.equal(cert.signatureParamsPresent, false);
    assert.deepEqual([...(cert.ext.keyUsage ?? [])], ['digitalSignature']);
    assert.deepEqual(cert.ext.extKeyUsage, [SERVER_AUTH, CLIENT_AUTH]);
    assert.deepEqual(cert.ext.basicConstraints, { cA: false });
    assert.deepEqual(cert.ext.policies, [SMPKI_POLICY]);
    assert.deepEqual(cert.ext.subjectAltName, [{ type: 'dns', value: 'gwa.opensmgw.test' }]);
    assert.deepEqual(cert.ext.issuerAltName, [{ type: 'uri', value: 'http://pki.opensmgw.test/subca' }]);
    assert.deepEqual(cert.ext.crlDistributionPoints?.uris, ['http://pki.opensmgw.test/subca.crl']);
    assert.equal(cert.ext.subjectKeyId?.length, 20);
    assert.equal(cert.ext.authorityKeyId?.keyIdentifier?.length, 20);
    assert.equal(cert.extensions.length, 9);
    assert.equal(findExtension(cert, 'keyUsage')?.critical, true);
    assert.equal(findExtension(cert, 'certificatePolicies')?.critical, false);
    assert.equal(findExtension(cert, 'privateKeyUsagePeriod'), undefined);
    assert.equal(cert.fingerprint256.length, 64);
    // the TBS bytes are a prefix-free sub-slice of the DER that the signature covers
    assert.ok(Buffer.from(cert.der).includes(Buffer.from(cert.tbs)));
  });

  it('reads root, sub-CA and PKUP views and checks signatures with node:crypto', () => {
    const root = parseCertificate(rootCert());
    const sub = parseCertificate(subCaCert());
    assert.equal(root.publicKey.curve, 'brainpoolP384r1');
    assert.equal(root.hash, 'SHA-384');
    assert.deepEqual(root.ext.basicConstraints, { cA: true, pathLen: 1 });
    assert.deepEqual([...(root.ext.keyUsage ?? [])].sort(), ['cRLSign', 'keyCertSign']);
    assert.ok(isSelfIssued(root));
    assert.ok(isSelfSigned(root));
    assert.ok(!isSelfIssued(sub));
    assert.ok(verifyCertificateSignature(sub, root));
    assert.ok(!verifyCertificateSignature(sub, sub));
    assert.ok(namesEqual(sub.issuer, root.subject));
    const pkup = parseCertificate(endUserCert('EMT', 'sig', { set: [ext.pkup(T0, new Date(T0.getTime() + YEAR))] }));
    assert.deepEqual(pkup.ext.privateKeyUsagePeriod, { notBefore: T0, notAfter: new Date(T0.getTime() + YEAR) });
    assert.deepEqual([...(pkup.ext.keyUsage ?? [])], ['digitalSignature', 'nonRepudiation']);
  });

  it('reads keyAgreement and reports unknown critical extensions', () => {
    const enc = parseCertificate(
      endUserCert('SMGW', 'enc', { set: [{ oid: '1.2.3.4', critical: true, value: new Uint8Array([5, 0]) }] }),
    );
    assert.deepEqual([...(enc.ext.keyUsage ?? [])], ['keyAgreement']);
    assert.deepEqual(unknownCriticalExtensions(enc), ['1.2.3.4']);
    assert.equal(enc.extensions.at(-1)?.name, undefined);
  });

  it('keeps certificates with keys the profile forbids readable (lint reports them)', () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const secp256k1 = generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    for (const [pub, problem] of [
      [rsa.publicKey, /not id-ecPublicKey/],
      [secp256k1.publicKey, /not allowed by TR-03116-3/],
    ] as const) {
      const spki = new Uint8Array(pub.export({ format: 'der', type: 'spki' }));
      const cert = parseCertificate(
        localCert('han', {
          subjectKey: { curve: 'brainpoolP256r1', privateKey: testKey('brainpoolP256r1').privateKey, spki },
        }),
      );
      assert.equal(cert.publicKey.key, undefined);
      assert.match(cert.publicKey.problem ?? '', problem);
    }
  });

  it('reads PEM with several certificates and a certificate made by the openssl CLI', () => {
    const pem = toPem('CERTIFICATE', rootCert()) + toPem('CERTIFICATE', subCaCert());
    assert.deepEqual(
      parseCertificates(pem).map((c) => commonName(c.subject)),
      ['SM-Test-Root.CA', 'SM-Test-Sub.CA'],
    );
    const dir = mkdtempSync(join(tmpdir(), 'smgw-cert-'));
    try {
      const request = {
        curve: 'brainpoolP256r1',
        subject: '/CN=meter-1.LMN/O=Test/C=DE/serialNumber=42',
        days: 30,
        dir,
        extensions: [
          'keyUsage=critical,digitalSignature,keyAgreement',
          'extendedKeyUsage=critical,serverAuth',
          'subjectAltName=DNS:meter-1.test,IP:127.0.0.1,URI:urn:x,email:a@b.test',
        ],
      };
      let made: SelfSignedFiles;
      try {
        made = opensslSelfSigned({
          ...request,
          extensions: [...request.extensions, 'privateKeyUsagePeriod=critical,notBefore:20250101000000Z'],
        });
      } catch {
        // openssl 3.0 does not know privateKeyUsagePeriod via -addext: make it without.
        made = opensslSelfSigned(request);
      }
      const [cert] = parseCertificates(made.cert.toString('utf8'));
      assert.ok(cert);
      assert.ok(isSelfSigned(cert));
      assert.equal(subjectSerialNumber(cert.subject), '42');
      assert.deepEqual(nameValues(cert.subject, 'CN'), ['meter-1.LMN']);
      assert.deepEqual([...(cert.ext.keyUsage ?? [])], ['digitalSignature', 'keyAgreement']);
      assert.deepEqual(cert.ext.extKeyUsage, [SERVER_AUTH]);
      assert.deepEqual(cert.ext.subjectAltName, [
        { type: 'dns', value: 'meter-1.test' },
        { type: 'ip', value: '127.0.0.1' },
        { type: 'uri', value: 'urn:x' },
        { type: 'email', value: 'a@b.test' },
      ]);
      // openssl's serial and fingerprint agree with ours
      const text = execFileSync(
        'openssl',
        ['x509', '-in', made.certPath, '-noout', '-serial', '-fingerprint', '-sha256'],
        {
          encoding: 'utf8',
        },
      );
      assert.match(text, new RegExp(`serial=${cert.serial}`, 'i'));
      assert.match(text.replace(/:/g, ''), new RegExp(cert.fingerprint256, 'i'));
      // and DER read as raw bytes works too
      writeFileSync(join(dir, 'c.der'), cert.der);
      assert.equal(parseCertificates(readFileSync(join(dir, 'c.der')))[0]?.serial, cert.serial);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseCertificate on malformed input', () => {
  const good = rootCert();

  it('rejects trailing bytes, BER indefinite lengths, truncation and non-certificates', () => {
    assertMalformed(() => parseCertificate(new Uint8Array([...good, 0])));
    assertMalformed(() => parseCertificate(good.subarray(0, good.length - 1)));
    assertMalformed(() => parseCertificate(new Uint8Array(0)));
    assertMalformed(() => parseCertificate(new Uint8Array([0x30, 0x80, 0x00, 0x00])));
    assertMalformed(() => parseCertificate(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])));
    // long-form length where short form fits
    assertMalformed(() => parseCertificate(new Uint8Array([0x30, 0x81, 0x03, 0x02, 0x01, 0x01])));
    assertMalformed(() => parseCertificate('not a cert' as unknown as Uint8Array));
    assertMalformed(() => parseCertificates('-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n'));
    assertMalformed(() => parseCertificates('no pem here'));
  });

  it('rejects a signature BIT STRING with unused bits (the same signature under other bytes)', () => {
    // find a certificate whose signature ends in an even byte, so one unused bit would still be DER
    let der = endUserCert('GWA', 'tls');
    for (let i = 0; (der[der.length - 1] as number) & 1; i++)
      der = endUserCert('GWA', 'tls', { serial: new Uint8Array([0x40, i]) });
    const outer = readTlv(der, 0);
    const [, , sig] = childrenOf(der, outer);
    assert.ok(sig && sig.tag === 0x03);
    assert.ok(parseCertificate(der));
    const bent = der.slice();
    bent[sig.contentStart] = 1;
    assertMalformed(() => parseCertificate(bent));
    // and DER itself: unused bits must be zero, an empty BIT STRING has none
    assertMalformed(() => checkDer(new Uint8Array([0x03, 0x02, 0x01, 0x01])));
    assertMalformed(() => checkDer(new Uint8Array([0x03, 0x01, 0x01])));
    assert.doesNotThrow(() => checkDer(new Uint8Array([0x03, 0x02, 0x01, 0x02])));
  });

  it('rejects a duplicated extension and a malformed extension value', () => {
    assertMalformed(() => parseCertificate(endUserCert('GWA', 'sig', { append: [ext.keyUsage(1)] })));
    // an unknown extension with any value is fine (kept, not decoded)
    assert.doesNotThrow(() =>
      parseCertificate(
        endUserCert('GWA', 'sig', { set: [{ oid: '1.2.3', critical: false, value: new Uint8Array([1, 2, 3]) }] }),
      ),
    );
    // a KeyUsage extension whose value is an INTEGER
    assertMalformed(() =>
      parseCertificate(
        endUserCert('GWA', 'sig', { set: [{ oid: '2.5.29.15', critical: true, value: new Uint8Array([2, 1, 1]) }] }),
      ),
    );
    // a BasicConstraints value with trailing garbage
    const bc = ext.basicConstraints(false);
    assertMalformed(() =>
      parseCertificate(endUserCert('GWA', 'sig', { set: [{ ...bc, value: new Uint8Array([...bc.value, 0]) }] })),
    );
  });

  it('random bytes give only PkiError SMGW_PKI_MALFORMED', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 600 }), (bytes) => {
        try {
          parseCertificate(bytes);
        } catch (e) {
          assert.ok(isSmgwError(e), String(e));
          assert.equal((e as PkiError).code, 'SMGW_PKI_MALFORMED');
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('random mutations of valid certificates give a certificate or only PkiError', () => {
    const corpus = [rootCert(), subCaCert(), endUserCert('GWA', 'tls'), endUserCert('SMGW', 'enc'), localCert('lmn')];
    const root = parseCertificate(corpus[0] as Uint8Array);
    const mutation = fc.record({
      which: fc.nat({ max: corpus.length - 1 }),
      edits: fc.array(
        fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('set', 'xor', 'insert', 'delete')),
        {
          minLength: 1,
          maxLength: 4,
        },
      ),
    });
    let parsed = 0;
    fc.assert(
      fc.property(mutation, ({ which, edits }) => {
        let bytes = [...(corpus[which] as Uint8Array)];
        for (const [pos, v, op] of edits) {
          const i = pos % (bytes.length + 1);
          if (op === 'set') bytes[i] = v;
          else if (op === 'xor') bytes[i] = (bytes[i] ?? 0) ^ (v || 1);
          else if (op === 'insert') bytes.splice(i, 0, v);
          else bytes.splice(i, 1);
        }
        bytes = bytes.map((b) => b & 0xff);
        try {
          const cert = parseCertificate(new Uint8Array(bytes));
          parsed += 1;
          // a mutated root never verifies as self-signed unless its TBS is intact
          if (which === 0 && isSelfSigned(cert)) assert.ok(Buffer.from(cert.tbs).equals(Buffer.from(root.tbs)));
        } catch (e) {
          assert.ok(isSmgwError(e), String(e));
          assert.equal((e as PkiError).code, 'SMGW_PKI_MALFORMED');
        }
      }),
      { numRuns: 2000 },
    );
    assert.ok(parsed > 0, 'some mutations (inside names, keys, signatures) still parse');
  });

  it('a root key is what signs the root', () => {
    assert.ok(
      verifyCertificateSignature(
        parseCertificate(rootCert()),
        parseCertificate(rootCert()).publicKey.key ?? assert.fail(),
      ),
    );
    assert.ok(rootKey().spki.length > 0);
  });
});
