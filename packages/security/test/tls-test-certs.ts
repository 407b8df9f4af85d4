/**
 * Test certificates for the TLS profile tests, made with the openssl CLI in a temp dir (helper,
 * not a test file). SM-PKI-shaped chain (root brainpoolP384r1/SHA-384, Sub-CA brainpoolP256r1,
 * TLS leaves brainpoolP256r1/SHA-256 with role suffixes and EKUs as the test SM-PKI has them), a
 * foreign CA with its own leaves, and self-signed LMN/HAN certificates.
 *
 * Why not the project's PKI builder (test-pki.ts): these tests must not depend on it; when it is
 * stable the lead may switch. The shapes here follow the same layout contract.
 */
import { execFileSync } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestIdentity {
  /** PKCS#8 PEM private key. */
  readonly key: string;
  /** PEM of the leaf certificate. */
  readonly cert: string;
  readonly der: Uint8Array;
  /** PEM of the leaf, then of the Sub-CA for SM-PKI leaves (never the root). */
  readonly chain: string[];
  readonly keyPath: string;
  readonly certPath: string;
  /** File with leaf + intermediates, for `openssl s_client -cert_chain`/`-cert`. */
  readonly chainPath: string;
}

export interface TlsTestCerts {
  readonly dir: string;
  readonly root: TestIdentity;
  readonly subca: TestIdentity;
  readonly gwa: TestIdentity;
  readonly emt: TestIdentity;
  readonly smgw: TestIdentity;
  /** An SMGW certificate from another CA (not our root). */
  readonly foreignSmgw: TestIdentity;
  /** A GWA server certificate from another CA. */
  readonly foreignGwa: TestIdentity;
  readonly foreignRoot: TestIdentity;
  readonly gatewayLmn: TestIdentity;
  readonly meterLmn: TestIdentity;
  readonly gatewayHan: TestIdentity;
  readonly consumerHan: TestIdentity;
  /** Self-signed, pinned nowhere. */
  readonly stranger: TestIdentity;
  /** All certificates are valid from `notBefore` (now, truncated by openssl) for `days`. */
  readonly days: number;
  cleanup(): void;
}

const DAYS = 700;

export function makeTlsTestCerts(): TlsTestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'smgw-tls-certs-'));
  const openssl = (...args: string[]): void => {
    execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  };
  const newKey = (name: string, curve: string): string => {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
    const path = join(dir, `${name}.key`);
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    return path;
  };
  const finish = (name: string, keyPath: string, intermediates: TestIdentity[]): TestIdentity => {
    const certPath = join(dir, `${name}.crt`);
    const cert = readFileSync(certPath, 'utf8');
    const chain = [cert, ...intermediates.map((i) => i.cert)];
    const chainPath = join(dir, `${name}.chain.pem`);
    writeFileSync(chainPath, chain.join(''));
    const der = new Uint8Array(Buffer.from(cert.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
    return { key: readFileSync(keyPath, 'utf8'), cert, der, chain, keyPath, certPath, chainPath };
  };
  const selfSigned = (name: string, subject: string, curve: string, exts: string[], hash = 'sha256'): TestIdentity => {
    const keyPath = newKey(name, curve);
    openssl(
      'req',
      '-new',
      '-x509',
      '-key',
      keyPath,
      '-subj',
      subject,
      '-days',
      String(DAYS),
      `-${hash}`,
      ...exts.flatMap((e) => ['-addext', e]),
      '-out',
      join(dir, `${name}.crt`),
    );
    return finish(name, keyPath, []);
  };
  const issued = (
    name: string,
    subject: string,
    issuer: TestIdentity,
    exts: string[],
    hash = 'sha256',
    intermediates: TestIdentity[] = [],
  ): TestIdentity => {
    const keyPath = newKey(name, 'brainpoolP256r1');
    openssl(
      'req',
      '-new',
      '-x509',
      '-key',
      keyPath,
      '-CA',
      issuer.certPath,
      '-CAkey',
      issuer.keyPath,
      '-subj',
      subject,
      '-days',
      String(DAYS),
      `-${hash}`,
      ...exts.flatMap((e) => ['-addext', e]),
      '-out',
      join(dir, `${name}.crt`),
    );
    return finish(name, keyPath, intermediates);
  };
  const ca = ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'];
  const leaf = (eku: string, san?: string): string[] => [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature',
    `extendedKeyUsage=critical,${eku}`,
    'certificatePolicies=0.4.0.127.0.7.3.4.1.1.1',
    ...(san === undefined ? [] : [`subjectAltName=${san}`]),
  ];
  const local = ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature'];

  const root = selfSigned('root', '/CN=SM-Test-Root.CA/O=SM-Test-PKI-DE/C=DE', 'brainpoolP384r1', ca, 'sha384');
  const subcaKey = newKey('subca', 'brainpoolP256r1');
  openssl(
    'req',
    '-new',
    '-x509',
    '-key',
    subcaKey,
    '-CA',
    root.certPath,
    '-CAkey',
    root.keyPath,
    '-subj',
    '/CN=SM-Test-Sub.CA/O=SM-Test-PKI-DE/C=DE',
    '-days',
    String(DAYS),
    '-sha384',
    '-addext',
    'basicConstraints=critical,CA:TRUE,pathlen:0',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
    '-addext',
    'certificatePolicies=0.4.0.127.0.7.3.4.1.1.1',
    '-out',
    join(dir, 'subca.crt'),
  );
  const subca = finish('subca', subcaKey, []);
  const viaSubca = (name: string, subject: string, exts: string[]): TestIdentity =>
    issued(name, subject, subca, exts, 'sha256', [subca]);

  const gwa = viaSubca(
    'gwa',
    '/CN=OpenSMGW-Test.GWA/O=SM-Test-PKI-DE/C=DE',
    leaf('serverAuth,clientAuth', 'DNS:gwa.opensmgw.test'),
  );
  const emt = viaSubca(
    'emt',
    '/CN=OpenSMGW-Test-1.EMT/O=SM-Test-PKI-DE/C=DE',
    leaf('serverAuth,clientAuth', 'DNS:emt-1.opensmgw.test'),
  );
  const smgw = viaSubca('smgw', '/CN=EOSM0100000001.SMGW/O=SM-Test-PKI-DE/C=DE', leaf('clientAuth'));

  const foreignRoot = selfSigned('foreign-root', '/CN=Foreign-Root.CA/O=Elsewhere/C=DE', 'brainpoolP256r1', ca);
  const foreignSmgw = issued(
    'foreign-smgw',
    '/CN=EOSM0100000009.SMGW/O=Elsewhere/C=DE',
    foreignRoot,
    leaf('clientAuth'),
  );
  const foreignGwa = issued(
    'foreign-gwa',
    '/CN=Foreign.GWA/O=Elsewhere/C=DE',
    foreignRoot,
    leaf('serverAuth,clientAuth', 'DNS:gwa.opensmgw.test'),
  );

  const gatewayLmn = selfSigned('gateway-lmn', '/CN=EOSM0100000001 LMN/O=OpenSMGW/C=DE', 'brainpoolP256r1', local);
  const meterLmn = selfSigned('meter-lmn', '/CN=1ESY1160000001 LMN/O=OpenSMGW/C=DE', 'brainpoolP256r1', local);
  const gatewayHan = selfSigned('gateway-han', '/CN=EOSM0100000001 HAN/O=OpenSMGW/C=DE', 'brainpoolP256r1', local);
  const consumerHan = selfSigned('consumer-han', '/CN=consumer-1 HAN/O=OpenSMGW/C=DE', 'brainpoolP256r1', local);
  const stranger = selfSigned('stranger', '/CN=stranger/O=Elsewhere/C=DE', 'brainpoolP256r1', local);

  return {
    dir,
    root,
    subca,
    gwa,
    emt,
    smgw,
    foreignSmgw,
    foreignGwa,
    foreignRoot,
    gatewayLmn,
    meterLmn,
    gatewayHan,
    consumerHan,
    stranger,
    days: DAYS,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
