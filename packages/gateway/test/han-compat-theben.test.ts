// Theben-style M2M JSON on the HAN (spec notes §9.1, §7.3) against a real HAN server: the request
// sequence the community clients send (GET /smgw/m2m with Digest, follow the 307, POST methods to
// /smgw/m2m/<user>.sm/json), the response shapes, the role table and consumer isolation.
import assert from 'node:assert/strict';
import { request } from 'node:https';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import {
  DAY,
  DigestClient,
  type HanFixture,
  type HanPki,
  type HanResponse,
  METER_A,
  makeHanPki,
  PASSWORDS,
  rawGet,
  startHanFixture,
  T0,
} from './fixtures/han-server-fixture.js';
import { ENERGY } from './fixtures/store-fixtures.js';

let pki: HanPki;
let f: HanFixture;
before(async () => {
  pki = await makeHanPki();
  f = await startHanFixture(pki);
});
after(async () => {
  await f.close();
  await pki.cleanup();
});

const iso = (ms: number) => new Date(ms).toISOString();

/** A Theben M2M client: Digest on GET /smgw/m2m, follow the 307, then POST JSON methods. */
class M2mClient {
  readonly digest: DigestClient;
  endpoint = '';
  constructor(
    user: keyof typeof PASSWORDS,
    readonly fixture: HanFixture = f,
  ) {
    this.digest = new DigestClient(fixture.server, pki, user, PASSWORDS[user]);
  }

  async login(): Promise<HanResponse> {
    const r = await this.digest.get('/smgw/m2m');
    if (r.status === 307) this.endpoint = String(r.headers.location);
    return r;
  }

  call(body: unknown, path = `${this.endpoint}.sm/json`, method = 'POST'): Promise<HanResponse> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const authorization = this.digest.authorization(method, path);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: this.fixture.server.host,
          port: this.fixture.server.port,
          path,
          method,
          agent: false,
          ca: pki.gatewayCertPem,
          ecdhCurve: 'brainpoolP256r1:brainpoolP384r1:brainpoolP512r1:prime256v1:secp384r1',
          sigalgs: 'ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512',
          headers: { authorization, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const t = Buffer.concat(chunks).toString('utf8');
            let parsed: unknown = t;
            try {
              parsed = JSON.parse(t);
            } catch {
              // not JSON
            }
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: parsed });
          });
        },
      );
      req.on('error', reject);
      req.end(text);
    });
  }
}

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

describe('Theben-style /smgw/m2m', () => {
  test('GET /smgw/m2m: 401 with a Digest challenge without credentials, 307 after Digest', async () => {
    const c = new M2mClient('consumer-a');
    const r = await c.digest.get('/smgw/m2m');
    assert.equal(r.status, 307); // the client answered the challenge it got first
    const anon = await rawGet(f.server, pki, '/smgw/m2m');
    assert.equal(anon.status, 401);
    assert.match(String(anon.headers['www-authenticate']), /^Digest /);
  });

  test('the client sequence: redirect, smgw-info, user-info, usage-point-info, readings, log', async () => {
    const c = new M2mClient('consumer-a');
    const login = await c.login();
    assert.equal(login.status, 307);
    assert.equal(login.headers.location, '/smgw/m2m/consumer-a');

    const info = await c.call({ method: 'smgw-info' });
    assert.equal(info.status, 200);
    const i = info.body as Json;
    assert.equal(i['smgw-id'], 'EOSM0100000001');
    assert.equal(i['smgw-state'], 'normal');
    assert.equal(i['smgw-time'], iso(f.clock.now()));
    assert.equal(i.certificates.han.tls, pki.gatewayCertPem);
    assert.deepEqual(i.certificates.wan, []);

    const user = await c.call({ method: 'user-info' });
    assert.equal(user.status, 200);
    const u = user.body as Json;
    assert.equal(u['user-id'], 'consumer-a');
    assert.equal(u['usage-points'].length, 1);
    const up = u['usage-points'][0];
    assert.equal(up['usage-point-id'], 'taf7-a');
    assert.equal(up['metering-point-id'], 'UP-A');
    assert.equal(up['taf-number'], 7);
    assert.equal(up['taf-state'], 'running');
    assert.deepEqual(up.meter, [{ 'meter-id': METER_A }]);

    const upi = await c.call({ method: 'usage-point-info', 'usage-point-id': 'taf7-a' });
    assert.equal(upi.status, 200);
    assert.deepEqual((upi.body as Json).channels, [{ channel: ENERGY, 'meter-id': METER_A, captured: true }]);

    // Original values: fromtime < t ≤ totime, one day = 96 quarter hours.
    const rd = await c.call({
      method: 'readings',
      'usage-point-id': 'taf7-a',
      database: 'origin',
      channels: [{ channel: ENERGY }],
      fromtime: iso(T0),
      totime: iso(T0 + DAY),
    });
    assert.equal(rd.status, 200);
    const ch = (rd.body as Json).channels[0];
    assert.equal(ch.channel, ENERGY);
    assert.equal(ch.readings.length, 96);
    assert.deepEqual(ch.readings[0], {
      'capture-time': iso(T0 + 900_000),
      'target-time': iso(T0 + 900_000),
      value: '1000010',
      scaler: 0,
      unit: 'Wh',
      'cosem-status': '0000000000000000',
      'smgw-status': '00000000',
      'meter-status': '00000000',
      'owner-number': METER_A,
    });
    assert.equal(ch.readings.at(-1)['capture-time'], iso(T0 + DAY));

    const last = await c.call({ method: 'readings', 'usage-point-id': 'taf7-a', 'last-reading': true });
    assert.equal(last.status, 200);
    const lr = (last.body as Json).channels[0].readings;
    assert.equal(lr.length, 1);
    assert.equal(lr[0]['capture-time'], iso(T0 + (40 * 96 - 1) * 900_000));

    const daily = await c.call({
      method: 'readings',
      'usage-point-id': 'taf7-a',
      database: 'daily',
      fromtime: iso(T0),
      totime: iso(T0 + 3 * DAY),
    });
    const dv = (daily.body as Json).channels[0].readings;
    assert.deepEqual(
      dv.map((r: Json) => [r['target-time'], r.value, r['owner-number']]),
      [
        [iso(T0 + DAY), '100', 'taf7-a'],
        [iso(T0 + 2 * DAY), '200', 'taf7-a'],
      ],
    );

    const log = await c.call({ method: 'log', fromindex: 1, count: 10 });
    assert.equal(log.status, 200);
    const l = log.body as Json;
    assert.equal(l.log, 'consumer');
    assert.ok(l.entries.length >= 1);
    assert.ok(l.entries.every((e: Json) => e.message !== 'values of ELS-00000002 sent'));
    assert.ok(l.entries.some((e: Json) => e.message === `values of ${METER_A} sent`));
  });

  test('limits: 31 days of readings, 1,500 log entries, bad bodies are 400', async () => {
    const c = new M2mClient('consumer-a');
    await c.login();
    const long = await c.call({
      method: 'readings',
      'usage-point-id': 'taf7-a',
      fromtime: iso(T0),
      totime: iso(T0 + 32 * DAY),
    });
    assert.equal(long.status, 400);
    assert.equal((long.body as Json).error.code, 'SMGW_HAN_BAD_REQUEST');
    const ok31 = await c.call({
      method: 'readings',
      'usage-point-id': 'taf7-a',
      fromtime: iso(T0),
      totime: iso(T0 + 31 * DAY),
    });
    assert.equal(ok31.status, 200);
    assert.equal((ok31.body as Json).channels[0].readings.length, 31 * 96);
    assert.equal((await c.call({ method: 'log', count: 1501 })).status, 400);
    assert.equal((await c.call({ method: 'log', count: 1500 })).status, 200);
    assert.equal((await c.call({ method: 'self-destruct' })).status, 400);
    assert.equal((await c.call('{not json')).status, 400);
    assert.equal((await c.call([1, 2])).status, 400);
    const huge = await c.call({ method: 'user-info', pad: 'x'.repeat(17 * 1024) });
    assert.equal(huge.status, 400);
    assert.match((huge.body as Json).error.message, /over 16384 bytes/);
    assert.equal((await c.call({ method: 'user-info', extra: 1 })).status, 400);
    assert.equal((await c.call({ method: 'readings', 'usage-point-id': 'taf7-a' })).status, 400);
  });

  test("isolation: another user in the path is 403, another consumer's usage point is 404", async () => {
    const b = new M2mClient('consumer-b');
    await b.login();
    assert.equal(b.endpoint, '/smgw/m2m/consumer-b');
    const other = await b.call({ method: 'user-info' }, '/smgw/m2m/consumer-a.sm/json');
    assert.equal(other.status, 403);
    const r = await b.call({
      method: 'readings',
      'usage-point-id': 'taf7-a',
      fromtime: iso(T0),
      totime: iso(T0 + DAY),
    });
    assert.equal(r.status, 404);
    assert.equal((await b.call({ method: 'usage-point-info', 'usage-point-id': 'taf7-a' })).status, 404);
    const u = (await b.call({ method: 'user-info' })).body as Json;
    assert.deepEqual(
      u['usage-points'].map((p: Json) => p['usage-point-id']),
      ['taf7-b'],
    );
  });

  test('role table: the service technician gets smgw-info and the system log, no consumer data', async () => {
    const t = new M2mClient('tech');
    assert.equal((await t.login()).status, 307);
    assert.equal(t.endpoint, '/smgw/m2m/tech');
    assert.equal((await t.call({ method: 'smgw-info' })).status, 200);
    for (const body of [
      { method: 'user-info' },
      { method: 'usage-point-info', 'usage-point-id': 'taf7-a' },
      { method: 'readings', 'usage-point-id': 'taf7-a', fromtime: iso(T0), totime: iso(T0 + DAY) },
    ]) {
      const r = await t.call(body);
      assert.equal(r.status, 403, body.method);
    }
    const log = await t.call({ method: 'log', fromindex: 1, count: 1500 });
    assert.equal(log.status, 200);
    assert.equal((log.body as Json).log, 'system');
    assert.equal((log.body as Json).entries.length, 1500);
  });

  test('wrong HTTP methods answer 405 with Allow', async () => {
    const c = new M2mClient('consumer-a');
    await c.login();
    const get = await c.digest.get('/smgw/m2m/consumer-a.sm/json');
    assert.equal(get.status, 405);
    assert.equal(get.headers.allow, 'POST');
    const post = await c.call({}, '/smgw/m2m', 'POST');
    assert.equal(post.status, 405);
  });
});

describe('M2M under the HAN limits and hostile bodies', () => {
  test('compatibility requests count against the per-user limit: 429 + Retry-After + consumer-log entry', async () => {
    const g = await startHanFixture(pki, { limits: { perUser: { burst: 3, perMinute: 1 } } });
    try {
      const c = new M2mClient('consumer-a', g);
      assert.equal((await c.login()).status, 307);
      assert.equal((await c.call({ method: 'user-info' })).status, 200);
      assert.equal((await c.call({ method: 'user-info' })).status, 200);
      const refused = await c.call({ method: 'user-info' });
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers['retry-after']) > 0);
      const entries = g.store.readLog('consumer', 1, 1500, 'consumer-a');
      assert.equal(entries.filter((e) => e.event === 'HAN_RATE_LIMITED').length, 1);
      // No lockout: consumer B is served, and A again after Retry-After.
      const b = new M2mClient('consumer-b', g);
      assert.equal((await b.login()).status, 307);
      g.clock.advance(Number(refused.headers['retry-after']) * 1000);
      assert.equal((await c.call({ method: 'user-info' })).status, 200);
    } finally {
      await g.close();
    }
  });

  test('property: any JSON body is answered 200, 400 or 404, never 500, and never leaks B', async () => {
    const g = await startHanFixture(pki, {
      limits: { perUser: { burst: 100_000, perMinute: 100_000 }, perAddress: { burst: 100_000, perMinute: 100_000 } },
    });
    try {
      const c = new M2mClient('consumer-a', g);
      await c.login();
      const method = fc.constantFrom('smgw-info', 'user-info', 'usage-point-info', 'readings', 'log', 'x');
      const value = fc.oneof(
        fc.jsonValue(),
        fc.constantFrom('taf7-a', 'taf7-b', 'origin', 'daily', iso(T0), iso(T0 + DAY), 1, 1500, 1501, true),
      );
      const key = fc.constantFrom(
        'usage-point-id',
        'database',
        'channels',
        'last-reading',
        'fromtime',
        'totime',
        'fromindex',
        'count',
        'other',
      );
      await fc.assert(
        fc.asyncProperty(method, fc.dictionary(key, value, { maxKeys: 5 }), async (m, rest) => {
          const r = await c.call({ ...rest, method: m });
          assert.ok([200, 400, 404].includes(r.status), `${r.status} ${JSON.stringify(r.body)}`);
          assert.ok(!JSON.stringify(r.body).includes('ELS-00000002'));
        }),
        { numRuns: 150 },
      );
    } finally {
      await g.close();
    }
  });
});
