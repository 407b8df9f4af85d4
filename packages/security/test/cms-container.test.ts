import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { AuthEnvelopedData, GcmParameters } from '../src/cms/cms-asn1.js';
import {
  CMS_OIDS,
  type ContentEncryption,
  openContainer,
  sealContainer,
  signOnly,
  verifySigned,
  verifySignedData,
} from '../src/cms/index.js';
import type { CurveName } from '../src/curves.js';
import type { SecurityModule } from '../src/module/security-module.js';
import { validatePath } from '../src/pki/validate.js';
import { makeTestPki, type Party, recipientOf, signerOf, type TestPki } from './cms-fixtures.js';

const enc = new TextEncoder();
const PAYLOAD = enc.encode('<sml>1-0:1.8.0*255 = 12345.678 kWh</sml>');
const CLOCK = new FakeClock('2026-03-01T12:00:00Z');

interface Parsed {
  readonly signedData: SignedData;
  readonly aed: AuthEnvelopedData;
}
function parse(container: Uint8Array): Parsed {
  const ci = AsnConvert.parse(container, ContentInfo);
  const signedData = AsnConvert.parse(ci.content, SignedData);
  const eContent = signedData.encapContentInfo.eContent?.single;
  assert.ok(eContent);
  return { signedData, aed: AsnConvert.parse(eContent.buffer, AuthEnvelopedData) };
}
const hex = (b: ArrayBuffer | Uint8Array) =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

describe('CMS containers: SignedData over AuthEnvelopedData (spec notes §3.7)', () => {
  let pki: TestPki;
  let gw: Party;
  let emts: Party[];
  let mallory: Party;
  before(async () => {
    pki = await makeTestPki(['gw', 'emt-1', 'emt-2', 'emt-3', 'mallory']);
    gw = pki.party('gw');
    emts = ['emt-1', 'emt-2', 'emt-3'].map((n) => pki.party(n));
    mallory = pki.party('mallory');
  });
  after(async () => {
    await pki.close();
  });

  for (const encryption of ['aes-128-gcm', 'aes-128-cbc-cmac'] as const) {
    for (const count of [1, 3]) {
      it(`${encryption}, ${count} recipient(s): every recipient opens it and learns payload, sender, time`, async () => {
        const recipients = emts.slice(0, count);
        const container = await sealContainer({
          payload: PAYLOAD,
          recipients: recipients.map((r) => r.encCert),
          signer: signerOf(gw),
          encryption,
          clock: CLOCK,
        });
        assert.equal(parse(container).aed.recipientInfos.length, count);
        for (const r of recipients) {
          const opened = await openContainer(container, { trustedSenders: [gw.sigCert], recipient: recipientOf(r) });
          assert.deepEqual(opened.payload, PAYLOAD);
          assert.equal(opened.contentType, CMS_OIDS.ID_DATA);
          assert.deepEqual(opened.sender, gw.sigCert);
          assert.equal(opened.signingTime.toISOString(), '2026-03-01T12:00:00.000Z');
          assert.equal(opened.encryption, encryption);
        }
      });
    }
    it(`${encryption}: empty, one-block and odd-sized payloads and another content type round-trip`, async () => {
      for (const payload of [new Uint8Array(0), new Uint8Array(16).fill(7), new Uint8Array(1000).map((_, i) => i)]) {
        const container = await sealContainer({
          payload,
          contentType: '1.2.3.4.5',
          recipients: [emts[0]?.encCert as Uint8Array],
          signer: signerOf(gw),
          encryption,
        });
        const opened = await openContainer(container, {
          trustedSenders: [gw.sigCert],
          recipient: recipientOf(emts[0] as Party),
        });
        assert.deepEqual(opened.payload, payload);
        assert.equal(opened.contentType, '1.2.3.4.5');
      }
    });
  }

  it('recipients on every TR-03116-3 curve share one container (one ephemeral key per recipient)', async () => {
    const curves: CurveName[] = ['brainpoolP256r1', 'brainpoolP384r1', 'brainpoolP512r1', 'P-256', 'P-384'];
    const pkis = await Promise.all(curves.map((c) => makeTestPki(['r'], c)));
    try {
      const parties = pkis.map((p) => p.party('r'));
      const container = await sealContainer({
        payload: PAYLOAD,
        recipients: parties.map((p) => p.encCert),
        signer: signerOf(gw),
      });
      const points = parse(container).aed.recipientInfos.map((ri) => ri.kari?.originator.originatorKey?.publicKey);
      assert.deepEqual(
        Array.from(points, (p) => p?.byteLength).sort((x, y) => (x ?? 0) - (y ?? 0)),
        [65, 65, 97, 97, 129],
      );
      for (const p of parties) {
        const opened = await openContainer(container, { trustedSenders: [gw.sigCert], recipient: recipientOf(p) });
        assert.deepEqual(opened.payload, PAYLOAD);
      }
    } finally {
      for (const p of pkis) await p.close();
    }
  });

  it('the structure is the profile: OIDs, GCM nonce 12 and tag 16, kari fields, SignerInfo', async () => {
    const container = await sealContainer({
      payload: PAYLOAD,
      recipients: [emts[0]?.encCert as Uint8Array, emts[1]?.encCert as Uint8Array],
      signer: signerOf(gw),
      clock: CLOCK,
    });
    const ci = AsnConvert.parse(container, ContentInfo);
    assert.equal(ci.contentType, '1.2.840.113549.1.7.2');
    const { signedData: sd, aed } = parse(container);
    assert.equal(sd.version, 3);
    assert.equal(sd.encapContentInfo.eContentType, '1.2.840.113549.1.9.16.1.23');
    assert.deepEqual(
      Array.from(sd.digestAlgorithms, (a) => [a.algorithm, a.parameters]),
      [['2.16.840.1.101.3.4.2.1', undefined]],
    );
    assert.equal(sd.certificates?.length, 1);
    assert.equal(sd.signerInfos.length, 1);
    const si = sd.signerInfos[0];
    assert.ok(si);
    assert.equal(si.version, 1);
    assert.ok(si.sid.issuerAndSerialNumber);
    assert.equal(si.signatureAlgorithm.algorithm, '1.2.840.10045.4.3.2');
    assert.equal(si.signatureAlgorithm.parameters, undefined);
    assert.deepEqual(si.signedAttrs?.map((a) => a.attrType).sort(), [
      '1.2.840.113549.1.9.3',
      '1.2.840.113549.1.9.4',
      '1.2.840.113549.1.9.5',
    ]);

    assert.equal(aed.version, 0);
    assert.equal(aed.authAttrs, undefined);
    const eci = aed.authEncryptedContentInfo;
    assert.equal(eci.contentType, '1.2.840.113549.1.7.1');
    assert.equal(eci.contentEncryptionAlgorithm.algorithm, '2.16.840.1.101.3.4.1.6');
    const gcm = AsnConvert.parse(eci.contentEncryptionAlgorithm.parameters as ArrayBuffer, GcmParameters);
    assert.equal(gcm.nonce.byteLength, 12);
    assert.equal(gcm.icvLen, 16);
    assert.equal(aed.mac.byteLength, 16);
    assert.equal(eci.encryptedContent?.value?.byteLength, PAYLOAD.length);
    for (const ri of aed.recipientInfos) {
      const kari = ri.kari;
      assert.ok(kari, 'KeyAgreeRecipientInfo');
      assert.equal(kari.version, 3);
      assert.equal(kari.ukm, undefined);
      const ok = kari.originator.originatorKey;
      assert.ok(ok, 'originator is an OriginatorPublicKey');
      assert.equal(ok.algorithm.algorithm, '1.2.840.10045.2.1');
      assert.equal(ok.algorithm.parameters, undefined);
      assert.equal(ok.publicKey.byteLength, 65);
      assert.equal(new Uint8Array(ok.publicKey)[0], 4);
      assert.equal(kari.keyEncryptionAlgorithm.algorithm, '0.4.0.127.0.7.1.1.5.1.1.3');
      const wrap = AsnConvert.parse(kari.keyEncryptionAlgorithm.parameters as ArrayBuffer, AlgorithmIdentifier);
      assert.equal(wrap.algorithm, '2.16.840.1.101.3.4.1.5');
      assert.equal(wrap.parameters, undefined);
      assert.equal(kari.recipientEncryptedKeys.length, 1);
      assert.ok(kari.recipientEncryptedKeys[0]?.rid.issuerAndSerialNumber);
      assert.equal(kari.recipientEncryptedKeys[0]?.encryptedKey.byteLength, 24);
    }
  });

  it('AES-128-CBC + CMAC: zero IV, 16-byte CMAC, a 32-byte content key wrapped into 40 bytes', async () => {
    const container = await sealContainer({
      payload: PAYLOAD,
      recipients: [emts[0]?.encCert as Uint8Array],
      signer: signerOf(gw),
      encryption: 'aes-128-cbc-cmac',
    });
    const { aed } = parse(container);
    const alg = aed.authEncryptedContentInfo.contentEncryptionAlgorithm;
    assert.equal(alg.algorithm, '2.16.840.1.101.3.4.1.2');
    assert.equal(hex(AsnConvert.parse(alg.parameters as ArrayBuffer, OctetString).buffer), '00'.repeat(16));
    assert.equal(aed.mac.byteLength, 16);
    assert.equal(aed.authEncryptedContentInfo.encryptedContent?.value?.byteLength, 48); // 41 bytes + 7 padding
    assert.equal(aed.recipientInfos[0]?.kari?.recipientEncryptedKeys[0]?.encryptedKey.byteLength, 40);
  });

  for (const encryption of ['aes-128-gcm', 'aes-128-cbc-cmac'] as ContentEncryption[]) {
    it(`${encryption}: a fresh content key, ephemeral key and nonce per message`, async () => {
      const seal = () =>
        sealContainer({
          payload: PAYLOAD,
          recipients: [emts[0]?.encCert as Uint8Array],
          signer: signerOf(gw),
          encryption,
          clock: CLOCK,
        });
      const a = parse(await seal()).aed;
      const b = parse(await seal()).aed;
      const kariA = a.recipientInfos[0]?.kari;
      const kariB = b.recipientInfos[0]?.kari;
      assert.notEqual(
        hex(kariA?.originator.originatorKey?.publicKey as ArrayBuffer),
        hex(kariB?.originator.originatorKey?.publicKey as ArrayBuffer),
      );
      assert.notEqual(
        hex(kariA?.recipientEncryptedKeys[0]?.encryptedKey.buffer as ArrayBuffer),
        hex(kariB?.recipientEncryptedKeys[0]?.encryptedKey.buffer as ArrayBuffer),
      );
      assert.notEqual(
        hex(a.authEncryptedContentInfo.encryptedContent?.value?.buffer as ArrayBuffer),
        hex(b.authEncryptedContentInfo.encryptedContent?.value?.buffer as ArrayBuffer),
      );
      assert.notEqual(hex(a.mac.buffer), hex(b.mac.buffer));
      if (encryption === 'aes-128-gcm') {
        const nonce = (x: AuthEnvelopedData) =>
          hex(
            AsnConvert.parse(
              x.authEncryptedContentInfo.contentEncryptionAlgorithm.parameters as ArrayBuffer,
              GcmParameters,
            ).nonce.buffer,
          );
        assert.notEqual(nonce(a), nonce(b));
      }
    });
  }

  it('the content key and the GCM nonce come from the sender module (random)', async () => {
    const requests: number[] = [];
    const counting = new Proxy(gw.module, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop === 'random') {
          return (n: number) => {
            requests.push(n);
            return target.random(n);
          };
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as SecurityModule;
    await sealContainer({
      payload: PAYLOAD,
      recipients: [emts[0]?.encCert as Uint8Array],
      signer: { ...signerOf(gw), module: counting },
    });
    await sealContainer({
      payload: PAYLOAD,
      recipients: [emts[0]?.encCert as Uint8Array],
      signer: { ...signerOf(gw), module: counting },
      encryption: 'aes-128-cbc-cmac',
    });
    assert.deepEqual(requests, [16, 12, 32]);
  });

  it('wrong recipient: SMGW_CMS_NOT_RECIPIENT', async () => {
    const container = await sealContainer({
      payload: PAYLOAD,
      recipients: [emts[0]?.encCert as Uint8Array],
      signer: signerOf(gw),
    });
    await assert.rejects(openContainer(container, { trustedSenders: [gw.sigCert], recipient: recipientOf(mallory) }), {
      code: 'SMGW_CMS_NOT_RECIPIENT',
    });
  });

  it("a recipient certificate with another party's key: the unwrap fails, SMGW_CMS_DECRYPT", async () => {
    const container = await sealContainer({
      payload: PAYLOAD,
      recipients: [emts[0]?.encCert as Uint8Array],
      signer: signerOf(gw),
    });
    const impostor = { module: mallory.module, slot: mallory.encSlot, certificate: emts[0]?.encCert as Uint8Array };
    await assert.rejects(openContainer(container, { trustedSenders: [gw.sigCert], recipient: impostor }), {
      code: 'SMGW_CMS_DECRYPT',
    });
  });

  it('untrusted sender: SMGW_CMS_BAD_SIGNATURE, and nothing is decrypted', async () => {
    let ecdhCalls = 0;
    const r = emts[0] as Party;
    const watching = new Proxy(r.module, {
      get(target, prop) {
        const v = Reflect.get(target, prop, target);
        if (prop === 'ecdh') {
          return (slot: string, peer: Uint8Array) => {
            ecdhCalls++;
            return target.ecdh(slot, peer);
          };
        }
        return typeof v === 'function' ? v.bind(target) : v;
      },
    }) as SecurityModule;
    const forged = await sealContainer({ payload: PAYLOAD, recipients: [r.encCert], signer: signerOf(mallory) });
    const recipient = { ...recipientOf(r), module: watching };
    await assert.rejects(openContainer(forged, { trustedSenders: [gw.sigCert], recipient }), {
      code: 'SMGW_CMS_BAD_SIGNATURE',
    });
    await assert.rejects(
      openContainer(forged, {
        validateSender: () => {
          throw new Error('not in the SM-PKI');
        },
        recipient,
      }),
      { code: 'SMGW_CMS_BAD_SIGNATURE' },
    );
    assert.equal(ecdhCalls, 0, 'signature and sender are checked before any key agreement');
    await openContainer(forged, { trustedSenders: [mallory.sigCert], recipient });
    assert.equal(ecdhCalls, 1);
  });

  it('validateSender sees the sender certificate, the chain and the signing time', async () => {
    const container = await sealContainer({
      payload: PAYLOAD,
      recipients: [emts[0]?.encCert as Uint8Array],
      signer: { ...signerOf(gw), chain: [pki.caCert] },
      clock: CLOCK,
    });
    const seen: unknown[] = [];
    const opened = await openContainer(container, {
      validateSender: (sender, others, time) => {
        seen.push(hex(sender), others.map(hex), time.toISOString());
      },
      recipient: recipientOf(emts[0] as Party),
    });
    assert.deepEqual(opened.payload, PAYLOAD);
    assert.deepEqual(seen, [hex(gw.sigCert), [hex(pki.caCert)], '2026-03-01T12:00:00.000Z']);
  });

  it('validateSender plugs in pki/ path validation (validatePath to the test CA)', async () => {
    const foreign = await makeTestPki(['outsider']);
    try {
      const validateSender = (sender: Uint8Array, others: readonly Uint8Array[], at: Date) => {
        validatePath({
          leaf: sender,
          intermediates: others,
          roots: [pki.caCert],
          at,
          usage: { type: 'sig' },
          requireCrl: false,
          policy: null,
        });
      };
      const r = emts[0] as Party;
      const good = await sealContainer({
        payload: PAYLOAD,
        recipients: [r.encCert],
        signer: signerOf(gw),
        clock: CLOCK,
      });
      assert.deepEqual((await openContainer(good, { validateSender, recipient: recipientOf(r) })).payload, PAYLOAD);
      const outsider = foreign.party('outsider');
      const bad = await sealContainer({
        payload: PAYLOAD,
        recipients: [r.encCert],
        signer: signerOf(outsider),
        clock: CLOCK,
      });
      await assert.rejects(openContainer(bad, { validateSender, recipient: recipientOf(r) }), (e: unknown) => {
        assert.ok(isSmgwError(e));
        assert.equal(e.code, 'SMGW_CMS_BAD_SIGNATURE');
        assert.equal((e.cause as { code?: string }).code, 'SMGW_PKI_UNTRUSTED');
        return true;
      });
      // A signing time outside the certificate's validity fails the path validation too.
      const late = await sealContainer({
        payload: PAYLOAD,
        recipients: [r.encCert],
        signer: signerOf(gw),
        clock: new FakeClock('2030-01-01T00:00:00Z'),
      });
      await assert.rejects(openContainer(late, { validateSender, recipient: recipientOf(r) }), {
        code: 'SMGW_CMS_BAD_SIGNATURE',
      });
    } finally {
      await foreign.close();
    }
  });

  it('bad arguments: no trust given, no recipients, signer certificate of another key', async () => {
    const container = await sealContainer({
      payload: PAYLOAD,
      recipients: [emts[0]?.encCert as Uint8Array],
      signer: signerOf(gw),
    });
    await assert.rejects(openContainer(container, { recipient: recipientOf(emts[0] as Party) }), {
      code: 'SMGW_CMS_BAD_ARGUMENT',
    });
    await assert.rejects(sealContainer({ payload: PAYLOAD, recipients: [], signer: signerOf(gw) }), {
      code: 'SMGW_CMS_BAD_ARGUMENT',
    });
    await assert.rejects(
      sealContainer({
        payload: PAYLOAD,
        recipients: [emts[0]?.encCert as Uint8Array],
        signer: { ...signerOf(gw), certificate: mallory.sigCert },
      }),
      { code: 'SMGW_CMS_BAD_ARGUMENT' },
    );
    await assert.rejects(
      sealContainer({ payload: PAYLOAD, recipients: [new Uint8Array([0x30, 0])], signer: signerOf(gw) }),
      { code: 'SMGW_CMS_BAD_ARGUMENT' },
    );
  });
});

describe('signed-only containers (HAN exports, spec notes §3.7)', () => {
  let pki: TestPki;
  let gw: Party;
  before(async () => {
    pki = await makeTestPki(['gw', 'other']);
    gw = pki.party('gw');
  });
  after(async () => {
    await pki.close();
  });

  it('signOnly/verifySigned round-trip with id-data and version 1', async () => {
    const container = await signOnly({ payload: PAYLOAD, signer: signerOf(gw), clock: CLOCK });
    const sd = AsnConvert.parse(AsnConvert.parse(container, ContentInfo).content, SignedData);
    assert.equal(sd.version, 1);
    assert.equal(sd.encapContentInfo.eContentType, CMS_OIDS.ID_DATA);
    const v = await verifySigned(container, { trustedSenders: [gw.sigCert] });
    assert.deepEqual(v.payload, PAYLOAD);
    assert.equal(v.contentType, CMS_OIDS.ID_DATA);
    assert.deepEqual(v.sender, gw.sigCert);
    assert.equal(v.signingTime.toISOString(), '2026-03-01T12:00:00.000Z');
  });

  it('is not mistaken for an encrypted container, and an untrusted signer is refused', async () => {
    const container = await signOnly({ payload: PAYLOAD, signer: signerOf(gw) });
    const other = pki.party('other');
    await assert.rejects(openContainer(container, { trustedSenders: [gw.sigCert], recipient: recipientOf(gw) }), {
      code: 'SMGW_CMS_UNSUPPORTED',
    });
    await assert.rejects(verifySigned(container, { trustedSenders: [other.sigCert] }), {
      code: 'SMGW_CMS_BAD_SIGNATURE',
    });
    const sealed = await sealContainer({ payload: PAYLOAD, recipients: [other.encCert], signer: signerOf(gw) });
    const outer = await verifySignedData(sealed, { trustedSenders: [gw.sigCert] });
    assert.equal(outer.eContentType, CMS_OIDS.ID_CT_AUTH_ENVELOPED_DATA);
  });
});
