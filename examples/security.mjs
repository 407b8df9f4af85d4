import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '@opensmgw/core';
import {
  initTestPki,
  openContainer,
  openEntityModule,
  readDerObjects,
  sealContainer,
  signWakeupPacket,
  WakeupVerifier,
} from '@opensmgw/security';

// Run from the repository root after `npm run build`: node examples/security.mjs

// A throw-away test SM-PKI: root, Sub-CA, CRLs, GWA/EMT/gateway triplets, each entity's keys in
// its own sealed keystore (what `smgw pki init DIR` makes).
const dir = mkdtempSync(join(tmpdir(), 'opensmgw-example-'));
const pki = join(dir, 'pki');
await initTestPki(pki);
const cert = (entity, file) => readDerObjects(readFileSync(join(pki, entity, file)), 'CERTIFICATE')[0];

// The gateway seals meter data for EMT 1: signed with its SIG key, encrypted to the EMT's ENC
// certificate (CMS SignedData over AuthEnvelopedData, ECKA-EG on brainpoolP256r1).
const gateway = await openEntityModule(pki, 'gateway');
const emt = await openEntityModule(pki, 'emt-1');
const container = await sealContainer({
  payload: new TextEncoder().encode('1-0:1.8.0*255 = 12345.6 kWh'),
  recipients: [cert('emt-1', 'enc.crt.pem')],
  signer: { module: gateway, slot: 'wan-sig', certificate: cert('gateway', 'sig.crt.pem') },
});
const opened = await openContainer(container, {
  trustedSenders: [cert('gateway', 'sig.crt.pem')],
  recipient: { module: emt, slot: 'wan-enc', certificate: cert('emt-1', 'enc.crt.pem') },
});
console.log(new TextDecoder().decode(opened.payload), opened.encryption);

// The GWA signs a wake-up packet; the gateway checks it (recipient, time window, replay, signature).
const gwa = await openEntityModule(pki, 'gwa');
const packet = await signWakeupPacket(gwa, 'wan-sig', {
  gatewayId: 'EOSM0100000001',
  timestampMs: Date.now(),
  sequence: 1n,
});
const verifier = new WakeupVerifier({
  gatewayId: 'EOSM0100000001',
  gwaCertificates: [cert('gwa', 'sig.crt.pem')],
  clock: systemClock,
});
console.log(packet.length, verifier.verify(packet).gatewayId);
try {
  verifier.verify(packet);
} catch (e) {
  console.log(e.code); // the same packet again is a replay
}

for (const m of [gateway, emt, gwa]) await m.close();
rmSync(dir, { recursive: true, force: true });
