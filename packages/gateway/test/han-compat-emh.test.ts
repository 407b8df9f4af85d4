// EMH-style /json/metering paths on the HAN (spec notes §7.3, §9.1) against a real HAN server: the
// sequence evcc / emh-casa-go / the IP-Symcon module send (list contracts, read each contract,
// take the meter id from sensor_domains, poll origin/<meterId>/extended), the response shapes,
// the role table and consumer isolation.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DigestClient,
  type HanFixture,
  type HanPki,
  METER_A,
  METER_B,
  makeHanPki,
  PASSWORDS,
  rawGet,
  startHanFixture,
  T0,
} from './fixtures/han-server-fixture.js';
import { ENERGY, POWER } from './fixtures/store-fixtures.js';

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

const client = (user: keyof typeof PASSWORDS) => new DigestClient(f.server, pki, user, PASSWORDS[user]);
// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked field by field
type Json = any;

describe('EMH-style /json/metering', () => {
  test('the client sequence: contracts, contract, meter id, extended origin values', async () => {
    const c = client('consumer-a');
    const list = await c.get('/json/metering/derived');
    assert.equal(list.status, 200);
    assert.deepEqual(list.body, ['taf7-a']);
    const contract = await c.get('/json/metering/derived/taf7-a');
    assert.equal(contract.status, 200);
    const k = contract.body as Json;
    assert.equal(k.taf_type, 'TAF-7');
    assert.deepEqual(k.sensor_domains, [METER_A]);
    const meterId = k.sensor_domains[0];
    const origin = await c.get(`/json/metering/origin/${meterId}/extended`);
    assert.equal(origin.status, 200);
    const lastTime = new Date(T0 + (40 * 96 - 1) * 900_000).toISOString();
    assert.deepEqual((origin.body as Json).values, [
      {
        logical_name: `${ENERGY}.${METER_A}.sm`,
        value: String(1_000_000 + (40 * 96 - 1) * 10),
        scaler: 0,
        unit: 30,
        capture_time: lastTime,
        status: 0,
      },
      { logical_name: `${POWER}.${METER_A}.sm`, value: '400', scaler: 0, unit: 27, capture_time: lastTime, status: 0 },
    ]);
  });

  test('anonymous requests get a Digest challenge', async () => {
    const r = await rawGet(f.server, pki, '/json/metering/derived');
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /^Digest /);
  });

  test("isolation: consumer B sees only B's contract and meter; A's answer 404", async () => {
    const b = client('consumer-b');
    assert.deepEqual((await b.get('/json/metering/derived')).body, ['taf7-b']);
    assert.equal((await b.get('/json/metering/derived/taf7-a')).status, 404);
    assert.equal((await b.get(`/json/metering/origin/${METER_A}/extended`)).status, 404);
    const own = await b.get(`/json/metering/origin/${METER_B}/extended`);
    assert.equal(own.status, 200);
    assert.ok((own.body as Json).values.every((v: Json) => v.logical_name.endsWith(`.${METER_B}.sm`)));
  });

  test('role table: the service technician gets no consumer data', async () => {
    const t = client('tech');
    for (const path of [
      '/json/metering/derived',
      '/json/metering/derived/taf7-a',
      `/json/metering/origin/${METER_A}/extended`,
    ]) {
      assert.equal((await t.get(path)).status, 403, path);
    }
  });

  test('unknown paths 404, other methods 405, query parameters 400', async () => {
    const c = client('consumer-a');
    assert.equal((await c.get('/json/metering/origin')).status, 404);
    assert.equal((await c.get('/json/metering/origin/../../etc/extended')).status, 404);
    const del = await c.get('/json/metering/derived', 'DELETE');
    assert.equal(del.status, 405);
    assert.equal(del.headers.allow, 'GET');
    assert.equal((await c.get('/json/metering/derived?x=1')).status, 400);
  });
});
