/**
 * The active EMT back-end with the test SM-PKI's emt-1 identity (entityWanServerProfile). The
 * test plays the gateway (WAN client profile with the gateway's SM-PKI TLS certificate) and the
 * device behind it (answers the lines of protocol cls.ts), as the proxy would carry them.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { FakeClock, systemClock } from '@opensmgw/core';
import {
  connectWithProfile,
  initTestPki,
  openEntityModule,
  type TlsClientProfile,
  wanClientProfile,
} from '@opensmgw/security';
import { AemtServer } from '../src/aemt/aemt-server.js';
import { entityWanServerProfile } from '../src/entity-tls.js';

let dir: string;
let server: AemtServer;
let port: number;
let gatewayProfile: TlsClientProfile;
let strangerProfile: TlsClientProfile;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-aemt-'));
  const pki = join(dir, 'pki');
  await initTestPki(pki, { clock: new FakeClock(Date.now() - 60_000) });
  const read = (rel: string): string => readFileSync(join(pki, rel), 'utf8');
  const emt = await openEntityModule(pki, 'emt-1', { persist: 'manual' });
  server = new AemtServer({
    profile: await entityWanServerProfile({
      entity: 'emt-1',
      module: emt,
      readPem: (rel) => readFile(join(pki, rel), 'utf8'),
      clock: systemClock,
    }),
    host: '127.0.0.1',
    port: 0,
  });
  await emt.close();
  ({ port } = await server.listen());
  const trust = {
    kind: 'sm-pki',
    roots: [read('trust/roots.pem')],
    intermediates: [read('subca/ca.crt.pem')],
    crls: [read('trust/crls.pem')],
  } as const;
  const gw = await openEntityModule(pki, 'gateway', { persist: 'manual' });
  gatewayProfile = wanClientProfile({
    key: await gw.tlsKey('wan-tls'),
    certificates: [read('gateway/tls.crt.pem'), read('subca/ca.crt.pem')],
    trust,
    clock: systemClock,
  });
  // Another EMT's SM-PKI certificate: a valid TLS client of the PKI, but not a gateway.
  const other = await openEntityModule(pki, 'emt-2', { persist: 'manual' });
  strangerProfile = wanClientProfile({
    key: await other.tlsKey('wan-tls'),
    certificates: [read('emt-2/tls.crt.pem'), read('subca/ca.crt.pem')],
    trust,
    clock: systemClock,
  });
  await gw.close();
  await other.close();
});

after(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

/** The gateway's side with a device behind it: answers each command with `reply(cmd)`. */
async function gatewayWithDevice(reply: (cmd: { id: string; watts: number }) => unknown): Promise<TLSSocket> {
  const s = await connectWithProfile(gatewayProfile, { host: '127.0.0.1', port, servername: 'emt-1.opensmgw.test' });
  let buf = '';
  s.on('data', (c: Buffer) => {
    buf += c.toString('utf8');
    for (let nl = buf.indexOf('\n'); nl !== -1; nl = buf.indexOf('\n')) {
      const cmd = JSON.parse(buf.slice(0, nl)) as { id: string; watts: number };
      buf = buf.slice(nl + 1);
      const r = reply(cmd);
      if (r !== undefined) s.write(`${JSON.stringify(r)}\n`);
    }
  });
  return s;
}

describe('AemtServer', () => {
  it('sends a power limit through a channel and resolves with the acknowledgement', async () => {
    const gw = await gatewayWithDevice((c) => ({ type: 'ack', id: c.id, watts: c.watts }));
    try {
      const channel = await server.nextChannel();
      assert.equal(channel.gatewayId, 'EOSM0100000001');
      assert.deepEqual(await channel.setPowerLimit(2500, { id: 'l1' }), { type: 'ack', id: 'l1', watts: 2500 });
      const acks = await Promise.all([channel.setPowerLimit(1), channel.setPowerLimit(2), channel.setPowerLimit(3)]);
      assert.deepEqual(
        acks.map((a) => (a.type === 'ack' ? a.watts : -1)),
        [1, 2, 3],
      );
      await assert.rejects(channel.setPowerLimit(-1), { code: 'SMGW_AEMT_BAD_ARGUMENT' });
    } finally {
      gw.destroy();
    }
  });

  it("rejects on the device's error answer and when the channel closes before an answer", async () => {
    let silent = false;
    const gw = await gatewayWithDevice((c) =>
      silent ? undefined : { type: 'error', id: c.id, code: 'ABOVE_RATED', message: 'no' },
    );
    const channel = await server.nextChannel();
    await assert.rejects(channel.setPowerLimit(99_999, { id: 'e1' }), { code: 'SMGW_AEMT_REFUSED' });
    silent = true;
    const pending = channel.setPowerLimit(5, { id: 'e2' });
    gw.destroy();
    await assert.rejects(pending, { code: 'SMGW_AEMT_NO_ANSWER' });
    assert.equal(channel.closed, true);
  });

  it('ignores garbage and unsolicited lines; a too-long line closes the channel', async () => {
    const gw = await gatewayWithDevice((c) => ({ type: 'ack', id: c.id, watts: c.watts }));
    const channel = await server.nextChannel();
    gw.write('garbage\n{"type":"ack","id":"nobody-asked","watts":1}\n');
    assert.deepEqual(await channel.setPowerLimit(7, { id: 'g1' }), { type: 'ack', id: 'g1', watts: 7 });
    assert.deepEqual(channel.unsolicited, [{ type: 'ack', id: 'nobody-asked', watts: 1 }]);
    const closed = new Promise<void>((r) => gw.once('close', () => r()));
    gw.write('y'.repeat(10_000));
    await closed;
  });

  it('a TLS client that is not a gateway of the SM-PKI gets no channel', async () => {
    const before = server.channels().length;
    const outcome = await connectWithProfile(strangerProfile, {
      host: '127.0.0.1',
      port,
      servername: 'emt-1.opensmgw.test',
    }).then(
      (s) =>
        new Promise<string>((resolve) => {
          s.on('error', () => {});
          s.once('close', () => resolve('closed'));
        }),
      () => 'refused',
    );
    assert.ok(['closed', 'refused'].includes(outcome));
    assert.equal(server.channels().length, before);
  });
});
