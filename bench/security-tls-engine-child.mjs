#!/usr/bin/env node
// Child process of bench/security.mjs for the PKCS#11 rows: the LMN handshakes with the gateway's
// TLS key in a token. It runs as a gateway process would (docs/pkcs11.md): node started with
// --openssl-shared-config and OPENSSL_CONF (libp11's pkcs11 engine), SOFTHSM2_CONF, the user PIN
// in SMGW_PKCS11_PIN, which it takes and removes from its environment first thing.
//
// It opens the token with openTokenBesideEngine (onClose: keep-login, as a process that shares the
// token with the engine must), generates the gateway's brainpoolP256r1 `lmn-tls` key on the token
// (sensitive, non-extractable), self-signs its LMN certificate with that key (local profile, as
// the test SM-PKI makes it), and runs the LMN full and resumed handshake rows with the token key
// on the server side (tlsKey → pkcs11 URI → privateKeyEngine/privateKeyIdentifier) and meter-1's
// software key on the client side. Prints one JSON line.
//
//   node --openssl-shared-config bench/security-tls-engine-child.mjs <input.json>
//   input: { library, tokenLabel, meterKey (PEM PKCS#8), meterCert (PEM), seconds }
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { systemClock } from '@opensmgw/core';
import {
  engineProcessProblem,
  issueCertificate,
  lmnClientProfile,
  lmnServerProfile,
  localSelfSignedProfile,
  openTokenBesideEngine,
  takePkcs11Pin,
  toPem,
} from '@opensmgw/security';
import { measureHandshakes } from './security-tls-handshakes.mjs';

const input = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const pin = takePkcs11Pin();

async function main() {
  const problem = engineProcessProblem();
  if (problem) throw new Error(problem);
  const sm = await openTokenBesideEngine({ library: input.library, tokenLabel: input.tokenLabel, pin });
  try {
    const key = await sm.generateKeyPair('lmn-tls', 'brainpoolP256r1');
    const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
    const notAfter = new Date(notBefore.getTime() + 7 * 365 * 86_400_000);
    const cert = await issueCertificate({
      issuer: { module: sm, slot: 'lmn-tls' },
      subjectPublicKey: key,
      ...localSelfSignedProfile({
        key,
        commonName: 'EOSM0100000001-LMN',
        extendedKeyUsage: ['serverAuth', 'clientAuth'],
      }),
      serial: new Uint8Array(randomBytes(8)),
      notBefore,
      notAfter,
    });
    await sm.writeCertificate('lmn-tls', cert.der);
    const gatewayCert = toPem('CERTIFICATE', cert.der);
    const ref = await sm.tlsKey('lmn-tls');
    if (ref.kind !== 'engine') throw new Error(`expected an engine key reference, got ${ref.kind}`);
    const serverProfile = lmnServerProfile({
      key: ref,
      certificates: gatewayCert,
      trust: { kind: 'pinned', certificates: [input.meterCert] },
      clock: systemClock,
    });
    const clientProfile = lmnClientProfile({
      key: { kind: 'pem', pem: input.meterKey },
      certificates: input.meterCert,
      trust: { kind: 'pinned', certificates: [gatewayCert] },
      clock: systemClock,
    });
    const rows = { serverProfile, clientProfile, seconds: input.seconds };
    const full = await measureHandshakes({ ...rows, resumed: false });
    const resumed = await measureHandshakes({ ...rows, resumed: true });
    const protection = await sm.keyProtection('lmn-tls');
    if (protection.extractable || !protection.sensitive) throw new Error('the token key is extractable');
    return {
      full,
      resumed,
      environment: { keyReference: ref.identifier, keyProtection: protection, engineServerSide: true },
    };
  } finally {
    await sm.close();
  }
}

// A watchdog, not a wait: a hung handshake must end the child, never the bench.
setTimeout(
  () => {
    process.stdout.write(`${JSON.stringify({ error: 'watchdog: no result in time' })}\n`);
    process.exit(3);
  },
  (4 * Number(input.seconds) + 40) * 1000,
).unref();

main().then(
  (out) => {
    process.stdout.write(`${JSON.stringify(out)}\n`);
    process.exit(0);
  },
  (e) => {
    process.stdout.write(`${JSON.stringify({ error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) })}\n`);
    process.exit(2);
  },
);
