/**
 * The SML-over-TLS meter against a test LMN TLS server started here (the gateway side's LMN
 * server profile, the meter's certificate pinned), with keys and certificates of a test PKI.
 * Intervals and the reconnect backoff run on a FakeClock; the sockets are real (127.0.0.1).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { FakeClock, systemClock } from '@opensmgw/core';
import {
  createProfileServer,
  initTestPki,
  lmnServerProfile,
  openEntityModule,
  type ProfileServer,
  type TlsKeyReference,
} from '@opensmgw/security';
import { decodeSmlFile, formatObis, SmlTransportSplitter, valueAsNumber } from '@opensmgw/sml';
import { JsonlSentLog } from '../src/sent-log.js';
import type { SentValue } from '../src/sent-value.js';
import { type SmlMeterConnectionEvent, SmlTlsMeter } from '../src/sml-meter.js';

let dir: string;
let gatewayKey: TlsKeyReference;
let gatewayPem: string;
let meterKey: TlsKeyReference;
let meterPem: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-devices-sml-'));
  const pki = join(dir, 'pki');
  await initTestPki(pki);
  const gw = await openEntityModule(pki, 'gateway', { persist: 'manual' });
  gatewayKey = await gw.tlsKey('lmn-tls');
  await gw.close();
  const meter = await openEntityModule(pki, 'meter-1', { persist: 'manual' });
  meterKey = await meter.tlsKey('lmn-tls');
  await meter.close();
  gatewayPem = readFileSync(join(pki, 'gateway/lmn-tls.crt.pem'), 'utf8');
  meterPem = readFileSync(join(pki, 'meter-1/lmn-tls.crt.pem'), 'utf8');
});
after(() => rmSync(dir, { recursive: true, force: true }));

interface ReceivedValue {
  obis: string;
  value: number;
  scaler: number | undefined;
  unit: number | undefined;
}

/** A test LMN server: decodes every SML file it receives, per connection. */
class LmnServer {
  readonly server: ProfileServer;
  readonly sockets: TLSSocket[] = [];
  readonly files: { resumed: boolean; kinds: string[]; values: ReceivedValue[] }[] = [];
  #waiters: (() => void)[] = [];

  constructor() {
    this.server = createProfileServer(
      lmnServerProfile({
        key: gatewayKey,
        certificates: gatewayPem,
        trust: { kind: 'pinned', certificates: [meterPem] },
        clock: systemClock,
      }),
      {
        onConnection: (socket) => {
          this.sockets.push(socket);
          socket.on('error', () => {});
          const splitter = new SmlTransportSplitter();
          const resumed = socket.isSessionReused();
          socket.on('data', (chunk: Buffer) => {
            for (const ev of splitter.push(new Uint8Array(chunk))) {
              assert.equal(ev.kind, 'frame');
              if (ev.kind !== 'frame') continue;
              const decoded = decodeSmlFile(ev.file);
              assert.equal(decoded.error, undefined);
              const values: ReceivedValue[] = [];
              for (const m of decoded.messages) {
                assert.equal(m.crcOk, true);
                if (m.body.kind !== 'GetListResponse') continue;
                for (const e of m.body.valList) {
                  values.push({
                    obis: Buffer.from(e.objName).toString('hex'),
                    value: Number(valueAsNumber(e.value)),
                    scaler: e.scaler,
                    unit: e.unit,
                  });
                }
              }
              this.files.push({ resumed, kinds: decoded.messages.map((m) => m.body.kind), values });
              this.#notify();
            }
          });
        },
      },
    );
  }

  #notify(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return (this.server.address() as AddressInfo).port;
  }

  /** Resolves once `n` files arrived. */
  async files_(n: number): Promise<void> {
    while (this.files.length < n) await new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

function sentLines(file: string): SentValue[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as SentValue);
}

/** Waits until `predicate` holds, re-checking after each I/O turn (no sleeps). */
async function until(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 20_000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
  assert.ok(predicate(), 'condition not reached');
}

describe('SmlTlsMeter', () => {
  it('pushes one SML file per interval over the LMN TLS profile; the decoded files equal its sent log', async () => {
    const server = new LmnServer();
    const port = await server.listen();
    const clock = new FakeClock(Date.now());
    const log = join(dir, 'sml-sent.jsonl');
    const events: SmlMeterConnectionEvent[] = [];
    const meter = new SmlTlsMeter({
      meterId: 'EMH-0000000001',
      key: meterKey,
      certificatePem: meterPem,
      gatewayCertificatePem: gatewayPem,
      host: '127.0.0.1',
      port,
      intervalSeconds: 5,
      clock,
      seed: 4,
      sentLog: new JsonlSentLog(log),
      count: 3,
      onConnection: (e) => events.push(e),
    });
    meter.start();
    clock.advance(0); // the first reading, sent once connected
    await server.files_(1);
    clock.advance(5000);
    await server.files_(2);
    clock.advance(5000);
    await server.files_(3);
    await meter.done;
    assert.deepEqual(events, [{ kind: 'connected', resumed: false }]);
    assert.equal(server.files.length, 3);
    for (const f of server.files) assert.deepEqual(f.kinds, ['OpenResponse', 'GetListResponse', 'CloseResponse']);
    const sent = sentLines(log);
    assert.equal(sent.length, 6);
    const received = server.files.flatMap((f, i) =>
      f.values.map((v) => ({
        meterId: 'EMH-0000000001',
        obis: v.obis,
        value: String(v.value),
        scaler: v.scaler,
        unit: v.unit === 30 ? 'Wh' : v.unit === 27 ? 'W' : String(v.unit),
        counter: i + 1,
      })),
    );
    assert.deepEqual(
      sent.map(({ sentAt: _, ...rest }) => rest),
      received,
    );
    assert.deepEqual(sent.map((s) => `${formatObis(Buffer.from(s.obis, 'hex'))} ${s.unit} ${s.scaler}`).slice(0, 2), [
      '1-0:1.8.0*255 Wh -1',
      '1-0:16.7.0*255 W 0',
    ]);
    // the energy register grows
    const energy = sent.filter((s) => s.obis === '0100010800ff').map((s) => Number(s.value));
    assert.ok((energy[0] ?? 0) <= (energy[1] ?? 0) && (energy[1] ?? 0) <= (energy[2] ?? 0));
    await server.close();
  });

  it('reconnects after the gateway dropped the connection, with backoff, resuming the TLS session', async () => {
    const server = new LmnServer();
    const port = await server.listen();
    const clock = new FakeClock(Date.now());
    const events: SmlMeterConnectionEvent[] = [];
    const meter = new SmlTlsMeter({
      meterId: 'EMH-0000000002',
      key: meterKey,
      certificatePem: meterPem,
      gatewayCertificatePem: gatewayPem,
      host: '127.0.0.1',
      port,
      intervalSeconds: 3600,
      clock,
      seed: 5,
      onConnection: (e) => events.push(e),
    });
    meter.start();
    clock.advance(0);
    await server.files_(1);
    assert.equal(server.files[0]?.resumed, false);
    // the gateway drops the connection; the meter waits 1 s, then connects again
    server.sockets[0]?.destroy();
    await until(() => events.length === 2);
    assert.equal(events[1]?.kind, 'disconnected');
    assert.equal(events[1]?.kind === 'disconnected' ? events[1].retryInMs : 0, 1000);
    assert.equal(meter.connected, false);
    clock.advance(999);
    await new Promise((r) => setImmediate(r));
    assert.equal(server.sockets.length, 1, 'no reconnect before the backoff');
    clock.advance(1);
    await until(() => events.length === 3);
    assert.deepEqual(events[2], { kind: 'connected', resumed: true });
    clock.advance(3_600_000);
    await server.files_(2);
    assert.equal(server.files[1]?.resumed, true);
    assert.equal(server.sockets[1]?.isSessionReused(), true);
    // at 31 days the LMN session ends (spec notes §3.5): the connection closes and the next
    // one is a full handshake, not a resumption
    clock.advance(31 * 24 * 3_600_000 - 3_600_000 - 1000);
    await until(() => events.length === 4);
    assert.equal(events[3]?.kind, 'disconnected');
    clock.advance(1000);
    await until(() => events.length === 5);
    assert.deepEqual(events[4], { kind: 'connected', resumed: false });
    await meter.stop();
    await server.close();
  });

  it('a gateway with another certificate than the pinned one is refused, and the meter keeps retrying with growing delays', async () => {
    const server = new LmnServer();
    const port = await server.listen();
    const clock = new FakeClock(Date.now());
    const events: SmlMeterConnectionEvent[] = [];
    const meter = new SmlTlsMeter({
      meterId: 'EMH-0000000003',
      key: meterKey,
      certificatePem: meterPem,
      // pins the meter's own certificate: the real gateway is not it
      gatewayCertificatePem: meterPem,
      host: '127.0.0.1',
      port,
      intervalSeconds: 60,
      clock,
      seed: 6,
      onConnection: (e) => events.push(e),
    });
    meter.start();
    await until(() => events.length === 1);
    clock.advance(1000);
    await until(() => events.length === 2);
    clock.advance(2000);
    await until(() => events.length === 3);
    assert.deepEqual(
      events.map((e) => (e.kind === 'disconnected' ? e.retryInMs : -1)),
      [1000, 2000, 4000],
    );
    // OpenSSL itself refuses the unpinned self-signed server certificate (the server, which pins
    // the meter correctly, has accepted the client by then: it sees the connection close)
    for (const e of events) {
      assert.ok(e.kind === 'disconnected' && e.error?.code === 'SMGW_DEV_CONNECT', JSON.stringify(e));
      assert.equal(e.error.detail.reason, 'DEPTH_ZERO_SELF_SIGNED_CERT');
    }
    assert.equal(server.files.length, 0);
    await meter.stop();
    assert.equal(clock.pendingTimers, 0);
    await server.close();
  });
});
