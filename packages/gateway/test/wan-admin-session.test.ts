import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { type JobResult, parseCsrResult, parseJobResult } from '@opensmgw/protocol';
import { issueFromCsr, parseCertificates, toPem } from '@opensmgw/security';
import { type AdminJobHandler, createAdminHandlers, SCHEDULE_STATE_KEY } from '../src/wan/admin-handlers.js';
import { AdminSession, COMPLETED_STATE_KEY, type TimeSync } from '../src/wan/admin-session.js';
import { WanHttpsClient } from '../src/wan/https-client.js';
import type { WanIdentity } from '../src/wan/wan-identity.js';
import { FakeWanStore, RecordingEventLog } from './fixtures/wan-fakes.js';
import {
  type Handler,
  json,
  makeWanPki,
  openGatewayIdentity,
  startWanServer,
  type TestServer,
  type WanPki,
} from './fixtures/wan-pki.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

const meter = {
  meterId: 'ELS-12345678',
  medium: 'gas',
  active: true,
  access: { type: 'wmbus', manufacturer: 'ELS', serial: '12345678', keyHex: '000102030405060708090A0B0C0D0E0F' },
  channels: ['0700030000ff'],
};
const evaluation = {
  id: 'taf7-1',
  taf: 7,
  meterId: 'ELS-12345678',
  channels: ['0700030000ff'],
  recipients: ['emt-1'],
  registrationPeriodSeconds: 900,
  validFrom: '2026-11-01T00:00:00.000Z',
};

/** A GWA as the gateway sees it on the wire: time, a job list, and the results it receives. */
class FakeGwa {
  jobs: unknown[] = [];
  readonly results: { jobId: string; result: JobResult }[] = [];
  epochMs = Date.parse('2026-11-28T12:00:00Z');
  failNextPost = false;
  requests: string[] = [];

  handler: Handler = (req, body, res) => {
    this.requests.push(`${req.method} ${req.url}`);
    if (req.method === 'GET' && req.url === '/gwa/v1/time') {
      json(res, 200, { epochMs: this.epochMs });
      return;
    }
    if (req.method === 'GET' && req.url === '/gwa/v1/jobs') {
      json(res, 200, { jobs: this.jobs });
      return;
    }
    const m = /^\/gwa\/v1\/jobs\/([^/]+)\/result$/.exec(req.url ?? '');
    if (req.method === 'POST' && m?.[1]) {
      if (this.failNextPost) {
        this.failNextPost = false;
        json(res, 500, {});
        return;
      }
      this.results.push({ jobId: decodeURIComponent(m[1]), result: parseJobResult(body) });
      res.writeHead(204);
      res.end();
      return;
    }
    json(res, 404, {});
  };
}

describe('AdminSession against a test GWA over mutual TLS', () => {
  let pki: WanPki;
  let foreign: WanPki;
  let server: TestServer;
  let gwa: FakeGwa;
  let clock: FakeClock;
  let store: FakeWanStore;
  let events: RecordingEventLog;
  let identity: WanIdentity;
  let syncs: [number, number, number][];
  let changed: string[];
  let schedule: number[];
  let handled: string[];

  const time: TimeSync = {
    now: () => clock.now(),
    sync: (g, s, r) => {
      syncs.push([g, s, r]);
    },
  };

  const session = (url = server.url, pinned?: string): AdminSession => {
    const client = new WanHttpsClient({ identity, trust: pki.smPkiTrust(), clock });
    const handlers = createAdminHandlers({
      store,
      events,
      identity,
      gatewayId: pki.gatewayId,
      clock,
      onProfilesChanged: (k) => changed.push(k),
      onScheduleChanged: (s) => schedule.push(s),
    });
    const counting: AdminJobHandler = (job, ctx) => {
      handled.push(job.jobId);
      return handlers(job, ctx);
    };
    return new AdminSession({
      client,
      gwa: { url, servername: 'gwa.opensmgw.test', ...(pinned === undefined ? {} : { tlsCertificatePem: pinned }) },
      time,
      store,
      events,
      handlers: counting,
    });
  };

  before(async () => {
    pki = await makeWanPki();
    foreign = await makeWanPki();
    gwa = new FakeGwa();
    clock = new FakeClock(Date.now());
    server = await startWanServer(pki.gwa, pki.smPkiTrust(), clock, gwa.handler);
  });
  after(async () => {
    await server?.close();
    await pki?.close();
    await foreign?.close();
  });
  beforeEach(async () => {
    gwa.jobs = [];
    gwa.results.length = 0;
    gwa.requests = [];
    store = new FakeWanStore();
    events = new RecordingEventLog(store, () => clock.now());
    syncs = [];
    changed = [];
    schedule = [];
    handled = [];
    identity = await openGatewayIdentity(pki, store, clock);
  });

  it('syncs time, applies the jobs in order, posts one result each, and a failing job does not stop the rest', async () => {
    const comm = {
      id: 'emt-1',
      url: 'https://127.0.0.1:9443',
      servername: 'emt-1.opensmgw.test',
      tlsCertificatePem: pki.emt.tlsPem,
      encryptionCertificatePem: pki.emt.encPem,
    };
    gwa.jobs = [
      { jobId: 'j1', type: 'set-meter-profile', profile: meter },
      { jobId: 'j2', type: 'set-communication-profile', profile: comm },
      { jobId: 'j3', type: 'set-evaluation-profile', profile: evaluation },
      { jobId: 'j4', type: 'delete-communication-profile', id: 'nope' },
      { jobId: 'j5', type: 'set-meter-profile', profile: { ...meter, debug: true } },
      { jobId: 'j6', type: 'set-schedule', pollIntervalSeconds: 600 },
      { jobId: 'j7', type: 'read-status' },
      { jobId: 'j8', type: 'sync-time' },
      { jobId: 'j9', type: 'read-log', log: 'calibration', fromIndex: 1, count: 10 },
    ];
    const summary = await session().run('wakeup');
    assert.deepEqual(summary, { reason: 'wakeup', jobs: 9, ran: 9, replayed: 0, failed: 2 });
    assert.deepEqual(gwa.requests.slice(0, 2), ['GET /gwa/v1/time', 'GET /gwa/v1/jobs']);
    assert.deepEqual(
      gwa.results.map((r) => r.jobId),
      ['j1', 'j2', 'j3', 'j4', 'j5', 'j6', 'j7', 'j8', 'j9'],
    );
    const byId = new Map(gwa.results.map((r) => [r.jobId, r.result]));
    assert.deepEqual(byId.get('j1'), { ok: true, result: { meterId: 'ELS-12345678' } });
    const j4 = byId.get('j4');
    assert.equal(j4?.ok === false && j4.error.code, 'SMGW_WAN_JOB_FAILED');
    const j5 = byId.get('j5');
    assert.equal(j5?.ok === false && j5.error.code, 'SMGW_PROTO_INVALID');
    assert.deepEqual(handled, ['j1', 'j2', 'j3', 'j4', 'j6', 'j7', 'j8', 'j9'], 'the invalid job is not run');
    const status = byId.get('j7');
    assert.ok(status?.ok);
    assert.deepEqual((status.result as { profiles: unknown }).profiles, { meter: 1, communication: 1, evaluation: 1 });
    assert.equal((status.result as { identity: string }).identity, 'factory');
    const calibration = byId.get('j9');
    assert.ok(calibration?.ok);
    assert.deepEqual(
      (calibration.result as { entries: { event: string; subject: string }[] }).entries.map((e) => [
        e.event,
        e.subject,
      ]),
      [
        ['PROFILE_SET', 'ELS-12345678'],
        ['PROFILE_SET', 'taf7-1'],
      ],
    );

    assert.equal(store.meters.get('ELS-12345678')?.medium, 'gas');
    assert.equal(store.comms.get('emt-1')?.servername, 'emt-1.opensmgw.test');
    assert.equal(store.evals.get('taf7-1')?.taf, 7);
    assert.deepEqual(changed, ['meter', 'communication', 'evaluation']);
    assert.deepEqual(schedule, [600]);
    assert.deepEqual(store.getState(SCHEDULE_STATE_KEY), { pollIntervalSeconds: 600 });
    assert.deepEqual(
      events.events('PROFILE_SET').map((e) => [e.log, e.subject]),
      [
        ['system', 'ELS-12345678'],
        ['system', 'emt-1'],
        ['system', 'taf7-1'],
      ],
    );
    assert.equal(syncs.length, 2, 'session start and the sync-time job');
    for (const [g, s, r] of syncs) {
      assert.equal(g, gwa.epochMs);
      assert.ok(s <= r);
    }
    assert.equal(events.events('TIME_SYNC').length, 2);
    assert.equal(events.events('ADMIN_SESSION').length, 1);
  });

  it('answers a repeated jobId from its record without running it again, also after a lost answer', async () => {
    gwa.jobs = [
      { jobId: 'a1', type: 'set-meter-profile', profile: meter },
      { jobId: 'a2', type: 'delete-meter-profile', meterId: 'ELS-12345678' },
    ];
    gwa.failNextPost = true;
    await assert.rejects(session().run('startup'), code('SMGW_WAN_BAD_RESPONSE'));
    assert.deepEqual(handled, ['a1']);
    assert.equal(events.events('ADMIN_SESSION_FAILED').length, 1);

    const s = await session().run('schedule');
    assert.deepEqual(s, { reason: 'schedule', jobs: 2, ran: 1, replayed: 1, failed: 0 });
    assert.deepEqual(handled, ['a1', 'a2'], 'a1 not run twice');
    assert.deepEqual(
      gwa.results.map((r) => [r.jobId, r.result.ok]),
      [
        ['a1', true],
        ['a2', true],
      ],
    );
    // The GWA sends the same list again (it did not clear it): nothing runs.
    await session().run('schedule');
    assert.deepEqual(handled, ['a1', 'a2']);
    assert.equal(store.meters.size, 0, 'the delete was not undone by re-running the set');
    assert.deepEqual(
      (store.getState(COMPLETED_STATE_KEY) as { jobId: string }[]).map((c) => c.jobId),
      ['a1', 'a2'],
    );
  });

  it('creates CSRs in the module and installs the certificates the CA issued; later sessions use them', async () => {
    const csrs: Record<string, string> = {};
    gwa.jobs = ['tls', 'sig', 'enc'].map((use) => ({ jobId: `csr-${use}`, type: 'create-csr', use }));
    await session().run('wakeup');
    for (const r of gwa.results) {
      assert.ok(r.result.ok);
      const csr = parseCsrResult(r.result.result);
      csrs[csr.use] = csr.csrPem;
    }
    assert.deepEqual(Object.keys(identity.pending).sort(), ['enc', 'sig', 'tls']);
    const issue = async (use: 'tls' | 'sig' | 'enc', dir = pki.dir): Promise<string> =>
      toPem(
        'CERTIFICATE',
        (
          await issueFromCsr(dir, {
            csr: csrs[use] as string,
            role: 'SMGW',
            type: use,
            clock: new FakeClock(clock.now() - 60_000),
          })
        ).der,
      );
    const tlsPem = await issue('tls');
    const sigPem = await issue('sig');
    const encPem = await issue('enc');
    const foreignTls = await issue('tls', foreign.dir);

    gwa.results.length = 0;
    gwa.jobs = [
      {
        jobId: 'inst-swapped',
        type: 'install-certificates',
        tlsPem: sigPem,
        sigPem: tlsPem,
        encPem,
        chainPem: pki.subca,
      },
      {
        jobId: 'inst-foreign',
        type: 'install-certificates',
        tlsPem: foreignTls,
        sigPem,
        encPem,
        chainPem: foreign.subca,
      },
      { jobId: 'inst-ok', type: 'install-certificates', tlsPem, sigPem, encPem, chainPem: pki.subca },
    ];
    const before = server.stats.clientSerials.length;
    await session().run('wakeup');
    const codes = gwa.results.map((r) => (r.result.ok ? 'ok' : r.result.error.code));
    assert.deepEqual(codes, ['SMGW_WAN_CERT_KEY_MISMATCH', 'SMGW_WAN_CERT_INVALID', 'ok']);
    assert.equal(identity.isFactory, false);
    assert.deepEqual(identity.pending, {});
    assert.equal(events.events('CERTIFICATES_INSTALLED').length, 1);
    const factorySerial = server.stats.clientSerials[before];

    // A restarted gateway loads the operational triplet; the next session shows its new TLS certificate.
    identity = await openGatewayIdentity(pki, store, clock);
    assert.equal(identity.isFactory, false);
    gwa.jobs = [];
    await session().run('schedule');
    const newSerial = server.stats.clientSerials.at(-1);
    assert.notEqual(newSerial, factorySerial);
    const tlsSerial = parseCertificates(tlsPem)[0]?.serial;
    assert.equal(newSerial?.replace(/^0+/, ''), tlsSerial);
  });

  it('refuses a GWA whose certificate comes from another PKI, and one that is not the pinned GWA', async () => {
    const stranger = await startWanServer(foreign.gwa, pki.smPkiTrust(), clock, gwa.handler);
    try {
      await assert.rejects(session(stranger.url).run('wakeup'), code('SMGW_TLS_PEER_REJECTED'));
      assert.deepEqual(gwa.requests, []);
      const failed = events.events('ADMIN_SESSION_FAILED');
      assert.equal(failed.length, 1);
      assert.match(failed[0]?.message ?? '', /SMGW_TLS_PEER_REJECTED/);
    } finally {
      await stranger.close();
    }
    await assert.rejects(session(server.url, pki.emt.tlsPem).run('wakeup'), code('SMGW_WAN_PEER_MISMATCH'));
    assert.deepEqual(gwa.requests, []);
    await session(server.url, pki.gwa.tlsPem).run('wakeup');
    assert.equal(gwa.requests.length, 2);
  });
});
