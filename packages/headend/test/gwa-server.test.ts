/**
 * The GWA server against real TLS clients made from a test SM-PKI: the gateway's factory
 * certificate, an unregistered gateway of the same PKI, a gateway of another PKI; the
 * certificate renewal round (create-csr -> issued -> install-certificates) with CSRs made in the
 * gateway's own keystore, as the gateway would.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJsonLogger } from '@opensmgw/core';
import { type AdminJob, GWA_PATHS, parseJobsResponse, parseTimeResponse } from '@opensmgw/protocol';
import {
  buildCsr,
  issueEntity,
  openEntityModule,
  type TlsClientProfile,
  toPem,
  wanClientProfile,
} from '@opensmgw/security';
import { type GwaServer, startGwaServer } from '../src/gwa/gwa-server.js';
import { type GwaAdmin, openGwaAdmin } from '../src/gwa/operations.js';
import { GATEWAY_ID, httpsRequest, METER, makeTestPki, type TestPki } from './gwa-harness.js';

describe('GWA server (admin protocol over mutual TLS)', () => {
  let pki: TestPki;
  let other: TestPki;
  let server: GwaServer;
  let admin: GwaAdmin;
  let factory: TlsClientProfile;
  const logs: Record<string, unknown>[] = [];

  const get = async (profile: TlsClientProfile, path: string) => httpsRequest(profile, server.port, 'GET', path);
  const post = async (profile: TlsClientProfile, jobId: string, body: unknown) =>
    httpsRequest(profile, server.port, 'POST', GWA_PATHS.jobResult(jobId), body);
  const jobsOf = async (profile: TlsClientProfile): Promise<readonly AdminJob[]> => {
    const r = await get(profile, GWA_PATHS.jobs);
    assert.equal(r.status, 200, r.text);
    return parseJobsResponse(r.text).jobs;
  };

  before(async () => {
    pki = await makeTestPki();
    other = await makeTestPki('smgw-headend-other-');
    const dataDir = join(pki.dir, 'gwa');
    admin = openGwaAdmin({ dataDir, pkiDir: pki.pkiDir, clock: pki.clock });
    admin.registerGateway({ id: GATEWAY_ID, wakeup: 'udp://127.0.0.1:9450' });
    server = await startGwaServer({
      dataDir,
      pkiDir: pki.pkiDir,
      host: '127.0.0.1',
      port: 0,
      clock: pki.clock,
      logger: createJsonLogger({ sink: (line) => logs.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    factory = await pki.clientProfile('gateway', 'wan-tls-factory', 'gateway/factory-tls.crt.pem');
  });
  after(async () => {
    await server?.close();
    admin?.close();
    pki?.cleanup();
    other?.cleanup();
  });

  it('answers the time with the GWA clock to a registered gateway (factory certificate)', async () => {
    const r = await get(factory, GWA_PATHS.time);
    assert.equal(r.status, 200);
    assert.deepEqual(parseTimeResponse(r.text), { epochMs: pki.clock.now() });
    const g = admin.registry.requireGateway(GATEWAY_ID);
    assert.equal(g.lastContactMs, pki.clock.now());
    assert.equal(g.tlsKind, 'factory');
    assert.ok(logs.some((l) => l.event === 'gateway-connected' && l.gatewayId === GATEWAY_ID));
  });

  it('sends pending jobs oldest first, stores results, and never runs a repeated result twice', async () => {
    const meterJob = admin.addMeter(GATEWAY_ID, METER);
    const logJob = admin.readLog(GATEWAY_ID, 'system', { count: 10 });
    const jobs = await jobsOf(factory);
    assert.deepEqual(
      jobs.map((j) => j.jobId),
      [meterJob.jobId, logJob.jobId],
    );
    assert.deepEqual(jobs[0], meterJob);
    assert.ok(logs.some((l) => l.event === 'job-sent' && l.jobId === meterJob.jobId));

    const r = await post(factory, meterJob.jobId, { ok: true });
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json(), { jobId: meterJob.jobId, stored: true });
    assert.equal(admin.job(meterJob.jobId).state, 'done');
    assert.ok(logs.some((l) => l.event === 'result-received' && l.jobId === meterJob.jobId && l.ok === true));

    const again = await post(factory, meterJob.jobId, { ok: false, error: { code: 'SMGW_X', message: 'late' } });
    assert.deepEqual(again.json(), { jobId: meterJob.jobId, stored: false, state: 'done' });
    assert.equal(admin.job(meterJob.jobId).state, 'done');

    const failed = await post(factory, logJob.jobId, { ok: false, error: { code: 'SMGW_LOG_X', message: 'no' } });
    assert.equal(failed.status, 200);
    assert.equal(admin.job(logJob.jobId).state, 'failed');
    assert.deepEqual(await jobsOf(factory), []);
  });

  it('refuses results that are not valid JSON results, and jobs of nobody (400, 404)', async () => {
    const job = admin.readStatus(GATEWAY_ID);
    const bad = await post(factory, job.jobId, { ok: 'yes' });
    assert.equal(bad.status, 400);
    assert.equal(admin.job(job.jobId).state, 'pending');
    const unknown = await post(factory, `${GATEWAY_ID}-999`, { ok: true });
    assert.equal(unknown.status, 404);
    const wrongMethod = await httpsRequest(factory, server.port, 'POST', GWA_PATHS.time, {});
    assert.equal(wrongMethod.status, 405);
    assert.equal((await get(factory, '/gwa/v1/nothing')).status, 404);
    assert.equal((await post(factory, job.jobId, { ok: true })).status, 200);
  });

  it('answers 403 to an SM-PKI gateway that is not registered, and logs it', async () => {
    await issueEntity(pki.pkiDir, {
      entity: 'gw-two',
      role: 'SMGW',
      commonName: 'EOSM0100000002.SMGW',
      clock: pki.clock,
    });
    const stranger = await pki.clientProfile('gw-two', 'wan-tls', 'gw-two/tls.crt.pem');
    const r = await get(stranger, GWA_PATHS.jobs);
    assert.equal(r.status, 403);
    assert.equal((r.json() as { error: { code: string } }).error.code, 'SMGW_HEADEND_HTTP_FORBIDDEN');
    assert.ok(logs.some((l) => l.event === 'caller-refused' && l.commonName === 'EOSM0100000002.SMGW'));
    assert.equal(admin.registry.gateway('EOSM0100000002'), undefined);
  });

  it('refuses the TLS handshake of a gateway from another PKI', async () => {
    // The foreign client trusts our PKI (so only the server side can refuse).
    const trusting = wanClientProfile({
      key: await keyOf(other, 'gateway', 'wan-tls-factory'),
      certificates: [other.read('gateway/factory-tls.crt.pem'), other.read('subca/ca.crt.pem')],
      trust: pki.trust(),
      clock: pki.clock,
    });
    await assert.rejects(get(trusting, GWA_PATHS.time));
    assert.ok(logs.some((l) => l.event === 'tls-refused'));
  });

  it('issues certificates for create-csr results and then queues one install-certificates job', async () => {
    const renew = admin.renewCertificates(GATEWAY_ID);
    assert.deepEqual(
      renew.map((j) => (j.type === 'create-csr' ? j.use : j.type)),
      ['tls', 'sig', 'enc'],
    );
    const sent = await jobsOf(factory);
    assert.deepEqual(
      sent.map((j) => j.jobId),
      renew.map((j) => j.jobId),
    );
    const gateway = await openEntityModule(pki.pkiDir, 'gateway');
    try {
      for (const job of sent) {
        assert.equal(job.type, 'create-csr');
        if (job.type !== 'create-csr') continue;
        const slot = `pending-${job.use}`;
        await gateway.generateKeyPair(slot, 'brainpoolP256r1');
        const csr = await buildCsr({ module: gateway, slot, subject: [{ type: 'CN', value: `${GATEWAY_ID}.SMGW` }] });
        // Before the last answer no install job exists.
        assert.deepEqual(
          (await jobsOf(factory)).filter((j) => j.type === 'install-certificates'),
          [],
        );
        const r = await post(factory, job.jobId, {
          ok: true,
          result: { use: job.use, csrPem: toPem('CERTIFICATE REQUEST', csr) },
        });
        assert.deepEqual(r.json(), { jobId: job.jobId, stored: true });
        assert.equal(admin.job(job.jobId).state, 'done');
      }
      const pending = await jobsOf(factory);
      assert.equal(pending.length, 1);
      const install = pending[0];
      assert.ok(install?.type === 'install-certificates');
      assert.equal(install.chainPem, pki.read('subca/ca.crt.pem'));
      assert.equal(admin.registry.certificates(GATEWAY_ID).length, 3);
      assert.ok(admin.registry.certificates(GATEWAY_ID).every((c) => c.installJobId === install.jobId));

      // The issued TLS certificate works with the new key: the gateway is now known as operational.
      const operational = wanClientProfile({
        key: await gateway.tlsKey('pending-tls'),
        certificates: [install.tlsPem, install.chainPem],
        trust: pki.trust(),
        clock: pki.clock,
      });
      const r = await get(operational, GWA_PATHS.time);
      assert.equal(r.status, 200);
      assert.equal(admin.registry.requireGateway(GATEWAY_ID).tlsKind, 'operational');
      assert.equal((await post(operational, install.jobId, { ok: true })).status, 200);
    } finally {
      await gateway.close();
    }
  });

  it("refuses a CSR in another gateway's name (job failed, nothing issued)", async () => {
    const [job] = admin.renewCertificates(GATEWAY_ID);
    assert.ok(job?.type === 'create-csr');
    const before = admin.registry.certificates(GATEWAY_ID).length;
    const gateway = await openEntityModule(pki.pkiDir, 'gateway');
    try {
      await gateway.generateKeyPair('evil', 'brainpoolP256r1');
      const csr = await buildCsr({
        module: gateway,
        slot: 'evil',
        subject: [{ type: 'CN', value: 'EOSM0100000002.SMGW' }],
      });
      const r = await post(factory, job.jobId, {
        ok: true,
        result: { use: job.use, csrPem: toPem('CERTIFICATE REQUEST', csr) },
      });
      assert.equal(r.status, 200);
      assert.equal((r.json() as { error: { code: string } }).error.code, 'SMGW_HEADEND_ISSUE_FAILED');
    } finally {
      await gateway.close();
    }
    const stored = admin.job(job.jobId);
    assert.equal(stored.state, 'failed');
    assert.equal(stored.error?.code, 'SMGW_HEADEND_ISSUE_FAILED');
    assert.equal(admin.registry.certificates(GATEWAY_ID).length, before);
    assert.ok(logs.some((l) => l.event === 'certificate-refused' && l.jobId === job.jobId));
  });
});

async function keyOf(pki: TestPki, entity: string, slot: string) {
  const m = await openEntityModule(pki.pkiDir, entity);
  try {
    return await m.tlsKey(slot);
  } finally {
    await m.close();
  }
}
