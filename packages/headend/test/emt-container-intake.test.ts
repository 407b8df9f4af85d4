/**
 * ContainerIntake without HTTP: the checks in their order, and the property that any damaged
 * container ends in an EmtError (never another error, never a stored row).
 */
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { initTestPki, openEntityModule, revoke, type SecurityModule, serialOfCertificate } from '@opensmgw/security';
import fc from 'fast-check';
import { ContainerIntake, gatewayIdOfCommonName } from '../src/emt/container-intake.js';
import { EmtError } from '../src/emt/emt-errors.js';
import { loadSenderTrust } from '../src/emt/emt-server.js';
import { SqliteEmtStore } from '../src/emt/sqlite-store.js';
import { certDer, GATEWAY_ID, readingsMessage, sealAs } from './emt-fixtures.js';

describe('ContainerIntake', () => {
  let dir: string;
  let pkiDir: string;
  let module: SecurityModule;
  let store: SqliteEmtStore;
  let intake: ContainerIntake;
  let good: Uint8Array;
  const clock = new FakeClock(Date.now());

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'emt-intake-'));
    pkiDir = join(dir, 'pki');
    await initTestPki(pkiDir, { clock });
    module = await openEntityModule(pkiDir, 'emt-1');
    store = SqliteEmtStore.open(join(dir, 'data'));
    intake = new ContainerIntake({
      store,
      recipient: { module, slot: 'wan-enc', certificate: certDer(pkiDir, 'emt-1/enc.crt.pem') },
      trust: await loadSenderTrust(pkiDir),
      clock,
    });
    good = await sealAs(readingsMessage('q-1'), {
      pkiDir,
      entity: 'gateway',
      recipient: certDer(pkiDir, 'emt-1/enc.crt.pem'),
      clock,
    });
  });
  after(async () => {
    await store.close();
    await module.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads the gateway ID from a gateway CN only', () => {
    assert.equal(gatewayIdOfCommonName('EOSM0100000001.SMGW'), 'EOSM0100000001');
    assert.equal(gatewayIdOfCommonName('OpenSMGW-Test-1.EMT'), undefined);
    assert.equal(gatewayIdOfCommonName('EOSM0100000001.SMGW.x'), undefined);
    assert.equal(gatewayIdOfCommonName(undefined), undefined);
  });

  it('a TLS client other than the signer is a mismatch, before anything is stored', async () => {
    await assert.rejects(intake.receive({ body: good, tlsGatewayId: 'EOSM0100000009' }), {
      code: 'SMGW_EMT_SENDER_MISMATCH',
    });
    assert.equal((await store.messages({ limit: 10 })).length, 0);
  });

  it('a signing time outside the signer certificate is an untrusted sender', async () => {
    const early = await sealAs(readingsMessage('q-early'), {
      pkiDir,
      entity: 'gateway',
      recipient: certDer(pkiDir, 'emt-1/enc.crt.pem'),
      clock: new FakeClock(clock.now() - 86_400_000),
    });
    await assert.rejects(intake.receive({ body: early, tlsGatewayId: GATEWAY_ID }), {
      code: 'SMGW_EMT_UNTRUSTED_SENDER',
    });
  });

  it('stores the good container, then calls it a duplicate', async () => {
    const r = await intake.receive({ body: good, tlsGatewayId: GATEWAY_ID, messageIdHeader: 'q-1' });
    assert.equal(r.outcome, 'stored');
    assert.equal(r.readingsStored, 2);
    const again = await intake.receive({ body: good, tlsGatewayId: GATEWAY_ID });
    assert.equal(again.outcome, 'duplicate');
  });

  it('a revoked gateway SIG certificate is an untrusted sender (CRLs of the PKI)', async () => {
    const container = await sealAs(readingsMessage('q-revoked'), {
      pkiDir,
      entity: 'gateway',
      recipient: certDer(pkiDir, 'emt-1/enc.crt.pem'),
      clock,
    });
    // A copy of the PKI in which the gateway's SIG certificate is revoked.
    const revokedDir = join(dir, 'pki-revoked');
    cpSync(pkiDir, revokedDir, { recursive: true });
    await revoke(revokedDir, serialOfCertificate(certDer(pkiDir, 'gateway/sig.crt.pem')), 'keyCompromise', { clock });
    const strict = new ContainerIntake({
      store,
      recipient: { module, slot: 'wan-enc', certificate: certDer(pkiDir, 'emt-1/enc.crt.pem') },
      trust: await loadSenderTrust(revokedDir),
      clock,
    });
    await assert.rejects(strict.receive({ body: container, tlsGatewayId: GATEWAY_ID }), (e: EmtError) => {
      assert.equal(e.code, 'SMGW_EMT_UNTRUSTED_SENDER');
      assert.equal(e.detail.pkiCode, 'SMGW_PKI_REVOKED');
      return true;
    });
    assert.equal(await store.hasMessage(GATEWAY_ID, 'q-revoked'), false);
  });

  it('property: a damaged container is an EmtError and stores nothing', async () => {
    const rowsBefore = (await store.readings({ limit: 1000 })).length;
    const fresh = await sealAs(readingsMessage('q-prop'), {
      pkiDir,
      entity: 'gateway',
      recipient: certDer(pkiDir, 'emt-1/enc.crt.pem'),
      clock,
    });
    const damage = fc.oneof(
      fc.record({ at: fc.nat(fresh.length - 1), xor: fc.integer({ min: 1, max: 255 }) }).map(({ at, xor }) => {
        const b = new Uint8Array(fresh);
        b[at] = (b[at] as number) ^ xor;
        return b;
      }),
      fc.nat(fresh.length - 1).map((n) => fresh.subarray(0, n)),
      fc.uint8Array({ maxLength: 300 }),
    );
    await fc.assert(
      fc.asyncProperty(damage, async (body) => {
        try {
          await intake.receive({ body, tlsGatewayId: GATEWAY_ID });
          assert.fail('a damaged container was accepted');
        } catch (e) {
          assert.ok(e instanceof EmtError, String(e));
          assert.ok(
            ['SMGW_EMT_BAD_CONTAINER', 'SMGW_EMT_UNTRUSTED_SENDER', 'SMGW_EMT_SENDER_MISMATCH'].includes(e.code),
            e.code,
          );
        }
      }),
      { numRuns: 60 },
    );
    assert.equal((await store.readings({ limit: 1000 })).length, rowsBefore);
  });
});
