import assert from 'node:assert/strict';
import { constants as cryptoConstants, X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type ConnectionOptions, connect, createSecureContext, type TLSSocket } from 'node:tls';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import {
  connectWithProfile,
  hanClientProfile,
  hanServerProfile,
  lmnClientProfile,
  lmnServerProfile,
  mayResumeSession,
  revoke,
  SessionLedger,
  sessionPolicy,
  TLS12_CIPHER_SUITE_NAMES,
  TLS12_CIPHER_SUITES,
  TLS12_GROUPS,
  TLS12_SIGALGS,
  TLS13_BRAINPOOL_GROUPS,
  type TlsClientProfile,
  TlsError,
  type TlsProfileConfig,
  type TlsServerProfile,
  TlsSessionCache,
  type TlsTrust,
  tlsProfile,
  wanClientProfile,
  wanServerProfile,
} from '../src/index.js';
import { attempt, closed, echo, startServer } from './tls-harness.js';
import { AFTER_EXPIRY_MS, makeTlsTestMaterial, type TestIdentity, type TlsTestMaterial } from './tls-test-certs.js';

const ALLOWED = new Set<string>(TLS12_CIPHER_SUITE_NAMES);
const GROUPS = 'brainpoolP256r1:brainpoolP384r1:brainpoolP512r1:P-256:P-384';
const DAY = 86_400_000;

let certs: TlsTestMaterial;
let clock: FakeClock;

before(async () => {
  certs = await makeTlsTestMaterial();
  clock = new FakeClock(certs.issuedAt + 60_000);
});
after(() => certs.cleanup());

const pinned = (...ids: TestIdentity[]): TlsTrust => ({ kind: 'pinned', certificates: ids.map((i) => i.cert) });
const smPki = (): TlsTrust => certs.smPkiTrust();

function lmnPair(c: FakeClock = clock): { server: TlsServerProfile; client: TlsClientProfile } {
  return {
    server: lmnServerProfile({
      key: certs.gatewayLmn.key,
      certificates: certs.gatewayLmn.cert,
      trust: pinned(certs.meterLmn),
      clock: c,
    }),
    client: lmnClientProfile({
      key: certs.meterLmn.key,
      certificates: [certs.meterLmn.der],
      trust: pinned(certs.gatewayLmn),
      clock: c,
    }),
  };
}

function headEnd(c: FakeClock = clock, id: TestIdentity = certs.gwa): TlsServerProfile {
  return wanServerProfile({ key: id.key, certificates: id.chain, trust: smPki(), clock: c });
}

function gateway(c: FakeClock = clock, id: TestIdentity = certs.smgw, extra: Partial<TlsProfileConfig> = {}) {
  return wanClientProfile({ key: id.key, certificates: id.chain, trust: smPki(), clock: c, ...extra });
}

function ephemeralGroup(socket: TLSSocket): string | undefined {
  const info = socket.getEphemeralKeyInfo() as { name?: string } | null;
  return info?.name;
}

function assertAllowedSession(socket: TLSSocket): void {
  assert.equal(socket.getProtocol(), 'TLSv1.2');
  const cipher = socket.getCipher();
  assert.ok(ALLOWED.has(cipher.name), `cipher ${cipher.name} not allowed`);
}

describe('TLS 1.3 with brainpool on this Node (docs/tls.md claim)', () => {
  it('OpenSSL 3.0 rejects every RFC 8734 brainpool TLS 1.3 group', () => {
    assert.match(process.versions.openssl, /^3\.0\./, 'revisit TLS 1.3 when Node ships OpenSSL >= 3.2');
    for (const g of TLS13_BRAINPOOL_GROUPS) {
      assert.throws(() => createSecureContext({ ecdhCurve: g }), /Failed to set ECDH curve/, g);
    }
  });
  it('accepts the TLS 1.2 groups and signature algorithms of the profiles', () => {
    assert.doesNotThrow(() => createSecureContext({ ecdhCurve: GROUPS, sigalgs: TLS12_SIGALGS }));
  });
});

describe('profile options', () => {
  const NO_RENEG = cryptoConstants.SSL_OP_NO_RENEGOTIATION;
  const NO_COMP = cryptoConstants.SSL_OP_NO_COMPRESSION;
  const NO_TICKET = cryptoConstants.SSL_OP_NO_TICKET;

  it('every interface and role: TLS 1.2 only, the four ECDHE-ECDSA suites, five groups, ECDSA sigalgs', () => {
    const { server: lmnS, client: lmnC } = lmnPair();
    const profiles = [
      lmnS,
      lmnC,
      headEnd(),
      gateway(),
      hanServerProfile({
        key: certs.gatewayHan.key,
        certificates: certs.gatewayHan.cert,
        trust: pinned(certs.consumerHan),
        clock,
      }),
      hanClientProfile({
        key: certs.consumerHan.key,
        certificates: certs.consumerHan.cert,
        trust: pinned(certs.gatewayHan),
        clock,
      }),
    ];
    for (const p of profiles) {
      const o = p.options;
      const where = `${p.interface} ${p.role}`;
      assert.equal(o.minVersion, 'TLSv1.2', where);
      assert.equal(o.maxVersion, 'TLSv1.2', where);
      assert.deepEqual(String(o.ciphers).split(':').sort(), [...TLS12_CIPHER_SUITE_NAMES].sort(), where);
      assert.equal(o.ecdhCurve, GROUPS, where);
      assert.equal(o.sigalgs, 'ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512', where);
      const so = o.secureOptions ?? 0;
      assert.equal(so & NO_RENEG, NO_RENEG, `${where}: SSL_OP_NO_RENEGOTIATION`);
      assert.equal(so & NO_COMP, NO_COMP, `${where}: SSL_OP_NO_COMPRESSION`);
      assert.equal(so & NO_TICKET, NO_TICKET, `${where}: SSL_OP_NO_TICKET`);
      assert.equal(o.rejectUnauthorized, true, where);
      assert.ok(o.ca !== undefined && o.cert !== undefined && o.key !== undefined, where);
      if (p.role === 'server') {
        assert.equal(p.options.requestCert, true, where);
        assert.equal(p.options.honorCipherOrder, true, where);
      }
    }
    assert.equal(lmnS.options.sessionTimeout, 31 * 86_400);
    assert.equal(headEnd().options.sessionTimeout, 48 * 3600);
    assert.equal(profiles[4]?.role === 'server' ? profiles[4].options.sessionTimeout : 0, 48 * 3600);
  });

  it('maps each suite to its TR-03116-3 IANA code', () => {
    assert.deepEqual(
      Object.values(TLS12_CIPHER_SUITES)
        .map((s) => s.code)
        .sort(),
      [0xc023, 0xc024, 0xc02b, 0xc02c],
    );
  });

  it('WAN/LMN may leave out the SHOULD suites and groups; HAN may not; MUSTs stay; others are refused', () => {
    const base = { key: certs.smgw.key, certificates: certs.smgw.chain, trust: smPki(), clock };
    const wan = tlsProfile({
      ...base,
      interface: 'wan',
      role: 'client',
      cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA256'],
      groups: ['brainpoolP256r1', 'brainpoolP384r1', 'P-256'],
    });
    assert.equal(wan.options.ciphers, 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-SHA256');
    assert.equal(wan.options.ecdhCurve, 'brainpoolP256r1:brainpoolP384r1:P-256');
    const bad = (cfg: Partial<TlsProfileConfig>, re: RegExp) =>
      assert.throws(
        () => tlsProfile({ ...base, interface: 'wan', role: 'client', ...cfg } as TlsProfileConfig),
        (e: unknown) => e instanceof TlsError && e.code === 'SMGW_TLS_BAD_CONFIG' && re.test(e.message),
      );
    bad(
      { interface: 'han', cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES128-SHA256'] },
      /mandatory on the HAN/,
    );
    bad({ interface: 'han', groups: ['brainpoolP256r1', 'brainpoolP384r1', 'P-256'] }, /mandatory on the HAN/);
    bad({ cipherSuites: ['ECDHE-ECDSA-AES128-GCM-SHA256'] }, /AES128-SHA256 is mandatory/);
    bad({ groups: ['brainpoolP256r1', 'P-256'] }, /brainpoolP384r1 is mandatory/);
    bad({ cipherSuites: ['ECDHE-RSA-AES128-GCM-SHA256'] as never }, /not allowed/);
    bad({ groups: ['X25519'] as never }, /not allowed/);
    bad({ sessionMaxAgeMs: 48 * 3_600_000 + 1 }, /sessionMaxAgeMs/);
    bad({ certificates: [] }, /no own certificate/);
    bad({ trust: { kind: 'pinned', certificates: [] } }, /at least one/);
    bad({ trust: { kind: 'other' } as never }, /trust/);
    bad({ key: { kind: 'raw' } as never }, /key/);
    bad({ interface: 'lan' as never }, /unknown interface/);
    // A shorter, GWA-configured lifetime is fine.
    const short = tlsProfile({ ...base, interface: 'lmn', role: 'server', sessionMaxAgeMs: 3_600_000 });
    assert.equal(short.options.sessionTimeout, 3600);
  });
});

describe('hostile configuration', () => {
  it('anything but a good configuration is SMGW_TLS_BAD_CONFIG, never another exception', () => {
    const good = {
      interface: 'lmn',
      role: 'server',
      key: certs.gatewayLmn.key,
      certificates: certs.gatewayLmn.cert,
      trust: pinned(certs.meterLmn),
      clock,
    } as const;
    const junk = fc.oneof(
      fc.anything(),
      fc.constantFrom(
        '__proto__',
        'toString',
        'han',
        'wan',
        'lmn',
        'client',
        'server',
        'X25519',
        'ECDHE-RSA-AES128-SHA',
      ),
      fc.array(fc.constantFrom('brainpoolP256r1', 'P-256', 'P-521', 'ECDHE-ECDSA-AES128-SHA256', 'x', '')),
      fc.uint8Array({ maxLength: 64 }),
    );
    fc.assert(
      fc.property(
        fc.constantFrom<keyof typeof good | 'cipherSuites' | 'groups' | 'sessionMaxAgeMs' | 'peerUsage'>(
          'interface',
          'role',
          'key',
          'certificates',
          'trust',
          'clock',
          'cipherSuites',
          'groups',
          'sessionMaxAgeMs',
          'peerUsage',
        ),
        junk,
        (field, value) => {
          try {
            tlsProfile({ ...good, [field]: value } as unknown as TlsProfileConfig);
          } catch (e) {
            assert.ok(isSmgwError(e), `${field}=${fc.stringify(value)}: ${String(e)}`);
          }
        },
      ),
      { numRuns: 400 },
    );
    for (const bad of [null, undefined, 42, 'lmn', []]) {
      assert.throws(
        () => tlsProfile(bad as unknown as TlsProfileConfig),
        (e: unknown) => isSmgwError(e),
      );
    }
  });
});

describe('handshakes between counterpart profiles on 127.0.0.1', { timeout: 20_000 }, () => {
  it('LMN server and LMN client: TLS 1.2, allowed suite, ephemeral brainpoolP256r1, data flows', async () => {
    const { server, client } = lmnPair();
    const s = await startServer(server);
    try {
      const socket = await connectWithProfile(client, { host: '127.0.0.1', port: s.port });
      assertAllowedSession(socket);
      assert.equal(socket.getCipher().name, 'ECDHE-ECDSA-AES128-GCM-SHA256', 'server preference: AEAD first');
      assert.deepEqual(socket.getEphemeralKeyInfo(), { type: 'ECDH', name: 'brainpoolP256r1', size: 256 });
      assert.equal(await echo(socket, 'meter reading'), 'meter reading');
      assert.equal(s.accepted.length, 1);
      assert.equal(s.accepted[0]?.getPeerCertificate().subject.CN, 'OpenSMGW-Test-Meter-1');
      socket.destroy();
    } finally {
      await s.close();
    }
  });

  it('WAN: the gateway (client) and the GWA head-end (server) authenticate each other by SM-PKI role', async () => {
    const s = await startServer(headEnd());
    try {
      const socket = await connectWithProfile(gateway(), {
        host: '127.0.0.1',
        port: s.port,
        servername: 'gwa.opensmgw.test',
      });
      assertAllowedSession(socket);
      assert.equal(ephemeralGroup(socket), 'brainpoolP256r1');
      assert.equal(socket.getPeerCertificate().subject.CN, 'OpenSMGW-Test.GWA');
      assert.equal(await echo(socket, 'admin'), 'admin');
      assert.equal(s.accepted[0]?.getPeerCertificate().subject.CN, 'EOSM0100000001.SMGW');
      socket.destroy();
    } finally {
      await s.close();
    }
  });

  it('HAN server and HAN client (consumer)', async () => {
    const s = await startServer(
      hanServerProfile({
        key: certs.gatewayHan.key,
        certificates: certs.gatewayHan.cert,
        trust: pinned(certs.consumerHan),
        clock,
      }),
    );
    try {
      const client = hanClientProfile({
        key: certs.consumerHan.key,
        certificates: certs.consumerHan.cert,
        trust: pinned(certs.gatewayHan),
        clock,
      });
      const socket = await connectWithProfile(client, { host: '127.0.0.1', port: s.port });
      assertAllowedSession(socket);
      assert.equal(ephemeralGroup(socket), 'brainpoolP256r1');
      assert.equal(await echo(socket, 'portal'), 'portal');
      socket.destroy();
    } finally {
      await s.close();
    }
  });

  it('each of the four suites can be negotiated, and the server picks by its own preference', async () => {
    const { server, client } = lmnPair();
    const s = await startServer(server);
    try {
      for (const suite of TLS12_CIPHER_SUITE_NAMES) {
        const r = await attempt({ ...client.options, port: s.port, ciphers: suite });
        assert.ok(r.ok, `${suite}: ${r.ok ? '' : r.error.message}`);
        assert.equal(r.socket.getCipher().name, suite);
        r.socket.destroy();
      }
      // A client preferring CBC and P-384 still gets the server's GCM and brainpoolP256r1.
      const r = await attempt({
        ...client.options,
        port: s.port,
        ciphers: 'ECDHE-ECDSA-AES256-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256',
        ecdhCurve: 'P-384:brainpoolP256r1',
      });
      assert.ok(r.ok);
      assert.equal(r.socket.getCipher().name, 'ECDHE-ECDSA-AES128-GCM-SHA256');
      assert.equal(ephemeralGroup(r.socket), 'brainpoolP256r1');
      r.socket.destroy();
    } finally {
      await s.close();
    }
  });
});

describe('groups', { timeout: 20_000 }, () => {
  it('each of the five groups is negotiated when the server prefers it (order is configurable)', async () => {
    for (const first of TLS12_GROUPS) {
      const groups = [first, ...TLS12_GROUPS.filter((g) => g !== first)];
      const server = lmnServerProfile({
        key: certs.gatewayLmn.key,
        certificates: certs.gatewayLmn.cert,
        trust: pinned(certs.meterLmn),
        clock,
        groups,
      });
      assert.equal(server.options.ecdhCurve, groups.join(':'));
      const s = await startServer(server);
      try {
        const socket = await connectWithProfile(lmnPair().client, { host: '127.0.0.1', port: s.port });
        const want = first === 'P-256' ? 'prime256v1' : first === 'P-384' ? 'secp384r1' : first;
        assert.equal(ephemeralGroup(socket), want, first);
        socket.destroy();
      } finally {
        await s.close();
      }
    }
  });
});

/** The ClientHello a client profile sends, captured by a plain TCP listener (test-only parser). */
async function captureClientHello(options: ConnectionOptions): Promise<{
  random: Buffer;
  suites: number[];
  extensions: Map<number, Buffer>;
}> {
  const server = createNetServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  try {
    const received = new Promise<Buffer>((resolve) => {
      server.on('connection', (sock) => {
        let buf = Buffer.alloc(0);
        sock.on('data', (d: Buffer) => {
          buf = Buffer.concat([buf, d]);
          if (buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3)) {
            resolve(buf.subarray(0, 5 + buf.readUInt16BE(3)));
            sock.destroy();
          }
        });
      });
    });
    const client = connect({ ...options, host: '127.0.0.1', port: (server.address() as AddressInfo).port });
    client.on('error', () => {});
    const record = await received;
    client.destroy();
    assert.equal(record[0], 22, 'handshake record');
    const hs = record.subarray(5);
    assert.equal(hs[0], 1, 'ClientHello');
    let o = 4 + 2; // handshake header, client_version
    const random = Buffer.from(hs.subarray(o, o + 32));
    o += 32;
    o += 1 + (hs[o] as number); // session_id
    const suitesLen = hs.readUInt16BE(o);
    const suites: number[] = [];
    for (let i = 0; i < suitesLen; i += 2) suites.push(hs.readUInt16BE(o + 2 + i));
    o += 2 + suitesLen;
    o += 1 + (hs[o] as number); // compression methods
    const extensions = new Map<number, Buffer>();
    const end = o + 2 + hs.readUInt16BE(o);
    o += 2;
    while (o < end) {
      const type = hs.readUInt16BE(o);
      const len = hs.readUInt16BE(o + 2);
      extensions.set(type, Buffer.from(hs.subarray(o + 4, o + 4 + len)));
      o += 4 + len;
    }
    return { random, suites, extensions };
  } finally {
    server.close();
  }
}

describe('what a client profile sends (ClientHello)', { timeout: 20_000 }, () => {
  it('only the allowed suites, groups and ECDSA sigalgs; EtM and EMS offered; no ticket; random gmt_unix_time', async () => {
    const hellos = [];
    for (const profile of [gateway(), lmnPair().client, gateway()])
      hellos.push(await captureClientHello(profile.options));
    for (const h of hellos) {
      // TLS_EMPTY_RENEGOTIATION_INFO_SCSV (0x00ff) is OpenSSL's RFC 5746 signal, not a suite.
      assert.deepEqual(
        h.suites.filter((c) => c !== 0x00ff).sort(),
        Object.values(TLS12_CIPHER_SUITES)
          .map((x) => x.code)
          .sort(),
      );
      const groups = h.extensions.get(10) as Buffer;
      assert.deepEqual(
        [...groups.subarray(2)].join(','),
        [0, 26, 0, 27, 0, 28, 0, 23, 0, 24].join(','),
        'bP256, bP384, bP512, P-256, P-384',
      );
      assert.equal(
        (h.extensions.get(13) as Buffer).toString('hex'),
        '0006040305030603',
        'ecdsa with sha256/384/512 only',
      );
      assert.ok(h.extensions.has(11), 'ec_point_formats (RFC 8422)');
      assert.ok(h.extensions.has(22), 'encrypt_then_mac (RFC 7366)');
      assert.ok(h.extensions.has(23), 'extended_master_secret (RFC 7627)');
      assert.ok(!h.extensions.has(35), 'no session_ticket extension');
      assert.ok(!h.extensions.has(43), 'no supported_versions: TLS 1.2 only');
      assert.ok(!h.extensions.has(4), 'no truncated_hmac');
      assert.ok(!h.extensions.has(15), 'no heartbeat');
    }
    // gmt_unix_time: a clock-based value would be within seconds of now (and repeat within a
    // second); random bytes land within a year of now with probability ~1.5 % each.
    const now = Math.floor(clock.now() / 1000);
    const nearNow = hellos.filter((h) => Math.abs(h.random.readUInt32BE(0) - now) < 366 * 86_400);
    assert.ok(nearNow.length < hellos.length, 'gmt_unix_time looks like the clock');
  });
});

describe('the server refuses what TR-03116-3 forbids', { timeout: 20_000 }, () => {
  let s: Awaited<ReturnType<typeof startServer>>;
  let client: TlsClientProfile;
  before(async () => {
    const pair = lmnPair();
    client = pair.client;
    s = await startServer(pair.server);
  });
  after(() => s.close());

  /** The client attempt fails with `clientCode`; the server reports `serverCode` for that connection. */
  const refused = async (
    label: string,
    overrides: Record<string, unknown>,
    clientCode: RegExp,
    serverCode?: RegExp,
  ) => {
    const r = await attempt({ ...client.options, port: s.port, ...overrides });
    if (r.ok) r.socket.destroy();
    assert.equal(r.ok, false, `${label} was accepted`);
    if (!r.ok) assert.match(String(r.error.code), clientCode, `${label}: ${r.error.message}`);
    if (serverCode !== undefined) {
      const e = (await s.errorFor(r.localPort)) as Error & { code?: string };
      assert.match(String(e.code), serverCode, `${label} on the server: ${e.message}`);
    }
  };

  it('a client offering only TLS 1.1', async () => {
    await refused(
      'TLS 1.1',
      { minVersion: 'TLSv1.1', maxVersion: 'TLSv1.1', ciphers: 'ECDHE-ECDSA-AES128-SHA@SECLEVEL=0' },
      /PROTOCOL_VERSION/,
      /UNSUPPORTED_PROTOCOL/,
    );
  });

  it('a client offering only suites outside the list (AES-CCM, CBC with SHA-1, ECDHE-RSA)', async () => {
    for (const suite of ['ECDHE-ECDSA-AES128-CCM', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-ECDSA-AES256-SHA']) {
      await refused(suite, { ciphers: suite }, /HANDSHAKE_FAILURE/, /NO_SHARED_CIPHER/);
    }
    // An RSA suite cannot even be offered with ECDSA-only sigalgs: the client gives up itself.
    await refused('ECDHE-RSA', { ciphers: 'ECDHE-RSA-AES128-GCM-SHA256' }, /NO_CIPHERS_AVAILABLE|HANDSHAKE_FAILURE/);
  });

  it('a client offering only a group outside the list (X25519, P-521)', async () => {
    for (const g of ['X25519', 'P-521']) {
      await refused(g, { ecdhCurve: g }, /HANDSHAKE_FAILURE/, /NO_SHARED_CIPHER/);
    }
  });

  it('a client offering only signature algorithms outside the list (ECDSA with SHA-224 or SHA-1)', async () => {
    await refused('ECDSA+SHA224', { sigalgs: 'ECDSA+SHA224' }, /HANDSHAKE_FAILURE/, /NO_SHARED_SIGNATURE_ALGORITHMS/);
    await refused(
      'ECDSA+SHA1',
      { sigalgs: 'ECDSA+SHA1', ciphers: `${client.options.ciphers}:@SECLEVEL=0` },
      /HANDSHAKE_FAILURE/,
      /NO_SHARED_SIGNATURE_ALGORITHMS/,
    );
  });

  it('a client without a certificate', async () => {
    const { key: _k, cert: _c, ...noCert } = client.options;
    const r = await attempt({ ...noCert, port: s.port });
    if (r.ok) await closed(r.socket);
    const e = (await s.errorFor(r.localPort)) as Error & { code?: string };
    assert.equal(e.code, 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE');
  });

  it('a client with a self-signed certificate that is not pinned', async () => {
    const before = s.accepted.length;
    const r = await attempt({ ...client.options, port: s.port, key: certs.stranger.keyPem, cert: certs.stranger.cert });
    if (r.ok) await closed(r.socket);
    // OpenSSL's own verification (the pinned certificates are its only trust anchors) rejects it;
    // Node then drops the connection before 'secureConnection'.
    assert.ok(await s.errorFor(r.localPort));
    assert.equal(s.accepted.length, before);
  });

  it('client-initiated renegotiation', async () => {
    const r = await attempt({ ...client.options, port: s.port, secureOptions: 0 });
    assert.ok(r.ok);
    const err = await new Promise<Error & { code?: string }>((resolve) => {
      r.socket.once('error', resolve);
      r.socket.resume();
      r.socket.renegotiate({}, (e) => {
        if (e) resolve(e);
      });
      r.socket.write('drive the handshake'); // the renegotiation ClientHello goes out with the next record
    });
    // The server answers the ClientHello with a no_renegotiation alert (SSL_OP_NO_RENEGOTIATION).
    assert.match(err.message, /no renegotiation/);
    await closed(r.socket);
    assert.equal(s.accepted.at(-1)?.getProtocol(), 'TLSv1.2');
  });
});

describe('peer check on top of OpenSSL (peer-check.ts)', { timeout: 20_000 }, () => {
  it('head-end rejects a client from another CA (OpenSSL) and an EMT certificate where a gateway is expected (role)', async () => {
    const s = await startServer(headEnd());
    try {
      const foreign = await attempt({
        ...gateway(clock, certs.foreignSmgw).options,
        port: s.port,
        servername: 'gwa.opensmgw.test',
      });
      if (foreign.ok) await closed(foreign.socket);
      await s.errorFor(foreign.localPort);
      assert.equal(s.accepted.length, 0);

      // An EMT TLS certificate carries clientAuth, so OpenSSL accepts it; the role check does not.
      // (The server completes its handshake, then its check drops the connection; the client may
      // or may not have seen its own handshake complete by then.)
      const emt = await attempt({
        ...gateway(clock, certs.emt).options,
        port: s.port,
        servername: 'gwa.opensmgw.test',
      });
      if (emt.ok) await closed(emt.socket);
      const e = await s.errorFor(emt.localPort);
      assert.ok(e instanceof TlsError && e.code === 'SMGW_TLS_PEER_REJECTED', String(e));
      assert.equal(e.detail['reason'], 'usage');
      assert.match(e.message, /role EMT; expected SMGW/);
      assert.equal(s.accepted.length, 0);
    } finally {
      await s.close();
    }
  });

  it('the gateway rejects a server of another CA, a wrong name, a role it did not ask for, and an expired certificate', async () => {
    const foreignServer = await startServer(headEnd(clock, certs.foreignGwa));
    const emtServer = await startServer(headEnd(clock, certs.emt));
    try {
      const reject = async (p: TlsClientProfile, port: number, servername: string, check: (e: unknown) => boolean) => {
        await assert.rejects(connectWithProfile(p, { host: '127.0.0.1', port, servername }), check);
      };
      await reject(gateway(), foreignServer.port, 'gwa.opensmgw.test', (e) =>
        /UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER/.test(String((e as { code?: string }).code)),
      );
      const rejected = (reason: string) => (e: unknown) =>
        e instanceof TlsError &&
        e.code === 'SMGW_TLS_PEER_REJECTED' &&
        (reason === '' || e.detail['reason'] === reason);
      await reject(gateway(), emtServer.port, 'gwa.opensmgw.test', rejected('name'));
      const gwaOnly = gateway(clock, certs.smgw, { peerUsage: { eku: 'serverAuth', roles: ['GWA'] } });
      await reject(gwaOnly, emtServer.port, 'emt-1.opensmgw.test', rejected('usage'));
      // Both EMT and GWA are acceptable by default (the gateway delivers to EMTs too).
      const ok = await connectWithProfile(gateway(), {
        host: '127.0.0.1',
        port: emtServer.port,
        servername: 'emt-1.opensmgw.test',
      });
      ok.destroy();
      // Our clock, not OpenSSL's, decides validity: one day past notAfter.
      const late = new FakeClock(clock.now() + AFTER_EXPIRY_MS);
      await reject(gateway(late), emtServer.port, 'emt-1.opensmgw.test', rejected('expired'));
    } finally {
      await foreignServer.close();
      await emtServer.close();
    }
  });

  it('LMN: a pinned certificate that expired on our clock is refused, by the client and by the server', async () => {
    const late = new FakeClock(clock.now() + AFTER_EXPIRY_MS);
    const s = await startServer(lmnPair(clock).server);
    try {
      await assert.rejects(
        connectWithProfile(lmnPair(late).client, { host: '127.0.0.1', port: s.port }),
        (e: unknown) =>
          e instanceof TlsError && e.code === 'SMGW_TLS_PEER_REJECTED' && e.detail['reason'] === 'expired',
      );
    } finally {
      await s.close();
    }
    const lateServer = await startServer(lmnPair(late).server);
    try {
      const r = await attempt({ ...lmnPair(clock).client.options, port: lateServer.port });
      if (r.ok) await closed(r.socket);
      const e = await lateServer.errorFor(r.localPort);
      assert.ok(isSmgwError(e) && e.code === 'SMGW_TLS_PEER_REJECTED' && e.detail['reason'] === 'expired', String(e));
      assert.equal(lateServer.accepted.length, 0);
    } finally {
      await lateServer.close();
    }
  });
});

describe('revocation and CRLs (SM-PKI trust)', { timeout: 20_000 }, () => {
  it('the gateway refuses a server without a current CRL, and a revoked one', async () => {
    const s = await startServer(headEnd(clock, certs.emt));
    try {
      const target = { host: '127.0.0.1', port: s.port, servername: 'emt-1.opensmgw.test' };
      const noCrl = gateway(clock, certs.smgw, {
        trust: { kind: 'sm-pki', roots: [certs.roots], intermediates: [certs.subca] },
      });
      await assert.rejects(
        connectWithProfile(noCrl, target),
        (e: unknown) => e instanceof TlsError && e.detail['reason'] === 'no-crl',
      );
      const optional = gateway(clock, certs.smgw, {
        trust: { kind: 'sm-pki', roots: [certs.roots], intermediates: [certs.subca], requireCrl: false },
      });
      (await connectWithProfile(optional, target)).destroy();

      // Revoke the EMT's TLS certificate in the test PKI; the new Sub-CA CRL lists it.
      await revoke(certs.pkiDir, new X509Certificate(certs.emt.cert).serialNumber, 'keyCompromise', { clock });
      const crls = readFileSync(join(certs.pkiDir, 'trust/crls.pem'), 'utf8');
      const fresh = gateway(clock, certs.smgw, {
        trust: { kind: 'sm-pki', roots: [certs.roots], intermediates: [certs.subca], crls: [crls] },
      });
      await assert.rejects(
        connectWithProfile(fresh, target),
        (e: unknown) =>
          e instanceof TlsError && e.detail['reason'] === 'revoked' && e.detail['pkiCode'] === 'SMGW_PKI_REVOKED',
      );
    } finally {
      await s.close();
    }
  });
});

describe('resumption by session ID (no tickets), bounded by the session lifetime', { timeout: 20_000 }, () => {
  it('resumes inside the lifetime; not after the cache dropped it or the lifetime passed', async () => {
    const c = new FakeClock(clock.now());
    const { server, client } = lmnPair(c);
    const cache = new TlsSessionCache({ clock: c, maxAgeMs: server.sessionMaxAgeMs });
    const s = await startServer(server, { sessionCache: cache });
    try {
      const first = await connectWithProfile(client, { host: '127.0.0.1', port: s.port });
      assert.equal(first.isSessionReused(), false);
      await echo(first, 'x');
      const session = first.getSession();
      assert.ok(session !== undefined);
      assert.equal(first.getTLSTicket(), undefined, 'no RFC 5077 ticket');
      first.destroy();
      assert.equal(cache.size, 1);

      c.advance(30 * DAY);
      const second = await connectWithProfile(client, { host: '127.0.0.1', port: s.port, session });
      assert.equal(second.isSessionReused(), true);
      assertAllowedSession(second);
      second.destroy();

      c.advance(1 * DAY); // 31 days since the full handshake: the LMN maximum
      const third = await connectWithProfile(client, { host: '127.0.0.1', port: s.port, session });
      assert.equal(third.isSessionReused(), false, 'a full handshake after 31 days');
      const fresh = third.getSession();
      third.destroy();
      assert.ok(fresh !== undefined);

      cache.clear();
      const fourth = await connectWithProfile(client, { host: '127.0.0.1', port: s.port, session: fresh });
      assert.equal(fourth.isSessionReused(), false, 'dropped sessions need a full handshake');
      fourth.destroy();
    } finally {
      await s.close();
    }
  });

  it('endpoints with a session policy: LMN closes both ends at 31 days; the client then offers no stale session', async () => {
    const c = new FakeClock(clock.now());
    const { server, client } = lmnPair(c);
    const serverLedger = new SessionLedger({ policy: sessionPolicy('lmn'), clock: c });
    const clientLedger = new SessionLedger({ policy: sessionPolicy('lmn'), clock: c });
    const limits: string[] = [];
    const s = await startServer(server, {
      sessionPolicy: { ledger: serverLedger, onLimit: (e) => limits.push(`server ${e.limit}`) },
    });
    try {
      const target = {
        host: '127.0.0.1',
        port: s.port,
        sessionPolicy: { ledger: clientLedger, onLimit: (e: { limit: string }) => limits.push(`client ${e.limit}`) },
      };
      const first = await connectWithProfile(client, target);
      assert.equal(await echo(first, 'reading'), 'reading');
      const session = first.getSession();
      assert.ok(session !== undefined);
      assert.equal(serverLedger.size, 1);

      c.advance(31 * DAY - 1);
      assert.equal(first.destroyed, false, 'open until the maximum age');
      c.advance(1);
      await closed(first);
      assert.deepEqual(limits.sort(), ['client max-age', 'server max-age'], 'both ends enforce the policy');
      assert.equal(mayResumeSession(clientLedger, session), false);

      const second = await connectWithProfile(client, { ...target, session });
      assert.equal(second.isSessionReused(), false, 'the client ledger refused to offer the old session');
      assert.equal(await echo(second, 'again'), 'again');
      second.destroy();
    } finally {
      await s.close();
    }
  });

  it('session cache bounds its size and its entries', () => {
    const c = new FakeClock(0);
    const cache = new TlsSessionCache({ clock: c, maxAgeMs: 1000, maxEntries: 2 });
    cache.store(Buffer.from('a'), Buffer.from('1'));
    cache.store(Buffer.from('b'), Buffer.from('2'));
    cache.store(Buffer.from('c'), Buffer.from('3'));
    assert.equal(cache.size, 2);
    assert.equal(cache.lookup(Buffer.from('a')), undefined);
    assert.deepEqual(cache.lookup(Buffer.from('b')), Buffer.from('2'));
    assert.equal(cache.delete(Buffer.from('b')), true);
    c.advance(999);
    assert.deepEqual(cache.lookup(Buffer.from('c')), Buffer.from('3'));
    c.advance(1);
    assert.equal(cache.lookup(Buffer.from('c')), undefined);
    assert.throws(() => new TlsSessionCache({ clock: c, maxAgeMs: 0 }), TlsError);
  });
});
