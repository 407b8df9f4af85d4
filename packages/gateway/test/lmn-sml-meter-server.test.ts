import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { connect, type TLSSocket } from 'node:tls';
import { FakeClock } from '@opensmgw/core';
import { connectWithProfile, lmnClientProfile } from '@opensmgw/security';
import { encodeMeterReading } from '@opensmgw/sml';
import { SmlMeterServer } from '../src/lmn/sml-meter-server.js';
import { FakeEventLog, FakeStore } from './fixtures/lmn-fakes.js';
import { type LmnTestPki, lmnTestPki, smlProfile } from './fixtures/lmn-tls-pki.js';

const SERVER_ID = Uint8Array.of(0x0a, 0x01, 0x45, 0x4d, 0x48, 0x00, 0x00, 0x00, 0x00, 0x01);
const A_PLUS = '0100010800ff';
const POWER = '0100100700ff';
const VAL_TIME = 1_795_000_000; // seconds since 1970

/** Polls a condition on the event loop (no fixed sleeps): I/O completes in its own time. */
async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

function closed(socket: TLSSocket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) resolve();
    else socket.once('close', () => resolve());
  });
}

function reading(fileId: number, energyRaw: bigint) {
  return encodeMeterReading({
    serverId: SERVER_ID,
    fileId,
    values: [
      { obis: '1-0:1.8.0*255', value: energyRaw, unit: 'Wh', scaler: -1 },
      {
        obis: '1-0:16.7.0*255',
        value: -250,
        unit: 'W',
        scaler: 0,
        valTime: { type: 'timestamp', timestamp: VAL_TIME },
      },
      { obis: '1-0:2.8.0*255', value: 5, unit: 'Wh', scaler: 0 }, // not a channel of the profile
      { obis: '1-0:0.0.9*255', value: 'serial', unit: 255 }, // not a number
    ],
  });
}

describe('lmn/sml-meter-server', () => {
  let pki: LmnTestPki;
  let clock: FakeClock;
  let store: FakeStore;
  let events: FakeEventLog;
  let server: SmlMeterServer;
  let port: number;

  const meterClient = () =>
    lmnClientProfile({
      key: pki.meter.key,
      certificates: pki.meter.certificatePem,
      trust: { kind: 'pinned', certificates: [pki.gateway.certificatePem] },
      clock,
    });
  const refusedEvents = () => events.named('LMN_TLS_REFUSED');

  before(async () => {
    pki = await lmnTestPki();
    // After the PKI: its certificates are valid from their issue time (to the second), which
    // the peer check compares with this clock.
    clock = new FakeClock(Date.now() + 1000);
    store = new FakeStore();
    events = new FakeEventLog();
    server = new SmlMeterServer({
      store: store.asStore(),
      events,
      clock,
      key: pki.gateway.key,
      certificatePem: pki.gateway.certificatePem,
      host: '127.0.0.1',
      port: 0,
      statusWord: () => 0x0200,
    });
    port = (await server.listen()).port;
  });

  after(async () => {
    await server.close();
    await pki.cleanup();
  });

  it('with no meter pinned, meter-1 is refused with an event; pinned by updateMeters, its next handshake is accepted', async () => {
    const before = refusedEvents().length;
    await assert.rejects(async () => {
      const s = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
      await closed(s);
      throw new Error('closed by the server');
    });
    await until('refusal event', () => refusedEvents().length > before);

    server.updateMeters([smlProfile('EMH-0000000001', pki.meter.certificatePem, [A_PLUS, POWER])]);
    const s = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
    await until('connection registered', () => server.connectionCount === 1);
    s.destroy();
    await until('connection gone', () => server.connectionCount === 0);
  });

  it('a pinned meter pushes SML (in pieces); the channel values land in the store exactly', async () => {
    const s = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
    const first = reading(1, 123_456_789_012_345n);
    s.write(first.subarray(0, 7));
    s.write(first.subarray(7, 50));
    s.write(first.subarray(50));
    s.write(reading(2, 123_456_789_012_350n));
    await until('readings', () => store.readings.length === 4);
    const got = store.readings.map((r) => ({
      meterId: r.meterId,
      obis: r.obis,
      value: r.value,
      scaler: r.scaler,
      unit: r.unit,
      security: r.security,
      smgwStatus: r.smgwStatus,
    }));
    const base = { meterId: 'EMH-0000000001', security: 'tls', smgwStatus: 0x0200 };
    assert.deepEqual(got, [
      { ...base, obis: A_PLUS, value: '123456789012345', scaler: -1, unit: 'Wh' },
      { ...base, obis: POWER, value: '-250', scaler: 0, unit: 'W' },
      { ...base, obis: A_PLUS, value: '123456789012350', scaler: -1, unit: 'Wh' },
      { ...base, obis: POWER, value: '-250', scaler: 0, unit: 'W' },
    ]);
    assert.equal(store.readings[0]?.captureTimeMs, clock.now(), 'no valTime: receive time');
    assert.equal(store.readings[1]?.captureTimeMs, VAL_TIME * 1000, 'absolute valTime');
    assert.equal(store.meterCounter('EMH-0000000001'), undefined, 'SML over TLS has no counter');
    s.destroy();
    await until('connection gone', () => server.connectionCount === 0);
  });

  it('garbage in the stream drops the connection with an event; nothing is stored', async () => {
    const n = store.readings.length;
    const s = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
    s.on('error', () => {});
    s.write(Buffer.from('GET / HTTP/1.1\r\n\r\n'));
    await closed(s);
    await until('event', () => events.named('LMN_MALFORMED').length === 1);
    assert.equal(events.named('LMN_MALFORMED')[0]?.subject, 'EMH-0000000001');
    assert.equal(store.readings.length, n);

    // an oversize frame (bounded buffer): a start sequence and then 100 KiB of data
    const s2 = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
    s2.on('error', () => {});
    s2.write(Uint8Array.of(0x1b, 0x1b, 0x1b, 0x1b, 1, 1, 1, 1));
    s2.write(new Uint8Array(100 * 1024).fill(0x76));
    await closed(s2);
    await until('event', () => events.named('LMN_MALFORMED').length === 2);
    assert.equal(store.readings.length, n);
  });

  it('an unpinned certificate is refused with LMN_TLS_REFUSED', async () => {
    const before = refusedEvents().length;
    const stranger = lmnClientProfile({
      key: pki.stranger.key,
      certificates: pki.stranger.certificatePem,
      trust: { kind: 'pinned', certificates: [pki.gateway.certificatePem] },
      clock,
    });
    await assert.rejects(async () => {
      const s = await connectWithProfile(stranger, { host: '127.0.0.1', port });
      await closed(s);
      throw new Error('closed by the server');
    });
    await until('refusal event', () => refusedEvents().length > before);
    assert.equal(refusedEvents().at(-1)?.subject, '127.0.0.1');
  });

  it('a TLS 1.1 client and a client with a suite outside the profile are refused with the reason', async () => {
    const attempt = (extra: Record<string, unknown>) =>
      new Promise<Error>((resolve) => {
        const s = connect({
          ...meterClient().options,
          host: '127.0.0.1',
          port,
          ...extra,
        });
        s.once('secureConnect', () => {
          s.destroy();
          resolve(new Error('accepted'));
        });
        s.once('error', resolve);
      });
    let before = refusedEvents().length;
    const e = await attempt({
      minVersion: 'TLSv1.1',
      maxVersion: 'TLSv1.1',
      ciphers: 'ECDHE-ECDSA-AES128-SHA@SECLEVEL=0',
    });
    assert.notEqual(e.message, 'accepted');
    await until('TLS 1.1 event', () => refusedEvents().length > before);
    assert.match(refusedEvents().at(-1)?.message ?? '', /UNSUPPORTED_PROTOCOL/);

    before = refusedEvents().length;
    const e2 = await attempt({ ciphers: 'ECDHE-ECDSA-AES128-SHA' });
    assert.notEqual(e2.message, 'accepted');
    await until('suite event', () => refusedEvents().length > before);
    assert.match(refusedEvents().at(-1)?.message ?? '', /NO_SHARED_CIPHER/);
  });

  it("removing the meter's profile closes its open connection; a new handshake is refused", async () => {
    const s = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
    s.on('error', () => {});
    await until('connection registered', () => server.connectionCount === 1);
    server.updateMeters([smlProfile('EMH-0000000001', pki.meter.certificatePem, [A_PLUS], false)]);
    await closed(s);
    assert.equal(events.named('LMN_METER_REMOVED')[0]?.subject, 'EMH-0000000001');
    const before = refusedEvents().length;
    await assert.rejects(async () => {
      const again = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
      again.on('error', () => {});
      await closed(again);
      throw new Error('closed by the server');
    });
    await until('refusal event', () => refusedEvents().length > before);
  });

  it('the LMN session policy closes a session at 31 days (FakeClock, no sleeps)', async () => {
    server.updateMeters([smlProfile('EMH-0000000001', pki.meter.certificatePem, [A_PLUS])]);
    const s = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
    s.on('error', () => {});
    await until('connection registered', () => server.connectionCount === 1);
    clock.advance(31 * 86_400_000 - 1);
    assert.equal(s.destroyed, false);
    clock.advance(1);
    await closed(s);
    await until('connection gone', () => server.connectionCount === 0);
  });

  it('a resumed session is accepted while the meter is pinned, refused once its profile is gone', async () => {
    server.updateMeters([smlProfile('EMH-0000000001', pki.meter.certificatePem, [A_PLUS])]);
    const first = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
    const session = await new Promise<Buffer>((resolve) => {
      const saved = first.getSession();
      if (saved !== undefined) resolve(saved);
      else first.once('session', resolve);
    });
    await until('connection registered', () => server.connectionCount === 1);
    first.destroy();
    await until('connection gone', () => server.connectionCount === 0);

    const resumed = await connectWithProfile(meterClient(), { host: '127.0.0.1', port, session });
    assert.equal(resumed.isSessionReused(), true);
    await until('resumed connection registered', () => server.connectionCount === 1);
    resumed.destroy();
    await until('connection gone', () => server.connectionCount === 0);

    server.updateMeters([]);
    const before = refusedEvents().length;
    const late = await connectWithProfile(meterClient(), { host: '127.0.0.1', port, session }).catch((e: Error) => e);
    if (!(late instanceof Error)) {
      late.on('error', () => {});
      await closed(late);
    }
    await until('refusal event', () => refusedEvents().length > before);
    assert.equal(server.connectionCount, 0);
  });

  it("applies the sml package's meter quirks (DZG DVS74 power sent as a negative Integer16)", async () => {
    server.updateMeters([smlProfile('DZG-43000000', pki.meter.certificatePem, [POWER])]);
    const n = store.readings.length;
    const s = await connectWithProfile(meterClient(), { host: '127.0.0.1', port });
    const dzg = Uint8Array.of(0x0a, 0x01, 0x44, 0x5a, 0x47, 0x00, 0x02, 0x90, 0x27, 0xc0); // serial 43,001,792
    s.write(
      encodeMeterReading({
        serverId: dzg,
        values: [{ obis: '1-0:16.7.0*255', value: { type: 'int', size: 2, value: -25_536n }, unit: 'W', scaler: 0 }],
      }),
    );
    await until('reading', () => store.readings.length === n + 1);
    assert.equal(store.readings.at(-1)?.meterId, 'DZG-43000000');
    assert.equal(store.readings.at(-1)?.value, '40000');
    s.destroy();
  });
});
