/**
 * A two-level CA shaped after the SM-PKI (spec notes §4) for the builder and CRL tests (helper,
 * not a test file): a brainpoolP384r1 root and a brainpoolP256r1 Sub-CA, both made by the
 * certificate builder with the src profiles, their keys in one MemorySecurityModule (slots `root`
 * and `sub`), and written as `root.pem` and `sub.pem` into `dir` for openssl.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EcPublicKey } from '../src/ec-keys.js';
import { issueCertificate } from '../src/pki/certificate-builder.js';
import { rootProfile, subCaProfile } from '../src/pki/certificate-profiles.js';
import { toPem } from '../src/pki/pem.js';
import { MemorySecurityModule } from './pki-memory-module.js';

export interface MemoryCa {
  readonly module: MemorySecurityModule;
  readonly rootKey: EcPublicKey;
  readonly subKey: EcPublicKey;
  /** Serial 1, self-signed, ecdsa-with-SHA384. */
  readonly rootDer: Uint8Array;
  /** Serial 2, signed by the root; CRL distribution point and issuer name point at the root. */
  readonly subDer: Uint8Array;
  /** The Sub-CA as the issuer of end-user certificates and CRLs. */
  readonly sub: { readonly module: MemorySecurityModule; readonly slot: 'sub'; readonly certificate: Uint8Array };
}

export async function makeMemoryCa(o: {
  readonly notBefore: Date;
  readonly rootNotAfter: Date;
  readonly subNotAfter: Date;
  readonly dir: string;
}): Promise<MemoryCa> {
  const module = new MemorySecurityModule();
  const rootKey = await module.generateKeyPair('root', 'brainpoolP384r1');
  const subKey = await module.generateKeyPair('sub', 'brainpoolP256r1');
  const rootDer = (
    await issueCertificate({
      issuer: { module, slot: 'root' },
      subjectPublicKey: rootKey,
      ...rootProfile({ keys: { subjectKey: rootKey, issuerKey: rootKey }, serialNumber: '1' }),
      serial: new Uint8Array([1]),
      notBefore: o.notBefore,
      notAfter: o.rootNotAfter,
    })
  ).der;
  const subDer = (
    await issueCertificate({
      issuer: { module, slot: 'root', certificate: rootDer },
      subjectPublicKey: subKey,
      ...subCaProfile({
        keys: { subjectKey: subKey, issuerKey: rootKey },
        serialNumber: '1',
        crlDistributionPoint: 'http://pki.opensmgw.test/root.crl',
        issuerAltName: [{ uri: 'http://pki.opensmgw.test/root' }],
      }),
      serial: new Uint8Array([2]),
      notBefore: o.notBefore,
      notAfter: o.subNotAfter,
    })
  ).der;
  writeFileSync(join(o.dir, 'root.pem'), toPem('CERTIFICATE', rootDer));
  writeFileSync(join(o.dir, 'sub.pem'), toPem('CERTIFICATE', subDer));
  return { module, rootKey, subKey, rootDer, subDer, sub: { module, slot: 'sub', certificate: subDer } };
}
