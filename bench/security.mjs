#!/usr/bin/env node
// Cost of the gateway's cryptography, from the built security package (@opensmgw/security →
// packages/security/dist), with real certificates: a test SM-PKI made by initTestPki in a temp
// directory (what `smgw pki init` writes), its keys in SoftwareSecurityModule keystores, which
// hold the keys in memory while open (no file I/O per operation).
//
//   node bench/security.mjs [--seconds 2] [--samples 10] [--no-pkcs11]
//
// Rows (each runs one operation after another for about `--seconds`, after a warm-up of a quarter
// of that; ops/s, mean ms per op, and CPU ms per op = user+system CPU of the whole process, the
// better number on a busy machine):
//   <curve> key pair | ECDSA sign | ECDSA verify | ECDH
//                                  node:crypto alone (OpenSSL), brainpoolP256r1 and P-256 for
//                                  comparison, a quarter of `--seconds` each: the floor under
//                                  the rows below
//   cms seal  GCM 1 KB | 100 KB   sealContainer: AuthEnvelopedData for one recipient (emt-1's ENC
//                                  certificate: ECKA-EG with an ephemeral brainpoolP256r1 key,
//                                  X9.63 KDF, AES key wrap, AES-128-GCM) inside SignedData signed
//                                  with the gateway's SIG key (ECDSA-SHA256, brainpoolP256r1)
//   cms open  GCM 1 KB | 100 KB   openContainer: signature check against the trusted sender, then
//                                  ECDH with emt-1's ENC key and decryption
//   cms seal/open CBC+CMAC ...    the same with AES-128-CBC + AES-CMAC (the alternative of
//                                  spec notes §3.7, [M] in its details)
//   tls LMN full                  TLS 1.2 handshakes, LMN profile (lmnServerProfile /
//                                  lmnClientProfile: TR-03116-3 suites, groups, sigalgs, mutual
//                                  authentication with pinned self-signed brainpoolP256r1
//                                  certificates; the gateway is the server, meter-1 the client),
//                                  no session offered: ECDHE + ECDSA sign/verify on both sides
//   tls LMN resumed               each connection offers the previous connection's session (session
//                                  ID, server-side cache; tickets are off in the profiles)
//   tls WAN full | resumed        extra: WAN profile, the gateway as client against the GWA server,
//                                  SM-PKI chains (leaf + Sub-CA sent, root trusted), and on full
//                                  handshakes the profile's peer check on both sides (validatePath:
//                                  signatures, validity, CRLs of root and Sub-CA, policy, KU/EKU,
//                                  role)
//   tls LMN full|resumed pkcs11   the LMN rows with the gateway's key in SoftHSM2: generated on the
//                                  token (non-extractable), used by OpenSSL's pkcs11 engine in a
//                                  child node process (--openssl-shared-config, OPENSSL_CONF,
//                                  bench/security-tls-engine-child.mjs); the meter key stays
//                                  software. Skipped, with the reason, if SoftHSM2 or the engine
//                                  is missing.
// TLS rows run server and client in the same process over 127.0.0.1, one handshake at a time,
// each counted when both ends are done: the time and CPU of BOTH ends are in every row.
//
// Then the bytes on the wire of one LMN handshake, full and resumed (and the WAN one, extra),
// counted by a TCP proxy between client and server: TLS record bytes (5-byte record headers
// included) = TCP payload, WITHOUT TCP/IP headers, retransmissions or the TCP handshake. Per
// direction, the flights, the handshake messages, and the round trips before the client may
// send data. `--samples` handshakes of each kind are counted (DER ECDSA signatures vary by a few
// bytes); the table shows the median with min-max.
//
// Prints the tables and writes bench/results/security.json. Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { diffieHellman, generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { systemClock } from '@opensmgw/core';
import {
  findPkcs11EnginePath,
  initTestPki,
  lmnClientProfile,
  lmnServerProfile,
  openContainer,
  openEntityModule,
  pkcs11EngineProcess,
  readDerObjects,
  sealContainer,
  wanClientProfile,
  wanServerProfile,
  writePkcs11EngineConfig,
} from '@opensmgw/security';
import { measure as measureRow } from './measure.mjs';
import { measureHandshakes, wireBytes } from './security-tls-handshakes.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const seconds = option('--seconds', 2);
const samples = option('--samples', 10);
const withPkcs11 = !args.includes('--no-pkcs11');
if (!(seconds > 0) || !(Number.isInteger(samples) && samples > 0)) {
  console.error('usage: security.mjs [--seconds S] [--samples N] [--no-pkcs11]');
  process.exit(2);
}

const started = performance.now();
const work = mkdtempSync(join(tmpdir(), 'smgw-bench-security-'));
const pkiDir = join(work, 'pki');
const results = { primitives: {}, cms: {}, tls: {}, wire: {} };
const skipped = {};
const modules = [];

const measure = (fn, rowSeconds = seconds) => measureRow(fn, rowSeconds);

const pem = (entity, file) => readFileSync(join(pkiDir, entity, file), 'utf8');
const der = (entity, file) => readDerObjects(pem(entity, file), 'CERTIFICATE')[0];
async function entity(name) {
  const m = await openEntityModule(pkiDir, name, { persist: 'manual' });
  modules.push(m);
  return m;
}

try {
  // ---- the test SM-PKI ---------------------------------------------------------------------
  const pki = await initTestPki(pkiDir);
  const pkiMs = Math.round(pki.elapsedMs);
  const gateway = await entity('gateway');
  const emt = await entity('emt-1');
  const gwa = await entity('gwa');
  const meter = await entity('meter-1');

  // ---- node:crypto primitives (the floor under the CMS and TLS rows) ---------------------------
  {
    const data = randomBytes(100);
    for (const curve of ['brainpoolP256r1', 'prime256v1']) {
      const a = generateKeyPairSync('ec', { namedCurve: curve });
      const b = generateKeyPairSync('ec', { namedCurve: curve });
      const sig = sign('sha256', data, a.privateKey);
      const name = curve === 'prime256v1' ? 'P-256' : curve;
      const ops = {
        'key pair': () => generateKeyPairSync('ec', { namedCurve: curve }),
        'ECDSA sign': () => sign('sha256', data, a.privateKey),
        'ECDSA verify': () => verify('sha256', data, a.publicKey, sig),
        ECDH: () => diffieHellman({ privateKey: a.privateKey, publicKey: b.publicKey }),
      };
      for (const [op, fn] of Object.entries(ops)) {
        results.primitives[`${name} ${op}`] = await measure(fn, seconds / 4);
      }
    }
  }

  // ---- CMS -----------------------------------------------------------------------------------
  const signer = { module: gateway, slot: 'wan-sig', certificate: der('gateway', 'sig.crt.pem') };
  const recipient = { module: emt, slot: 'wan-enc', certificate: der('emt-1', 'enc.crt.pem') };
  const trust = { trustedSenders: [signer.certificate] };
  for (const encryption of ['aes-128-gcm', 'aes-128-cbc-cmac']) {
    for (const size of [1024, 102400]) {
      const payload = new Uint8Array(randomBytes(size));
      const seal = () => sealContainer({ payload, recipients: [recipient.certificate], signer, encryption });
      const sample = await seal();
      const opened = await openContainer(sample, { ...trust, recipient });
      if (!Buffer.from(opened.payload).equals(payload) || opened.encryption !== encryption) {
        throw new Error(`CMS round trip failed (${encryption}, ${size} bytes)`);
      }
      const label = `${encryption === 'aes-128-gcm' ? 'GCM' : 'CBC+CMAC'} ${size / 1024} KB`;
      results.cms[`seal ${label}`] = { ...(await measure(seal)), payloadBytes: size, containerBytes: sample.length };
      results.cms[`open ${label}`] = {
        ...(await measure(() => openContainer(sample, { ...trust, recipient }))),
        payloadBytes: size,
        containerBytes: sample.length,
      };
    }
  }

  // ---- TLS, software keys ----------------------------------------------------------------------
  const clock = systemClock;
  const gatewayLmn = pem('gateway', 'lmn-tls.crt.pem');
  const meterLmn = pem('meter-1', 'lmn-tls.crt.pem');
  const meterKey = await meter.tlsKey('lmn-tls');
  const lmnServer = lmnServerProfile({
    key: await gateway.tlsKey('lmn-tls'),
    certificates: gatewayLmn,
    trust: { kind: 'pinned', certificates: [meterLmn] },
    clock,
  });
  const lmnClient = lmnClientProfile({
    key: meterKey,
    certificates: meterLmn,
    trust: { kind: 'pinned', certificates: [gatewayLmn] },
    clock,
  });
  const smPki = {
    kind: 'sm-pki',
    roots: [pem('root', 'ca.crt.pem')],
    intermediates: [pem('subca', 'ca.crt.pem')],
    crls: [pem('root', 'ca.crl.pem'), pem('subca', 'ca.crl.pem')],
  };
  const subca = pem('subca', 'ca.crt.pem');
  const wanServer = wanServerProfile({
    key: await gwa.tlsKey('wan-tls'),
    certificates: [pem('gwa', 'tls.crt.pem'), subca],
    trust: smPki,
    clock,
  });
  const wanClient = wanClientProfile({
    key: await gateway.tlsKey('wan-tls'),
    certificates: [pem('gateway', 'tls.crt.pem'), subca],
    trust: smPki,
    clock,
  });
  const lmn = { serverProfile: lmnServer, clientProfile: lmnClient };
  const wan = { serverProfile: wanServer, clientProfile: wanClient, servername: 'gwa.opensmgw.test' };
  results.tls['LMN full'] = await measureHandshakes({ ...lmn, seconds, resumed: false });
  results.tls['LMN resumed'] = await measureHandshakes({ ...lmn, seconds, resumed: true });
  results.tls['WAN full'] = await measureHandshakes({ ...wan, seconds, resumed: false });
  results.tls['WAN resumed'] = await measureHandshakes({ ...wan, seconds, resumed: true });

  // ---- bytes on the wire -----------------------------------------------------------------------
  results.wire.LMN = await wireBytes({ ...lmn, samples });
  results.wire.WAN = await wireBytes({ ...wan, samples });

  // ---- TLS, gateway key in SoftHSM2 ------------------------------------------------------------
  if (withPkcs11) {
    const why = pkcs11Unavailable();
    if (why) {
      skipped['LMN full pkcs11'] = why;
      skipped['LMN resumed pkcs11'] = why;
    } else {
      const child = runEngineChild({ meterKey: meterKey.pem, meterCert: meterLmn });
      if (child.error) {
        skipped['LMN full pkcs11'] = child.error;
        skipped['LMN resumed pkcs11'] = child.error;
      } else {
        results.tls['LMN full pkcs11'] = child.full;
        results.tls['LMN resumed pkcs11'] = child.resumed;
        results.pkcs11 = child.environment;
      }
    }
  } else {
    skipped['LMN full pkcs11'] = 'skipped (--no-pkcs11)';
    skipped['LMN resumed pkcs11'] = 'skipped (--no-pkcs11)';
  }

  // ---- report --------------------------------------------------------------------------------
  const opensslVersion = process.versions.openssl;
  const load = loadavg().map((x) => Number(x.toFixed(2)));
  console.log(
    `Security benchmark: node ${process.version}, OpenSSL ${opensslVersion}, ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average ${load.join(' ')}; test SM-PKI made in ${pkiMs} ms`,
  );
  const fmt = (r) => [
    r.perSecond.toFixed(1),
    r.meanMs.toFixed(2),
    r.cpuMsPerOp.toFixed(2),
    String(r.ops ?? r.handshakes),
  ];
  const primitiveRows = [['node:crypto (OpenSSL) primitive', 'ops/s', 'ms/op', 'CPU ms/op', 'ops']];
  for (const [name, r] of Object.entries(results.primitives)) primitiveRows.push([name, ...fmt(r)]);
  printTable(primitiveRows);
  console.log('');
  const cmsRows = [['CMS (1 recipient)', 'ops/s', 'ms/op', 'CPU ms/op', 'ops', 'container B']];
  for (const [name, r] of Object.entries(results.cms)) cmsRows.push([name, ...fmt(r), String(r.containerBytes)]);
  printTable(cmsRows);
  console.log('');
  const tlsRows = [['TLS 1.2 handshakes (both ends)', 'hs/s', 'ms/hs', 'CPU ms/hs', 'hs', 'suite / group']];
  for (const name of ['LMN full', 'LMN resumed', 'LMN full pkcs11', 'LMN resumed pkcs11', 'WAN full', 'WAN resumed']) {
    const r = results.tls[name];
    if (r) tlsRows.push([name, ...fmt(r), `${r.cipher} / ${r.group ?? 'no ECDHE (resumed)'}`]);
    else tlsRows.push([name, skipped[name] ?? 'not run', '', '', '', '']);
  }
  printTable(tlsRows);
  console.log('');
  const wireRows = [['bytes on the wire (TLS records)', 'C→S', 'S→C', 'total', 'min-max', 'flights', 'RTT']];
  for (const [iface, w] of Object.entries(results.wire)) {
    for (const kind of ['full', 'resumed']) {
      const x = w[kind];
      wireRows.push([
        `${iface} ${kind}`,
        String(x.spread.clientToServer.median),
        String(x.spread.serverToClient.median),
        String(x.spread.total.median),
        `${x.spread.total.min}-${x.spread.total.max}`,
        String(x.flights.length),
        String(x.roundTripsBeforeClientData),
      ]);
    }
  }
  printTable(wireRows);
  const l = results.wire.LMN;
  console.log(
    `  flights of one LMN full handshake: ${l.full.flights.join(', ')}; resumed: ${l.resumed.flights.join(', ')}`,
  );
  console.log(`  LMN full, message by message (bytes incl. the 4-byte handshake header; plus 5 per record):`);
  for (const m of l.full.messages) console.log(`    ${m.direction === 'c2s' ? 'C→S' : 'S→C'} ${m.message} ${m.bytes}`);
  console.log(
    `  per application-data record: +${l.full.applicationRecordOverhead} bytes (${l.full.cipher}); close_notify both ways: ${l.full.closeNotifyBytes} bytes`,
  );
  console.log(
    '  (TCP payload only: no TCP/IP headers, no TCP handshake; RTT = round trips before the client may send data)',
  );

  const out = {
    benchmark: 'security',
    date: new Date().toISOString(),
    node: process.version,
    openssl: opensslVersion,
    cpus: cpus().length,
    cpu: cpus()[0]?.model ?? 'unknown',
    loadAverage: load,
    secondsPerRow: seconds,
    wireSamples: samples,
    testPkiMs: pkiMs,
    ...results,
    skipped,
    totalSeconds: Number(((performance.now() - started) / 1000).toFixed(1)),
  };
  mkdirSync(join(root, 'bench/results'), { recursive: true });
  writeFileSync(
    join(root, 'bench/results/security.json'),
    `${JSON.stringify(out, (k, v) => (k === 'session' ? undefined : v), 2)}\n`,
  );
  console.log(`wrote bench/results/security.json (${out.totalSeconds} s)`);
} finally {
  for (const m of modules) await m.close();
  rmSync(work, { recursive: true, force: true });
}

function printTable(rows) {
  // A skipped row has its reason in the second cell and nothing after: printed as it is, unpadded.
  const isSkip = (r) => r.slice(2).every((c) => c === '');
  const measured = rows.filter((r) => !isSkip(r));
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => (c > 0 && isSkip(r) ? 0 : r[c].length))));
  const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  for (const r of rows) console.log(measured.includes(r) ? line(r) : `${r[0].padEnd(widths[0])}  ${r[1]}`);
}

// ---- PKCS#11 -----------------------------------------------------------------------------------

/** Where Debian and others put the SoftHSM2 library (as test/softhsm.ts); SOFTHSM2_LIB overrides. */
function softhsmLibrary() {
  const fromEnv = process.env.SOFTHSM2_LIB;
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return [
    '/usr/lib/softhsm/libsofthsm2.so',
    '/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so',
    '/usr/local/lib/softhsm/libsofthsm2.so',
    '/usr/lib64/pkcs11/libsofthsm2.so',
  ].find((p) => existsSync(p));
}

function pkcs11Unavailable() {
  if (softhsmLibrary() === undefined) return 'skipped (SoftHSM2 library not found: apt-get install softhsm2)';
  if (spawnSync('softhsm2-util', ['--version']).status !== 0) return 'skipped (softhsm2-util not on PATH)';
  if (findPkcs11EnginePath() === undefined) {
    return 'skipped (OpenSSL pkcs11 engine not found: apt-get install libengine-pkcs11-openssl)';
  }
  return undefined;
}

/**
 * A throw-away SoftHSM2 token (own softhsm2.conf, as test/softhsm.ts does), the engine
 * configuration (PIN from the environment, never in the file), and the child that generates the
 * gateway's LMN key on the token and measures. Returns its rows or { error }.
 */
function runEngineChild({ meterKey, meterCert }) {
  const dir = join(work, 'softhsm');
  mkdirSync(join(dir, 'tokens'), { recursive: true });
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(
    conf,
    `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`,
  );
  const library = softhsmLibrary();
  const tokenLabel = 'smgw-bench';
  const pin = randomBytes(6).toString('hex');
  const init = spawnSync(
    'softhsm2-util',
    ['--init-token', '--free', '--label', tokenLabel, '--pin', pin, '--so-pin', randomBytes(6).toString('hex')],
    { env: { ...process.env, SOFTHSM2_CONF: conf }, encoding: 'utf8' },
  );
  if (init.status !== 0) return { error: `skipped (softhsm2-util --init-token failed: ${init.stderr.trim()})` };
  const opensslConf = join(dir, 'openssl.cnf');
  writePkcs11EngineConfig(opensslConf, { modulePath: library, enginePath: findPkcs11EnginePath() });
  const input = join(dir, 'input.json');
  writeFileSync(input, JSON.stringify({ library, tokenLabel, meterKey, meterCert, seconds }));
  const proc = pkcs11EngineProcess(opensslConf, pin);
  const r = spawnSync(process.execPath, [...proc.execArgv, join(root, 'bench/security-tls-engine-child.mjs'), input], {
    cwd: root,
    env: { ...process.env, SOFTHSM2_CONF: conf, ...proc.env },
    encoding: 'utf8',
    timeout: (4 * seconds + 60) * 1000,
  });
  const last = (r.stdout ?? '').trim().split('\n').at(-1) ?? '';
  let out;
  try {
    out = JSON.parse(last);
  } catch {
    return {
      error: `skipped (engine child exited ${r.status ?? r.signal}: ${(r.stderr ?? '').replace(/\s+/g, ' ').trim().slice(0, 300)})`,
    };
  }
  if (out.error) return { error: `skipped (engine child: ${out.error})` };
  return out;
}
