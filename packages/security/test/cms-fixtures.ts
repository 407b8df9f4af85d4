/**
 * Test parties for the CMS tests: a test CA and, per party, a software security module holding a
 * SIG and an ENC key with certificates issued by the CA (profile shaped after spec notes §4:
 * SIG digitalSignature+nonRepudiation, ENC keyAgreement). Not a .test.ts file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CurveName } from '../src/curves.js';
import { SoftwareSecurityModule } from '../src/module/software-module.js';
import {
  authorityKeyIdentifierExtension,
  basicConstraintsExtension,
  issueCertificate,
  keyIdentifier,
  keyUsageExtension,
  subjectKeyIdentifierExtension,
  toPem,
} from '../src/pki/index.js';

export interface Party {
  readonly name: string;
  readonly module: SoftwareSecurityModule;
  readonly sigSlot: 'wan-sig';
  readonly encSlot: 'wan-enc';
  readonly sigCert: Uint8Array;
  readonly encCert: Uint8Array;
}

export interface TestPki {
  readonly caCert: Uint8Array;
  readonly parties: Record<string, Party>;
  /** The party made under `name`; throws for a name not passed to `makeTestPki`. */
  party(name: string): Party;
  close(): Promise<void>;
}

/** The party's SIG key and certificate, as a CMS signer. */
export function signerOf(p: Party) {
  return { module: p.module, slot: p.sigSlot, certificate: p.sigCert };
}

/** The party's ENC key and certificate, as a CMS recipient. */
export function recipientOf(p: Party) {
  return { module: p.module, slot: p.encSlot, certificate: p.encCert };
}

const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
const NOT_AFTER = new Date('2027-01-01T00:00:00Z');

let serial = 1;

export async function makeTestPki(names: readonly string[], curve: CurveName = 'brainpoolP256r1'): Promise<TestPki> {
  const ca = await SoftwareSecurityModule.open();
  const caKey = await ca.generateKeyPair('ca', curve);
  const caSubject = [
    { type: 'C', value: 'DE' },
    { type: 'O', value: 'SM-Test-PKI-DE' },
    { type: 'CN', value: 'CMS-Test.CA' },
  ] as const;
  const caCert = (
    await issueCertificate({
      issuer: { module: ca, slot: 'ca' },
      subjectPublicKey: caKey,
      subject: caSubject,
      serial: Uint8Array.of(serial++),
      notBefore: NOT_BEFORE,
      notAfter: NOT_AFTER,
      extensions: [
        subjectKeyIdentifierExtension(keyIdentifier(caKey)),
        keyUsageExtension(['keyCertSign', 'cRLSign']),
        basicConstraintsExtension({ ca: true }),
      ],
      hash: 'SHA-256',
    })
  ).der;
  const parties: Record<string, Party> = {};
  for (const name of names) {
    const module = await SoftwareSecurityModule.open();
    const issue = async (slot: string, usage: Parameters<typeof keyUsageExtension>[0], cn: string) => {
      const key = await module.generateKeyPair(slot, curve);
      return (
        await issueCertificate({
          issuer: { module: ca, slot: 'ca', certificate: caCert },
          subjectPublicKey: key,
          subject: [
            { type: 'C', value: 'DE' },
            { type: 'O', value: 'SM-Test-PKI-DE' },
            { type: 'CN', value: cn },
          ],
          serial: Uint8Array.of(0x10, serial++),
          notBefore: NOT_BEFORE,
          notAfter: NOT_AFTER,
          extensions: [
            authorityKeyIdentifierExtension(keyIdentifier(caKey)),
            subjectKeyIdentifierExtension(keyIdentifier(key)),
            keyUsageExtension(usage),
            basicConstraintsExtension({ ca: false }),
          ],
          hash: 'SHA-256',
        })
      ).der;
    };
    const sigCert = await issue('wan-sig', ['digitalSignature', 'nonRepudiation'], `${name}.EMT`);
    const encCert = await issue('wan-enc', ['keyAgreement'], `${name}.EMT`);
    parties[name] = { name, module, sigSlot: 'wan-sig', encSlot: 'wan-enc', sigCert, encCert };
  }
  return {
    caCert,
    parties,
    party(name) {
      const p = parties[name];
      if (!p) throw new Error(`no party ${name} in this test PKI`);
      return p;
    },
    async close() {
      await ca.close();
      for (const p of Object.values(parties)) await p.module.close();
    },
  };
}

/** A temporary directory with files, removed by the returned `dispose`. */
export function tempFiles(files: Record<string, Uint8Array | string>): { dir: string; dispose(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'smgw-cms-'));
  for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

export function pemCertificate(der: Uint8Array): string {
  return toPem('CERTIFICATE', der);
}
