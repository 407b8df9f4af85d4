#!/usr/bin/env node
// Round-trip latency through the CLS proxy on loopback (issue 5 "Done when": goal < 1 s), with
// the real parts: the simulated PV inverter (devices ClsDevice), the gateway's ClsProxy (a real
// SQLite store and the rate-limited event log) and the active EMT back-end (headend AemtServer),
// certificates of a test SM-PKI made by initTestPki in a temp directory, the device's
// self-signed HAN certificate made with openssl (brainpoolP256r1).
//
//   node --conditions=development --import tsx bench/cls-latency.mjs [--commands 200] [--setups 20]
//
// (Runs the sources through tsx: the gateway does not export ClsProxy from its package index
// yet. Once it does, `npm run build` and plain `node bench/cls-latency.mjs` work too.)
//
// Rows:
//   proxied command (HKS3)   one channel the device opened; the aEMT sends `--commands`
//                            set-power-limit lines one after another, each timed from the write
//                            to its ack: aEMT -> WAN TLS -> gateway -> HAN TLS -> device and back
//                            (two TLS terminations, two decrypt/encrypt per direction)
//   proxied command (HKS4)   the same on a channel the gateway opened to both ends (openChannel)
//   direct command           reference in the same run: the same commands over ONE HAN TLS hop
//                            (a client with the gateway's HAN identity straight to the device,
//                            no proxy), so "proxied - direct" is the proxy's cost
//   channel set-up (HKS3)    device connect() until the aEMT has the channel: HAN handshake,
//                            profile lookup, WAN handshake with SM-PKI path and CRL checks,
//                            `--setups` times, sequentially
//   channel set-up (HKS4)    openChannel() until it resolves: both handshakes in parallel
// Each row: median, p95, max and mean in ms. Prints the table and writes
// bench/results/cls-latency.json.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FakeClock, systemClock } from '@opensmgw/core';
import { ClsDevice } from '@opensmgw/devices';
import * as gateway from '@opensmgw/gateway';
import { AemtServer } from '@opensmgw/headend';
import {
  connectWithProfile,
  hanClientProfile,
  initTestPki,
  openEntityModule,
  wanServerProfile,
} from '@opensmgw/security';

const { values: args } = parseArgs({
  options: { commands: { type: 'string', default: '200' }, setups: { type: 'string', default: '20' } },
});
const COMMANDS = Number(args.commands);
const SETUPS = Number(args.setups);
const here = dirname(fileURLToPath(import.meta.url));
const ClsProxy = gateway.ClsProxy ?? (await import('../packages/gateway/src/han/cls-index.ts')).ClsProxy;

const dir = mkdtempSync(join(tmpdir(), 'smgw-bench-cls-'));
const closers = [];
try {
  // ---- PKI, identities ----
  const pki = join(dir, 'pki');
  await initTestPki(pki, { clock: new FakeClock(Date.now() - 60_000) });
  const read = (rel) => readFileSync(join(pki, rel), 'utf8');
  const gwModule = await openEntityModule(pki, 'gateway', { persist: 'manual' });
  closers.push(() => gwModule.close());
  const hanKey = await gwModule.tlsKey('han-tls');
  const hanPem = read('gateway/han-tls.crt.pem');
  const wanKey = await gwModule.tlsKey('wan-tls');
  const wanCerts = [read('gateway/tls.crt.pem'), read('subca/ca.crt.pem')];
  const trust = {
    kind: 'sm-pki',
    roots: [read('trust/roots.pem')],
    intermediates: [read('subca/ca.crt.pem')],
    crls: [read('trust/crls.pem')],
  };
  execFileSync(
    'openssl',
    [
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
    ],
    { stdio: 'ignore' },
  );
  const deviceKey = { kind: 'pem', pem: readFileSync(join(dir, 'dev.key'), 'utf8') };
  const devicePem = readFileSync(join(dir, 'dev.crt'), 'utf8');

  // ---- active EMT ----
  const emtModule = await openEntityModule(pki, 'emt-1', { persist: 'manual' });
  const aemt = new AemtServer({
    profile: wanServerProfile({
      key: await emtModule.tlsKey('wan-tls'),
      certificates: [read('emt-1/tls.crt.pem'), read('subca/ca.crt.pem')],
      trust,
      clock: systemClock,
    }),
    host: '127.0.0.1',
    port: 0,
  });
  await emtModule.close();
  const { port: emtPort } = await aemt.listen();
  closers.push(() => aemt.close());

  // ---- gateway: store, log, proxy ----
  const store = gateway.openGatewayStore(join(dir, 'gateway.sqlite'));
  closers.push(() => store.close());
  const events = new gateway.RateLimitedEventLog({ store, clock: systemClock });
  store.putCommunicationProfile({
    id: 'aemt-1',
    url: `https://127.0.0.1:${emtPort}`,
    servername: 'emt-1.opensmgw.test',
    tlsCertificatePem: read('emt-1/tls.crt.pem'),
    encryptionCertificatePem: read('emt-1/enc.crt.pem'),
    retry: { initialDelayMs: 1000, maxDelayMs: 60_000 },
  });
  const proxy = new ClsProxy({
    store,
    events,
    clock: systemClock,
    hanKey,
    hanCertificatePem: hanPem,
    wanTls: () => ({ key: wanKey, certificatesPem: wanCerts }),
    wanTrust: trust,
    host: '127.0.0.1',
    port: 0,
    flow: new gateway.FlowControl({ events }),
  });
  const { port: clsPort } = await proxy.listen();
  closers.unshift(() => proxy.close());

  // ---- the device: listens for HKS4, connects for HKS3 ----
  const device = new ClsDevice({
    key: deviceKey,
    certificatePem: devicePem,
    gatewayCertificatePem: hanPem,
    clock: systemClock,
  });
  const { port: devicePort } = await device.listen('127.0.0.1', 0);
  closers.unshift(() => device.close());
  proxy.profiles.put({
    id: 'pv-1',
    certificatePem: devicePem,
    emtProfileId: 'aemt-1',
    deviceEndpoint: `127.0.0.1:${devicePort}`,
  });
  proxy.reload();

  const results = {};
  const time = async (fn) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const commandsOn = async (channel, tag) => {
    for (let i = 0; i < 10; i++) await channel.setPowerLimit(1000 + i, { id: `${tag}-warm-${i}` });
    const ms = [];
    for (let i = 0; i < COMMANDS; i++) {
      const watts = (i * 37) % 8000;
      ms.push(
        await time(async () => {
          const ack = await channel.setPowerLimit(watts, { id: `${tag}-${i}` });
          if (ack.type !== 'ack' || ack.watts !== watts) throw new Error(`wrong answer ${JSON.stringify(ack)}`);
        }),
      );
    }
    if (device.powerLimitWatts !== ((COMMANDS - 1) * 37) % 8000) throw new Error('the device did not apply the limit');
    return ms;
  };

  // HKS3: the device opens the channel.
  {
    const setups = [];
    let last;
    for (let i = 0; i < SETUPS; i++) {
      if (last !== undefined) last.socket.destroy();
      let channel;
      const ms = await time(async () => {
        const socket = await device.connect({ host: '127.0.0.1', port: clsPort });
        channel = await aemt.nextChannel();
        last = { socket, channel };
      });
      setups.push(ms);
    }
    results['channel set-up (HKS3)'] = stats(setups);
    results['proxied command (HKS3)'] = stats(await commandsOn(last.channel, 'h3'));
    last.socket.destroy();
    await waitFor(() => proxy.channels().length === 0);
  }

  // HKS4: the gateway opens the channel (the GWA's open-cls-channel job).
  {
    const setups = [];
    let channel;
    for (let i = 0; i < SETUPS; i++) {
      if (channel !== undefined) channel.close();
      await waitFor(() => proxy.channels().length === 0);
      const next = aemt.nextChannel();
      setups.push(await time(() => proxy.openChannel('pv-1')));
      channel = await next;
    }
    results['channel set-up (HKS4)'] = stats(setups);
    results['proxied command (HKS4)'] = stats(await commandsOn(channel, 'h4'));
    channel.close();
  }

  // Reference: one HAN TLS hop straight to the device, no proxy.
  {
    const socket = await connectWithProfile(
      hanClientProfile({
        key: hanKey,
        certificates: hanPem,
        trust: { kind: 'pinned', certificates: [devicePem] },
        clock: systemClock,
      }),
      { host: '127.0.0.1', port: devicePort },
    );
    let buf = '';
    let waiting;
    socket.on('data', (c) => {
      buf += c.toString('utf8');
      const nl = buf.indexOf('\n');
      if (nl !== -1 && waiting !== undefined) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        const w = waiting;
        waiting = undefined;
        w(JSON.parse(line));
      }
    });
    const direct = {
      setPowerLimit: (watts, { id }) =>
        new Promise((resolve) => {
          waiting = resolve;
          socket.write(`${JSON.stringify({ type: 'set-power-limit', id, watts })}\n`);
        }),
    };
    results['direct command (reference)'] = stats(await commandsOn(direct, 'd'));
    socket.destroy();
  }

  const log = store.readLog('system', 1, 1500).map((e) => e.event);
  const rows = Object.entries(results).map(([name, r]) => [name, r.n, r.median, r.p95, r.max, r.mean]);
  printTable(['row', 'n', 'median ms', 'p95 ms', 'max ms', 'mean ms'], rows);
  const goal = Math.max(results['proxied command (HKS3)'].p95, results['proxied command (HKS4)'].p95) < 1000;
  console.log(
    `\ngoal "round trip < 1 s on loopback": ${goal ? 'met' : 'MISSED'} (p95 of proxied commands); ` +
      `system log: ${log.filter((e) => e === 'CLS_CHANNEL_OPENED').length} CLS_CHANNEL_OPENED, ` +
      `${log.filter((e) => e === 'CLS_CHANNEL_CLOSED').length} CLS_CHANNEL_CLOSED entries ` +
      `for ${2 * SETUPS} channels (the rate-limited event log summarises beyond its burst)`,
  );
  mkdirSync(join(here, 'results'), { recursive: true });
  writeFileSync(
    join(here, 'results', 'cls-latency.json'),
    `${JSON.stringify(
      {
        date: new Date().toISOString(),
        node: process.version,
        cpus: cpus().length,
        cpuModel: cpus()[0]?.model,
        commands: COMMANDS,
        setups: SETUPS,
        goalMet: goal,
        results,
      },
      null,
      2,
    )}\n`,
  );
  if (!goal) process.exitCode = 1;
} finally {
  for (const c of closers) await c();
  rmSync(dir, { recursive: true, force: true });
}

function stats(ms) {
  const s = [...ms].sort((a, b) => a - b);
  const at = (q) => s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
  const r = (x) => Math.round(x * 1000) / 1000;
  return {
    n: s.length,
    median: r(at(0.5)),
    p95: r(at(0.95)),
    max: r(s[s.length - 1]),
    mean: r(s.reduce((a, b) => a + b, 0) / s.length),
  };
}

async function waitFor(cond) {
  const end = Date.now() + 5000;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 2));
  }
}

function printTable(head, rows) {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  for (const [i, r] of cells.entries()) {
    console.log(r.map((c, j) => (j === 0 ? c.padEnd(widths[j]) : c.padStart(widths[j]))).join('  '));
    if (i === 0) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}
