/**
 * Interoperability with OpenSSL 3 (`openssl cms`), spec notes §17 item 4 and the "Done
 * when": OpenSSL verifies the outer SignedData, prints every layer, and, with the SEC 1 OID that
 * names the same ECKA-EG/X9.63-KDF computation (OpenSSL does not know the BSI OID), decrypts our
 * AuthEnvelopedData, while we decrypt OpenSSL's.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ContentInfo } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CMS_OIDS,
  createAuthEnvelopedData,
  openAuthEnvelopedData,
  sealContainer,
  signOnly,
  verifySigned,
  verifySignedData,
} from '../src/cms/index.js';
import {
  makeTestPki,
  type Party,
  pemCertificate,
  recipientOf,
  signerOf,
  type TestPki,
  tempFiles,
} from './cms-fixtures.js';

const PAYLOAD = new TextEncoder().encode('<sml>1-0:1.8.0*255 = 12345.678 kWh</sml>\n');

function openssl(args: readonly string[]): { status: number | null; stdout: Buffer; stderr: string } {
  const r = spawnSync('openssl', args, { maxBuffer: 1 << 24 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr.toString() };
}

function wrapInContentInfo(contentType: string, content: Uint8Array): Uint8Array {
  return new Uint8Array(
    AsnConvert.serialize(new ContentInfo({ contentType, content: new Uint8Array(content).buffer as ArrayBuffer })),
  );
}

describe('openssl cms interop', () => {
  let pki: TestPki;
  let gw: Party;
  let emt: Party;
  let files: ReturnType<typeof tempFiles>;
  const path = (name: string) => join(files.dir, name);
  const write = (name: string, content: Uint8Array) => {
    writeFileSync(path(name), content);
    return path(name);
  };

  before(async () => {
    pki = await makeTestPki(['gw', 'emt', 'other']);
    gw = pki.party('gw');
    emt = pki.party('emt');
    // The software module hands its keys to OpenSSL as PKCS#8 PEM (its TLS bridge); here only
    // so that openssl can play the other side.
    const pemOf = async (p: Party, slot: string) => {
      const ref = await p.module.tlsKey(slot);
      assert.equal(ref.kind, 'pem');
      return ref.kind === 'pem' ? ref.pem : '';
    };
    files = tempFiles({
      'ca.pem': pemCertificate(pki.caCert),
      'gw-sig.pem': pemCertificate(gw.sigCert),
      'gw-sig.key': await pemOf(gw, gw.sigSlot),
      'emt-enc.pem': pemCertificate(emt.encCert),
      'emt-enc.key': await pemOf(emt, emt.encSlot),
      'payload.bin': PAYLOAD,
    });
  });
  after(async () => {
    files.dispose();
    await pki.close();
  });
  const signer = () => signerOf(gw);

  for (const encryption of ['aes-128-gcm', 'aes-128-cbc-cmac'] as const) {
    it(`${encryption}: openssl cms -verify accepts the SignedData and outputs the AuthEnvelopedData`, async () => {
      const container = await sealContainer({
        payload: PAYLOAD,
        recipients: [emt.encCert],
        signer: signer(),
        encryption,
      });
      const written = write(`sealed-${encryption}.der`, container);
      const inner = (await verifySignedData(container, { trustedSenders: [gw.sigCert] })).eContent;

      const noverify = openssl(['cms', '-verify', '-inform', 'DER', '-in', written, '-noverify', '-binary']);
      assert.equal(noverify.status, 0, noverify.stderr);
      assert.match(noverify.stderr, /Verification successful/);
      assert.deepEqual(new Uint8Array(noverify.stdout), inner);

      const chain = openssl([
        'cms',
        '-verify',
        '-inform',
        'DER',
        '-in',
        written,
        '-CAfile',
        path('ca.pem'),
        '-purpose',
        'any',
        '-binary',
        '-out',
        path('inner.der'),
      ]);
      assert.equal(chain.status, 0, chain.stderr);
      assert.deepEqual(new Uint8Array(readFileSync(path('inner.der'))), inner);

      const print = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', written]);
      assert.equal(print.status, 0, print.stderr);
      const outer = print.stdout.toString();
      assert.match(outer, /contentType: pkcs7-signedData/);
      assert.match(outer, /eContentType: id-smime-ct-authEnvelopedData/);
      assert.match(outer, /algorithm: ecdsa-with-SHA256/);
      assert.match(outer, /object: messageDigest/);

      const innerFile = write(`inner-${encryption}.der`, wrapInContentInfo(CMS_OIDS.ID_CT_AUTH_ENVELOPED_DATA, inner));
      const printInner = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', innerFile]);
      assert.equal(printInner.status, 0, printInner.stderr);
      const text = printInner.stdout.toString();
      assert.match(text, /d\.authEnvelopedData:/);
      assert.match(text, /d\.kari:/);
      assert.match(text, /d\.originatorKey:/);
      assert.match(text, /algorithm: undefined \(0\.4\.0\.127\.0\.7\.1\.1\.5\.1\.1\.3\)/);
      assert.match(text, /OBJECT +:id-aes128-wrap/);
      assert.match(text, /d\.issuerAndSerialNumber:/);
      assert.match(text, encryption === 'aes-128-gcm' ? /algorithm: aes-128-gcm/ : /algorithm: aes-128-cbc/);
    });
  }

  it('openssl cms -decrypt opens our AuthEnvelopedData (SEC 1 OID for the same key agreement)', async () => {
    const aed = await createAuthEnvelopedData({
      payload: PAYLOAD,
      // Two recipients: OpenSSL has to find its own KeyAgreeRecipientInfo.
      recipients: [pki.party('other').encCert, emt.encCert],
      random: (n) => gw.module.random(n),
      keyAgreementOid: CMS_OIDS.ID_DH_SINGLE_PASS_STD_DH_SHA256KDF,
    });
    const file = write('ours-secg.der', wrapInContentInfo(CMS_OIDS.ID_CT_AUTH_ENVELOPED_DATA, aed));
    const r = openssl([
      'cms',
      '-decrypt',
      '-inform',
      'DER',
      '-in',
      file,
      '-inkey',
      path('emt-enc.key'),
      '-recip',
      path('emt-enc.pem'),
      '-binary',
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(new Uint8Array(r.stdout), PAYLOAD);
  });

  it('we open what openssl cms -encrypt -aes-128-gcm makes for a brainpoolP256r1 ENC certificate', async () => {
    const out = path('theirs.der');
    const r = openssl([
      'cms',
      '-encrypt',
      '-aes-128-gcm',
      '-binary',
      '-outform',
      'DER',
      '-in',
      path('payload.bin'),
      '-out',
      out,
      '-recip',
      path('emt-enc.pem'),
      '-keyopt',
      'ecdh_kdf_md:sha256',
    ]);
    assert.equal(r.status, 0, r.stderr);
    const ci = AsnConvert.parse(readFileSync(out), ContentInfo);
    assert.equal(ci.contentType, CMS_OIDS.ID_CT_AUTH_ENVELOPED_DATA);
    const opened = await openAuthEnvelopedData(new Uint8Array(ci.content), recipientOf(emt));
    assert.deepEqual(opened.payload, PAYLOAD);
    assert.equal(opened.encryption, 'aes-128-gcm');
  });

  it('signed-only: openssl verifies ours, we verify an openssl-signed HAN export', async () => {
    const ours = write('signed.der', await signOnly({ payload: PAYLOAD, signer: signer() }));
    const v = openssl([
      'cms',
      '-verify',
      '-inform',
      'DER',
      '-in',
      ours,
      '-CAfile',
      path('ca.pem'),
      '-purpose',
      'any',
      '-binary',
    ]);
    assert.equal(v.status, 0, v.stderr);
    assert.deepEqual(new Uint8Array(v.stdout), PAYLOAD);

    const theirs = path('openssl-signed.der');
    const s = openssl([
      'cms',
      '-sign',
      '-binary',
      '-nodetach',
      '-md',
      'sha256',
      '-nosmimecap',
      '-outform',
      'DER',
      '-in',
      path('payload.bin'),
      '-out',
      theirs,
      '-signer',
      path('gw-sig.pem'),
      '-inkey',
      path('gw-sig.key'),
    ]);
    assert.equal(s.status, 0, s.stderr);
    const verified = await verifySigned(new Uint8Array(readFileSync(theirs)), { trustedSenders: [gw.sigCert] });
    assert.deepEqual(verified.payload, PAYLOAD);
    assert.equal(verified.contentType, CMS_OIDS.ID_DATA);
  });
});
