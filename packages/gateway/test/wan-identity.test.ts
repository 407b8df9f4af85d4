import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { buildCsr, issueFromCsr, parseCertificates, readVerifiedCsr, revoke, toPem } from '@opensmgw/security';
import { FACTORY_SLOTS, WAN_IDENTITY_STATE_KEY, WanIdentity } from '../src/wan/wan-identity.js';
import { FakeWanStore } from './fixtures/wan-fakes.js';
import { makeWanPki, type WanPki } from './fixtures/wan-pki.js';

const code = (c: string, pkiCode?: string) => (e: unknown) => {
  const err = e as { code?: string; detail?: { pkiCode?: string } };
  return err.code === c && (pkiCode === undefined || err.detail?.pkiCode === pkiCode);
};

describe('WanIdentity', () => {
  let pki: WanPki;
  let clock: FakeClock;
  before(async () => {
    pki = await makeWanPki('EOSM0100000042');
    clock = new FakeClock(Date.now());
  });
  after(async () => {
    await pki?.close();
  });

  const open = (store: FakeWanStore, crls = pki.crls, at: FakeClock = clock): Promise<WanIdentity> =>
    WanIdentity.open({
      module: pki.gateway,
      store,
      gatewayId: pki.gatewayId,
      chainPem: pki.subca,
      trust: { roots: [pki.roots], intermediates: [pki.subca], crls: [crls] },
      clock: at,
    });
  const issue = async (csrPem: string, use: 'tls' | 'sig' | 'enc'): Promise<string> =>
    toPem(
      'CERTIFICATE',
      (
        await issueFromCsr(pki.dir, {
          csr: csrPem,
          role: 'SMGW',
          type: use,
          clock: new FakeClock(clock.now() - 60_000),
        })
      ).der,
    );
  const triplet = async (
    id: WanIdentity,
  ): Promise<{ tlsPem: string; sigPem: string; encPem: string; chainPem: string }> => ({
    tlsPem: await issue(await id.createCsr('tls'), 'tls'),
    sigPem: await issue(await id.createCsr('sig'), 'sig'),
    encPem: await issue(await id.createCsr('enc'), 'enc'),
    chainPem: pki.subca,
  });

  it('starts on the factory triplet', async () => {
    const id = await open(new FakeWanStore());
    assert.equal(id.isFactory, true);
    assert.deepEqual(id.slots, FACTORY_SLOTS);
    assert.equal(id.tls().certificatesPem.length, 2);
    assert.equal(id.signer().slot, 'wan-sig-factory');
    assert.equal(id.signer().chain?.length, 1);
  });

  it('creates CSRs inside the module in fresh slots, replacing an uncertified pending key, and persists it', async () => {
    const store = new FakeWanStore();
    const id = await open(store);
    const first = await id.createCsr('tls');
    const firstSlot = id.pending.tls;
    const second = await id.createCsr('tls');
    const secondSlot = id.pending.tls;
    assert.notEqual(firstSlot, secondSlot);
    assert.match(secondSlot ?? '', /^wan-tls-g\d+$/);
    const slots = (await pki.gateway.listSlots()).map((s) => s.slot);
    assert.ok(!slots.includes(firstSlot as string), 'the replaced pending key is destroyed');
    assert.ok(slots.includes(secondSlot as string));
    const csr = readVerifiedCsr(Buffer.from(second.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
    assert.equal(csr.commonName, 'EOSM0100000042.SMGW');
    assert.equal(csr.publicKey.curve, 'brainpoolP256r1');
    assert.notEqual(first, second);
    const again = await open(store);
    assert.equal(again.pending.tls, secondSlot, 'pending key survives a restart');
  });

  it('refuses installs without pending keys, for another gateway, revoked, or not yet valid; then installs atomically', async () => {
    const store = new FakeWanStore();
    const id = await open(store);
    await assert.rejects(
      id.install({ tlsPem: pki.emt.tlsPem, sigPem: pki.emt.tlsPem, encPem: pki.emt.tlsPem, chainPem: pki.subca }),
      code('SMGW_WAN_NO_PENDING_KEY'),
    );
    const good = await triplet(id);
    const pending = id.pending;

    // A certificate for the pending key, but in another gateway's name.
    const otherCsr = toPem(
      'CERTIFICATE REQUEST',
      await buildCsr({
        module: pki.gateway,
        slot: pending.tls as string,
        subject: [{ type: 'CN', value: 'EOSM0100000099.SMGW' }],
      }),
    );
    await assert.rejects(
      id.install({ ...good, tlsPem: await issue(otherCsr, 'tls') }),
      code('SMGW_WAN_CERT_WRONG_GATEWAY'),
    );
    await assert.rejects(id.install({ ...good, tlsPem: 'junk' }), code('SMGW_WAN_CERT_INVALID'));
    await assert.rejects(id.install({ ...good, chainPem: 'junk' }), code('SMGW_WAN_CERT_INVALID'));

    // Not yet valid at the gateway's time.
    const early = await open(store, pki.crls, new FakeClock(clock.now() - 86_400_000));
    await assert.rejects(early.install(good), code('SMGW_WAN_CERT_INVALID', 'SMGW_PKI_CERT_EXPIRED'));

    // Revoked (the CRL the gateway was given lists it).
    const serial = parseCertificates(good.sigPem)[0]?.serial as string;
    await revoke(pki.dir, serial, 'keyCompromise', { clock: new FakeClock(clock.now() - 30_000) });
    const newCrls = readFileSync(join(pki.dir, 'trust/crls.pem'), 'utf8');
    const withCrl = await open(store, newCrls);
    await assert.rejects(withCrl.install(good), code('SMGW_WAN_CERT_INVALID', 'SMGW_PKI_REVOKED'));
    assert.equal(withCrl.isFactory, true, 'nothing switched');
    assert.deepEqual(withCrl.pending, pending, 'pending keys kept for a corrected install');

    // A fresh SIG certificate for the same pending key: now the triplet installs.
    const sigCsr = toPem(
      'CERTIFICATE REQUEST',
      await buildCsr({
        module: pki.gateway,
        slot: pending.sig as string,
        subject: [{ type: 'CN', value: 'EOSM0100000042.SMGW' }],
      }),
    );
    const summary = await withCrl.install({ ...good, sigPem: await issue(sigCsr, 'sig') });
    assert.deepEqual(summary.slots, pending);
    assert.equal(withCrl.isFactory, false);
    assert.equal(withCrl.generation, 1);
    assert.equal(withCrl.signer().slot, pending.sig);
    const restarted = await open(store, newCrls);
    assert.deepEqual(restarted.slots, pending);
    assert.equal(restarted.isFactory, false);

    // A second round replaces the operational keys (destroyed) and keeps the factory ones.
    const next = await triplet(restarted);
    await restarted.install(next);
    const slots = (await pki.gateway.listSlots()).map((s) => s.slot);
    for (const s of Object.values(pending)) assert.ok(!slots.includes(s as string), `${s} destroyed`);
    for (const s of Object.values(FACTORY_SLOTS)) assert.ok(slots.includes(s), `${s} kept`);
  });

  it('refuses a damaged stored state', async () => {
    const store = new FakeWanStore();
    store.setState(WAN_IDENTITY_STATE_KEY, {
      active: { tls: '../x', sig: 'a', enc: 'b', chainPem: '', factory: false },
    });
    await assert.rejects(open(store), code('SMGW_WAN_IDENTITY_UNAVAILABLE'));
  });
});
