/**
 * The CLS proxy (spec notes §9.2) with fakes of our own on both ends: a CLS device (HAN TLS
 * client or server with a self-signed certificate made by openssl) and an active EMT (a raw TLS
 * server with the WAN server profile of the test SM-PKI's emt-1). The gateway meets devices and
 * head-end only on the wire, so the test plays both.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { FakeClock, systemClock } from '@opensmgw/core';
import type { ClsProfile, CommunicationProfile } from '@opensmgw/protocol';
import {
  connectWithProfile,
  createProfileServer,
  hanClientProfile,
  hanServerProfile,
  type SessionPolicy,
  type TlsKeyReference,
  wanServerProfile,
} from '@opensmgw/security';
import { FlowControl } from '../src/core/flow-control.js';
import { CLS_PROFILES_STATE_KEY, ClsProfiles, ClsProxy, createClsJobHandler } from '../src/han/cls-index.js';
import { tempDir } from './fixtures/store-fixtures.js';
import { FakeWanStore, RecordingEventLog } from './fixtures/wan-fakes.js';
import { makeWanPki, openGatewayIdentity, type ServerIdentity, type WanPki } from './fixtures/wan-pki.js';

interface Device {
  readonly key: TlsKeyReference;
  readonly certificatePem: string;
}

/** A CLS device's self-signed HAN identity (brainpoolP256r1, serverAuth + clientAuth). */
function selfSignedDevice(dir: string, name: string): Device {
  const key = join(dir, `${name}.key.pem`);
  const cert = join(dir, `${name}.crt.pem`);
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:brainpoolP256r1',
    '-nodes',
    '-keyout',
    key,
    '-out',
    cert,
    '-subj',
    `/C=DE/CN=${name}`,
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:FALSE',
    '-addext',
    'keyUsage=critical,digitalSignature',
    '-addext',
    'extendedKeyUsage=serverAuth,clientAuth',
  ]);
  return { key: { kind: 'pem', pem: readFileSync(key, 'utf8') }, certificatePem: readFileSync(cert, 'utf8') };
}

/** The fake active EMT: a raw TLS server that records bytes and can answer them. */
interface FakeEmt {
  readonly url: string;
  readonly sockets: TLSSocket[];
  readonly received: Buffer[];
  readonly clientCns: string[];
  next(): Promise<TLSSocket>;
  close(): Promise<void>;
}

async function startEmt(identity: ServerIdentity, pki: WanPki): Promise<FakeEmt> {
  const sockets: TLSSocket[] = [];
  const received: Buffer[] = [];
  const clientCns: string[] = [];
  const waiters: ((s: TLSSocket) => void)[] = [];
  const server = createProfileServer(
    wanServerProfile({ key: identity.key, certificates: identity.chain, trust: pki.smPkiTrust(), clock: systemClock }),
    {
      onConnection: (s) => {
        sockets.push(s);
        s.on('error', () => {});
        const cn = s.getPeerCertificate()?.subject?.CN;
        if (typeof cn === 'string') clientCns.push(cn);
        s.on('data', (c: Buffer) => received.push(c));
        waiters.shift()?.(s);
      },
    },
  );
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    sockets,
    received,
    clientCns,
    next: () => {
      const ready = sockets.find((s) => !taken.has(s));
      if (ready !== undefined) {
        taken.add(ready);
        return Promise.resolve(ready);
      }
      return new Promise((resolve) =>
        waiters.push((s) => {
          taken.add(s);
          resolve(s);
        }),
      );
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
const taken = new WeakSet<TLSSocket>();

function line(s: TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const onData = (c: Buffer): void => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl !== -1) {
        s.removeListener('data', onData);
        resolve(buf.slice(0, nl));
      }
    };
    s.on('data', onData);
    s.once('close', () => reject(new Error('closed before a line')));
  });
}

function closed(s: TLSSocket): Promise<void> {
  return s.destroyed ? Promise.resolve() : new Promise((resolve) => s.once('close', () => resolve()));
}

/** Device side of the inner protocol: answers each set-power-limit line with an ack. */
function actAsInverter(s: TLSSocket): void {
  let buf = '';
  s.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const m = JSON.parse(buf.slice(0, nl)) as { id: string; watts: number };
      buf = buf.slice(nl + 1);
      s.write(`${JSON.stringify({ type: 'ack', id: m.id, watts: m.watts })}\n`);
    }
  });
}

async function until(cond: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('CLS proxy', () => {
  let pki: WanPki;
  let tmp: ReturnType<typeof tempDir>;
  let hanKey: TlsKeyReference;
  let hanPem: string;
  let device: Device;
  let stranger: Device;
  let emt: FakeEmt;
  let other: FakeEmt;

  before(async () => {
    pki = await makeWanPki();
    tmp = tempDir();
    hanKey = await pki.gateway.tlsKey('han-tls');
    hanPem = readFileSync(join(pki.dir, 'gateway/han-tls.crt.pem'), 'utf8');
    device = selfSignedDevice(tmp.dir, 'cls-inverter-1');
    stranger = selfSignedDevice(tmp.dir, 'cls-unknown');
    emt = await startEmt(pki.emt, pki);
    other = await startEmt(pki.emt2, pki);
  });
  after(async () => {
    await emt.close();
    await other.close();
    await pki.close();
    tmp.cleanup();
  });

  const commProfile = (id: string, url: string, tlsPem: string): CommunicationProfile => ({
    id,
    url,
    servername: 'emt-1.opensmgw.test',
    tlsCertificatePem: tlsPem,
    encryptionCertificatePem: pki.emt.encPem,
    retry: { initialDelayMs: 1000, maxDelayMs: 60_000 },
  });

  async function setup(
    o: {
      clock?: FakeClock;
      profile?: Partial<ClsProfile>;
      enabled?: () => boolean;
      hanSessionPolicy?: SessionPolicy;
    } = {},
  ) {
    const store = new FakeWanStore();
    store.putCommunicationProfile(commProfile('aemt-1', emt.url, pki.emt.tlsPem));
    const events = new RecordingEventLog();
    const clock = o.clock ?? new FakeClock(Date.now());
    const identity = await openGatewayIdentity(pki, store, systemClock);
    const proxy = new ClsProxy({
      store,
      events,
      clock,
      validityClock: systemClock,
      hanKey,
      hanCertificatePem: hanPem,
      wanTls: () => identity.tls(),
      wanTrust: pki.smPkiTrust(),
      host: '127.0.0.1',
      port: 0,
      flow: new FlowControl({ events }),
      ...(o.enabled === undefined ? {} : { enabled: o.enabled }),
      ...(o.hanSessionPolicy === undefined ? {} : { hanSessionPolicy: o.hanSessionPolicy }),
    });
    proxy.profiles.put({
      id: 'inverter-1',
      certificatePem: device.certificatePem,
      emtProfileId: 'aemt-1',
      ...o.profile,
    });
    proxy.reload();
    const { port } = await proxy.listen();
    const connectDevice = (d: Device = device, servername?: string) =>
      connectWithProfile(
        hanClientProfile({
          key: d.key,
          certificates: d.certificatePem,
          trust: { kind: 'pinned', certificates: [hanPem] },
          clock: systemClock,
        }),
        { host: '127.0.0.1', port, ...(servername === undefined ? {} : { servername }) },
      );
    /** A connection the gateway closes at once: it may fail before or after the client's handshake ends. */
    const refusedDevice = async (d: Device = device, servername?: string): Promise<void> => {
      const s = await connectDevice(d, servername).catch(() => undefined);
      if (s !== undefined) await closed(s);
    };
    return { store, events, proxy, clock, port, connectDevice, refusedDevice };
  }

  test('HKS3: device -> gateway -> EMT; the power limit reaches the device and its ack comes back', async () => {
    const { events, proxy, connectDevice } = await setup();
    try {
      const before = emt.sockets.length;
      const dev = await connectDevice();
      actAsInverter(dev);
      const emtSide = await emt.next();
      assert.equal(emt.sockets.length, before + 1);
      // The EMT sees the gateway's SM-PKI identity, not the device.
      assert.match(emt.clientCns.at(-1) ?? '', /^EOSM0100000001\.SMGW$/);
      const answer = line(emtSide);
      emtSide.write(`${JSON.stringify({ type: 'set-power-limit', id: 'c1', watts: 4200 })}\n`);
      assert.deepEqual(JSON.parse(await answer), { type: 'ack', id: 'c1', watts: 4200 });
      await until(() => proxy.channels().length === 1 && proxy.channels()[0]?.bytesUp !== 0, 'byte counts');
      const [info] = proxy.channels();
      assert.equal(info?.initiator, 'device');
      assert.equal(info?.clsProfileId, 'inverter-1');
      assert.equal(info?.emtProfileId, 'aemt-1');
      assert.equal(events.events('CLS_CHANNEL_OPENED').length, 1);
      dev.destroy();
      await closed(emtSide);
      await until(() => events.events('CLS_CHANNEL_CLOSED').length === 1, 'close entry');
      assert.equal(proxy.channels().length, 0);
    } finally {
      await proxy.close();
    }
  });

  test('bytes pass unread: a device that writes a request for another host still reaches only its EMT', async () => {
    const { proxy, connectDevice } = await setup();
    try {
      const otherBefore = other.sockets.length;
      const dev = await connectDevice();
      const emtSide = await emt.next();
      const attempt = `CONNECT 127.0.0.1:${new URL(other.url).port} HTTP/1.1\r\nHost: evil\r\n\r\n`;
      const mark = emt.received.length;
      dev.write(attempt);
      await until(() => Buffer.concat(emt.received.slice(mark)).toString() === attempt, 'bytes at the EMT');
      assert.equal(other.sockets.length, otherBefore, 'no connection to any other address');
      dev.destroy();
      await closed(emtSide);
    } finally {
      await proxy.close();
    }
  });

  test('a device naming another target (TLS server name) is refused and logged', async () => {
    const { events, proxy, connectDevice, refusedDevice } = await setup();
    try {
      const before = emt.sockets.length + other.sockets.length;
      await refusedDevice(device, 'emt-2.opensmgw.test');
      await until(() => events.events('CLS_TARGET_REFUSED').length === 1, 'refusal entry');
      const [entry] = events.events('CLS_TARGET_REFUSED');
      assert.equal(entry?.log, 'system');
      assert.equal(entry?.outcome, 1);
      assert.equal(entry?.subject, 'inverter-1');
      assert.match(entry?.message ?? '', /emt-2\.opensmgw\.test/);
      assert.equal(emt.sockets.length + other.sockets.length, before, 'nothing was connected');
      assert.equal(events.events('CLS_CHANNEL_OPENED').length, 0);
      // The gateway's own name is fine.
      const ok = await connectDevice(device, 'localhost');
      await emt.next();
      await until(() => proxy.channels().length === 1, 'channel');
      ok.destroy();
    } finally {
      await proxy.close();
    }
  });

  test('an unpinned device is refused in the handshake and logged; nothing reaches the EMT', async () => {
    const { events, proxy, refusedDevice } = await setup();
    try {
      const before = emt.sockets.length;
      await refusedDevice(stranger);
      await until(() => events.events('CLS_TLS_REFUSED').length === 1, 'refusal entry');
      assert.equal(emt.sockets.length, before);
      assert.equal(events.events('CLS_CHANNEL_OPENED').length, 0);
    } finally {
      await proxy.close();
    }
  });

  test('a pinned certificate without a profile (deleted) is refused: CLS_REFUSED', async () => {
    const { events, proxy, refusedDevice } = await setup();
    try {
      // The gateway's own HAN certificate stands in as a pin when no profile exists; a peer
      // presenting it (we hold the key in this test) still has no CLS profile.
      proxy.profiles.delete('inverter-1');
      proxy.reload();
      const before = emt.sockets.length;
      await refusedDevice({ key: hanKey, certificatePem: hanPem });
      await until(
        () => events.events('CLS_REFUSED').length + events.events('CLS_TLS_REFUSED').length >= 1,
        'refusal entry',
      );
      assert.match(events.events('CLS_REFUSED')[0]?.message ?? '', /no CLS profile/);
      assert.equal(emt.sockets.length, before);
    } finally {
      await proxy.close();
    }
  });

  test('a profile whose partner is not a communication profile is refused and logged', async () => {
    const { events, proxy, refusedDevice } = await setup({ profile: { emtProfileId: 'gwa' } });
    try {
      const before = emt.sockets.length + other.sockets.length;
      await refusedDevice();
      await until(() => events.events('CLS_REFUSED').length === 1, 'refusal entry');
      const [entry] = events.events('CLS_REFUSED');
      assert.match(entry?.message ?? '', /partner gwa is not a communication profile/);
      assert.equal(entry?.subject, 'inverter-1');
      assert.equal(emt.sockets.length + other.sockets.length, before);
      await assert.rejects(proxy.openChannel('inverter-1'), { code: 'SMGW_CLS_NO_PARTNER' });
      await assert.rejects(proxy.openChannel('nope'), { code: 'SMGW_CLS_NO_PROFILE' });
    } finally {
      await proxy.close();
    }
  });

  test('an EMT presenting another certificate than its profile pins gets no channel', async () => {
    const { store, events, proxy, refusedDevice } = await setup();
    try {
      // Same SM-PKI, valid server, but the profile pins emt-1's certificate and emt-2 answers.
      store.putCommunicationProfile(commProfile('aemt-1', other.url, pki.emt.tlsPem));
      await refusedDevice();
      await until(() => events.events('CLS_CHANNEL_FAILED').length === 1, 'failure entry');
      assert.match(events.events('CLS_CHANNEL_FAILED')[0]?.message ?? '', /EMT/);
      assert.equal(events.events('CLS_CHANNEL_OPENED').length, 0);
    } finally {
      await proxy.close();
    }
  });

  test('HKS4: openChannel connects to the device and to the EMT and joins them', async () => {
    const devServer = createProfileServer(
      hanServerProfile({
        key: device.key,
        certificates: device.certificatePem,
        trust: { kind: 'pinned', certificates: [hanPem] },
        clock: systemClock,
      }),
      { onConnection: (s) => actAsInverter(s) },
    );
    devServer.on('tlsClientError', () => {});
    await new Promise<void>((resolve) => devServer.listen(0, '127.0.0.1', resolve));
    const devPort = (devServer.address() as AddressInfo).port;
    const { events, proxy } = await setup({ profile: { deviceEndpoint: `127.0.0.1:${devPort}` } });
    try {
      const handler = createClsJobHandler({ proxy, events });
      const opened = handler({ jobId: 'j-1', type: 'open-cls-channel', clsProfileId: 'inverter-1' });
      const emtSide = await emt.next();
      const result = await opened;
      assert.ok('channel' in result);
      assert.equal(result.channel.initiator, 'emt');
      const answer = line(emtSide);
      emtSide.write(`${JSON.stringify({ type: 'set-power-limit', id: 'h4', watts: 1500 })}\n`);
      assert.deepEqual(JSON.parse(await answer), { type: 'ack', id: 'h4', watts: 1500 });
      assert.match(events.events('CLS_CHANNEL_OPENED')[0]?.message ?? '', /HKS4/);
      emtSide.destroy();
      await until(() => proxy.channels().length === 0, 'channel closed with the EMT side');
    } finally {
      await proxy.close();
      await new Promise<void>((resolve) => devServer.close(() => resolve()));
    }
  });

  test('HKS4 without a device endpoint, or with an unreachable device, fails with a log entry', async () => {
    const { events, proxy } = await setup();
    try {
      await assert.rejects(proxy.openChannel('inverter-1'), { code: 'SMGW_CLS_NO_ENDPOINT' });
      proxy.profiles.put({
        id: 'inverter-1',
        certificatePem: device.certificatePem,
        emtProfileId: 'aemt-1',
        deviceEndpoint: '127.0.0.1:1',
      });
      await assert.rejects(proxy.openChannel('inverter-1'), { code: 'SMGW_CLS_CONNECT_FAILED' });
      assert.match(events.events('CLS_CHANNEL_FAILED')[0]?.message ?? '', /device/);
      // the EMT side that was opened meanwhile is not left behind
      await until(() => emt.sockets.every((s) => s.destroyed || taken.has(s)), 'EMT side closed');
    } finally {
      await proxy.close();
    }
  });

  test('HAN idle timeout (10 min, FakeClock) closes the channel with log entries', async () => {
    const clock = new FakeClock(Date.now());
    const { events, proxy, connectDevice } = await setup({ clock });
    try {
      const dev = await connectDevice();
      const emtSide = await emt.next();
      await until(() => proxy.channels().length === 1, 'channel');
      clock.advance(10 * 60_000 + 1);
      await closed(dev);
      await closed(emtSide);
      await until(() => events.events('CLS_CHANNEL_CLOSED').length === 1, 'close entry');
      assert.match(events.events('CLS_SESSION_LIMIT')[0]?.message ?? '', /idle/);
    } finally {
      await proxy.close();
    }
  });

  test('WAN session limit (48 h, FakeClock) closes a channel kept busy on the HAN side', async () => {
    const clock = new FakeClock(Date.now());
    // HAN side without idle timeout here, so the WAN side's age limit is what ends the channel.
    const { events, proxy, connectDevice } = await setup({
      clock,
      hanSessionPolicy: { maxSessionAgeMs: 72 * 3600_000 },
    });
    try {
      const dev = await connectDevice();
      const emtSide = await emt.next();
      await until(() => proxy.channels().length === 1, 'channel');
      clock.advance(47 * 3600_000);
      assert.equal(proxy.channels().length, 1, 'still open before 48 h');
      clock.advance(3600_000 + 1);
      await closed(emtSide);
      await closed(dev);
      await until(() => events.events('CLS_CHANNEL_CLOSED').length === 1, 'close entry');
      assert.match(events.events('CLS_SESSION_LIMIT')[0]?.message ?? '', /WAN side closed: max-age/);
    } finally {
      await proxy.close();
    }
  });

  test('secure state (HAN disabled) refuses channels', async () => {
    let on = false;
    const { events, proxy, refusedDevice } = await setup({ enabled: () => on });
    try {
      await refusedDevice();
      await until(() => events.events('CLS_REFUSED').length === 1, 'refusal entry');
      assert.match(events.events('CLS_REFUSED')[0]?.message ?? '', /disabled/);
      await assert.rejects(proxy.openChannel('inverter-1'), { code: 'SMGW_CLS_UNAVAILABLE' });
      on = true;
    } finally {
      await proxy.close();
    }
  });

  test('GWA jobs: set and delete profiles (logged, persisted); deleting closes the open channel', async () => {
    const { store, events, proxy, connectDevice } = await setup();
    try {
      const handler = createClsJobHandler({ proxy, events });
      await assert.rejects(
        handler({
          jobId: 'j-1',
          type: 'set-cls-profile',
          profile: { id: 'inverter-2', certificatePem: device.certificatePem, emtProfileId: 'aemt-1' },
        }),
        { code: 'SMGW_CLS_BAD_PROFILE' },
        'the same certificate pinned twice is ambiguous',
      );
      assert.deepEqual(
        await handler({
          jobId: 'j-2',
          type: 'set-cls-profile',
          profile: { id: 'other-device', certificatePem: stranger.certificatePem, emtProfileId: 'aemt-1' },
        }),
        { id: 'other-device' },
      );
      assert.equal(events.events('CLS_PROFILE_SET').length, 1);
      assert.deepEqual(
        new ClsProfiles(store)
          .list()
          .map((p) => p.id)
          .sort(),
        ['inverter-1', 'other-device'],
      );

      const dev = await connectDevice();
      const emtSide = await emt.next();
      await until(() => proxy.channels().length === 1, 'channel');
      assert.deepEqual(await handler({ jobId: 'j-3', type: 'delete-cls-profile', id: 'inverter-1' }), {
        id: 'inverter-1',
        deleted: true,
      });
      await closed(dev);
      await closed(emtSide);
      assert.match(events.events('CLS_CHANNEL_CLOSED')[0]?.message ?? '', /profile changed or deleted/);
      await assert.rejects(handler({ jobId: 'j-4', type: 'delete-cls-profile', id: 'inverter-1' }), {
        code: 'SMGW_CLS_NO_PROFILE',
      });
    } finally {
      await proxy.close();
    }
  });
});

describe('CLS profiles in the store state', () => {
  test('damaged entries are skipped (they pin nobody); the rest stays usable', () => {
    const store = new FakeWanStore();
    const dir = tempDir();
    try {
      const d = selfSignedDevice(dir.dir, 'cls-x');
      store.setState(CLS_PROFILES_STATE_KEY, [
        { id: 'good', certificatePem: d.certificatePem, emtProfileId: 'aemt-1' },
        {
          id: 'bad',
          certificatePem: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
          emtProfileId: 'x',
        },
        { id: 'extra', certificatePem: d.certificatePem, emtProfileId: 'x', admin: true },
        'garbage',
      ]);
      const profiles = new ClsProfiles(store);
      assert.deepEqual(
        profiles.list().map((p) => p.id),
        ['good'],
      );
      assert.throws(() => profiles.put({ id: 'bad id!', certificatePem: d.certificatePem, emtProfileId: 'a' }), {
        code: 'SMGW_CLS_BAD_PROFILE',
      });
    } finally {
      dir.cleanup();
    }
  });
});
