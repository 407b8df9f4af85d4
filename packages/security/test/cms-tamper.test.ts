/**
 * Spec notes §17 item 4: "tampering with any byte fails the check". Every byte of a container is
 * changed in turn (one bit each, cycling through the bit positions), plus every bit of sampled
 * bytes, truncations and a trailing byte: each must give a CmsError and never a payload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import { type ContentEncryption, openContainer, sealContainer, signOnly, verifySigned } from '../src/cms/index.js';
import { makeTestPki, type Party, recipientOf, signerOf, type TestPki } from './cms-fixtures.js';

const PAYLOAD = new TextEncoder().encode('<sml>1-0:1.8.0*255 = 12345.678 kWh</sml>');

/** Asserts that `p` fails with a CmsError (never yielding a result); returns the code. */
async function assertRejectsCms(p: Promise<unknown>, what: string): Promise<string> {
  let opened = false;
  try {
    await p;
    opened = true;
  } catch (e) {
    assert.ok(isSmgwError(e), `${what}: not an SmgwError: ${e}`);
    assert.ok(e.code.startsWith('SMGW_CMS_'), `${what}: ${e.code}`);
    return e.code;
  }
  assert.equal(opened, false, `${what}: the altered container opened`);
  return '';
}

describe('tampered containers give only CmsErrors, never the payload', () => {
  let pki: TestPki;
  let gw: Party;
  let emt: Party;
  before(async () => {
    pki = await makeTestPki(['gw', 'emt']);
    gw = pki.party('gw');
    emt = pki.party('emt');
  });
  after(async () => {
    await pki.close();
  });
  const signer = () => signerOf(gw);
  const options = () => ({
    trustedSenders: [gw.sigCert],
    recipient: recipientOf(emt),
  });

  for (const encryption of ['aes-128-gcm', 'aes-128-cbc-cmac'] as ContentEncryption[]) {
    it(`${encryption}: every byte changed in turn, truncations, a trailing byte`, async () => {
      const container = await sealContainer({
        payload: PAYLOAD,
        recipients: [emt.encCert],
        signer: signer(),
        encryption,
      });
      const codes = new Map<string, number>();
      for (let i = 0; i < container.length; i++) {
        const bad = Uint8Array.from(container);
        bad[i] = (bad[i] as number) ^ (1 << (i % 8));
        const code = await assertRejectsCms(openContainer(bad, options()), `byte ${i}`);
        codes.set(code, (codes.get(code) ?? 0) + 1);
      }
      for (const cut of [0, 1, 2, 10, container.length >> 1, container.length - 1]) {
        await assertRejectsCms(openContainer(container.subarray(0, cut), options()), `truncated to ${cut}`);
      }
      await assertRejectsCms(openContainer(Uint8Array.of(...container, 0), options()), 'a trailing byte');
      assert.ok((codes.get('SMGW_CMS_BAD_SIGNATURE') ?? 0) > 0, 'some changes reach the signature check');
      assert.ok((codes.get('SMGW_CMS_MALFORMED') ?? 0) > 0, 'some changes break the structure');
      // The untouched container still opens (the loop above used copies).
      assert.deepEqual((await openContainer(container, options())).payload, PAYLOAD);
    });
  }

  it('every bit of 64 sampled bytes of a one-byte-payload container', async () => {
    const container = await sealContainer({ payload: Uint8Array.of(1), recipients: [emt.encCert], signer: signer() });
    let seed = 12345;
    const next = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let k = 0; k < 64; k++) {
      const i = next() % container.length;
      for (let bit = 0; bit < 8; bit++) {
        const bad = Uint8Array.from(container);
        bad[i] = (bad[i] as number) ^ (1 << bit);
        await assertRejectsCms(openContainer(bad, options()), `byte ${i} bit ${bit}`);
      }
    }
  });

  it('signed-only: every byte changed in turn', async () => {
    const container = await signOnly({ payload: PAYLOAD, signer: signer() });
    for (let i = 0; i < container.length; i++) {
      const bad = Uint8Array.from(container);
      bad[i] = (bad[i] as number) ^ (0x80 >> (i % 8));
      await assertRejectsCms(verifySigned(bad, { trustedSenders: [gw.sigCert] }), `byte ${i}`);
    }
  });
});
