// The HAN HTTPS API for consumers and service technicians (spec notes §3.4, §9.1, §10) over
// real TLS on 127.0.0.1 and a real store: the role x endpoint matrix, consumer isolation,
// Digest failures, throttling and replay, client-certificate login, request limits, idle timeout.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { connect } from 'node:tls';
import type { LogEntry } from '@opensmgw/protocol';
import {
  DAY,
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
import { ENERGY } from './fixtures/store-fixtures.js';

let pki: HanPki;
before(async () => {
  pki = await makeHanPki();
});
after(async () => {
  await pki.cleanup();
});

const iso = (ms: number) => new Date(ms).toISOString();
const readingsOf = (meter: string, fromMs = T0, toMs = T0 + DAY, extra = '') =>
  `/han/v1/readings?meter=${meter}&obis=${ENERGY}&from=${iso(fromMs)}&to=${iso(toMs)}${extra}`;

function client(f: HanFixture, user: keyof typeof PASSWORDS, password: string = PASSWORDS[user]): DigestClient {
  return new DigestClient(f.server, pki, user, password);
}

function systemEvents(f: HanFixture, event: string): LogEntry[] {
  return f.store
    .readLog('system', 1, 1500)
    .concat(f.store.readLog('system', 1501, 1500))
    .filter((e) => e.event === event);
}

describe('role x endpoint matrix (deny by default)', () => {
  // The expected table, written out here as the specification (spec notes §9.1, §10).
  const ENDPOINTS: Record<string, string> = {
    me: '/han/v1/me',
    'usage-points': '/han/v1/usage-points',
    readings: readingsOf(METER_A),
    log: '/han/v1/log?from=1&count=10',
    system: '/han/v1/system',
    'system-log': '/han/v1/system-log?from=1&count=10',
  };
  const EXPECTED: Record<'consumer' | 'service' | 'anonymous', Record<string, number>> = {
    consumer: { me: 200, 'usage-points': 200, readings: 200, log: 200, system: 403, 'system-log': 403 },
    service: { me: 200, 'usage-points': 403, readings: 403, log: 403, system: 200, 'system-log': 200 },
    anonymous: { me: 401, 'usage-points': 401, readings: 401, log: 401, system: 401, 'system-log': 401 },
  };

  test('every role x every endpoint is allowed or refused as the table says', async () => {
    const f = await startHanFixture(pki);
    try {
      const users = { consumer: client(f, 'consumer-a'), service: client(f, 'tech') } as const;
      for (const [role, row] of Object.entries(EXPECTED)) {
        for (const [name, path] of Object.entries(ENDPOINTS)) {
          const r =
            role === 'anonymous'
              ? await rawGet(f.server, pki, path)
              : await users[role as 'consumer' | 'service'].get(path);
          assert.equal(r.status, row[name], `${role} ${name}: ${JSON.stringify(r.body)}`);
          if (r.status === 401)
            assert.match(String(r.headers['www-authenticate']), /^Digest realm="opensmgw-han", qop="auth"/);
        }
      }
      // Writing methods and unknown paths: nothing here changes configuration.
      assert.equal((await users.consumer.get('/han/v1/me', 'POST')).status, 405);
      assert.equal((await users.service.get('/han/v1/system', 'DELETE')).status, 405);
      assert.equal((await users.service.get('/han/v1/readings', 'POST')).status, 403);
      assert.equal((await users.consumer.get('/han/v1/config')).status, 404);
      assert.equal((await users.consumer.get('/han/v1/me/')).status, 404);
    } finally {
      await f.close();
    }
  });
});

describe('consumer isolation', () => {
  test('consumer A never sees B’s meters, readings, tariffs or log entries, and B never A’s', async () => {
    const f = await startHanFixture(pki);
    try {
      for (const [me, mine, theirs, otherUser] of [
        ['consumer-a', METER_A, METER_B, 'consumer-b'],
        ['consumer-b', METER_B, METER_A, 'consumer-a'],
      ] as const) {
        const c = client(f, me);
        const ups = await c.get('/han/v1/usage-points');
        assert.equal(ups.status, 200);
        const text = JSON.stringify(ups.body);
        assert.ok(text.includes(mine) && !text.includes(theirs), text);

        const own = await c.get(readingsOf(mine));
        assert.equal(own.status, 200);
        const readings = (own.body as { readings: { value: string }[] }).readings;
        assert.equal(readings.length, 96);
        const other = await c.get(readingsOf(theirs));
        assert.equal(other.status, 404);
        assert.ok(!JSON.stringify(other.body).includes('5000'), 'nothing of the other meter');

        const daily = await c.get(readingsOf(mine, T0, T0 + 3 * DAY, '&database=daily'));
        assert.deepEqual(
          (daily.body as { readings: { evaluationProfileId: string; value: string }[] }).readings.map((r) => [
            r.evaluationProfileId,
            r.value,
          ]),
          [
            [mine === METER_A ? 'taf7-a' : 'taf7-b', '100'],
            [mine === METER_A ? 'taf7-a' : 'taf7-b', '200'],
          ],
        );
        assert.equal((await c.get(readingsOf(theirs, T0, T0 + 3 * DAY, '&database=daily'))).status, 404);

        const log = await c.get('/han/v1/log?from=1&count=1500');
        assert.equal(log.status, 200);
        const entries = (log.body as { entries: LogEntry[] }).entries;
        assert.ok(entries.length >= 1);
        assert.ok(entries.every((e) => e.user === me && e.log === 'consumer'));
        assert.ok(!JSON.stringify(entries).includes(otherUser));
      }
    } finally {
      await f.close();
    }
  });
});

describe('Digest authentication', () => {
  test('a wrong password gets 401 and a system-log entry without the password or user name', async () => {
    const f = await startHanFixture(pki);
    try {
      const r = await client(f, 'consumer-a', 'wrong').get('/han/v1/me');
      assert.equal(r.status, 401);
      const failed = systemEvents(f, 'HAN_LOGIN_FAILED');
      assert.equal(failed.length, 1);
      assert.equal(failed[0]?.subject, '127.0.0.1');
      assert.ok(!JSON.stringify(failed).includes('wrong') && !JSON.stringify(failed).includes('consumer-a'));
      assert.equal((await client(f, 'consumer-a').get('/han/v1/me')).status, 200);
    } finally {
      await f.close();
    }
  });

  test('many wrong passwords get 429 with Retry-After while another user keeps being served; no lockout', async () => {
    const f = await startHanFixture(pki);
    try {
      const guesser = client(f, 'consumer-a', 'guess');
      const statuses: number[] = [];
      let retryAfter: string | undefined;
      for (let i = 0; i < 12; i++) {
        const r = await guesser.get('/han/v1/me');
        statuses.push(r.status);
        if (r.status === 429) retryAfter = String(r.headers['retry-after']);
        // Meanwhile consumer B logs in correctly from the same address.
        assert.equal((await client(f, 'consumer-b').get('/han/v1/me')).status, 200);
      }
      assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401]);
      assert.ok(
        statuses.slice(5).every((s) => s === 429),
        String(statuses),
      );
      assert.ok(Number(retryAfter) >= 1);
      assert.equal(systemEvents(f, 'HAN_LOGIN_FAILED').length, 5);
      assert.ok(systemEvents(f, 'HAN_LOGIN_THROTTLED').length >= 1);
      // Not a lockout: after Retry-After the right password works again.
      f.clock.advance(Number(retryAfter) * 1000);
      assert.equal((await client(f, 'consumer-a').get('/han/v1/me')).status, 200);
    } finally {
      await f.close();
    }
  });

  test('a replayed Authorization (same nonce and nc) is refused and logged', async () => {
    const f = await startHanFixture(pki);
    try {
      const c = client(f, 'consumer-a');
      assert.equal((await c.get('/han/v1/me')).status, 200);
      const captured = c.lastAuthorization as string;
      const replay = await rawGet(f.server, pki, '/han/v1/me', { headers: { authorization: captured } });
      assert.equal(replay.status, 401);
      assert.equal(systemEvents(f, 'HAN_DIGEST_REPLAY').length, 1);
      // The same response on another path does not verify either.
      const moved = await rawGet(f.server, pki, '/han/v1/log', { headers: { authorization: captured } });
      assert.equal(moved.status, 401);
      // The client itself goes on with the next nc.
      assert.equal((await c.get('/han/v1/me')).status, 200);
    } finally {
      await f.close();
    }
  });

  test('a malformed Authorization header is a 400, not a crash', async () => {
    const f = await startHanFixture(pki);
    try {
      const r = await rawGet(f.server, pki, '/han/v1/me', { headers: { authorization: 'Digest username="x' } });
      assert.equal(r.status, 400);
      assert.equal((r.body as { error: { code: string } }).error.code, 'SMGW_HAN_BAD_REQUEST');
    } finally {
      await f.close();
    }
  });
});

describe('client certificate', () => {
  test('a certificate mapped to an account logs in without a password', async () => {
    const f = await startHanFixture(pki);
    try {
      const r = await rawGet(f.server, pki, '/han/v1/me', { certificate: true });
      assert.equal(r.status, 200);
      assert.deepEqual(
        {
          userId: (r.body as { userId: string }).userId,
          by: (r.body as { authenticatedBy: string }).authenticatedBy,
        },
        { userId: 'consumer-a', by: 'certificate' },
      );
    } finally {
      await f.close();
    }
  });

  test('an unmapped certificate falls back to Digest; required mode refuses a client without one', async () => {
    const f = await startHanFixture(pki);
    try {
      f.store.setState(
        'han-accounts',
        (f.store.getState('han-accounts') as { userId: string }[]).map((a) => ({ ...a, certificateSha256: undefined })),
      );
      const r = await rawGet(f.server, pki, '/han/v1/me', { certificate: true });
      assert.equal(r.status, 401);
      assert.match(String(r.headers['www-authenticate']), /^Digest /);
    } finally {
      await f.close();
    }
    const strict = await startHanFixture(pki, {
      clientCertificate: 'required',
      pinnedClientCertificates: [pki.consumerCertPem],
    });
    try {
      await assert.rejects(rawGet(strict.server, pki, '/han/v1/me'));
      assert.equal((await rawGet(strict.server, pki, '/han/v1/me', { certificate: true })).status, 200);
    } finally {
      await strict.close();
    }
  });
});

describe('request limits', () => {
  test('at most 31 days of readings per request', async () => {
    const f = await startHanFixture(pki);
    try {
      const c = client(f, 'consumer-a');
      const ok = await c.get(readingsOf(METER_A, T0, T0 + 31 * DAY));
      assert.equal(ok.status, 200);
      assert.equal((ok.body as { readings: unknown[] }).readings.length, 31 * 96);
      const tooLong = await c.get(readingsOf(METER_A, T0, T0 + 31 * DAY + 1));
      assert.equal(tooLong.status, 400);
      assert.equal((tooLong.body as { error: { code: string } }).error.code, 'SMGW_HAN_BAD_REQUEST');
      assert.equal((await c.get(readingsOf(METER_A, T0 + DAY, T0))).status, 400);
      assert.equal((await c.get(`/han/v1/readings?meter=${METER_A}&obis=${ENERGY}&from=yesterday&to=now`)).status, 400);
      assert.equal((await c.get(`${readingsOf(METER_A)}&evil=1`)).status, 400);
    } finally {
      await f.close();
    }
  });

  test('at most 1,500 log entries per request', async () => {
    const f = await startHanFixture(pki);
    try {
      const tech = client(f, 'tech');
      const full = await tech.get('/han/v1/system-log?from=1&count=1500');
      assert.equal(full.status, 200);
      assert.equal((full.body as { entries: unknown[]; next: number }).entries.length, 1500);
      assert.equal((full.body as { next: number }).next, 1501);
      assert.equal((await tech.get('/han/v1/system-log?from=1&count=1501')).status, 400);
      assert.equal((await client(f, 'consumer-a').get('/han/v1/log?count=1501')).status, 400);
      assert.equal((await tech.get('/han/v1/system-log?from=0')).status, 400);
    } finally {
      await f.close();
    }
  });

  test('too many requests: 429 with Retry-After and a consumer-log entry, others served, never a lockout', async () => {
    const f = await startHanFixture(pki, { limits: { perUser: { burst: 3, perMinute: 6 } } });
    try {
      const a = client(f, 'consumer-a');
      const statuses: number[] = [];
      let retryAfter = '';
      for (let i = 0; i < 6; i++) {
        const r = await a.get('/han/v1/me');
        statuses.push(r.status);
        if (r.status === 429) retryAfter = String(r.headers['retry-after']);
      }
      assert.deepEqual(statuses, [200, 200, 200, 429, 429, 429]);
      assert.equal(retryAfter, '10');
      assert.equal((await client(f, 'consumer-b').get('/han/v1/me')).status, 200);
      const limited = f.store.readLog('consumer', 1, 100, 'consumer-a').filter((e) => e.event === 'HAN_RATE_LIMITED');
      assert.equal(limited.length, 1, 'one entry per episode');
      assert.equal(
        f.store.readLog('consumer', 1, 100, 'consumer-b').filter((e) => e.event === 'HAN_RATE_LIMITED').length,
        0,
      );
      f.clock.advance(10_000);
      assert.equal((await a.get('/han/v1/me')).status, 200);
    } finally {
      await f.close();
    }
  });
});

describe('HAN session policy', () => {
  test('a connection idle for 10 minutes is closed; one used within 10 minutes stays open', async () => {
    const f = await startHanFixture(pki);
    try {
      const socket = connect({
        host: '127.0.0.1',
        port: f.server.port,
        ca: pki.gatewayCertPem,
        key: pki.consumerKeyPem,
        cert: pki.consumerCertPem,
        ecdhCurve: 'brainpoolP256r1:brainpoolP384r1:brainpoolP512r1:prime256v1:secp384r1',
        sigalgs: 'ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512',
      });
      await new Promise<void>((resolve, reject) => {
        socket.once('secureConnect', resolve);
        socket.once('error', reject);
      });
      let received = '';
      socket.on('data', (d: Buffer) => {
        received += d.toString('utf8');
      });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const ask = async (): Promise<void> => {
        received = '';
        socket.write('GET /han/v1/me HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
        for (let i = 0; i < 200 && !received.includes('"userId"'); i++) await new Promise((r) => setTimeout(r, 10));
        assert.match(received, /^HTTP\/1\.1 200/);
      };
      await ask();
      f.clock.advance(9 * 60_000 + 59_000);
      assert.equal(socket.destroyed, false);
      await ask();
      f.clock.advance(10 * 60_000);
      await closed;
      assert.equal(socket.destroyed, true);
    } finally {
      await f.close();
    }
  });
});
