/**
 * The simulated CLS device (PV inverter) against a stand-in for the gateway's side of the
 * channel: a HAN TLS server (HKS3) or client (HKS4) with the test PKI's gateway HAN key, the
 * device's self-signed certificate (made with openssl) pinned. Lines of protocol cls.ts.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { systemClock } from '@opensmgw/core';
import {
  connectWithProfile,
  createProfileServer,
  hanClientProfile,
  hanServerProfile,
  initTestPki,
  openEntityModule,
  type TlsKeyReference,
} from '@opensmgw/security';
import { ClsDevice } from '../src/cls-device.js';

let dir: string;
let gatewayKey: TlsKeyReference;
let gatewayPem: string;
let consumerKey: TlsKeyReference;
let consumerPem: string;
let deviceKey: TlsKeyReference;
let devicePem: string;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-devices-cls-'));
  const pki = join(dir, 'pki');
  await initTestPki(pki);
  const gw = await openEntityModule(pki, 'gateway', { persist: 'manual' });
  gatewayKey = await gw.tlsKey('han-tls');
  await gw.close();
  gatewayPem = readFileSync(join(pki, 'gateway/han-tls.crt.pem'), 'utf8');
  const consumer = await openEntityModule(pki, 'consumer-1', { persist: 'manual' });
  consumerKey = await consumer.tlsKey('han-tls');
  await consumer.close();
  consumerPem = readFileSync(join(pki, 'consumer-1/han-tls.crt.pem'), 'utf8');
  // A CLS device's own self-signed HAN certificate (both TLS directions: HKS3 and HKS4).
  execFileSync('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:brainpoolP256r1',
    '-nodes',
    '-keyout',
    join(dir, 'dev.key'),
    '-out',
    join(dir, 'dev.crt'),
    '-subj',
    '/C=DE/CN=pv-inverter-1',
    '-days',
    '2',
    '-addext',
    'extendedKeyUsage=serverAuth,clientAuth',
  ]);
  deviceKey = { kind: 'pem', pem: readFileSync(join(dir, 'dev.key'), 'utf8') };
  devicePem = readFileSync(join(dir, 'dev.crt'), 'utf8');
});

after(() => rmSync(dir, { recursive: true, force: true }));

function makeDevice(onCommand?: ConstructorParameters<typeof ClsDevice>[0]['onCommand']): ClsDevice {
  return new ClsDevice({
    key: deviceKey,
    certificatePem: devicePem,
    gatewayCertificatePem: gatewayPem,
    clock: systemClock,
    ratedWatts: 8000,
    ...(onCommand === undefined ? {} : { onCommand }),
  });
}

/** Sends lines and collects the same number of answer lines. */
function exchange(s: TLSSocket, lines: string[], expect = lines.length): Promise<unknown[]> {
  return new Promise((resolve, reject) => {
    let buf = '';
    const out: unknown[] = [];
    s.on('data', (c: Buffer) => {
      buf += c.toString('utf8');
      for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
        out.push(JSON.parse(buf.slice(0, nl)));
        buf = buf.slice(nl + 1);
        if (out.length === expect) resolve(out);
      }
    });
    s.once('close', () => reject(new Error(`closed after ${out.length} answers`)));
    s.write(lines.join(''));
  });
}

describe('ClsDevice', () => {
  it('HKS3: connects to the gateway CLS port, applies the power limit and acknowledges it', async () => {
    let gatewaySide: TLSSocket | undefined;
    const server = createProfileServer(
      hanServerProfile({
        key: gatewayKey,
        certificates: gatewayPem,
        trust: { kind: 'pinned', certificates: [devicePem] },
        clock: systemClock,
      }),
      {
        onConnection: (s) => {
          gatewaySide = s;
        },
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const seen: string[] = [];
    const device = makeDevice((c, a) => seen.push(`${c.type}->${a.type}`));
    try {
      assert.equal(device.powerLimitWatts, 8000);
      await device.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      while (gatewaySide === undefined) await new Promise((r) => setTimeout(r, 5));
      const answers = await exchange(gatewaySide, [
        `${JSON.stringify({ type: 'set-power-limit', id: 'a', watts: 3000 })}\n`,
        'not json\n',
        `${JSON.stringify({ type: 'set-power-limit', id: 'b', watts: 9000 })}\n`,
        `${JSON.stringify({ type: 'ack', id: 'c', watts: 1 })}\n`,
      ]);
      assert.deepEqual(answers, [
        { type: 'ack', id: 'a', watts: 3000 },
        { type: 'error', id: 'invalid', code: 'BAD_MESSAGE', message: 'not a CLS message' },
        { type: 'error', id: 'b', code: 'ABOVE_RATED', message: 'limit above rated power 8000 W' },
        { type: 'error', id: 'c', code: 'UNSUPPORTED', message: 'cannot do ack' },
      ]);
      assert.equal(device.powerLimitWatts, 3000, 'the refused limit changed nothing');
      assert.deepEqual(seen, ['set-power-limit->ack', 'set-power-limit->error', 'ack->error']);
    } finally {
      await device.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('closes the channel on a line longer than the protocol allows', async () => {
    let gatewaySide: TLSSocket | undefined;
    const server = createProfileServer(
      hanServerProfile({
        key: gatewayKey,
        certificates: gatewayPem,
        trust: { kind: 'pinned', certificates: [devicePem] },
        clock: systemClock,
      }),
      { onConnection: (s) => (gatewaySide = s) },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const device = makeDevice();
    try {
      await device.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port });
      while (gatewaySide === undefined) await new Promise((r) => setTimeout(r, 5));
      const s = gatewaySide;
      const closed = new Promise<void>((r) => s.once('close', () => r()));
      s.on('error', () => {});
      s.write('x'.repeat(10_000));
      await closed;
      assert.equal(device.powerLimitWatts, 8000);
    } finally {
      await device.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('refuses a gateway whose certificate is not the pinned one', async () => {
    const server = createProfileServer(
      hanServerProfile({
        key: consumerKey,
        certificates: consumerPem,
        trust: { kind: 'pinned', certificates: [devicePem] },
        clock: systemClock,
      }),
    );
    server.on('tlsClientError', () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const device = makeDevice();
    try {
      await assert.rejects(device.connect({ host: '127.0.0.1', port: (server.address() as AddressInfo).port }), {
        code: 'SMGW_DEV_CONNECT',
      });
    } finally {
      await device.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });

  it('HKS4: accepts the gateway (pinned) and answers in the channel; other peers are refused', async () => {
    const device = makeDevice();
    const { port } = await device.listen('127.0.0.1', 0);
    try {
      const gateway = await connectWithProfile(
        hanClientProfile({
          key: gatewayKey,
          certificates: gatewayPem,
          trust: { kind: 'pinned', certificates: [devicePem] },
          clock: systemClock,
        }),
        { host: '127.0.0.1', port },
      );
      assert.deepEqual(
        await exchange(gateway, [`${JSON.stringify({ type: 'set-power-limit', id: 'x1', watts: 0 })}\n`]),
        [{ type: 'ack', id: 'x1', watts: 0 }],
      );
      assert.equal(device.powerLimitWatts, 0);
      gateway.destroy();

      // A HAN client with another certificate (a consumer's) gets no channel to the device.
      const intruder = connectWithProfile(
        hanClientProfile({
          key: consumerKey,
          certificates: consumerPem,
          trust: { kind: 'pinned', certificates: [devicePem] },
          clock: systemClock,
        }),
        { host: '127.0.0.1', port },
      ).then(
        (s) =>
          new Promise<string>((resolve) => {
            s.on('error', () => {});
            s.once('close', () => resolve('closed'));
            s.write(`${JSON.stringify({ type: 'set-power-limit', id: 'evil', watts: 5 })}\n`);
          }),
        () => 'refused',
      );
      assert.ok(['closed', 'refused'].includes(await intruder));
      assert.equal(device.powerLimitWatts, 0, 'the intruder changed nothing');
    } finally {
      await device.close();
    }
  });
});
