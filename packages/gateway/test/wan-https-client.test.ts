import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { WanHttpsClient } from '../src/wan/https-client.js';
import { FakeWanStore } from './fixtures/wan-fakes.js';
import {
  json,
  makeWanPki,
  openGatewayIdentity,
  startWanServer,
  type TestServer,
  type WanPki,
} from './fixtures/wan-pki.js';

const code = (c: string) => (e: unknown) => (e as { code?: string }).code === c;

describe('WanHttpsClient', () => {
  let pki: WanPki;
  let server: TestServer;
  let client: WanHttpsClient;
  let clock: FakeClock;
  const flowSeen: string[] = [];

  before(async () => {
    pki = await makeWanPki();
    clock = new FakeClock(Date.now());
    const identity = await openGatewayIdentity(pki, new FakeWanStore(), clock);
    server = await startWanServer(pki.gwa, pki.smPkiTrust(), clock, (req, body, res) => {
      if (req.url === '/big') {
        res.writeHead(200);
        res.end(Buffer.alloc(5000));
        return;
      }
      json(res, 200, { method: req.method, url: req.url, body: body.toString(), type: req.headers['content-type'] });
    });
    client = new WanHttpsClient({
      identity,
      trust: pki.smPkiTrust(),
      clock,
      flow: (url) => {
        flowSeen.push(url);
        if (url.includes(':1/') || url.endsWith(':1'))
          throw Object.assign(new Error('refused'), { code: 'SMGW_FLOW_DENIED' });
      },
    });
  });
  after(async () => {
    await server?.close();
    await pki?.close();
  });

  it('makes mutual-TLS requests with the factory certificate and resumes the session', async () => {
    const a = await client.request({ url: server.url, servername: 'gwa.opensmgw.test', method: 'GET', path: '/x' });
    assert.equal(a.status, 200);
    assert.deepEqual(JSON.parse(Buffer.from(a.body).toString()), { method: 'GET', url: '/x', body: '' });
    const b = await client.request({
      url: server.url,
      servername: 'gwa.opensmgw.test',
      method: 'POST',
      path: '/y',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    assert.deepEqual(JSON.parse(Buffer.from(b.body).toString()), {
      method: 'POST',
      url: '/y',
      body: '{"a":1}',
      type: 'application/json',
    });
    assert.equal(server.stats.full, 1);
    assert.equal(server.stats.resumed, 1);
    assert.deepEqual(server.stats.clientCns, [`${pki.gatewayId}.SMGW`]);
    assert.ok(flowSeen.includes(server.url));
  });

  it('checks a pinned server certificate (SMGW_WAN_PEER_MISMATCH) and accepts the right one', async () => {
    await assert.rejects(
      client.request({
        url: server.url,
        servername: 'gwa.opensmgw.test',
        pinnedCertificatePem: pki.emt2.tlsPem,
        method: 'GET',
        path: '/',
      }),
      code('SMGW_WAN_PEER_MISMATCH'),
    );
    const ok = await client.request({
      url: server.url,
      servername: 'gwa.opensmgw.test',
      pinnedCertificatePem: pki.gwa.tlsPem,
      method: 'GET',
      path: '/',
    });
    assert.equal(ok.status, 200);
    // A resumed connection shows no certificate: the pin is checked against the one of its full handshake.
    const resumedBefore = server.stats.resumed;
    const again = await client.request({
      url: server.url,
      servername: 'gwa.opensmgw.test',
      pinnedCertificatePem: pki.gwa.tlsPem,
      method: 'GET',
      path: '/',
    });
    assert.equal(again.status, 200);
    assert.equal(server.stats.resumed, resumedBefore + 1);
    await assert.rejects(
      client.request({
        url: server.url,
        servername: 'gwa.opensmgw.test',
        pinnedCertificatePem: pki.emt.tlsPem,
        method: 'GET',
        path: '/',
      }),
      code('SMGW_WAN_PEER_MISMATCH'),
    );
  });

  it('refuses a wrong server name, an oversized answer, bad URLs and flow-denied destinations', async () => {
    await assert.rejects(
      client.request({ url: server.url, servername: 'emt-1.opensmgw.test', method: 'GET', path: '/' }),
      code('SMGW_TLS_PEER_REJECTED'),
    );
    await assert.rejects(
      client.request({
        url: server.url,
        servername: 'gwa.opensmgw.test',
        method: 'GET',
        path: '/big',
        maxResponseBytes: 4096,
      }),
      code('SMGW_WAN_RESPONSE_TOO_LARGE'),
    );
    for (const url of ['http://127.0.0.1:1', 'https://a b', 'https://x:99999', 'https://x/path']) {
      await assert.rejects(
        client.request({ url, servername: 'x', method: 'GET', path: '/' }),
        code('SMGW_WAN_BAD_REQUEST'),
      );
    }
    await assert.rejects(
      client.request({ url: server.url, servername: 'x', method: 'GET', path: '/a\r\nb' }),
      code('SMGW_WAN_BAD_REQUEST'),
    );
    await assert.rejects(
      client.request({ url: 'https://127.0.0.1:1', servername: 'x', method: 'GET', path: '/' }),
      code('SMGW_FLOW_DENIED'),
    );
  });

  it('resumes only within the WAN session lifetime, then makes a full handshake (SessionLedger)', async () => {
    const identity = await openGatewayIdentity(pki, new FakeWanStore(), clock);
    // The GWA may shorten the lifetime (spec notes §3.3); the server would still resume for 48 h.
    const short = new WanHttpsClient({ identity, trust: pki.smPkiTrust(), clock, sessionMaxAgeMs: 3_600_000 });
    const get = () => short.request({ url: server.url, servername: 'gwa.opensmgw.test', method: 'GET', path: '/' });
    const { full, resumed } = server.stats;
    await get();
    clock.advance(3_599_000);
    await get();
    assert.deepEqual([server.stats.full - full, server.stats.resumed - resumed], [1, 1]);
    clock.advance(1_000);
    await get();
    assert.deepEqual([server.stats.full - full, server.stats.resumed - resumed], [2, 1]);
  });

  it('gives up on a server that does not answer (SMGW_WAN_TIMEOUT)', async () => {
    const silent = await startWanServer(pki.gwa, pki.smPkiTrust(), clock, () => {});
    try {
      await assert.rejects(
        client.request({ url: silent.url, servername: 'gwa.opensmgw.test', method: 'GET', path: '/', timeoutMs: 300 }),
        code('SMGW_WAN_TIMEOUT'),
      );
    } finally {
      await silent.close();
    }
  });

  it('reports an unreachable server as SMGW_WAN_UNREACHABLE', async () => {
    const dead = await startWanServer(pki.gwa, pki.smPkiTrust(), clock, () => {});
    const url = dead.url;
    await dead.close();
    await assert.rejects(
      client.request({ url, servername: 'gwa.opensmgw.test', method: 'GET', path: '/' }),
      code('SMGW_WAN_UNREACHABLE'),
    );
  });
});
