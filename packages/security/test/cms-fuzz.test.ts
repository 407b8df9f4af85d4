/**
 * Property tests: hostile bytes into every reading function give only CmsErrors (DESIGN.md:
 * property tests for every codec; "never throws anything but SmgwError"), and a changed
 * container never yields a payload.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { bytesEqual, isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import {
  openAuthEnvelopedData,
  openContainer,
  sealContainer,
  signOnly,
  verifySigned,
  verifySignedData,
} from '../src/cms/index.js';
import { makeTestPki, type Party, recipientOf, signerOf, type TestPki } from './cms-fixtures.js';

const PAYLOAD = new TextEncoder().encode('meter reading 42');

function expectCmsError(e: unknown): void {
  assert.ok(isSmgwError(e), `not an SmgwError: ${e}`);
  assert.ok(e.code.startsWith('SMGW_CMS_'), `unexpected code ${e.code}`);
}

/** Overwrites, inserts, deletes and truncates: the usual damage to a byte string. */
const mutation = (length: number) =>
  fc.array(
    fc.oneof(
      fc.record({ kind: fc.constant('set' as const), at: fc.nat(length - 1), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat(length), value: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ kind: fc.constant('delete' as const), at: fc.nat(length - 1), value: fc.constant(0) }),
      fc.record({ kind: fc.constant('cut' as const), at: fc.nat(length), value: fc.constant(0) }),
    ),
    { minLength: 1, maxLength: 4 },
  );

function mutate(bytes: Uint8Array, edits: readonly { kind: string; at: number; value: number }[]): Uint8Array {
  let b = Array.from(bytes);
  for (const e of edits) {
    const at = Math.min(e.at, b.length);
    if (e.kind === 'set' && at < b.length) b[at] = e.value;
    else if (e.kind === 'insert') b.splice(at, 0, e.value);
    else if (e.kind === 'delete') b.splice(at, 1);
    else if (e.kind === 'cut') b = b.slice(0, at);
  }
  return Uint8Array.from(b);
}

describe('CMS readers on hostile input (property tests)', () => {
  let pki: TestPki;
  let gw: Party;
  let emt: Party;
  let sealed: Uint8Array;
  let inner: Uint8Array;
  let signed: Uint8Array;
  before(async () => {
    pki = await makeTestPki(['gw', 'emt']);
    gw = pki.party('gw');
    emt = pki.party('emt');
    const signer = signerOf(gw);
    sealed = await sealContainer({ payload: PAYLOAD, recipients: [emt.encCert], signer });
    inner = (await verifySignedData(sealed, { trustedSenders: [gw.sigCert] })).eContent;
    signed = await signOnly({ payload: PAYLOAD, signer });
  });
  after(async () => {
    await pki.close();
  });
  const openOptions = () => ({
    trustedSenders: [gw.sigCert],
    recipient: recipientOf(emt),
  });
  const recipient = () => recipientOf(emt);

  it('random bytes (raw, and inside a SEQUENCE header) into openContainer, verifySigned, openAuthEnvelopedData', async () => {
    const bytes = fc.oneof(
      fc.uint8Array({ maxLength: 300 }),
      fc.uint8Array({ maxLength: 120 }).map((b) => Uint8Array.of(0x30, b.length, ...b)),
    );
    await fc.assert(
      fc.asyncProperty(bytes, async (b) => {
        for (const read of [
          () => openContainer(b, openOptions()),
          () => verifySigned(b, { trustedSenders: [gw.sigCert] }),
          () => openAuthEnvelopedData(b, recipient()),
        ]) {
          await read().then(
            () => assert.fail('random bytes were accepted'),
            (e) => expectCmsError(e),
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  it('mutated sealed containers: a CmsError, unless the mutation left the bytes unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(sealed.length), async (edits) => {
        const m = mutate(sealed, edits);
        try {
          const opened = await openContainer(m, openOptions());
          assert.ok(bytesEqual(m, sealed), 'a changed container opened');
          assert.deepEqual(opened.payload, PAYLOAD);
        } catch (e) {
          expectCmsError(e);
          assert.ok(!bytesEqual(m, sealed), 'the unchanged container failed');
        }
      }),
      { numRuns: 300 },
    );
  });

  it('mutated signed-only containers: a CmsError, unless unchanged', async () => {
    await fc.assert(
      fc.asyncProperty(mutation(signed.length), async (edits) => {
        const m = mutate(signed, edits);
        try {
          await verifySigned(m, { trustedSenders: [gw.sigCert] });
          assert.ok(bytesEqual(m, signed), 'a changed container verified');
        } catch (e) {
          expectCmsError(e);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('mutated bare AuthEnvelopedData (no outer signature): a CmsError or the original payload, never another', async () => {
    // Without the SignedData only the GCM tag and the key unwrap protect the content; fields
    // outside them (e.g. the inner content type) are protected by the outer signature alone.
    await fc.assert(
      fc.asyncProperty(mutation(inner.length), async (edits) => {
        try {
          const opened = await openAuthEnvelopedData(mutate(inner, edits), recipient());
          assert.deepEqual(opened.payload, PAYLOAD);
        } catch (e) {
          expectCmsError(e);
        }
      }),
      { numRuns: 200 },
    );
  });
});
