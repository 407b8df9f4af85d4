import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { fromHex } from '@opensmgw/core';
import { decodeTelegram } from '@opensmgw/wmbus';
import fc from 'fast-check';
import { DevicesError } from '../src/errors.js';
import { radioTarget, UdpRadioSender } from '../src/radio.js';
import { WmbusMeterSimulator } from '../src/wmbus-meter.js';

describe('radioTarget', () => {
  it('parses udp://HOST:PORT', () => {
    assert.deepEqual(radioTarget('udp://127.0.0.1:9460'), { host: '127.0.0.1', port: 9460 });
    assert.deepEqual(radioTarget('udp://localhost:1'), { host: 'localhost', port: 1 });
    assert.deepEqual(radioTarget('udp://[::1]:9460'), { host: '::1', port: 9460 });
  });

  it('refuses anything else with SMGW_DEV_BAD_TARGET', () => {
    for (const bad of [
      '127.0.0.1:9460',
      'tcp://127.0.0.1:9460',
      'udp://127.0.0.1',
      'udp://127.0.0.1:0',
      'udp://127.0.0.1:65536',
      'udp://[zz]:1',
      'udp://a b:1',
      '',
    ]) {
      assert.throws(
        () => radioTarget(bad),
        (e: unknown) => e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_TARGET',
        bad,
      );
    }
    fc.assert(
      fc.property(fc.string(), (s) => {
        try {
          const t = radioTarget(s);
          assert.ok(t.port >= 1 && t.port <= 65535);
        } catch (e) {
          assert.ok(e instanceof DevicesError && e.code === 'SMGW_DEV_BAD_TARGET');
        }
      }),
    );
  });
});

describe('UdpRadioSender', () => {
  it('sends one frame per datagram; the receiver decodes each', async () => {
    const receiver = createSocket('udp4');
    receiver.bind(0, '127.0.0.1');
    await once(receiver, 'listening');
    const port = (receiver.address() as AddressInfo).port;
    const got: Buffer[] = [];
    const three = new Promise<void>((resolve) => {
      receiver.on('message', (m: Buffer) => {
        got.push(m);
        if (got.length === 3) resolve();
      });
    });
    const sender = new UdpRadioSender(radioTarget(`udp://127.0.0.1:${port}`));
    const meter = new WmbusMeterSimulator({
      manufacturer: 'KAM',
      serial: '87654321',
      medium: 'heat',
      keyHex: '00112233445566778899AABBCCDDEEFF',
      intervalSeconds: 60,
      seed: 3,
    });
    const frames = [0, 1, 2].map((i) => meter.telegram(Date.UTC(2026, 0, 1) + i * 60_000).frame);
    for (const f of frames) await sender.send(f);
    await three;
    await sender.close();
    receiver.close();
    assert.deepEqual(
      got.map((b) => b.toString('hex')),
      frames.map((f) => Buffer.from(f).toString('hex')),
    );
    const counters = got.map(
      (b) => decodeTelegram(new Uint8Array(b), { key: fromHex('00112233445566778899AABBCCDDEEFF') }).afl?.counter,
    );
    assert.deepEqual(counters, [1, 2, 3]);
  });

  it('refuses empty or oversized frames and sends after close', async () => {
    const sender = new UdpRadioSender({ host: '127.0.0.1', port: 9 });
    await assert.rejects(sender.send(new Uint8Array(0)), (e: unknown) => e instanceof DevicesError);
    await assert.rejects(sender.send(new Uint8Array(400)), (e: unknown) => e instanceof DevicesError);
    await sender.close();
    await assert.rejects(
      sender.send(new Uint8Array(20)),
      (e: unknown) => e instanceof DevicesError && e.code === 'SMGW_DEV_IO',
    );
  });
});
