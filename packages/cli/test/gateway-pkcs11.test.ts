/**
 * `smgw gateway run` with its keys only in a PKCS#11 token (SoftHSM2), end to end with real peers
 * (docs/pkcs11.md, "The gateway on a token"; DESIGN.md "Conventions", PKCS#11; spec notes §13:
 * keys never leave the security module). The factory WAN TLS/SIG/ENC keys and the LMN TLS key are
 * generated on the token (fixtures/gateway-pkcs11-token.ts), the test SM-PKI certifies them from
 * requests the token signed, and the gateway's own software keystore is deleted before it starts.
 * The gateway process runs with the OpenSSL pkcs11 engine (NODE_OPTIONS=--openssl-shared-config,
 * OPENSSL_CONF) and the PIN in SMGW_PKCS11_PIN; GWA, EMT and the SML meter are `smgw` processes
 * with software keys. Checked: the GWA gets the gateway's job results over mutual TLS (token key),
 * including create-csr answers for keys the gateway generated on the token, and reaches it again
 * on the new keys; containers sealed with the token's SIG key are verified and stored by the EMT;
 * the SML meter's values, sent over the LMN TLS port (token key), are stored; every private key
 * on the token is sensitive and never extractable.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { openGatewayStore, readBootstrap } from '@opensmgw/gateway';
import { openEmtStore, openGwaAdmin, type StoredEmtReading } from '@opensmgw/headend';
import { parseCsrResult } from '@opensmgw/protocol';
import {
  findPkcs11EnginePath,
  PKCS11_PIN_ENV,
  Pkcs11SecurityModule,
  parseCertificate,
  parseCsr,
  readDerObjects,
} from '@opensmgw/security';
import {
  createSoftHsmEnvironment,
  type SoftHsmEnvironment,
  softhsmUnavailableReason,
} from '../../security/test/softhsm.js';
import { configureGwa, demoCommands, demoPaths, demoPorts, prepareDemo } from '../src/demo/demo.js';
import { DEMO_GATEWAY_ID, DEMO_SML_METER } from '../src/demo/demo-plan.js';
import { ProcessGroup } from '../src/demo/process-group.js';
import {
  type ProvisionedToken,
  provisionGatewayToken,
  TOKEN_FACTORY_SLOTS,
  TOKEN_LMN_SLOT,
} from './fixtures/gateway-pkcs11-token.js';

const MAIN = join(import.meta.dirname, '..', 'src', 'main.ts');
const TOKEN_LABEL = 'SMGW gateway';
const PIN = '2718281828';
const RASTER_S = 5;

const unavailable =
  softhsmUnavailableReason() ??
  (findPkcs11EnginePath() === undefined
    ? 'OpenSSL pkcs11 engine not found (apt-get install libengine-pkcs11-openssl)'
    : undefined);

/** Polls `probe` every 250 ms until it gives a value; fails after `timeoutMs`. */
async function eventually<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined> | T | undefined) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** value × 10^scaler in one canonical form (integer digits without trailing zeros, exponent). */
function decimal(value: string, scaler: number): string {
  let v = BigInt(value);
  let e = scaler;
  while (v !== 0n && v % 10n === 0n) {
    v /= 10n;
    e += 1;
  }
  return v === 0n ? '0' : `${v}e${e}`;
}

const sha256Hex = (der: Uint8Array): string => createHash('sha256').update(der).digest('hex');
const pemDer = (pem: string): Uint8Array => readDerObjects(pem, 'CERTIFICATE')[0] ?? new Uint8Array(0);

describe('smgw gateway run with its keys only in a PKCS#11 token (SoftHSM2, OpenSSL pkcs11 engine)', {
  skip: unavailable ?? false,
  timeout: 120_000,
}, () => {
  let dir: string;
  let hsm: SoftHsmEnvironment;
  let token: ProvisionedToken;
  const lines: string[] = [];
  const group = new ProcessGroup((part, line) => {
    lines.push(`${part}: ${line}`);
  });
  const ports = demoPorts(41_000 + (process.pid % 150) * 40);
  let paths: ReturnType<typeof demoPaths>;
  /** The slots the gateway generated on the token for the GWA's create-csr jobs, per use. */
  const generated: Record<'tls' | 'sig' | 'enc', string> = { tls: '', sig: '', enc: '' };
  const waitLine = (part: string, re: RegExp, timeoutMs: number) =>
    eventually(`${part} ${re.source}`, timeoutMs, () =>
      lines.some((l) => l.startsWith(`${part}: `) && re.test(l)) ? true : undefined,
    );
  const gwaJobs = () => {
    const admin = openGwaAdmin({ dataDir: paths.gwa, pkiDir: paths.pki });
    try {
      return admin.listJobs({ gatewayId: DEMO_GATEWAY_ID, limit: 1000 });
    } finally {
      admin.close();
    }
  };

  /** The GWA's log: a mutually authenticated connection of the gateway with its factory or operational certificate. */
  const gwaSawGateway = (certificate: 'factory' | 'operational'): boolean =>
    lines.some(
      (l) =>
        l.startsWith('gwa: ') &&
        l.includes('"event":"gateway-connected"') &&
        l.includes(`"gatewayId":"${DEMO_GATEWAY_ID}"`) &&
        l.includes(`"certificate":"${certificate}"`),
    );
  /** Queues read-status, wakes the gateway (signed wake-up packet) and waits until the job is done. */
  const readStatusAfterWakeup = async (): Promise<void> => {
    const admin = openGwaAdmin({ dataDir: paths.gwa, pkiDir: paths.pki });
    try {
      const job = admin.readStatus(DEMO_GATEWAY_ID);
      await admin.wake(DEMO_GATEWAY_ID);
      const done = await admin.waitForJob(job.jobId, { timeoutMs: 30_000 });
      assert.equal(done.state, 'done', JSON.stringify(done.result ?? done.error));
      assert.equal(done.result?.ok, true);
    } finally {
      admin.close();
    }
  };

  const argv1 = process.argv[1];
  before(async () => {
    // ProcessGroup runs `process.argv[1]`; under the test runner that is this file.
    process.argv[1] = MAIN;
    dir = await mkdtemp(join(tmpdir(), 'smgw-gw-pkcs11-'));
    paths = demoPaths(join(dir, 'var'));
    hsm = createSoftHsmEnvironment(); // SOFTHSM2_CONF for this process and every child
    hsm.addToken(TOKEN_LABEL, PIN);
    await prepareDemo(paths, ports, () => {});
    // The gateway's software identity of the test PKI goes away: only the token can serve it.
    rmSync(join(paths.pki, 'gateway'), { recursive: true, force: true });
    token = await provisionGatewayToken({
      pkiDir: paths.pki,
      outDir: join(dir, 'token'),
      library: hsm.library,
      tokenLabel: TOKEN_LABEL,
      pin: PIN,
      gatewayId: DEMO_GATEWAY_ID,
      storePath: join(paths.gateway, 'gateway.db'),
      gwaUrl: `https://127.0.0.1:${ports.gwa}`,
      wakeupPort: ports.wakeup,
      lmnTlsPort: ports.lmnTls,
      pollIntervalSeconds: 300,
    });
    const commands = demoCommands(paths, ports);
    group.start('emt', commands.emt);
    group.start('gwa', commands.gwa);
    await Promise.all([waitLine('emt', /listening/, 30_000), waitLine('gwa', /listening/, 30_000)]);
    // Registration, EMT, meter and evaluation profiles, and create-csr for TLS, SIG and ENC.
    // This gateway has no HAN (its bootstrap names only LMN and WAN): no consumer accounts.
    configureGwa(paths, ports, Date.now(), () => {}, { registrationSeconds: RASTER_S, consumers: false });
    group.start('gateway', ['gateway', 'run', '--bootstrap', token.bootstrapPath], {
      NODE_OPTIONS: `${process.env['NODE_OPTIONS'] ?? ''} --openssl-shared-config`.trim(),
      OPENSSL_CONF: token.opensslConfPath,
      [PKCS11_PIN_ENV]: PIN,
    });
    await waitLine('gateway', /GWA session done/, 40_000);
    group.start('sml-meter', [...commands.smlMeter(2), '--gateway-cert', token.certificates.lmn]);
  });

  after(async () => {
    process.argv[1] = argv1;
    await group.stop();
    if (process.env['SMGW_E2E_KEEP']) {
      writeFileSync(join(dir, 'output.log'), `${lines.join('\n')}\n`);
      process.stderr.write(`state and process output kept in ${dir}\n`);
    } else if (dir) rmSync(dir, { recursive: true, force: true });
    hsm?.cleanup();
  });

  it('the bootstrap names the token and no software keystore; the gateway keystore files do not exist', () => {
    const b = readBootstrap(token.bootstrapPath);
    assert.deepEqual(b.securityModule, {
      backend: 'pkcs11',
      library: hsm.library,
      tokenLabel: TOKEN_LABEL,
      pinEnv: PKCS11_PIN_ENV,
    });
    assert.equal(existsSync(join(paths.pki, 'gateway')), false, 'the test PKI has no gateway keystore');
    const keystores = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? keystores(join(d, e.name)) : e.name.endsWith('.smgwks') ? [join(d, e.name)] : [],
      );
    assert.deepEqual(keystores(paths.gateway), []);
    assert.deepEqual(keystores(join(dir, 'token')), []);
    for (const f of [token.bootstrapPath, token.opensslConfPath]) {
      assert.ok(!readFileSync(f, 'utf8').includes(PIN), `no PIN in ${f}`);
    }
  });

  it('the GWA got the job results over mutual TLS with the token key, also for keys made on the token by create-csr', async () => {
    // The first session (factory TLS key) answers the three create-csr jobs; the GWA then issues
    // the certificates and queues install-certificates, which the next session (a wake-up) runs.
    await eventually('create-csr answered and install-certificates queued', 30_000, () => {
      const j = gwaJobs();
      const answered = j.filter((x) => x.type === 'create-csr' && x.state !== 'pending').length === 3;
      return answered && j.some((x) => x.type === 'install-certificates') ? true : undefined;
    });
    await readStatusAfterWakeup();
    assert.ok(gwaSawGateway('factory'), 'the GWA authenticated the factory TLS certificate (token key)');
    const jobs = gwaJobs();
    for (const j of jobs) {
      assert.equal(j.state, 'done', `${j.jobId} ${j.type}: ${JSON.stringify(j.result ?? j.error)}`);
      assert.equal(j.result?.ok, true, `${j.jobId} ${j.type}`);
    }
    const csrs = jobs.filter((j) => j.type === 'create-csr');
    assert.deepEqual(csrs.map((j) => (j.job.type === 'create-csr' ? j.job.use : '')).sort(), ['enc', 'sig', 'tls']);
    // The gateway switched to the new triplet: slots the GWA's create-csr made it generate.
    const store = openGatewayStore(join(paths.gateway, 'gateway.db'));
    try {
      const state = store.getState<{ active: Record<string, unknown> }>('wan-identity');
      assert.equal(state?.active['factory'], false, 'the operational triplet is in use');
      for (const use of ['tls', 'sig', 'enc'] as const) {
        const slot = state?.active[use];
        assert.ok(typeof slot === 'string' && new RegExp(`^wan-${use}-g\\d+$`).test(slot), `${use}: ${String(slot)}`);
        generated[use] = slot;
      }
    } finally {
      store.close();
    }
  });

  it('on its new token keys the gateway reaches the GWA again (wake-up, read-status)', async () => {
    assert.ok(generated.tls !== '', 'the gateway runs on its new triplet');
    await readStatusAfterWakeup();
    assert.ok(gwaSawGateway('operational'), 'the GWA authenticated the operational TLS certificate (token key)');
  });

  it("containers sealed with the token's SIG key reach the EMT, verified; the SML meter's values are stored", async () => {
    const meter = DEMO_SML_METER.meterId;
    const rows = await eventually('SML meter readings at the EMT', 45_000, async () => {
      if (!existsSync(join(paths.emt, 'emt.db'))) return undefined;
      const emt = await openEmtStore({ dataDir: paths.emt, readonly: true });
      try {
        const r: StoredEmtReading[] = await emt.readings({ meterId: meter, limit: 10_000 });
        return r.length > 0 ? { readings: r, messages: await emt.messages({ limit: 10_000 }) } : undefined;
      } finally {
        await emt.close();
      }
    });
    // Every container was signed with a SIG certificate of a token key: the factory one or the
    // one the GWA issued for the key create-csr made on the token.
    const admin = openGwaAdmin({ dataDir: paths.gwa, pkiDir: paths.pki });
    const issuedSig = admin.registry.certificates(DEMO_GATEWAY_ID).filter((c) => c.use === 'sig');
    admin.close();
    const tokenSig = new Set([
      sha256Hex(pemDer(readFileSync(token.certificates.sig, 'utf8'))),
      ...issuedSig.map((c) => sha256Hex(pemDer(c.pem))),
    ]);
    assert.ok(rows.messages.length > 0);
    for (const m of rows.messages) assert.ok(tokenSig.has(m.senderCertSha256), `message ${m.messageId} signer`);
    // The EMT's values are values the meter sent (its sent log), which the gateway stored.
    const sent = new Set(
      readFileSync(paths.sentSml, 'utf8')
        .split('\n')
        .filter((l) => l !== '')
        .map((l) => JSON.parse(l) as { obis: string; value: string; scaler: number })
        .map((x) => `${x.obis} ${decimal(x.value, x.scaler)}`),
    );
    for (const r of rows.readings) {
      assert.ok(sent.has(`${r.obis} ${decimal(r.value, r.scaler)}`), `${r.obis} ${r.value}e${r.scaler} was sent`);
    }
    const store = openGatewayStore(join(paths.gateway, 'gateway.db'));
    try {
      assert.ok(store.readingsAfter(meter, 0, 10_000).length > 0, 'the gateway stored the SML meter values');
    } finally {
      store.close();
    }
    for (const r of rows.readings) assert.equal(r.gatewayId, DEMO_GATEWAY_ID);
  });

  it('a gateway process started without the engine set-up stops at start and says why (no PIN in the output)', async () => {
    const r = await ProcessGroup.run(['gateway', 'run', '--bootstrap', token.bootstrapPath]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /SMGW_GW_START/);
    assert.match(r.stderr, /--openssl-shared-config|OPENSSL_CONF/);
    assert.ok(!`${r.stdout}${r.stderr}`.includes(PIN));
  });

  it('after a clean stop: every private key on the token is sensitive and never extractable', async () => {
    const gateway = group.parts.find((p) => p.name === 'gateway');
    await group.stop();
    assert.equal(await gateway?.exited, 0, lines.filter((l) => l.startsWith('gateway: ')).join('\n'));
    assert.ok(!lines.some((l) => l.includes(PIN)), 'the PIN appears in no output');
    const jobs = gwaJobs();
    const tm = await Pkcs11SecurityModule.open({ library: hsm.library, tokenLabel: TOKEN_LABEL, pin: PIN });
    try {
      const slots = (await tm.listSlots()).map((s) => s.slot).sort();
      assert.deepEqual(
        slots,
        [TOKEN_LMN_SLOT, ...Object.values(generated), ...Object.values(TOKEN_FACTORY_SLOTS)].sort(),
      );
      for (const slot of slots) {
        assert.deepEqual(
          await tm.keyProtection(slot),
          {
            sensitive: true,
            extractable: false,
            alwaysSensitive: true,
            neverExtractable: true,
            privateValueReadable: false,
          },
          slot,
        );
      }
      // The requests the GWA got name the token's keys, and the installed certificates certify them.
      for (const j of jobs) {
        if (j.job.type !== 'create-csr' || !j.result?.ok) continue;
        const slot = generated[j.job.use];
        const answer = parseCsrResult(j.result.result);
        const der = readDerObjects(answer.csrPem, 'CERTIFICATE REQUEST')[0] ?? new Uint8Array(0);
        const spki = (await tm.publicKey(slot)).spki;
        assert.deepEqual(parseCsr(der).publicKey.spki, spki, `${slot}: the request's key is the token's`);
        const cert = await tm.readCertificate(slot);
        assert.ok(cert, `${slot} has its certificate on the token`);
        assert.deepEqual(parseCertificate(cert).spki, spki);
      }
    } finally {
      await tm.close();
    }
  });
});
