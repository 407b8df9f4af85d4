import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import { Version } from '@peculiar/asn1-x509';
import { verifySignature } from '../src/ec-keys.js';
import { PkiError } from '../src/errors.js';
import { issueCertificate, serialInteger } from '../src/pki/certificate-builder.js';
import { privateKeyUsagePeriodExtension } from '../src/pki/certificate-extensions.js';
import {
  type EndUserRole,
  type EndUserType,
  endUserProfile,
  localSelfSignedProfile,
} from '../src/pki/certificate-profiles.js';
import { toPem } from '../src/pki/pem.js';
import { type MemoryCa, makeMemoryCa } from './memory-ca.js';
import { MemorySecurityModule } from './pki-memory-module.js';
import { openssl, x509Text } from './pki-openssl.js';

const NOW = new Date('2026-01-15T10:00:00Z');
const LATER = (years: number) => new Date(Date.UTC(2026 + years, 0, 15, 10));
// openssl verify checks validity at the real time: the chain must cover it.
const VERIFY_AT = ['-attime', String(Math.floor(NOW.getTime() / 1000) + 3600)];

describe('certificate builder', () => {
  let dir: string;
  // The root and Sub-CA under test: made by the builder with the src profiles (memory-ca.ts).
  let ca: MemoryCa;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'smgw-builder-'));
    ca = await makeMemoryCa({ notBefore: NOW, rootNotAfter: LATER(10), subNotAfter: LATER(7), dir });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a self-signed brainpoolP384r1 root with ecdsa-with-SHA384 that openssl parses', () => {
    const text = x509Text(join(dir, 'root.pem'));
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
    assert.match(text, /ASN1 OID: brainpoolP384r1/);
    assert.match(text, /Subject: C = DE, O = SM-Test-PKI-DE, serialNumber = 1, CN = SM-Test-Root.CA/);
    assert.match(text, /Basic Constraints: critical\s+CA:TRUE, pathlen:1/);
    assert.match(text, /Policy: 0\.4\.0\.127\.0\.7\.3\.4\.1\.1\.1/);
  });

  it('signs the Sub-CA with the root (SHA384) and openssl accepts the chain', () => {
    const text = x509Text(join(dir, 'sub.pem'));
    assert.match(text, /Signature Algorithm: ecdsa-with-SHA384/);
    assert.match(text, /ASN1 OID: brainpoolP256r1/);
    assert.match(text, /Issuer: C = DE, O = SM-Test-PKI-DE, serialNumber = 1, CN = SM-Test-Root.CA/);
    const v = openssl(['verify', ...VERIFY_AT, '-CAfile', join(dir, 'root.pem'), join(dir, 'sub.pem')]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });

  const cases: [EndUserRole, EndUserType][] = [];
  for (const role of ['GWA', 'EMT', 'SMGW', 'GWH'] as const)
    for (const type of ['tls', 'sig', 'enc'] as const) cases.push([role, type]);
  for (const [role, type] of cases) {
    it(`issues a ${role} ${type} certificate that openssl verifies against root and Sub-CA`, async () => {
      const m = new MemorySecurityModule();
      const key = await m.generateKeyPair('k', 'brainpoolP256r1');
      const p = endUserProfile({
        keys: { subjectKey: key, issuerKey: ca.subKey },
        role,
        type,
        commonName: `OpenSMGW-Test.${role}`,
        subjectAltNames: [{ dns: `${role.toLowerCase()}.opensmgw.test` }],
        crlDistributionPoint: 'http://pki.opensmgw.test/subca.crl',
        issuerAltName: [{ uri: 'http://pki.opensmgw.test/subca' }],
      });
      const c = await issueCertificate({
        issuer: ca.sub,
        subjectPublicKey: key,
        ...p,
        serial: new Uint8Array([0xff, 0, 1]),
        notBefore: NOW,
        notAfter: LATER(2),
      });
      assert.equal(c.serialHex, 'ff0001');
      const file = join(dir, `${role}-${type}.pem`);
      writeFileSync(file, toPem('CERTIFICATE', c.der));
      const text = x509Text(file);
      assert.match(text, /Signature Algorithm: ecdsa-with-SHA256/);
      assert.match(text, /Serial Number:\s+00:ff:00:01|Serial Number: 16711681/);
      assert.match(text, /Authority Key Identifier/);
      assert.match(text, /Subject Key Identifier/);
      assert.match(text, /Key Usage: critical/);
      assert.match(text, /Issuer Alternative Name/);
      assert.match(text, /Basic Constraints: critical\s+CA:FALSE/);
      assert.match(text, /CRL Distribution Points/);
      assert.doesNotMatch(text, /Private Key Usage Period/);
      assert.equal(/Subject Alternative Name/.test(text), role !== 'SMGW');
      assert.equal(/Extended Key Usage: critical/.test(text), type === 'tls');
      const ku = { tls: /Digital Signature\n/, sig: /Digital Signature, Non Repudiation/, enc: /Key Agreement/ }[type];
      assert.match(text, ku);
      const v = openssl([
        'verify',
        ...VERIFY_AT,
        '-CAfile',
        join(dir, 'root.pem'),
        '-untrusted',
        join(dir, 'sub.pem'),
        file,
      ]);
      assert.equal(v.status, 0, v.stdout + v.stderr);
    });
  }

  it('makes a self-signed local LMN certificate (SHA256, brainpoolP256r1)', async () => {
    const m = new MemorySecurityModule();
    const key = await m.generateKeyPair('lmn-tls', 'brainpoolP256r1');
    const p = localSelfSignedProfile({ key, commonName: 'EOSM0100000001 LMN', extendedKeyUsage: ['serverAuth'] });
    const c = await issueCertificate({
      issuer: { module: m, slot: 'lmn-tls' },
      subjectPublicKey: key,
      ...p,
      serial: new Uint8Array([9]),
      notBefore: NOW,
      notAfter: LATER(7),
    });
    const file = join(dir, 'lmn.pem');
    writeFileSync(file, toPem('CERTIFICATE', c.der));
    const v = openssl(['verify', ...VERIFY_AT, '-CAfile', file, file]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
  });

  it('signature covers the TBS bytes exactly (checked with node:crypto)', async () => {
    const { Certificate } = await import('@peculiar/asn1-x509');
    const { AsnConvert } = await import('@peculiar/asn1-schema');
    const cert = AsnConvert.parse(ca.subDer, Certificate);
    const tbs = new Uint8Array(cert.tbsCertificateRaw ?? AsnConvert.serialize(cert.tbsCertificate));
    assert.ok(verifySignature(ca.rootKey.spki, tbs, new Uint8Array(cert.signatureValue), 'SHA-384'));
    const bad = new Uint8Array(tbs);
    bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 1;
    assert.ok(!verifySignature(ca.rootKey.spki, bad, new Uint8Array(cert.signatureValue), 'SHA-384'));
  });

  it('the test-only mutate hook and extension overrides make hand-made violations', async () => {
    const m = new MemorySecurityModule();
    const key = await m.generateKeyPair('x', 'brainpoolP256r1');
    const c = await issueCertificate({
      issuer: { module: m, slot: 'x' },
      subjectPublicKey: key,
      subject: [{ type: 'CN', value: 'x' }],
      serial: new Uint8Array([1]),
      notBefore: NOW,
      notAfter: LATER(1),
      extensions: [privateKeyUsagePeriodExtension({ notAfter: LATER(1) }, { critical: true })],
      hash: 'SHA-256',
      mutate: (tbs) => {
        tbs.version = Version.v2;
      },
    });
    const file = join(dir, 'mut.pem');
    writeFileSync(file, toPem('CERTIFICATE', c.der));
    const text = x509Text(file);
    assert.match(text, /Version: 2 \(0x1\)/);
    assert.match(text, /Private Key Usage Period: critical/);
  });

  it('rejects bad arguments with PkiError', async () => {
    assert.throws(
      () => serialInteger(new Uint8Array([0, 0])),
      (e) => e instanceof PkiError,
    );
    assert.throws(
      () => serialInteger(new Uint8Array(21).fill(1)),
      (e) => e instanceof PkiError,
    );
    assert.deepEqual(serialInteger(new Uint8Array([0, 0x80])), new Uint8Array([0, 0x80]));
    const m = new MemorySecurityModule();
    const k1 = await m.generateKeyPair('a', 'brainpoolP256r1');
    await m.generateKeyPair('b', 'brainpoolP256r1');
    const base = {
      subject: [{ type: 'CN' as const, value: 'x' }],
      serial: new Uint8Array([1]),
      notBefore: NOW,
      notAfter: LATER(1),
      extensions: [],
      hash: 'SHA-256' as const,
    };
    // self-signed with a key that is not the subject key
    await assert.rejects(
      issueCertificate({ ...base, issuer: { module: m, slot: 'b' }, subjectPublicKey: k1 }),
      (e) => isSmgwError(e) && e.code === 'SMGW_PKI_BAD_ARGUMENT',
    );
    // issuer certificate whose key is not in the slot
    await assert.rejects(
      issueCertificate({ ...base, issuer: { module: m, slot: 'a', certificate: ca.subDer }, subjectPublicKey: k1 }),
      (e) => isSmgwError(e) && e.code === 'SMGW_PKI_BAD_ARGUMENT',
    );
    await assert.rejects(
      issueCertificate({ ...base, notAfter: new Date(0), issuer: { module: m, slot: 'a' }, subjectPublicKey: k1 }),
      (e) => isSmgwError(e) && e.code === 'SMGW_PKI_BAD_ARGUMENT',
    );
    await assert.rejects(
      issueCertificate({
        ...base,
        issuer: { module: m, slot: 'a', certificate: new Uint8Array([1, 2, 3]) },
        subjectPublicKey: k1,
      }),
      (e) => isSmgwError(e) && e.code === 'SMGW_PKI_MALFORMED',
    );
  });
});
