/**
 * GWA operator operations on the registry (no server): validation before anything is written,
 * job IDs, profiles, and the wake-up sender (the datagram arrives and verifies as the gateway
 * would check it).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { readDerObjects, WakeupVerifier } from '@opensmgw/security';
import fc from 'fast-check';
import { HeadendError } from '../src/gwa/errors.js';
import { classifyProfile, type GwaAdmin, logEntriesOf, openGwaAdmin } from '../src/gwa/operations.js';
import { GwaRegistry, parseWakeupAddress } from '../src/gwa/registry.js';
import { GATEWAY_ID, METER, makeTestPki, type TestPki } from './gwa-harness.js';

const code = (c: string) => (e: unknown) => e instanceof HeadendError && e.code === c;

describe('GWA operations on the registry', () => {
  let dir: string;
  let admin: GwaAdmin;
  const clock = new FakeClock(Date.parse('2026-11-28T00:00:00Z'));

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'smgw-gwa-ops-'));
    admin = openGwaAdmin({ dataDir: dir, clock });
    admin.registerGateway({ id: GATEWAY_ID, wakeup: 'udp://127.0.0.1:9450' });
  });
  after(() => {
    admin.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('registers a gateway once, with a valid ID and udp:// address', () => {
    assert.throws(
      () => admin.registerGateway({ id: GATEWAY_ID, wakeup: 'udp://127.0.0.1:9450' }),
      code('SMGW_HEADEND_GATEWAY_EXISTS'),
    );
    assert.throws(
      () => admin.registerGateway({ id: 'gateway-1', wakeup: 'udp://127.0.0.1:9450' }),
      code('SMGW_HEADEND_BAD_ARGUMENT'),
    );
    for (const wakeup of [
      'tcp://127.0.0.1:9450',
      'udp://127.0.0.1',
      'udp://127.0.0.1:0',
      'udp://127.0.0.1:70000',
      'udp://:9',
    ]) {
      assert.throws(
        () => admin.registerGateway({ id: 'EOSM0100000009', wakeup }),
        code('SMGW_HEADEND_BAD_ARGUMENT'),
        wakeup,
      );
    }
    assert.equal(admin.registry.gateway('EOSM0100000009'), undefined);
    const g = admin.registry.requireGateway(GATEWAY_ID);
    assert.equal(g.registeredMs, clock.now());
    assert.equal(g.wakeup, 'udp://127.0.0.1:9450');
    assert.deepEqual(parseWakeupAddress('udp://[::1]:9450'), { host: '::1', port: 9450 });
  });

  it('queues validated jobs with IDs <gatewayId>-<seq> and lists the profiles set', () => {
    const a = admin.addMeter(GATEWAY_ID, METER);
    const b = admin.setProfile(GATEWAY_ID, {
      ...METER,
      meterId: 'ELS-12345679',
      access: { ...METER.access, serial: '12345679' },
    });
    assert.match(a.jobId, new RegExp(`^${GATEWAY_ID}-\\d+$`));
    assert.equal(Number(b.jobId.split('-')[1]), Number(a.jobId.split('-')[1]) + 1);
    assert.deepEqual(
      admin.registry.profiles(GATEWAY_ID).map((p) => [p.kind, p.id, p.jobState]),
      [
        ['meter', 'ELS-12345678', 'pending'],
        ['meter', 'ELS-12345679', 'pending'],
      ],
    );
    admin.deleteProfile(GATEWAY_ID, 'meter', 'ELS-12345679');
    assert.deepEqual(
      admin.registry.profiles(GATEWAY_ID).map((p) => p.id),
      ['ELS-12345678'],
    );
    assert.deepEqual(
      admin
        .listJobs({ gatewayId: GATEWAY_ID, state: 'pending' })
        .map((j) => j.type)
        .sort(),
      ['delete-meter-profile', 'set-meter-profile', 'set-meter-profile'],
    );
  });

  it('refuses invalid input before writing anything', () => {
    const before = admin.listJobs().length;
    assert.throws(
      () => admin.addMeter(GATEWAY_ID, { ...METER, channels: ['nope'] }),
      code('SMGW_HEADEND_BAD_ARGUMENT'),
    );
    assert.throws(() => admin.addMeter('EOSM0100000003', METER), code('SMGW_HEADEND_UNKNOWN_GATEWAY'));
    assert.throws(() => admin.setProfile(GATEWAY_ID, { hello: 1 }), code('SMGW_HEADEND_BAD_ARGUMENT'));
    assert.throws(() => admin.readLog(GATEWAY_ID, 'consumer'), code('SMGW_HEADEND_BAD_ARGUMENT'));
    assert.throws(() => admin.readLog(GATEWAY_ID, 'system', { count: 1501 }), code('SMGW_HEADEND_BAD_ARGUMENT'));
    assert.throws(
      () =>
        admin.addEmt(GATEWAY_ID, {
          id: 'emt-1',
          url: 'http://127.0.0.1:9443',
          servername: 'emt-1.opensmgw.test',
          tlsCertPem: 'x',
          encCertPem: 'y',
        }),
      code('SMGW_HEADEND_BAD_ARGUMENT'),
    );
    assert.equal(admin.listJobs().length, before);
  });

  it('classifyProfile never throws anything but HeadendError on hostile JSON', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        try {
          classifyProfile(v);
        } catch (e) {
          assert.ok(e instanceof HeadendError, String(e));
        }
      }),
      { numRuns: 300 },
    );
  });

  it('parseWakeupAddress: valid addresses round-trip; anything else is HeadendError', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.domain()), fc.integer({ min: 1, max: 65535 }), (host, port) => {
        assert.deepEqual(parseWakeupAddress(`udp://${host}:${port}`), { host, port });
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string().map((x) => `udp://${x}`),
          fc.anything(),
        ),
        (v) => {
          try {
            const a = parseWakeupAddress(v);
            assert.ok(a.port >= 1 && a.port <= 65535 && a.host.length > 0);
          } catch (e) {
            assert.ok(e instanceof HeadendError && e.code === 'SMGW_HEADEND_BAD_ARGUMENT', String(e));
          }
        },
      ),
      { numRuns: 500 },
    );
  });

  it('keeps job sequence and wake-up sequence across reopening the database', () => {
    const last = admin.readStatus(GATEWAY_ID);
    const s1 = admin.registry.nextWakeupSequence(GATEWAY_ID);
    const again = GwaRegistry.open(dir);
    try {
      assert.equal(again.nextWakeupSequence(GATEWAY_ID), s1 + 1n);
      const next = again.enqueueJob(GATEWAY_ID, { type: 'sync-time' }, clock.now());
      assert.equal(Number(next.jobId.split('-')[1]), Number(last.jobId.split('-')[1]) + 1);
    } finally {
      again.close();
    }
  });

  it('waitForJob returns once the job is finished and gives up after its timeout', async () => {
    const job = admin.readLog(GATEWAY_ID, 'system', { count: 3 });
    const waiting = admin.waitForJob(job.jobId, { timeoutMs: 10_000, pollMs: 500 });
    clock.advance(500);
    admin.registry.finishJob(job.jobId, { ok: true, result: { entries: [] } }, clock.now());
    clock.advance(500);
    assert.equal((await waiting).state, 'done');

    const stuck = admin.readStatus(GATEWAY_ID);
    const timedOut = assert.rejects(
      admin.waitForJob(stuck.jobId, { timeoutMs: 1000, pollMs: 400 }),
      code('SMGW_HEADEND_TIMEOUT'),
    );
    for (let i = 0; i < 4; i++) {
      await Promise.resolve();
      clock.advance(400);
    }
    await timedOut;
  });

  it('logEntriesOf reads the entries of a finished read-log job', () => {
    const job = admin.readLog(GATEWAY_ID, 'calibration', { count: 5 });
    assert.throws(() => logEntriesOf(admin.job(job.jobId)), code('SMGW_HEADEND_BAD_ARGUMENT'));
    admin.registry.finishJob(job.jobId, { ok: true, result: { entries: [] } }, clock.now());
    assert.deepEqual(logEntriesOf(admin.job(job.jobId)), []);
  });
});

describe('GWA wake-up sender', () => {
  let pki: TestPki;
  let admin: GwaAdmin;

  before(async () => {
    pki = await makeTestPki();
  });
  after(() => {
    admin?.close();
    pki.cleanup();
  });

  it('sends one signed datagram to the registered address that the gateway verifies', async () => {
    const receiver = createSocket('udp4');
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    try {
      const port = receiver.address().port;
      admin = openGwaAdmin({ dataDir: join(pki.dir, 'gwa'), pkiDir: pki.pkiDir, clock: pki.clock });
      admin.registerGateway({ id: GATEWAY_ID, wakeup: `udp://127.0.0.1:${port}` });
      const verifier = new WakeupVerifier({
        gatewayId: GATEWAY_ID,
        gwaCertificates: readDerObjects(pki.read('gwa/sig.crt.pem'), 'CERTIFICATE'),
        clock: pki.clock,
      });
      for (let i = 0; i < 2; i++) {
        const arrived = once(receiver, 'message');
        const sent = await admin.wake(GATEWAY_ID);
        const [msg] = (await arrived) as [Buffer];
        assert.equal(msg.length, 98);
        assert.equal(sent.bytes, 98);
        // Same millisecond twice: accepted because the persisted sequence grows.
        const p = verifier.verify(new Uint8Array(msg));
        assert.equal(p.gatewayId, GATEWAY_ID);
        assert.equal(p.sequence, sent.sequence);
        assert.equal(p.timestampMs, pki.clock.now());
      }
    } finally {
      receiver.close();
    }
  });

  it('needs the PKI directory and a registered gateway', async () => {
    const noPki = openGwaAdmin({ dataDir: join(pki.dir, 'gwa'), clock: pki.clock });
    try {
      await assert.rejects(noPki.wake(GATEWAY_ID), code('SMGW_HEADEND_BAD_ARGUMENT'));
      await assert.rejects(admin.wake('EOSM0100000005'), code('SMGW_HEADEND_UNKNOWN_GATEWAY'));
    } finally {
      noPki.close();
    }
  });
});
