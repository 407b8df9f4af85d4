import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import { outlineContainer, sealContainer, signOnly } from '../src/cms/index.js';
import { CmsError } from '../src/errors.js';
import { parseCertificate } from '../src/pki/index.js';
import { makeTestPki, signerOf, type TestPki } from './cms-fixtures.js';

const CLOCK = new FakeClock('2026-03-01T12:00:00Z');
const PAYLOAD = new TextEncoder().encode('<sml>1-0:1.8.0*255 = 12345.678 kWh</sml>');

let pki: TestPki;
let sealed: Uint8Array;
let sealedCbc: Uint8Array;
let signed: Uint8Array;

before(async () => {
  pki = await makeTestPki(['gw', 'emt1', 'emt2']);
  const gw = pki.party('gw');
  const to = [pki.party('emt1').encCert, pki.party('emt2').encCert];
  sealed = await sealContainer({ payload: PAYLOAD, recipients: to, signer: signerOf(gw), clock: CLOCK });
  sealedCbc = await sealContainer({
    payload: PAYLOAD,
    recipients: to.slice(0, 1),
    signer: { ...signerOf(gw), chain: [pki.caCert] },
    encryption: 'aes-128-cbc-cmac',
    clock: CLOCK,
  });
  signed = await signOnly({ payload: PAYLOAD, signer: signerOf(gw), clock: CLOCK });
});

after(() => pki.close());

const idOf = (der: Uint8Array) => {
  const c = parseCertificate(der);
  return { issuer: c.issuer.text, serial: c.serial };
};

describe('outlineContainer', () => {
  it('outlines a sealed GCM container for two recipients: signer, algorithms, recipients, lengths', () => {
    const o = outlineContainer(sealed);
    const gwSig = parseCertificate(pki.party('gw').sigCert);
    assert.deepEqual(o.contentType, { oid: '1.2.840.113549.1.7.2', name: 'id-signedData' });
    const sd = o.signedData;
    assert.equal(sd.version, 3);
    assert.deepEqual(sd.eContentType, { oid: '1.2.840.113549.1.9.16.1.23', name: 'id-ct-authEnvelopedData' });
    assert.deepEqual(sd.digestAlgorithms, [{ oid: '2.16.840.1.101.3.4.2.1', name: 'id-sha256' }]);
    assert.deepEqual(sd.certificates, [{ subject: gwSig.subject.text, ...idOf(pki.party('gw').sigCert) }]);
    assert.equal(sd.crls, 0);
    assert.equal(sd.signers.length, 1);
    const signer = sd.signers[0];
    assert.ok(signer);
    assert.deepEqual(
      { issuer: (signer as { issuer: string }).issuer, serial: (signer as { serial: string }).serial },
      {
        issuer: gwSig.issuer.text,
        serial: gwSig.serial,
      },
    );
    assert.equal(signer.signingTime, '2026-03-01T12:00:00.000Z');
    assert.equal(signer.signatureAlgorithm.name, 'ecdsa-with-SHA256');
    assert.deepEqual(signer.signedAttributes.map((a) => a.name).sort(), [
      'content-type',
      'message-digest',
      'signing-time',
    ]);
    const aed = o.authEnvelopedData;
    assert.ok(aed);
    assert.equal(aed.version, 0);
    assert.equal(aed.recipients.length, 2);
    const ids = [idOf(pki.party('emt1').encCert), idOf(pki.party('emt2').encCert)];
    for (const r of aed.recipients) {
      assert.equal(r.type, 'kari');
      assert.equal(r.keyAgreement?.name, 'ecka-eg-X963KDF-SHA256');
      assert.equal(r.keyWrap?.name, 'id-aes128-wrap');
      assert.deepEqual(r.originator, {
        type: 'originatorKey',
        algorithm: { oid: '1.2.840.10045.2.1', name: 'id-ecPublicKey' },
        publicKeyLength: 65,
      });
      assert.equal(r.recipientEncryptedKeys?.[0]?.encryptedKeyLength, 24);
    }
    // recipients are a DER SET OF: compare as sets
    const got = aed.recipients.map((r) => {
      const k = r.recipientEncryptedKeys?.[0] as { issuer: string; serial: string };
      return `${k.issuer}/${k.serial}`;
    });
    assert.deepEqual(got.sort(), ids.map((i) => `${i.issuer}/${i.serial}`).sort());
    assert.deepEqual(aed.contentEncryption, {
      algorithm: { oid: '2.16.840.1.101.3.4.1.6', name: 'id-aes128-GCM' },
      encryption: 'aes-128-gcm',
      nonceLength: 12,
      icvLength: 16,
    });
    assert.equal(aed.ciphertextLength, PAYLOAD.length);
    assert.equal(aed.macLength, 16);
    assert.equal(aed.contentType.name, 'id-data');
  });

  it('outlines CBC+CMAC (IV length, 40-byte wrapped key) and lists the chain certificate', () => {
    const o = outlineContainer(sealedCbc);
    assert.equal(o.signedData.certificates.length, 2);
    assert.equal(o.signedData.certificates[1]?.subject, parseCertificate(pki.caCert).subject.text);
    const aed = o.authEnvelopedData;
    assert.ok(aed);
    assert.deepEqual(aed.contentEncryption, {
      algorithm: { oid: '2.16.840.1.101.3.4.1.2', name: 'id-aes128-CBC' },
      encryption: 'aes-128-cbc-cmac',
      ivLength: 16,
    });
    assert.equal(aed.recipients[0]?.recipientEncryptedKeys?.[0]?.encryptedKeyLength, 40);
    assert.equal(aed.ciphertextLength, Math.ceil((PAYLOAD.length + 1) / 16) * 16);
  });

  it('outlines a signed-only container: id-data and the payload length, no AuthEnvelopedData', () => {
    const o = outlineContainer(signed);
    assert.equal(o.signedData.version, 1);
    assert.deepEqual(o.signedData.eContentType, { oid: '1.2.840.113549.1.7.1', name: 'id-data' });
    assert.equal(o.signedData.eContentLength, PAYLOAD.length);
    assert.equal(o.authEnvelopedData, undefined);
  });

  it('refuses what is not a DER ContentInfo(SignedData): trailing byte, truncation, other type', () => {
    const code = (f: () => unknown) =>
      assert.throws(f, (e: unknown) => e instanceof CmsError && e.code === 'SMGW_CMS_MALFORMED');
    code(() => outlineContainer(Uint8Array.of(...signed, 0)));
    code(() => outlineContainer(signed.subarray(0, signed.length - 1)));
    code(() => outlineContainer(new Uint8Array(0)));
    // a certificate is DER but not a ContentInfo
    code(() => outlineContainer(pki.caCert));
    assert.throws(
      () => outlineContainer('x' as unknown as Uint8Array),
      (e: unknown) => e instanceof CmsError && e.code === 'SMGW_CMS_BAD_ARGUMENT',
    );
  });

  it('hostile input: random bytes and mutated containers give an outline or a CmsError, nothing else', () => {
    const onlyCmsErrors = (bytes: Uint8Array) => {
      try {
        const o = outlineContainer(bytes);
        JSON.stringify(o);
      } catch (e) {
        assert.ok(isSmgwError(e) && e instanceof CmsError, String(e));
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), onlyCmsErrors), { numRuns: 200 });
    fc.assert(
      fc.property(fc.constantFrom(sealed, signed), fc.nat(), fc.integer({ min: 1, max: 255 }), (c, at, x) => {
        const m = Uint8Array.from(c);
        const i = at % m.length;
        m[i] = (m[i] as number) ^ x;
        onlyCmsErrors(m);
      }),
      { numRuns: 300 },
    );
  });
});
