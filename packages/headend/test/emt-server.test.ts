/**
 * The EMT server end to end: a gateway of the test SM-PKI delivers real containers over mutual
 * TLS (WAN profile) to `startEmtServer`, which opens, checks and stores them (SQLite).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createJsonLogger } from '@opensmgw/core';
import { encodeReadingsMessage } from '@opensmgw/protocol';
import {
  initTestPki,
  issueEntity,
  openEntityModule,
  type TlsClientProfile,
  wanClientProfile,
} from '@opensmgw/security';
import { type EmtServer, startEmtServer } from '../src/emt/emt-server.js';
import { certDer, GATEWAY_ID, readingsMessage, sealAs } from './emt-fixtures.js';
import { type HttpAnswer, httpsRequest, makeTestPki, type TestPki } from './gwa-harness.js';

const EMT_NAME = 'emt-1.opensmgw.test';

describe('EMT server (POST /emt/v1/containers, GET /emt/v1/readings)', () => {
  let pki: TestPki;
  let foreignPkiDir: string;
  let dataDir: string;
  let emt: EmtServer;
  let gateway: TlsClientProfile;
  let encCert: Uint8Array;
  const log: Record<string, unknown>[] = [];

  before(async () => {
    pki = await makeTestPki('emt-server-');
    await issueEntity(pki.pkiDir, {
      entity: 'gateway-2',
      role: 'SMGW',
      commonName: 'EOSM0100000002.SMGW',
      clock: pki.clock,
    });
    foreignPkiDir = join(pki.dir, 'foreign-pki');
    await initTestPki(foreignPkiDir, { clock: pki.clock });
    dataDir = mkdtempSync(join(tmpdir(), 'emt-data-'));
    emt = await startEmtServer({
      dataDir,
      pkiDir: pki.pkiDir,
      entity: 'emt-1',
      host: '127.0.0.1',
      port: 0,
      clock: pki.clock,
      logger: createJsonLogger({ sink: (line) => log.push(JSON.parse(line) as Record<string, unknown>) }),
    });
    gateway = await pki.clientProfile('gateway', 'wan-tls', 'gateway/tls.crt.pem');
    encCert = certDer(pki.pkiDir, 'emt-1/enc.crt.pem');
  });
  after(async () => {
    await emt.close();
    rmSync(dataDir, { recursive: true, force: true });
    pki.cleanup();
  });

  const post = (
    body: Uint8Array,
    messageId?: string,
    client: TlsClientProfile = gateway,
    headers: Record<string, string> = {},
  ): Promise<HttpAnswer> =>
    httpsRequest(client, emt.port, 'POST', '/emt/v1/containers', undefined, {
      servername: EMT_NAME,
      rawBody: Buffer.from(body),
      headers: {
        'content-type': 'application/cms',
        'content-length': String(body.length),
        ...(messageId === undefined ? {} : { 'x-opensmgw-message-id': messageId }),
        ...headers,
      },
    });
  const asGateway = (payload: Parameters<typeof sealAs>[0], entity = 'gateway', pkiDir?: string) =>
    sealAs(payload, { pkiDir: pkiDir ?? pki.pkiDir, entity, recipient: encCert, clock: pki.clock });
  const errorCode = (a: HttpAnswer): string => (a.json() as { error: { code: string } }).error.code;
  const counts = async () => ({
    readings: (await emt.store.readings({ limit: 1000 })).length,
    messages: (await emt.store.messages({ limit: 1000 })).length,
  });

  it('stores a real container (201) and logs one line for it', async () => {
    const container = await asGateway(readingsMessage('q-000001'));
    const a = await post(container, 'q-000001');
    assert.equal(a.status, 201, a.text);
    assert.deepEqual(a.json(), { stored: 2, messageId: 'q-000001' });
    const rows = await emt.store.readings({ limit: 10 });
    assert.deepEqual(
      rows.map((r) => [r.gatewayId, r.meterId, r.kind, r.value, r.scaler, r.messageId]),
      [
        [GATEWAY_ID, 'ELS-12345678', 'original', '1234567', -1, 'q-000001'],
        [GATEWAY_ID, 'ELS-12345678', 'derived', '1234567', -1, 'q-000001'],
      ],
    );
    const [m] = await emt.store.messages({ limit: 10 });
    assert.equal(m?.receivedMs, pki.clock.now());
    assert.match(m?.senderCertSha256 ?? '', /^[0-9a-f]{64}$/);
    const line = log.find((l) => l.event === 'container-received');
    assert.equal(line?.msg, `container received gateway=${GATEWAY_ID} readings=2`);
    assert.equal(line?.messageId, 'q-000001');
  });

  it('answers the same container again with 200 duplicate and stores nothing new', async () => {
    const before = await counts();
    const again = await asGateway(readingsMessage('q-000001'));
    const a = await post(again, 'q-000001');
    assert.equal(a.status, 200, a.text);
    assert.deepEqual(a.json(), { duplicate: true, messageId: 'q-000001' });
    assert.deepEqual(await counts(), before);
    // without the header the signed message ID decides the same way
    const b = await post(again);
    assert.equal(b.status, 200);
    assert.deepEqual(await counts(), before);
  });

  it('refuses a container signed by a gateway certificate of another PKI (403), storing nothing', async () => {
    const before = await counts();
    const container = await asGateway(readingsMessage('q-foreign'), 'gateway', foreignPkiDir);
    const a = await post(container, 'q-foreign');
    assert.equal(a.status, 403, a.text);
    assert.equal(errorCode(a), 'SMGW_EMT_UNTRUSTED_SENDER');
    assert.deepEqual(await counts(), before);
    assert.ok(log.some((l) => l.event === 'container-refused' && l.code === 'SMGW_EMT_UNTRUSTED_SENDER'));
  });

  it('refuses tampered, truncated and random bytes (400 SMGW_EMT_BAD_CONTAINER), storing nothing', async () => {
    const before = await counts();
    const good = await asGateway(readingsMessage('q-tamper'));
    const variants: Uint8Array[] = [];
    for (const at of [10, Math.floor(good.length / 2), good.length - 5]) {
      const t = new Uint8Array(good);
      t[at] = (t[at] as number) ^ 0x01;
      variants.push(t);
    }
    variants.push(good.subarray(0, good.length - 1), new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), new Uint8Array(0));
    for (const v of variants) {
      const a = await post(v, 'q-tamper');
      assert.equal(a.status, 400, a.text);
      assert.equal(errorCode(a), 'SMGW_EMT_BAD_CONTAINER');
    }
    assert.deepEqual(await counts(), before);
  });

  it('refuses a container for another recipient (400), a bad payload (400) and a header that differs (400)', async () => {
    const before = await counts();
    const forEmt2 = await sealAs(readingsMessage('q-emt2'), {
      pkiDir: pki.pkiDir,
      entity: 'gateway',
      recipient: certDer(pki.pkiDir, 'emt-2/enc.crt.pem'),
      clock: pki.clock,
    });
    const a = await post(forEmt2);
    assert.equal(a.status, 400);
    assert.equal(errorCode(a), 'SMGW_EMT_BAD_CONTAINER');

    const notJson = await asGateway(new TextEncoder().encode('<xml/>'));
    const b = await post(notJson);
    assert.equal(b.status, 400);
    assert.equal(errorCode(b), 'SMGW_EMT_BAD_PAYLOAD');

    const wrongShape = await asGateway(encodeReadingsMessage({ ...readingsMessage('q-x'), taf: 3 as 1 }));
    assert.equal(errorCode(await post(wrongShape)), 'SMGW_EMT_BAD_PAYLOAD');

    const c = await post(await asGateway(readingsMessage('q-header')), 'q-other');
    assert.equal(c.status, 400);
    assert.equal(errorCode(c), 'SMGW_EMT_BAD_PAYLOAD');
    assert.deepEqual(await counts(), before);
  });

  it('refuses signer, TLS client and payload naming different gateways (403 SMGW_EMT_SENDER_MISMATCH)', async () => {
    const before = await counts();
    // signed by gateway 2 (valid in our PKI), delivered over gateway 1's TLS connection
    const byOther = await asGateway(readingsMessage('q-mix', { gatewayId: 'EOSM0100000002' }), 'gateway-2');
    const a = await post(byOther);
    assert.equal(a.status, 403);
    assert.equal(errorCode(a), 'SMGW_EMT_SENDER_MISMATCH');
    // signed by gateway 1 for a payload of gateway 2
    const claims = await asGateway(readingsMessage('q-claim', { gatewayId: 'EOSM0100000002' }));
    const b = await post(claims);
    assert.equal(b.status, 403);
    assert.equal(errorCode(b), 'SMGW_EMT_SENDER_MISMATCH');
    // gateway 2 over its own TLS connection is fine
    const gw2 = await pki.clientProfile('gateway-2', 'wan-tls', 'gateway-2/tls.crt.pem');
    const c = await post(byOther, 'q-mix', gw2);
    assert.equal(c.status, 201, c.text);
    const after = await counts();
    assert.deepEqual(after, { readings: before.readings + 2, messages: before.messages + 1 });
  });

  it('refuses a TLS client of another PKI before any HTTP, and a non-gateway certificate', async () => {
    // The foreign PKI's gateway, trusting our EMT (so only the EMT's check can refuse it).
    const m = await openEntityModule(foreignPkiDir, 'gateway');
    const key = await m.tlsKey('wan-tls').finally(() => m.close());
    const foreignPem = (rel: string) => readFileSync(join(foreignPkiDir, rel), 'utf8');
    const foreign = wanClientProfile({
      key,
      certificates: [foreignPem('gateway/tls.crt.pem'), foreignPem('subca/ca.crt.pem')],
      trust: pki.trust(),
      clock: pki.clock,
    });
    const before = await counts();
    const container = await asGateway(readingsMessage('q-tls'));
    await assert.rejects(post(container, 'q-tls', foreign));
    const emt2 = await pki.clientProfile('emt-2', 'wan-tls', 'emt-2/tls.crt.pem');
    await assert.rejects(post(container, 'q-tls', emt2));
    assert.deepEqual(await counts(), before);
    assert.ok(log.some((l) => l.event === 'tls-refused'));
  });

  it('answers the HTTP mistakes: wrong media type 415, wrong method 405, unknown path 404', async () => {
    const container = await asGateway(readingsMessage('q-http'));
    const a = await post(container, 'q-http', gateway, { 'content-type': 'application/json' });
    assert.equal(a.status, 415);
    const b = await httpsRequest(gateway, emt.port, 'GET', '/emt/v1/containers', undefined, { servername: EMT_NAME });
    assert.equal(b.status, 405);
    const c = await httpsRequest(gateway, emt.port, 'GET', '/emt/v1/nothing', undefined, { servername: EMT_NAME });
    assert.equal(c.status, 404);
    assert.equal(
      (await emt.store.messages({ gatewayId: GATEWAY_ID, limit: 100 })).some((m) => m.messageId === 'q-http'),
      false,
    );
  });

  it('GET /emt/v1/readings answers a gateway its own readings, with filters', async () => {
    const get = (q: string) =>
      httpsRequest(gateway, emt.port, 'GET', `/emt/v1/readings${q}`, undefined, { servername: EMT_NAME });
    const all = await get('');
    assert.equal(all.status, 200, all.text);
    const rows = (all.json() as { readings: Record<string, unknown>[] }).readings;
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[0], {
      gatewayId: GATEWAY_ID,
      meterId: 'ELS-12345678',
      obis: '1-0:1.8.0*255',
      obisHex: '0100010800ff',
      quantity: 'energy import',
      value: 123456.7,
      unit: 'Wh',
      captureTime: '2026-11-28T10:00:00.000Z',
      targetTime: null,
      kind: 'original',
      evaluationProfileId: 'ep-taf1',
      messageId: 'q-000001',
      rawValue: '1234567',
      scaler: -1,
      smgwStatus: '00000000',
    });
    const limited = await get('?meter=ELS-12345678&from=2026-11-28T10:00:00Z&to=2026-11-28T10:00:00Z&limit=1');
    assert.equal((limited.json() as { readings: unknown[] }).readings.length, 1);
    const none = await get('?from=2026-11-28T10:00:01Z');
    assert.deepEqual(none.json(), { readings: [] });
    const other = await get('?gateway=EOSM0100000002');
    assert.equal(other.status, 403);
    for (const q of ['?limit=0', '?limit=abc', '?from=yesterday', '?meter=%00', '?x=1', '?limit=1&limit=2']) {
      const bad = await get(q);
      assert.equal(bad.status, 400, q);
      assert.equal(errorCode(bad), 'SMGW_EMT_BAD_REQUEST', q);
    }
  });
});
