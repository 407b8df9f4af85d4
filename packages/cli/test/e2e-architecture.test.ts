/**
 * The whole architecture as real processes (issue 4, "Done when"): EMT, GWA, gateway and meters
 * are `smgw` processes talking over loopback with real TLS, SQLite and the test SM-PKI. The test
 * drives them as an operator and an attacker would, and checks the outcome in the stores:
 *  - the EMT holds verified, decrypted containers with exactly the values the meters sent;
 *  - the gateway refused, each with a system-log entry: a meter with a wrong key, a replayed
 *    telegram, a forged and a replayed wake-up, a market participant whose certificate is from
 *    another PKI, a TLS 1.1 client on the LMN port; all three log hash chains verify;
 *  - the gateway process listens on no TCP port but its LMN meter port (no WAN listener);
 *  - kill -9 of the gateway while meters send: nothing it had stored is lost, counters intact,
 *    nothing reaches the EMT twice as a new record;
 *  - the EMT down for a while: deliveries queue and all arrive, in order, after it returns.
 * The TAF raster is 5 s here (15 min in the field) so this runs in about two minutes.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { WmbusMeterSimulator } from '@opensmgw/devices';
import { type GatewayStore, openGatewayStore } from '@opensmgw/gateway';
import { openEmtStore, type StoredEmtReading } from '@opensmgw/headend';
import { wmbusMeterId } from '@opensmgw/protocol';
import { initTestPki, openEntityModule, signWakeupPacket } from '@opensmgw/security';
import { configureGwa, type DemoPaths, demoCommands, demoPaths, demoPorts, prepareDemo } from '../src/demo/demo.js';
import { DEMO_GATEWAY_ID, DEMO_SML_METER, type DemoPorts } from '../src/demo/demo-plan.js';
import { type Part, ProcessGroup } from '../src/demo/process-group.js';

const RASTER_S = 5;
const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');

// The test's own meters: one registered with a key the sender does not use, one for replays.
const WRONG_KEY_METER = { manufacturer: 'ABB', serial: '40000004', medium: 'electricity' as const };
const REPLAY_METER = { manufacturer: 'ITW', serial: '50000005', medium: 'water' as const };
const KEY_A = '000102030405060708090a0b0c0d0e0f';
const KEY_B = 'f0e0d0c0b0a090807060504030201000';

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(500);
  }
}

/** Listening TCP ports of a process (Linux /proc): its socket inodes matched against /proc/net/tcp{,6}. */
function listeningTcpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {
      // fd closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    if (!existsSync(table)) continue;
    for (const line of readFileSync(table, 'utf8').split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      // local_address rem_address st ... inode (index 9); st 0A = LISTEN
      if (f.length > 9 && f[3] === '0A' && inodes.has(f[9] ?? ''))
        ports.push(Number.parseInt(f[1]?.split(':')[1] ?? '', 16));
    }
  }
  return ports.sort();
}

function udpPorts(pid: number): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (m?.[1]) inodes.add(m[1]);
    } catch {}
  }
  const ports: number[] = [];
  for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length > 9 && inodes.has(f[9] ?? '')) ports.push(Number.parseInt(f[1]?.split(':')[1] ?? '', 16));
  }
  return ports.sort();
}

function sendUdp(port: number, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.send(bytes, port, '127.0.0.1', (e) => {
      s.close();
      if (e) reject(e);
      else resolve();
    });
  });
}

/** value × 10^scaler as an exact decimal string (for comparing sent and stored values). */
function exact(value: string, scaler: number): string {
  const neg = value.startsWith('-');
  let digits = neg ? value.slice(1) : value;
  if (scaler >= 0) digits += '0'.repeat(scaler);
  else {
    digits = digits.padStart(-scaler + 1, '0');
    digits = `${digits.slice(0, scaler)}.${digits.slice(scaler)}`.replace(/\.?0+$/, '');
  }
  digits = digits.replace(/^0+(?=\d)/, '');
  return `${neg ? '-' : ''}${digits}`;
}

interface SentLine {
  meterId: string;
  obis: string;
  value: string;
  scaler: number;
}

function sentValues(paths: DemoPaths): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const file of [paths.sentWmbus, paths.sentSml]) {
    if (!existsSync(file)) continue;
    for (const line of readFileSync(file, 'utf8').split('\n')) {
      if (line.trim() === '') continue;
      const s = JSON.parse(line) as SentLine;
      const key = `${s.meterId} ${s.obis}`;
      const set = out.get(key) ?? new Set<string>();
      set.add(exact(s.value, s.scaler));
      out.set(key, set);
    }
  }
  return out;
}

async function emtReadings(paths: DemoPaths): Promise<StoredEmtReading[]> {
  if (!existsSync(join(paths.emt, 'emt.db'))) return [];
  const store = await openEmtStore({ dataDir: paths.emt, readonly: true });
  try {
    return await store.readings({ limit: 100_000 });
  } finally {
    await store.close();
  }
}

function withGatewayStore<T>(paths: DemoPaths, f: (s: GatewayStore) => T): T {
  const s = openGatewayStore(join(paths.gateway, 'gateway.db'));
  try {
    return f(s);
  } finally {
    s.close();
  }
}

describe('the whole architecture as processes', { timeout: 420_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'smgw-e2e-'));
  const paths = demoPaths(join(dir, 'var'));
  const ports: DemoPorts = demoPorts(20_000 + (process.pid % 200) * 100);
  const foreignPort = ports.gwa + 7;
  const lines: string[] = [];
  const group = new ProcessGroup((part, line) => {
    lines.push(`${part}: ${line}`);
  });
  let gateway: Part;
  let emt: Part;
  const waitFor = (part: string, re: RegExp, timeoutMs: number, from = 0): Promise<number> =>
    until(`${part} ${re.source}`, timeoutMs, () => {
      const i = lines.findIndex((l, n) => n >= from && l.startsWith(`${part}: `) && re.test(l));
      return i >= 0 ? i : undefined;
    });
  const commands = demoCommands(paths, ports);
  const startGateway = (): Part => group.start('gateway', commands.gateway);
  const startEmt = (): Part => group.start('emt', commands.emt);

  // ProcessGroup runs `process.argv[1]`; under the test runner that is the test file, so point it at the CLI.
  const argv1 = process.argv[1];
  before(async () => {
    process.argv[1] = MAIN;
    await prepareDemo(paths, ports, () => {});
    // A market participant whose own certificates come from another PKI (same names, other
    // root) but which trusts ours: the TLS handshake completes and only the gateway's own check
    // can refuse it.
    const foreign = join(dir, 'foreign-pki');
    await initTestPki(foreign, { gatewayId: DEMO_GATEWAY_ID });
    for (const f of ['roots.pem', 'crls.pem']) copyFileSync(join(paths.pki, 'trust', f), join(foreign, 'trust', f));
    emt = startEmt();
    group.start('gwa', commands.gwa);
    group.start('foreign-emt', [
      'headend',
      'emt',
      'serve',
      '--data',
      join(dir, 'foreign-emt'),
      '--pki',
      foreign,
      '--port',
      String(foreignPort),
    ]);
    await Promise.all([
      waitFor('emt', /listening/, 60_000),
      waitFor('gwa', /listening/, 60_000),
      waitFor('foreign-emt', /listening/, 60_000),
    ]);
    configureGwa(paths, ports, Date.now(), () => {}, {
      registrationSeconds: RASTER_S,
      extra: (admin) => {
        const fpem = (rel: string): string => readFileSync(join(foreign, rel), 'utf8');
        admin.addEmt(DEMO_GATEWAY_ID, {
          id: 'emt-foreign',
          url: `https://127.0.0.1:${foreignPort}`,
          servername: 'emt-1.opensmgw.test',
          tlsCertPem: fpem('emt-1/tls.crt.pem'),
          encCertPem: fpem('emt-1/enc.crt.pem'),
          retry: { initialDelayMs: 1000, maxDelayMs: 5000 },
        });
        for (const [m, key] of [
          [WRONG_KEY_METER, KEY_A],
          [REPLAY_METER, KEY_A],
        ] as const) {
          admin.addMeter(DEMO_GATEWAY_ID, {
            meterId: wmbusMeterId(m.manufacturer, m.serial),
            medium: m.medium,
            active: true,
            access: { type: 'wmbus', manufacturer: m.manufacturer, serial: m.serial, keyHex: key },
            channels: m.medium === 'water' ? ['0800010000ff'] : ['0100010800ff'],
          });
        }
        admin.setProfile(DEMO_GATEWAY_ID, {
          id: 'taf7-to-foreign',
          taf: 7,
          meterId: 'EMH-10000001',
          channels: ['0100010800ff'],
          recipients: ['emt-foreign'],
          registrationPeriodSeconds: RASTER_S,
          validFrom: new Date(Math.floor(Date.now() / 60_000) * 60_000).toISOString(),
        });
      },
    });
    gateway = startGateway();
    await waitFor('gateway', /GWA session done/, 60_000);
    group.start('wmbus-meters', commands.wmbusMeters);
    group.start('sml-meter', commands.smlMeter(3));
  });

  after(async () => {
    process.argv[1] = argv1;
    await group.stop();
    if (process.env.SMGW_E2E_KEEP) process.stderr.write(`e2e state kept in ${dir}\n`);
    else rmSync(dir, { recursive: true, force: true });
  });

  it('readings of all four meters reach the EMT, with exactly the values the meters sent', async () => {
    const meters = ['EMH-10000001', 'ELS-20000002', 'KAM-30000003', DEMO_SML_METER.meterId];
    const rows = await until('readings of all four meters at the EMT', 120_000, async () => {
      const r = await emtReadings(paths);
      return meters.every((m) => r.some((x) => x.meterId === m)) ? r : undefined;
    });
    const sent = sentValues(paths);
    for (const r of rows) {
      const values = sent.get(`${r.meterId} ${r.obis}`);
      assert.ok(values, `the EMT holds ${r.meterId} ${r.obis}, which no meter sent`);
      assert.ok(values.has(exact(r.value, r.scaler)), `${r.meterId} ${r.obis} ${exact(r.value, r.scaler)} was sent`);
      assert.equal(r.gatewayId, DEMO_GATEWAY_ID);
    }
  });

  it('the gateway listens on no TCP port but its LMN meter port and its HAN ports; on the WAN side only the wake-up UDP port', () => {
    const pid = gateway.child.pid ?? 0;
    assert.deepEqual(
      listeningTcpPorts(pid),
      [ports.lmnTls, ports.hanApi, ports.cls].sort((a, b) => a - b),
    );
    const udp = udpPorts(pid);
    assert.ok(udp.includes(ports.wakeup), `wake-up port ${ports.wakeup} bound (${udp.join(',')})`);
    assert.ok(udp.includes(ports.radio), `radio port ${ports.radio} bound`);
  });

  it('refuses a meter with a wrong key and a replayed telegram, each with a system-log entry', async () => {
    const wrong = new WmbusMeterSimulator({ ...WRONG_KEY_METER, keyHex: KEY_B, intervalSeconds: 60, seed: 7 });
    await sendUdp(ports.radio, wrong.telegram(Date.now()).frame);
    const replay = new WmbusMeterSimulator({ ...REPLAY_METER, keyHex: KEY_A, intervalSeconds: 60, seed: 8 });
    const first = replay.telegram(Date.now());
    await sendUdp(ports.radio, first.frame);
    const replayId = wmbusMeterId(REPLAY_METER.manufacturer, REPLAY_METER.serial);
    await until('the first telegram stored', 20_000, () =>
      withGatewayStore(paths, (s) => (s.meterCounter(replayId) === first.counter ? true : undefined)),
    );
    await sendUdp(ports.radio, first.frame);
    const wrongId = wmbusMeterId(WRONG_KEY_METER.manufacturer, WRONG_KEY_METER.serial);
    await until('LMN refusals in the system log', 20_000, () =>
      withGatewayStore(paths, (s) => {
        const log = s.readLog('system', 1, 1500);
        const bad = log.some((e) => /^LMN_(BAD_MAC|DECRYPT)$/.test(e.event) && e.subject === wrongId);
        const replayed = log.some((e) => e.event === 'LMN_REPLAY' && e.subject === replayId);
        return bad && replayed ? true : undefined;
      }),
    );
    withGatewayStore(paths, (s) => {
      assert.equal(s.readingsAfter(wrongId, 0, 10).length, 0, 'nothing stored for the wrong-key meter');
      assert.equal(s.readingsAfter(replayId, 0, 10).length, 1, 'the replay stored nothing');
    });
  });

  it('refuses a forged and a replayed wake-up packet, each with a system-log entry', async () => {
    const gwa = await openEntityModule(paths.pki, 'gwa');
    const emtModule = await openEntityModule(paths.pki, 'emt-1');
    try {
      const valid = await signWakeupPacket(gwa, 'wan-sig', {
        gatewayId: DEMO_GATEWAY_ID,
        timestampMs: Date.now(),
        sequence: 1_000_000n,
      });
      // Signed by a key that is not the GWA's (an EMT's SIG key of the same PKI).
      const forged = await signWakeupPacket(emtModule, 'wan-sig', {
        gatewayId: DEMO_GATEWAY_ID,
        timestampMs: Date.now(),
        sequence: 1_000_001n,
      });
      await sendUdp(ports.wakeup, valid);
      await waitFor('gateway', /valid wake-up packet/, 20_000);
      await sendUdp(ports.wakeup, valid);
      await sendUdp(ports.wakeup, forged);
    } finally {
      await gwa.close();
      await emtModule.close();
    }
    await until('wake-up refusals in the system log', 20_000, () =>
      withGatewayStore(paths, (s) => {
        const rejected = s.readLog('system', 1, 1500).filter((e) => e.event === 'WAKEUP_REJECTED');
        const replay = rejected.some((e) => /REPLAY/.test(e.message));
        const signature = rejected.some((e) => /SIGNATURE/.test(e.message));
        return replay && signature ? true : undefined;
      }),
    );
  });

  it('refuses a market participant whose certificate is from another PKI, with a system-log entry', async () => {
    await until('a refused delivery to emt-foreign', 60_000, () =>
      withGatewayStore(paths, (s) =>
        s
          .readLog('system', 1, 1500)
          .some(
            (e) =>
              e.event === 'WAN_DELIVERY_FAILED' &&
              e.subject === 'emt-foreign' &&
              /SMGW_TLS_PEER_REJECTED/.test(e.message),
          )
          ? true
          : undefined,
      ),
    );
    const foreignDb = join(dir, 'foreign-emt', 'emt.db');
    if (existsSync(foreignDb)) {
      const store = await openEmtStore({ dataDir: join(dir, 'foreign-emt'), readonly: true });
      try {
        assert.equal((await store.readings({ limit: 10 })).length, 0, 'nothing reached the foreign EMT');
      } finally {
        await store.close();
      }
    }
  });

  it('refuses a TLS 1.1 client on the LMN port, with a system-log entry', async () => {
    const outcome = await new Promise<string>((resolve) => {
      const s = tlsConnect({
        host: '127.0.0.1',
        port: ports.lmnTls,
        minVersion: 'TLSv1',
        maxVersion: 'TLSv1.1',
        ciphers: 'DEFAULT:@SECLEVEL=0',
        rejectUnauthorized: false,
      });
      s.once('secureConnect', () => {
        s.destroy();
        resolve('connected');
      });
      s.once('error', (e) => resolve(e.message));
    });
    assert.notEqual(outcome, 'connected');
    await until('LMN_TLS_REFUSED in the system log', 20_000, () =>
      withGatewayStore(paths, (s) =>
        s.readLog('system', 1, 1500).some((e) => e.event === 'LMN_TLS_REFUSED') ? true : undefined,
      ),
    );
  });

  it('kill -9 while meters send: nothing stored is lost, counters intact, no value twice at the EMT', async () => {
    // What the gateway had stored (and so acknowledged) just before the crash.
    const before = withGatewayStore(paths, (s) => {
      const meters = s.meterProfiles().map((m) => m.meterId);
      return {
        readings: meters.flatMap((m) =>
          s.readingsAfter(m, 0, 100_000).map((r) => `${r.id} ${r.meterId} ${r.obis} ${r.value}`),
        ),
        counters: new Map(meters.map((m) => [m, s.meterCounter(m)])),
      };
    });
    gateway.child.kill('SIGKILL');
    await gateway.exited;
    await sleep(3000); // meters keep sending into the void
    const from = lines.length;
    gateway = startGateway();
    await waitFor('gateway', /gateway started/, 60_000, from);
    await sleep(2 * RASTER_S * 1000);
    withGatewayStore(paths, (s) => {
      const meters = s.meterProfiles().map((m) => m.meterId);
      const after = new Set(
        meters.flatMap((m) => s.readingsAfter(m, 0, 100_000).map((r) => `${r.id} ${r.meterId} ${r.obis} ${r.value}`)),
      );
      for (const r of before.readings) assert.ok(after.has(r), `reading ${r} survived the crash`);
      for (const [m, c] of before.counters) {
        if (c !== undefined) assert.ok((s.meterCounter(m) ?? -1) >= c, `counter of ${m} did not go back`);
      }
    });
    const rows = await emtReadings(paths);
    const keys = rows.map((r) => `${r.evaluationProfileId} ${r.meterId} ${r.obis} ${r.kind} ${r.captureTimeMs}`);
    assert.equal(new Set(keys).size, keys.length, 'no reading stored twice at the EMT');
    // One value per TAF period, whatever message carried it.
    const periods = rows.map((r) => `${r.evaluationProfileId} ${r.meterId} ${r.obis} ${r.kind} ${r.targetTimeMs}`);
    assert.equal(new Set(periods).size, periods.length, 'no TAF period delivered twice');
    assert.ok(rows.length > 0);
  });

  it('WAN outage: with the EMT down, deliveries queue and all arrive in order after it returns', async () => {
    emt.child.kill('SIGTERM');
    await emt.exited;
    const downAt = Date.now();
    await until('deliveries queued for emt-1', 60_000, () =>
      withGatewayStore(paths, (s) => (s.queueLength('emt-1') >= 4 ? true : undefined)),
    );
    await sleep(2 * RASTER_S * 1000);
    const queued = withGatewayStore(paths, (s) => s.queueLength('emt-1'));
    assert.ok(queued >= 8, `deliveries queued during the outage (${queued})`);
    const from = lines.length;
    const upAt = Date.now();
    emt = startEmt();
    await waitFor('emt', /listening/, 60_000, from);
    await until('the queue to emt-1 drained', 120_000, () =>
      withGatewayStore(paths, (s) => (s.queueLength('emt-1') === 0 ? true : undefined)),
    );
    const store = await openEmtStore({ dataDir: paths.emt, readonly: true });
    const arrived = await store.messages({ limit: 100_000 });
    await store.close();
    const late = arrived.filter((m) => m.receivedMs >= upAt);
    assert.ok(late.length >= queued, `every queued delivery arrived (${late.length} of ${queued})`);
    const rows = (await emtReadings(paths)).filter((r) => r.evaluationProfileId.startsWith('taf7-'));
    assert.ok(
      rows.some((r) => (r.targetTimeMs ?? 0) > downAt && (r.targetTimeMs ?? 0) < upAt),
      'values of the outage reached the EMT',
    );
    // In order: per evaluation profile, the EMT received them in target-time order.
    const byProfile = new Map<string, StoredEmtReading[]>();
    for (const r of rows) byProfile.set(r.evaluationProfileId, [...(byProfile.get(r.evaluationProfileId) ?? []), r]);
    for (const [profile, list] of byProfile) {
      const received = [...list].sort(
        (a, b) => a.receivedMs - b.receivedMs || (a.targetTimeMs ?? 0) - (b.targetTimeMs ?? 0),
      );
      const targets = received.map((r) => r.targetTimeMs ?? 0);
      assert.deepEqual(
        targets,
        [...targets].sort((a, b) => a - b),
        `${profile} arrived in order`,
      );
    }
  });

  it('all three log hash chains verify', () => {
    withGatewayStore(paths, (s) => {
      for (const log of ['system', 'consumer', 'calibration'] as const) {
        const r = s.verifyLog(log);
        assert.ok(r.ok, `${log} log chain: ${JSON.stringify(r)}`);
        assert.ok(r.entries > 0, `${log} log has entries`);
      }
    });
  });
});
