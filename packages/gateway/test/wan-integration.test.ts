/**
 * The WAN side wired with the real gateway parts (SQLite store, rate-limited event log,
 * GatewayTime, FlowControl) against a test GWA and EMT on the wire: start-up session configures
 * a communication profile, the queued delivery goes out, a wake-up brings the next session,
 * the logs stay a valid hash chain, and the wake-up replay state survives a restart.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { type JobResult, parseJobResult, parseReadLogResult } from '@opensmgw/protocol';
import { openContainer, signWakeupPacket } from '@opensmgw/security';
import { FlowControl } from '../src/core/flow-control.js';
import { GatewayTime } from '../src/core/gateway-time.js';
import { RateLimitedEventLog } from '../src/core/rate-limited-log.js';
import { openGatewayStore } from '../src/store/gateway-store.js';
import type { GatewayStore } from '../src/store/types.js';
import { createAdminHandlers } from '../src/wan/admin-handlers.js';
import { AdminSession } from '../src/wan/admin-session.js';
import { ConnectionManager } from '../src/wan/connection-manager.js';
import { DeliveryWorker } from '../src/wan/delivery-worker.js';
import { WanHttpsClient } from '../src/wan/https-client.js';
import type { WanIdentity } from '../src/wan/wan-identity.js';
import {
  json,
  makeWanPki,
  openGatewayIdentity,
  startWanServer,
  type TestServer,
  type WanPki,
  wakeupListenerOf,
} from './fixtures/wan-pki.js';

describe('WAN side with the SQLite store, rate-limited log, GatewayTime and FlowControl', () => {
  let pki: WanPki;
  let gwaServer: TestServer;
  let emtServer: TestServer;
  let store: GatewayStore;
  const clock = new FakeClock(Date.now());
  let jobs: unknown[] = [];
  const results: { jobId: string; result: JobResult }[] = [];
  const received: { id: string; payload: string }[] = [];
  let identityRef: WanIdentity;

  before(async () => {
    pki = await makeWanPki();
    gwaServer = await startWanServer(pki.gwa, pki.smPkiTrust(), clock, (req, body, res) => {
      if (req.url === '/gwa/v1/time') return void json(res, 200, { epochMs: clock.now() + 1234 });
      if (req.url === '/gwa/v1/jobs') {
        const done = new Set(results.map((r) => r.jobId));
        return void json(res, 200, { jobs: jobs.filter((j) => !done.has((j as { jobId: string }).jobId)) });
      }
      const m = /^\/gwa\/v1\/jobs\/([^/]+)\/result$/.exec(req.url ?? '');
      if (req.method === 'POST' && m?.[1]) results.push({ jobId: m[1], result: parseJobResult(body) });
      res.writeHead(204);
      res.end();
    });
    emtServer = await startWanServer(pki.emt, pki.smPkiTrust(), clock, (req, body, res) => {
      void openContainer(new Uint8Array(body), {
        recipient: { module: pki.emt.module, slot: 'wan-enc', certificate: pki.emt.encDer },
        trustedSenders: [identityRef.certificate('sig')],
      }).then(
        (o) => {
          received.push({
            id: String(req.headers['x-opensmgw-message-id']),
            payload: Buffer.from(o.payload).toString(),
          });
          res.writeHead(201);
          res.end();
        },
        () => {
          res.writeHead(400);
          res.end();
        },
      );
    });
  });
  after(async () => {
    store?.close();
    await gwaServer?.close();
    await emtServer?.close();
    await pki?.close();
  });
  it('configures, delivers, wakes up and keeps its logs and replay state', async () => {
    store = openGatewayStore(':memory:', { clock });
    const events = new RateLimitedEventLog({ store, clock });
    const time = new GatewayTime({ clock, events, minRegistrationPeriodSeconds: () => 900 });
    const flow = new FlowControl({ events });
    const identity = await openGatewayIdentity(pki, store, time);
    identityRef = identity;
    const client = new WanHttpsClient({
      identity,
      trust: pki.smPkiTrust(),
      clock,
      validityClock: time,
      flow: (url) => {
        flow.checkWanPeer(url, { gwaUrl: gwaServer.url, communicationProfiles: store.communicationProfiles() });
      },
    });
    const worker = new DeliveryWorker({
      store,
      client,
      identity,
      clock,
      events,
      communicationProfile: (id) => store.communicationProfiles().find((p) => p.id === id),
    });
    let manager: ConnectionManager | undefined;
    const session = new AdminSession({
      client,
      gwa: { url: gwaServer.url, servername: 'gwa.opensmgw.test', tlsCertificatePem: pki.gwa.tlsPem },
      time,
      store,
      events,
      handlers: createAdminHandlers({
        store,
        events,
        identity,
        gatewayId: pki.gatewayId,
        clock: time,
        onProfilesChanged: () => worker.kick(),
        onScheduleChanged: (s) => manager?.setPollInterval(s * 1000),
      }),
    });
    manager = new ConnectionManager({ adminSession: session, clock, pollIntervalMs: 300_000 });

    // A message is queued before its recipient is configured: it waits.
    store.enqueue({
      messageId: 'msg-1',
      recipientId: 'emt-1',
      evaluationProfileId: 'taf7-1',
      payload: new TextEncoder().encode('{"n":1}'),
      createdMs: clock.now(),
    });
    worker.start();
    await worker.idle();
    assert.equal(store.queueLength('emt-1'), 1);

    jobs = [
      {
        jobId: 'c1',
        type: 'set-communication-profile',
        profile: {
          id: 'emt-1',
          url: emtServer.url,
          servername: 'emt-1.opensmgw.test',
          tlsCertificatePem: pki.emt.tlsPem,
          encryptionCertificatePem: pki.emt.encPem,
        },
      },
      { jobId: 'c2', type: 'set-schedule', pollIntervalSeconds: 600 },
    ];
    manager.start();
    await manager.idle();
    await worker.idle();
    assert.deepEqual(
      results.map((r) => [r.jobId, r.result.ok]),
      [
        ['c1', true],
        ['c2', true],
      ],
    );
    assert.equal(manager.pollIntervalMs, 600_000);
    assert.equal(time.now() - clock.now(), 1234, 'GWA time taken (round trip 0 on the fake clock)');
    assert.deepEqual(received, [{ id: 'msg-1', payload: '{"n":1}' }]);
    assert.equal(store.queueLength(), 0);

    // A wake-up makes the gateway call the GWA again, which asks for the system log.
    jobs.push({ jobId: 'r1', type: 'read-log', log: 'system', fromIndex: 1, count: 100 });
    const listener = wakeupListenerOf(pki, {
      clock: time,
      store,
      events,
      onWakeup: () => manager?.wakeup(),
    });
    const packet = await signWakeupPacket(pki.gwa.module, 'wan-sig', {
      gatewayId: pki.gatewayId,
      timestampMs: time.now(),
      sequence: 1n,
    });
    assert.equal(listener.receive(packet, '127.0.0.1:1'), 'accepted');
    await manager.idle();
    const r1 = results.find((r) => r.jobId === 'r1')?.result;
    assert.ok(r1?.ok);
    const logged = parseReadLogResult(r1.result).entries.map((e) => e.event);
    for (const e of ['WAN_NO_COMMUNICATION_PROFILE', 'TIME_SYNC', 'PROFILE_SET', 'SCHEDULE_SET', 'WAKEUP_ACCEPTED']) {
      assert.ok(logged.includes(e), `${e} in the system log`);
    }
    assert.equal(store.verifyLog('system').ok, true);

    // Restart: a new listener on the same store refuses the replayed packet.
    const restarted = wakeupListenerOf(pki, {
      clock: time,
      store,
      events,
      onWakeup: () => assert.fail('replay acted on'),
    });
    assert.equal(restarted.receive(packet, '127.0.0.1:1'), 'rejected');
    const last = store.readLog('system', 1, 1500).at(-1);
    assert.equal(last?.event, 'WAKEUP_REJECTED');
    assert.match(last?.message ?? '', /SMGW_WAKEUP_REPLAY/);

    await manager.stop();
    await worker.stop();
  });
});
