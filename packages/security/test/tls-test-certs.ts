/**
 * Key and certificate material for the TLS profile tests (helper, not a test file).
 *
 * The good material is the project's test SM-PKI (`initTestPki`, layout in docs/pki.md): GWA,
 * EMT and gateway TLS triplet members with their chain, CRLs and roots, and the self-signed
 * LMN/HAN certificates of gateway, meter and consumer; keys come out of each entity's software
 * security module (`tlsKey`, PEM) and are also written to files for `openssl s_client`.
 * The bad material is made with the openssl CLI: a foreign CA with an SMGW and a GWA
 * certificate, and a self-signed certificate pinned nowhere.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@opensmgw/core';
import { initTestPki, openEntityModule, readDerObjects, type TlsKeyReference, type TlsTrust } from '../src/index.js';

export interface TestIdentity {
  readonly key: TlsKeyReference;
  /** PEM of the private key (also in `keyPath`). */
  readonly keyPem: string;
  /** PEM of the leaf certificate. */
  readonly cert: string;
  readonly der: Uint8Array;
  /** PEM of the leaf, then of the Sub-CA for SM-PKI leaves (never the root). */
  readonly chain: string[];
  readonly keyPath: string;
  readonly certPath: string;
  /** Leaf + intermediates in one file (for `openssl s_client -cert`). */
  readonly chainPath: string;
}

export interface TlsTestMaterial {
  readonly dir: string;
  readonly pkiDir: string;
  /** The time the test PKI was made at (its certificates are valid from then). */
  readonly issuedAt: number;
  /** trust/roots.pem, subca/ca.crt.pem, trust/crls.pem as text, and their paths. */
  readonly roots: string;
  readonly subca: string;
  readonly crls: string;
  readonly rootsPath: string;
  smPkiTrust(): TlsTrust;
  readonly gwa: TestIdentity;
  readonly emt: TestIdentity;
  readonly smgw: TestIdentity;
  readonly gatewayLmn: TestIdentity;
  readonly meterLmn: TestIdentity;
  readonly gatewayHan: TestIdentity;
  readonly consumerHan: TestIdentity;
  /** An SMGW client certificate from another CA (not our root). */
  readonly foreignSmgw: TestIdentity;
  /** A GWA server certificate (right name and SAN) from another CA. */
  readonly foreignGwa: TestIdentity;
  /** Self-signed, pinned nowhere. */
  readonly stranger: TestIdentity;
  cleanup(): void;
}

/** Later than every certificate here (test PKI: end users 2 y, gateway and local 7 y; openssl ones 700 d). */
export const AFTER_EXPIRY_MS = 8 * 366 * 86_400_000;

export async function makeTlsTestMaterial(): Promise<TlsTestMaterial> {
  const dir = mkdtempSync(join(tmpdir(), 'smgw-tls-'));
  try {
    const issuedAt = Date.now();
    const pkiDir = join(dir, 'pki');
    await initTestPki(pkiDir, { clock: new FakeClock(issuedAt) });
    const read = (rel: string): string => readFileSync(join(pkiDir, rel), 'utf8');
    const subca = read('subca/ca.crt.pem');

    const fromPki = async (entity: string, slot: string, certRel: string, viaSubca: boolean): Promise<TestIdentity> => {
      const module = await openEntityModule(pkiDir, entity);
      try {
        const ref = await module.tlsKey(slot);
        if (ref.kind !== 'pem') throw new Error(`${entity}/${slot}: expected a software key`);
        const cert = read(certRel);
        return identity(dir, `${entity}-${slot}`, ref.pem, cert, viaSubca ? [subca] : []);
      } finally {
        await module.close();
      }
    };

    const gwa = await fromPki('gwa', 'wan-tls', 'gwa/tls.crt.pem', true);
    const emt = await fromPki('emt-1', 'wan-tls', 'emt-1/tls.crt.pem', true);
    const smgw = await fromPki('gateway', 'wan-tls', 'gateway/tls.crt.pem', true);
    const gatewayLmn = await fromPki('gateway', 'lmn-tls', 'gateway/lmn-tls.crt.pem', false);
    const meterLmn = await fromPki('meter-1', 'lmn-tls', 'meter-1/lmn-tls.crt.pem', false);
    const gatewayHan = await fromPki('gateway', 'han-tls', 'gateway/han-tls.crt.pem', false);
    const consumerHan = await fromPki('consumer-1', 'han-tls', 'consumer-1/han-tls.crt.pem', false);

    const foreign = makeForeign(dir);
    const roots = read('trust/roots.pem');
    const crls = read('trust/crls.pem');
    return {
      dir,
      pkiDir,
      issuedAt,
      roots,
      subca,
      crls,
      rootsPath: join(pkiDir, 'trust/roots.pem'),
      smPkiTrust: () => ({ kind: 'sm-pki', roots: [roots], intermediates: [subca], crls: [crls] }),
      gwa,
      emt,
      smgw,
      gatewayLmn,
      meterLmn,
      gatewayHan,
      consumerHan,
      ...foreign,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

function identity(dir: string, name: string, keyPem: string, cert: string, intermediates: string[]): TestIdentity {
  const keyPath = join(dir, `${name}.key`);
  const certPath = join(dir, `${name}.crt`);
  const chainPath = join(dir, `${name}.chain.pem`);
  const chain = [cert, ...intermediates];
  writeFileSync(keyPath, keyPem, { mode: 0o600 });
  writeFileSync(certPath, cert);
  writeFileSync(chainPath, chain.join(''));
  const der = readDerObjects(cert, 'CERTIFICATE')[0] as Uint8Array;
  return { key: { kind: 'pem', pem: keyPem }, keyPem, cert, der, chain, keyPath, certPath, chainPath };
}

function makeForeign(dir: string): Pick<TlsTestMaterial, 'foreignSmgw' | 'foreignGwa' | 'stranger'> {
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const newKey = (name: string): string => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' });
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    writeFileSync(join(dir, `${name}.key`), pem, { mode: 0o600 });
    return pem;
  };
  const make = (name: string, subject: string, exts: string[], issuer?: string): TestIdentity => {
    const keyPem = newKey(name);
    const ca = issuer === undefined ? [] : ['-CA', join(dir, `${issuer}.crt`), '-CAkey', join(dir, `${issuer}.key`)];
    openssl(
      'req',
      '-new',
      '-x509',
      '-key',
      join(dir, `${name}.key`),
      ...ca,
      '-subj',
      subject,
      '-days',
      '700',
      '-sha256',
      ...exts.flatMap((e) => ['-addext', e]),
      '-out',
      join(dir, `${name}.crt`),
    );
    return identity(dir, name, keyPem, readFileSync(join(dir, `${name}.crt`), 'utf8'), []);
  };
  const leaf = (eku: string, san?: string): string[] => [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=critical,${eku}`,
    'certificatePolicies=0.4.0.127.0.7.3.4.1.1.1',
    ...(san === undefined ? [] : [`subjectAltName=${san}`]),
  ];
  make('foreign-root', '/CN=Foreign-Root.CA/O=Elsewhere/C=DE', [
    'basicConstraints=critical,CA:TRUE',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return {
    foreignSmgw: make('foreign-smgw', '/CN=EOSM0100000009.SMGW/O=Elsewhere/C=DE', leaf('clientAuth'), 'foreign-root'),
    foreignGwa: make(
      'foreign-gwa',
      '/CN=Foreign.GWA/O=Elsewhere/C=DE',
      leaf('serverAuth,clientAuth', 'DNS:gwa.opensmgw.test'),
      'foreign-root',
    ),
    stranger: make('stranger', '/CN=stranger/O=Elsewhere/C=DE', [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
    ]),
  };
}
