import assert from 'node:assert/strict';
import { constants as cryptoConstants } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import tls, { type TLSSocket } from 'node:tls';
import { FakeClock } from '@opensmgw/core';
import { TlsError } from '../src/errors.js';
import {
  applySessionPolicy,
  DEFAULT_SESSION_POLICIES,
  mayResumeSession,
  type SessionGuard,
  SessionLedger,
  type SessionLimitEvent,
  type SessionPolicy,
  sessionPolicy,
  TlsSessionCache,
  tlsSessionIdentity,
} from '../src/tls/index.js';
import { opensslSelfSigned } from './pki-openssl.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const T0 = '2026-03-01T00:00:00Z';

// Minimal TLS 1.2 options (brainpool needs ecdhCurve and sigalgs on both sides); the lead swaps
// these for the interface profiles of profiles.ts.
let certDir: string;
let pki: { key: Buffer; cert: Buffer };
const common = () => ({
  minVersion: 'TLSv1.2' as const,
  maxVersion: 'TLSv1.2' as const,
  ecdhCurve: 'brainpoolP256r1:P-256',
  sigalgs: 'ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512',
  key: pki.key,
  cert: pki.cert,
  ca: [pki.cert],
});

before(() => {
  certDir = mkdtempSync(join(tmpdir(), 'session-policy-test-'));
  pki = opensslSelfSigned({ curve: 'brainpoolP256r1', subject: '/CN=session-policy-test', days: 30, dir: certDir });
});
after(() => rmSync(certDir, { recursive: true, force: true }));

/** A server-side session-ID store as simple as possible (profiles.ts brings TlsSessionCache). */
class MapSessionCache {
  readonly entries = new Map<string, Buffer>();
  attach(server: tls.Server): void {
    server.on('newSession', (id: Buffer, data: Buffer, done: () => void) => {
      this.entries.set(id.toString('hex'), data);
      done();
    });
    server.on('resumeSession', (id: Buffer, done: (err: Error | null, data: Buffer | null) => void) => {
      done(null, this.entries.get(id.toString('hex')) ?? null);
    });
  }
  delete(id: Uint8Array): boolean {
    return this.entries.delete(Buffer.from(id).toString('hex'));
  }
}

interface ServerConn {
  socket: TLSSocket;
  guard: SessionGuard | undefined;
  received: number;
  errors: Error[];
  closed: Promise<unknown>;
}

interface Harness {
  port: number;
  ledger: SessionLedger;
  clock: FakeClock;
  cache: MapSessionCache;
  /** profiles.ts's cache, when asked for instead of the map. */
  profileCache: TlsSessionCache | undefined;
  limits: SessionLimitEvent[];
  /** A client connection (resuming `session` when given) and the server's end of it. */
  pair(session?: Buffer): Promise<[ClientConn, ServerConn]>;
}

/** A TLS server with the policy guard on every connection; closed when test `t` ends, pass or fail. */
async function startServer(
  t: TestContext,
  policy: SessionPolicy,
  options: {
    guard?: boolean;
    wireCache?: boolean;
    secureOptions?: number;
    echo?: boolean;
    profileCache?: boolean;
  } = {},
): Promise<Harness> {
  const clock = new FakeClock(T0);
  const ledger = new SessionLedger({ policy, clock });
  const cache = new MapSessionCache();
  const limits: SessionLimitEvent[] = [];
  const waiting: ((c: ServerConn) => void)[] = [];
  const ready: ServerConn[] = [];
  const server = tls.createServer({
    ...common(),
    requestCert: true,
    rejectUnauthorized: true,
    secureOptions: options.secureOptions ?? cryptoConstants.SSL_OP_NO_TICKET,
  });
  const profileCache = options.profileCache
    ? new TlsSessionCache({ clock, maxAgeMs: policy.maxSessionAgeMs })
    : undefined;
  if (profileCache) profileCache.attach(server);
  else cache.attach(server);
  const live = new Set<TLSSocket>();
  server.on('secureConnection', (socket: TLSSocket) => {
    live.add(socket);
    const conn: ServerConn = {
      socket,
      guard: undefined,
      received: 0,
      errors: [],
      closed: closedOf(socket),
    };
    socket.on('error', (e) => conn.errors.push(e));
    if (options.guard !== false) {
      conn.guard = applySessionPolicy(socket, ledger, {
        onLimit: (e) => limits.push(e),
        ...(options.wireCache === false ? {} : { sessionCache: profileCache ?? cache }),
      });
    }
    socket.on('data', (d: Buffer) => {
      conn.received += d.length;
      if (options.echo !== false && d.length < 100) socket.write(d);
    });
    socket.on('close', () => live.delete(socket));
    const w = waiting.shift();
    if (w) w(conn);
    else ready.push(conn);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.after(async () => {
    for (const s of live) s.destroy();
    server.close();
    await once(server, 'close');
  });
  const port = (server.address() as AddressInfo).port;
  const next = (): Promise<ServerConn> => {
    const c = ready.shift();
    return c ? Promise.resolve(c) : new Promise<ServerConn>((r) => waiting.push(r));
  };
  return {
    port,
    ledger,
    clock,
    cache,
    profileCache,
    limits,
    pair: async (session) => {
      const c = await connect(port, session);
      return [c, await next()];
    },
  };
}

interface ClientConn {
  socket: TLSSocket;
  session: Promise<Buffer>;
  closed: Promise<unknown>;
  errors: Error[];
}

async function connect(port: number, session?: Buffer, secureOptions?: number): Promise<ClientConn> {
  const socket = tls.connect({
    ...common(),
    host: '127.0.0.1',
    port,
    servername: 'localhost',
    checkServerIdentity: () => undefined,
    ...(session === undefined ? {} : { session }),
    ...(secureOptions === undefined ? {} : { secureOptions }),
  });
  const errors: Error[] = [];
  socket.on('error', (e) => errors.push(e));
  const conn: ClientConn = {
    socket,
    session: once(socket, 'session').then(([s]) => s as Buffer),
    closed: closedOf(socket),
    errors,
  };
  await once(socket, 'secureConnect');
  return conn;
}

/** Resolves on 'close' (events.once would reject on the 'error' that precedes it). */
function closedOf(socket: TLSSocket): Promise<void> {
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/** The client ends the connection and waits until it is closed. */
async function hangUp(c: ClientConn): Promise<void> {
  c.socket.end();
  await c.closed;
}

/** One round trip: proves the connection is open at both ends. */
async function ping(c: ClientConn): Promise<void> {
  c.socket.write('ping');
  const [d] = await once(c.socket, 'data');
  assert.equal(String(d), 'ping');
}

function limitOf(e: Error | undefined): unknown {
  return e instanceof TlsError ? [e.code, e.detail.limit] : e;
}

describe('session policy defaults', () => {
  it('LMN 31 d + 5,000,000 bytes, WAN 48 h, HAN 48 h + idle 10 min; overrides and validation', () => {
    assert.deepEqual(DEFAULT_SESSION_POLICIES, {
      wan: { maxSessionAgeMs: 48 * HOUR },
      han: { maxSessionAgeMs: 48 * HOUR, idleTimeoutMs: 10 * 60_000 },
      lmn: { maxSessionAgeMs: 744 * HOUR, maxApplicationBytes: 5_000_000 },
    });
    assert.deepEqual(sessionPolicy('wan', { maxSessionAgeMs: HOUR }), { maxSessionAgeMs: HOUR });
    assert.deepEqual(sessionPolicy('han', { idleTimeoutMs: Number.POSITIVE_INFINITY }).idleTimeoutMs, Infinity);
    for (const bad of [
      { maxSessionAgeMs: 0 },
      { maxSessionAgeMs: 1.5 },
      { maxApplicationBytes: -1 },
      { idleTimeoutMs: Number.NaN },
    ]) {
      assert.throws(
        () => sessionPolicy('lmn', bad),
        (e: unknown) => e instanceof TlsError && e.code === 'SMGW_TLS_BAD_CONFIG',
      );
    }
  });
});

describe('SessionLedger (sans-I/O)', () => {
  it('ages sessions from the full handshake on monotonic time; resumption only inside the lifetime', () => {
    const clock = new FakeClock(T0);
    const ledger = new SessionLedger({ policy: DEFAULT_SESSION_POLICIES.lmn, clock });
    ledger.recordFullHandshake('a');
    assert.equal(ledger.checkResumption('b'), 'unknown-session');
    clock.advance(31 * DAY - 1);
    clock.set('2020-01-01T00:00:00Z'); // wall-clock jumps do not matter
    assert.equal(ledger.checkResumption('a'), undefined);
    assert.equal(ledger.expiresAt('a'), 31 * DAY);
    clock.advance(1);
    assert.equal(ledger.checkResumption('a'), 'max-age');
  });

  it('spends the byte budget across connections; reaching it exactly is the limit', () => {
    const clock = new FakeClock(T0);
    const ledger = new SessionLedger({ policy: { maxSessionAgeMs: DAY, maxApplicationBytes: 100 }, clock });
    ledger.recordFullHandshake('s');
    assert.equal(ledger.spend('s', 60), 60);
    assert.equal(ledger.spend('s', 39), 39);
    assert.equal(ledger.limitReached('s'), undefined);
    assert.equal(ledger.spend('s', 5), 1);
    assert.equal(ledger.get('s')?.bytes, 100);
    assert.equal(ledger.limitReached('s'), 'max-bytes');
    assert.equal(ledger.remainingBytes('s'), 0);
    assert.equal(ledger.spend('nope', 5), 0);
  });

  it('idle is judged per connection from its last activity', () => {
    const clock = new FakeClock(T0);
    const ledger = new SessionLedger({ policy: DEFAULT_SESSION_POLICIES.han, clock });
    ledger.recordFullHandshake('h');
    const last = clock.monotonic();
    clock.advance(10 * 60_000 - 1);
    assert.equal(ledger.limitReached('h', last), undefined);
    clock.advance(1);
    assert.equal(ledger.limitReached('h', last), 'idle');
    assert.equal(ledger.limitReached('h'), undefined);
  });

  it('invalidates with listeners, prunes expired sessions and bounds its size', () => {
    const clock = new FakeClock(T0);
    const ledger = new SessionLedger({ policy: { maxSessionAgeMs: 1000 }, clock, maxSessions: 3 });
    const seen: string[] = [];
    ledger.onInvalidate((k, r) => seen.push(`${k}:${r}`));
    ledger.recordFullHandshake('a');
    ledger.invalidate('a', 'max-bytes');
    ledger.invalidate('a', 'max-bytes');
    assert.deepEqual(seen, ['a:max-bytes']);
    for (const k of ['b', 'c', 'd', 'e']) ledger.recordFullHandshake(k);
    assert.equal(ledger.size, 3);
    assert.equal(ledger.get('b'), undefined);
    clock.advance(1000);
    ledger.recordFullHandshake('f');
    assert.equal(ledger.size, 1);
  });
});

describe('session key', () => {
  it('is the same on both sides and across a resumption; garbage is a typed error', async (t) => {
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.wan);
    const [c1, s1] = await h.pair();
    const data = await c1.session;
    const key = tlsSessionIdentity(data).key;
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.equal(tlsSessionIdentity(s1.socket.getSession()!).key, key);
    assert.equal(s1.guard?.sessionKey, key);
    await hangUp(c1);
    const c2 = await connect(h.port, data);
    assert.equal(c2.socket.isSessionReused(), true);
    assert.equal(tlsSessionIdentity(c2.socket.getSession()!).key, key);
    await hangUp(c2);
    for (const bad of [new Uint8Array(0), Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01), data.subarray(0, 40)]) {
      assert.throws(() => tlsSessionIdentity(bad), TlsError);
    }
  });
});

describe('session policy on real TLS sockets (fake clock)', () => {
  it('LMN: the connection closes when the session is 31 days old, not a millisecond before', async (t) => {
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.lmn);
    const [c, s] = await h.pair();
    await ping(c);
    h.clock.advance(31 * DAY - 1);
    await ping(c);
    h.clock.advance(1);
    await Promise.all([s.closed, c.closed]);
    assert.deepEqual(limitOf(s.errors[0]), ['SMGW_TLS_SESSION_LIMIT', 'max-age']);
    assert.equal(s.guard?.closedBy, 'max-age');
    assert.equal(h.limits.length, 1);
    assert.equal(h.ledger.size, 0, 'session invalidated');
    assert.equal(h.cache.entries.size, 0, 'dropped from the session cache');
  });

  it('LMN: a resumption inside 31 days keeps the original birth; after 31 days it is refused and a full handshake works', async (t) => {
    // Cache not wired to the guard: OpenSSL resumes the session, the guard refuses it.
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.lmn, { wireCache: false });
    const [c1, s1] = await h.pair();
    const session = await c1.session;
    c1.socket.end();
    await Promise.all([c1.closed, s1.closed]);

    h.clock.advance(31 * DAY - 2);
    const [c2, s2] = await h.pair(session);
    assert.equal(c2.socket.isSessionReused(), true);
    await ping(c2);
    h.clock.advance(1);
    await ping(c2);
    c2.socket.end();
    await Promise.all([c2.closed, s2.closed]);
    assert.equal(s2.guard?.closedBy, undefined);

    h.clock.advance(1); // exactly 31 days after the full handshake
    const [c3, s3] = await h.pair(session);
    assert.equal(c3.socket.isSessionReused(), true, 'OpenSSL resumed it; the policy must refuse');
    await Promise.all([c3.closed, s3.closed]);
    assert.deepEqual(limitOf(s3.errors[0]), ['SMGW_TLS_SESSION_LIMIT', 'max-age']);
    assert.equal(mayResumeSession(h.ledger, session), false);

    const [c4] = await h.pair();
    assert.equal(c4.socket.isSessionReused(), false);
    await ping(c4);
    await hangUp(c4);
  });

  it('LMN: a session closed at its age limit is dropped from the cache, so the next attempt is a full handshake', async (t) => {
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.lmn);
    const [c1, s1] = await h.pair();
    const session = await c1.session;
    h.clock.advance(31 * DAY);
    await Promise.all([c1.closed, s1.closed]);
    const [c2, s2] = await h.pair(session);
    assert.equal(c2.socket.isSessionReused(), false, 'server answered with a full handshake');
    await ping(c2);
    assert.equal(s2.guard?.closedBy, undefined);
    await hangUp(c2);
  });

  it('LMN: 5,000,001 application bytes close the session after 5,000,000 reached the application', async (t) => {
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.lmn, { echo: false });
    const [c, s] = await h.pair();
    c.socket.write(Buffer.alloc(5_000_001, 0x5a));
    await Promise.all([s.closed, c.closed]);
    assert.deepEqual(limitOf(s.errors[0]), ['SMGW_TLS_SESSION_LIMIT', 'max-bytes']);
    assert.equal(s.received, 5_000_000);
    assert.equal(h.ledger.size, 0);
  });

  it('LMN: the byte budget carries over a resumption and counts both directions', async (t) => {
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.lmn, { echo: false });
    const [c1, s1] = await h.pair();
    const session = await c1.session;
    c1.socket.write(Buffer.alloc(2_000_000));
    s1.socket.write(Buffer.alloc(1_000_000));
    let got = 0;
    c1.socket.on('data', (d: Buffer) => {
      got += d.length;
      if (got === 1_000_000) c1.socket.end();
    });
    await Promise.all([c1.closed, s1.closed]);
    assert.equal(s1.received, 2_000_000);
    assert.equal(s1.guard?.closedBy, undefined);
    const key = s1.guard!.sessionKey!;
    assert.equal(h.ledger.get(key)?.bytes, 3_000_000);

    const [c2, s2] = await h.pair(session);
    assert.equal(c2.socket.isSessionReused(), true);
    c2.socket.write(Buffer.alloc(2_000_001));
    await Promise.all([c2.closed, s2.closed]);
    assert.equal(s2.received, 2_000_000);
    assert.deepEqual(limitOf(s2.errors[0]), ['SMGW_TLS_SESSION_LIMIT', 'max-bytes']);

    // Exhausted: the next resumption attempt gets a full handshake (cache entry dropped).
    const c3 = await connect(h.port, session);
    assert.equal(c3.socket.isSessionReused(), false);
    await hangUp(c3);
  });

  it('with TlsSessionCache (profiles.ts): an exhausted session is deleted from it, so the next attempt is a full handshake', async (t) => {
    const h = await startServer(
      t,
      { maxSessionAgeMs: DAY, maxApplicationBytes: 10_000 },
      { echo: false, profileCache: true },
    );
    const [c1, s1] = await h.pair();
    const session = await c1.session;
    assert.equal(h.profileCache?.size, 1);
    const [c2, s2] = await h.pair(session);
    assert.equal(c2.socket.isSessionReused(), true);
    c2.socket.write(Buffer.alloc(10_001));
    await Promise.all([c2.closed, s2.closed, c1.closed, s1.closed]);
    assert.equal(s2.guard?.closedBy, 'max-bytes');
    assert.equal(s1.guard?.closedBy, 'max-bytes', 'the other connection of the session closes too');
    assert.equal(h.profileCache?.size, 0);
    const c3 = await connect(h.port, session);
    assert.equal(c3.socket.isSessionReused(), false);
    await hangUp(c3);
  });

  it('LMN: a write that does not fit the budget is not sent', async (t) => {
    const h = await startServer(t, { maxSessionAgeMs: DAY, maxApplicationBytes: 1000 }, { echo: false });
    const [c, s] = await h.pair();
    c.socket.write(Buffer.alloc(600));
    // Wait until the server has counted the 600 bytes, then let the server try to send 401.
    while (s.received < 600) await once(s.socket, 'data');
    const writeErr = new Promise<Error | null | undefined>((r) => s.socket.write(Buffer.alloc(401), r));
    let clientGot = 0;
    c.socket.on('data', (d: Buffer) => {
      clientGot += d.length;
    });
    await Promise.all([s.closed, c.closed]);
    assert.deepEqual(limitOf((await writeErr) ?? undefined), ['SMGW_TLS_SESSION_LIMIT', 'max-bytes']);
    assert.equal(clientGot, 0);
    assert.equal(s.guard?.closedBy, 'max-bytes');
  });

  it('HAN: a connection idle for 10 minutes closes; activity resets the timer; the session stays resumable', async (t) => {
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.han);
    const [c1, s1] = await h.pair();
    const session = await c1.session;
    h.clock.advance(10 * 60_000 - 1);
    await ping(c1); // activity at 9:59.999
    h.clock.advance(10 * 60_000 - 1);
    await ping(c1);
    h.clock.advance(10 * 60_000);
    await Promise.all([s1.closed, c1.closed]);
    assert.deepEqual(limitOf(s1.errors[0]), ['SMGW_TLS_SESSION_LIMIT', 'idle']);
    assert.equal(h.ledger.size, 1, 'idle ends the connection, not the session');

    const [c2] = await h.pair(session);
    assert.equal(c2.socket.isSessionReused(), true);
    await ping(c2);
    await hangUp(c2);
  });

  it('WAN: the connection closes at 48 hours (also without an idle limit)', async (t) => {
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.wan);
    const [c, s] = await h.pair();
    h.clock.advance(48 * HOUR - 1);
    await ping(c);
    h.clock.advance(1);
    await Promise.all([s.closed, c.closed]);
    assert.deepEqual(limitOf(s.errors[0]), ['SMGW_TLS_SESSION_LIMIT', 'max-age']);
  });

  it('client side: the guard closes at the limit and the stored session is no longer offered', async (t) => {
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.lmn, { guard: false });
    const clock = new FakeClock(T0);
    const ledger = new SessionLedger({ policy: DEFAULT_SESSION_POLICIES.lmn, clock });
    let stored: Buffer | undefined;
    const socket = tls.connect({
      ...common(),
      host: '127.0.0.1',
      port: h.port,
      servername: 'localhost',
      checkServerIdentity: () => undefined,
    });
    socket.on('session', (s: Buffer) => {
      stored = s;
    });
    const events: SessionLimitEvent[] = [];
    applySessionPolicy(socket, ledger, { onLimit: (e) => events.push(e) });
    const gotSession = once(socket, 'session');
    await once(socket, 'secureConnect');
    await gotSession;
    assert.equal(mayResumeSession(ledger, stored), true);
    const closed = closedOf(socket);
    clock.advance(31 * DAY);
    await closed;
    assert.equal(events[0]?.limit, 'max-age');
    assert.equal(mayResumeSession(ledger, stored), false);
    assert.equal(mayResumeSession(ledger, undefined), false);
    assert.equal(mayResumeSession(ledger, Buffer.from('junk')), false);
  });

  it('refuses client-initiated renegotiation even without SSL_OP_NO_RENEGOTIATION (control: unguarded, it succeeds)', async (t) => {
    const noTicket = cryptoConstants.SSL_OP_NO_TICKET;
    const h = await startServer(t, DEFAULT_SESSION_POLICIES.wan, { secureOptions: noTicket });
    const [c, s] = await h.pair();
    c.socket.renegotiate({ rejectUnauthorized: true }, () => {});
    await Promise.all([s.closed, c.closed]);
    const last = s.errors.at(-1);
    assert.ok(last instanceof TlsError && last.code === 'SMGW_TLS_RENEGOTIATION', String(last));
    const control = await startServer(t, DEFAULT_SESSION_POLICIES.wan, { secureOptions: noTicket, guard: false });
    const [unguarded] = await control.pair();
    const err = await new Promise<Error | null>((r) => unguarded.socket.renegotiate({ rejectUnauthorized: true }, r));
    assert.equal(err ?? null, null, 'without guard or SSL_OP_NO_RENEGOTIATION the renegotiation goes through');
    await hangUp(unguarded);
  });
});
