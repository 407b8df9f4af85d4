import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as cryptoModule from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Extensions, GeneralName, type TBSCertificate, Version } from '@peculiar/asn1-x509';
import { SoftwareSecurityModule } from '../src/module/software-module.js';
import { parseCertificate } from '../src/pki/certificate.js';
import { issueCertificate } from '../src/pki/certificate-builder.js';
import { type EndUserRole, endUserProfile, rootProfile, subCaProfile } from '../src/pki/certificate-profiles.js';
import {
  detectKind,
  inferCertType,
  LINT_RULES,
  type LintOptions,
  lintCertificate,
  lintCertificateDetailed,
  lintPasses,
  roleFromCommonName,
} from '../src/pki/lint.js';
import { toPem } from '../src/pki/pem.js';
import {
  CLIENT_AUTH,
  crlSignerCert,
  DAY,
  endUserCert,
  ext,
  KU,
  leafKey,
  localCert,
  type NameParts,
  ROOT_NAME,
  rootCert,
  SERVER_AUTH,
  SMPKI_POLICY,
  SUBCA_NAME,
  subCaCert,
  subCaKey,
  T0,
  testKey,
  YEAR,
} from './pki-fixtures.js';

/** The rule ids a certificate violates (errors and warnings), sorted and unique. */
function ruleIds(der: Uint8Array, options: LintOptions = {}): string[] {
  return [...new Set(lintCertificate(der, options).map((f) => f.rule))].sort();
}

function assertOnly(der: Uint8Array, rule: string, options: LintOptions = {}): void {
  assert.deepEqual(ruleIds(der, options), [rule]);
  const finding = lintCertificate(der, options).find((f) => f.rule === rule);
  assert.ok(finding);
  assert.ok(finding.message.includes('Requirement:'), 'the message says what the rule requires');
  assert.ok(finding.source.length > 0, 'the finding cites its source');
}

const endUserName = (cn: string, o = 'SM-Test-PKI-DE', c = 'DE'): NameParts => [
  ['CN', cn],
  ['O', o],
  ['C', c],
];

describe('lintCertificate: compliant certificates', () => {
  it('root, Sub-CA, CRL signer, every end-user triplet and LMN/HAN certificates give no findings', () => {
    const all: Array<[string, Uint8Array]> = [
      ['root', rootCert()],
      ['subca', subCaCert()],
      ['crl-signer', crlSignerCert()],
      ['lmn', localCert('lmn')],
      ['han', localCert('han')],
    ];
    for (const role of ['SMGW', 'GWA', 'GWH', 'EMT'] as const) {
      for (const type of ['tls', 'sig', 'enc'] as const) all.push([`${role}/${type}`, endUserCert(role, type)]);
    }
    for (const [name, der] of all) assert.deepEqual(lintCertificate(der), [], name);
  });

  it('detects kind, role and type', () => {
    const kinds = [rootCert(), subCaCert(), crlSignerCert(), endUserCert('GWA', 'tls'), localCert('lmn')].map((d) =>
      detectKind(parseCertificate(d)),
    );
    assert.deepEqual(kinds, ['root', 'subca', 'crl-signer', 'end-user', 'local']);
    assert.deepEqual(
      (['tls', 'sig', 'enc'] as const).map((t) => inferCertType(parseCertificate(endUserCert('EMT', t)))),
      ['tls', 'sig', 'enc'],
    );
    const r = lintCertificateDetailed(endUserCert('EMT', 'enc'));
    assert.deepEqual({ kind: r.kind, role: r.role, type: r.type }, { kind: 'end-user', role: 'EMT', type: 'enc' });
    assert.equal(roleFromCommonName('Lieferant-1.EMT.Strom'), 'EMT');
    assert.equal(roleFromCommonName('EOSM0100000001.SMGW'), 'SMGW');
    assert.equal(roleFromCommonName('x.SMGWX'), undefined);
    assert.equal(roleFromCommonName('.GWA'), undefined);
    assert.equal(roleFromCommonName(undefined), undefined);
    assert.equal(lintCertificateDetailed(localCert('han'), { kind: 'han' }).kind, 'local');
  });

  it('a Sub-CA may have another country; EMT CN may carry a suffix; SHA-384 end users after the switch', () => {
    assert.deepEqual(ruleIds(subCaCert({ subject: [...SUBCA_NAME.filter(([k]) => k !== 'C'), ['C', 'AT']] })), []);
    assert.deepEqual(ruleIds(endUserCert('EMT', 'sig', { subject: endUserName('Lieferant.EMT.Gas') })), []);
    assert.deepEqual(ruleIds(endUserCert('EMT', 'sig', { hash: 'SHA-384' })), []);
    assert.equal(lintPasses(lintCertificate(endUserCert('EMT', 'sig'))), true);
  });

  it('every rule in the table has a unique id, a source and a requirement, and docs/pki-lint.md lists it', () => {
    const ids = LINT_RULES.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length);
    for (const r of LINT_RULES) assert.ok(r.source && r.requirement && r.kinds.length > 0, r.id);
    const doc = readFileSync(join(dirname(fileURLToPath(import.meta.url)), '../../../docs/pki-lint.md'), 'utf8');
    for (const r of LINT_RULES) assert.ok(doc.includes(`| \`${r.id}\` |`), `docs/pki-lint.md lacks ${r.id}`);
  });
});

describe('lintCertificate: each rule rejects a hand-made violation', () => {
  it('X509_VERSION', () => assertOnly(endUserCert('GWA', 'sig', { version: Version.v2 }), 'X509_VERSION'));
  it('X509_SERIAL (negative, too long)', () => {
    assertOnly(endUserCert('GWA', 'sig', { serial: new Uint8Array([0x80, 1]) }), 'X509_SERIAL');
    assertOnly(endUserCert('GWA', 'sig', { serial: new Uint8Array(21).fill(0x11) }), 'X509_SERIAL');
  });
  it('X509_SIGNATURE_ALGORITHM', () =>
    assertOnly(endUserCert('GWA', 'sig', { tbsSignatureOid: '1.2.840.10045.4.3.3' }), 'X509_SIGNATURE_ALGORITHM'));
  it('X509_VALIDITY', () => assertOnly(endUserCert('GWA', 'sig', { notAfter: T0 }), 'X509_VALIDITY'));
  it('X509_UNKNOWN_CRITICAL_EXTENSION', () =>
    assertOnly(
      endUserCert('GWA', 'sig', { set: [{ oid: '1.2.3.4', critical: true, value: new Uint8Array([5, 0]) }] }),
      'X509_UNKNOWN_CRITICAL_EXTENSION',
    ));
  it('SMPKI_SUBJECT_O', () => {
    assertOnly(endUserCert('GWA', 'sig', { subject: endUserName('x.GWA', 'ACME') }), 'SMPKI_SUBJECT_O');
    assertOnly(
      rootCert({ subject: ROOT_NAME.map(([k, v]) => [k, k === 'O' ? 'SM-PKI' : v] as const) }),
      'SMPKI_SUBJECT_O',
    );
  });
  it('SMPKI_SUBJECT_C', () => {
    assertOnly(endUserCert('GWA', 'sig', { subject: endUserName('x.GWA', 'SM-PKI-DE', 'AT') }), 'SMPKI_SUBJECT_C');
    assertOnly(subCaCert({ subject: SUBCA_NAME.filter(([k]) => k !== 'C') }), 'SMPKI_SUBJECT_C');
  });
  it('SMPKI_SUBJECT_SERIALNUMBER', () => {
    assertOnly(
      rootCert({ subject: ROOT_NAME.map(([k, v]) => [k, k === 'serialNumber' ? 'A1' : v] as const) }),
      'SMPKI_SUBJECT_SERIALNUMBER',
    );
    assertOnly(subCaCert({ subject: SUBCA_NAME.filter(([k]) => k !== 'serialNumber') }), 'SMPKI_SUBJECT_SERIALNUMBER');
  });
  it('SMPKI_SUBJECT_CN (root, Sub-CA, CRL signer, end user)', () => {
    assertOnly(
      rootCert({ subject: ROOT_NAME.map(([k, v]) => [k, k === 'CN' ? 'My Root' : v] as const) }),
      'SMPKI_SUBJECT_CN',
    );
    assertOnly(
      subCaCert({ subject: SUBCA_NAME.map(([k, v]) => [k, k === 'CN' ? 'SM-Test-Sub' : v] as const) }),
      'SMPKI_SUBJECT_CN',
    );
    assertOnly(
      crlSignerCert({
        subject: [
          ['CN', 'Other.CRL-S'],
          ['O', 'SM-Test-PKI-DE'],
          ['C', 'DE'],
        ],
      }),
      'SMPKI_SUBJECT_CN',
    );
    assertOnly(endUserCert('GWA', 'sig', { subject: endUserName('OpenSMGW-Test.XYZ') }), 'SMPKI_SUBJECT_CN');
    assertOnly(
      endUserCert('SMGW', 'sig', { subject: [...endUserName('a.SMGW'), ['CN', 'b.SMGW']] }),
      'SMPKI_SUBJECT_CN',
      { kind: 'end-user' },
    );
  });
  it('SMPKI_POLICY (missing extension, other policy)', () => {
    assertOnly(endUserCert('GWA', 'sig', { drop: ['2.5.29.32'] }), 'SMPKI_POLICY');
    assertOnly(rootCert({ set: [ext.policies(['1.2.3'])] }), 'SMPKI_POLICY');
  });
  const requiredExtensions: Array<[string, string]> = [
    ['2.5.29.35', 'SMPKI_ENDUSER_REQUIRES_AKI'],
    ['2.5.29.14', 'SMPKI_ENDUSER_REQUIRES_SKI'],
    ['2.5.29.15', 'SMPKI_ENDUSER_REQUIRES_KU'],
    ['2.5.29.18', 'SMPKI_ENDUSER_REQUIRES_IAN'],
    ['2.5.29.19', 'SMPKI_ENDUSER_REQUIRES_BC'],
    ['2.5.29.31', 'SMPKI_ENDUSER_REQUIRES_CRLDP'],
  ];
  for (const [oid, rule] of requiredExtensions) {
    it(rule, () => {
      assertOnly(endUserCert('GWA', 'tls', { drop: [oid] }), rule);
      assertOnly(endUserCert('SMGW', 'enc', { drop: [oid] }), rule);
    });
  }
  it('SMPKI_ENDUSER_FORBIDS_PKUP', () =>
    assertOnly(
      endUserCert('EMT', 'sig', { set: [ext.pkup(T0, new Date(T0.getTime() + YEAR))] }),
      'SMPKI_ENDUSER_FORBIDS_PKUP',
    ));
  it('SMPKI_SAN_REQUIRED', () => {
    for (const role of ['GWA', 'GWH', 'EMT'] as const) {
      assertOnly(endUserCert(role, 'sig', { drop: ['2.5.29.17'] }), 'SMPKI_SAN_REQUIRED');
    }
  });
  it('SMPKI_SAN_FORBIDDEN', () =>
    assertOnly(
      endUserCert('SMGW', 'tls', { set: [ext.san([new GeneralName({ dNSName: 'smgw.test' })])] }),
      'SMPKI_SAN_FORBIDDEN',
    ));
  it('SMPKI_ENDUSER_NOT_CA', () =>
    assertOnly(endUserCert('EMT', 'sig', { set: [ext.basicConstraints(true)] }), 'SMPKI_ENDUSER_NOT_CA', {
      kind: 'end-user',
    }));

  const criticality: Array<[string, () => Uint8Array]> = [
    ['SMPKI_KU_CRITICAL', () => endUserCert('GWA', 'sig', { set: [ext.keyUsage(KU.digitalSignature, false)] })],
    ['SMPKI_BC_CRITICAL', () => subCaCert({ set: [ext.basicConstraints(true, 0, false)] })],
    ['SMPKI_EKU_CRITICAL', () => endUserCert('GWA', 'tls', { set: [ext.eku([SERVER_AUTH, CLIENT_AUTH], false)] })],
    ['SMPKI_AKI_NONCRITICAL', () => endUserCert('GWA', 'sig', { set: [ext.aki(subCaKey().spki, true)] })],
    ['SMPKI_SKI_NONCRITICAL', () => rootCert({ set: [ext.ski(testKey('brainpoolP384r1', 'root').spki, true)] })],
    ['SMPKI_PKUP_NONCRITICAL', () => subCaCert({ set: [ext.pkup(T0, new Date(T0.getTime() + YEAR), true)] })],
    ['SMPKI_POLICIES_NONCRITICAL', () => subCaCert({ set: [ext.policies([SMPKI_POLICY], true)] })],
    [
      'SMPKI_SAN_NONCRITICAL',
      () => endUserCert('EMT', 'sig', { set: [ext.san([new GeneralName({ dNSName: 'emt.test' })], true)] }),
    ],
    [
      'SMPKI_IAN_NONCRITICAL',
      () =>
        endUserCert('EMT', 'sig', {
          set: [ext.ian([new GeneralName({ uniformResourceIdentifier: 'http://x' })], true)],
        }),
    ],
    ['SMPKI_CRLDP_NONCRITICAL', () => endUserCert('EMT', 'sig', { set: [ext.crldp('http://x/subca.crl', true)] })],
  ];
  for (const [rule, make] of criticality) it(rule, () => assertOnly(make(), rule));

  it('SMPKI_CA_KEY_USAGE', () => {
    assertOnly(subCaCert({ set: [ext.keyUsage(KU.keyCertSign)] }), 'SMPKI_CA_KEY_USAGE');
    assertOnly(rootCert({ drop: ['2.5.29.15'] }), 'SMPKI_CA_KEY_USAGE');
  });
  it('SMPKI_CRL_SIGNER_KEY_USAGE', () =>
    assertOnly(crlSignerCert({ set: [ext.keyUsage(KU.cRLSign | KU.digitalSignature)] }), 'SMPKI_CRL_SIGNER_KEY_USAGE'));
  it('SMPKI_TLS_KEY_USAGE (TLS_CERT_06)', () => {
    assertOnly(
      endUserCert('GWA', 'tls', { set: [ext.keyUsage(KU.digitalSignature | KU.keyCertSign)] }),
      'SMPKI_TLS_KEY_USAGE',
    );
    assertOnly(endUserCert('GWA', 'tls', { set: [ext.keyUsage(KU.keyAgreement)] }), 'SMPKI_TLS_KEY_USAGE');
  });
  it('SMPKI_TLS_EKU (TLS_CERT_08)', () => {
    assertOnly(endUserCert('GWA', 'tls', { drop: ['2.5.29.37'] }), 'SMPKI_TLS_EKU', { type: 'tls' });
    assertOnly(endUserCert('SMGW', 'tls', { set: [ext.eku([SERVER_AUTH])] }), 'SMPKI_TLS_EKU');
    assertOnly(endUserCert('EMT', 'tls', { set: [ext.eku(['1.3.6.1.5.5.7.3.3'])] }), 'SMPKI_TLS_EKU');
    assertOnly(endUserCert('EMT', 'tls', { set: [ext.eku([SERVER_AUTH, '2.5.29.37.0'])] }), 'SMPKI_TLS_EKU');
  });
  it('SMPKI_SIG_KEY_USAGE', () => {
    assertOnly(endUserCert('EMT', 'sig', { set: [ext.keyUsage(KU.keyEncipherment)] }), 'SMPKI_SIG_KEY_USAGE');
    assertOnly(
      endUserCert('EMT', 'sig', { set: [ext.keyUsage(KU.digitalSignature | KU.keyAgreement)] }),
      'SMPKI_SIG_KEY_USAGE',
      {
        type: 'sig',
      },
    );
  });
  it('SMPKI_ENC_KEY_USAGE', () =>
    assertOnly(
      endUserCert('EMT', 'enc', { set: [ext.keyUsage(KU.keyAgreement | KU.digitalSignature)] }),
      'SMPKI_ENC_KEY_USAGE',
    ));
  it('TLS_NO_WILDCARD (TLS_CERT_03)', () => {
    assertOnly(
      endUserCert('GWA', 'tls', { set: [ext.san([new GeneralName({ dNSName: '*.opensmgw.test' })])] }),
      'TLS_NO_WILDCARD',
    );
    assertOnly(localCert('han', { subject: [['CN', '*.local']] }), 'TLS_NO_WILDCARD');
  });
  it('SMPKI_KEY_CURVE', () => {
    assertOnly(endUserCert('GWA', 'sig', { subjectKey: testKey('brainpoolP384r1', 'leaf384') }), 'SMPKI_KEY_CURVE');
    assertOnly(endUserCert('GWA', 'sig', { subjectKey: testKey('P-256', 'nist') }), 'SMPKI_KEY_CURVE');
    assertOnly(subCaCert({ subjectKey: testKey('brainpoolP512r1', 'sub512') }), 'SMPKI_KEY_CURVE');
  });
  it('SMPKI_SIGNATURE_HASH (per issuer, spec notes §3.2)', () => {
    assertOnly(endUserCert('GWA', 'sig', { hash: 'SHA-512' }), 'SMPKI_SIGNATURE_HASH');
    assertOnly(subCaCert({ hash: 'SHA-256' }), 'SMPKI_SIGNATURE_HASH');
    // root: P384 key with SHA-512 does not match its own curve
    assertOnly(rootCert({ hash: 'SHA-512' }), 'SMPKI_SIGNATURE_HASH');
    // with the issuer known: a brainpoolP256r1 Sub-CA signs with SHA-256, not SHA-384
    const issuer = parseCertificate(subCaCert());
    assert.deepEqual(ruleIds(endUserCert('GWA', 'sig', { hash: 'SHA-384' })), []);
    assertOnly(endUserCert('GWA', 'sig', { hash: 'SHA-384' }), 'SMPKI_SIGNATURE_HASH', { issuer });
  });
  it('LOCAL_SELF_SIGNED', () => {
    assertOnly(localCert('lmn', { signer: leafKey('someone-else') }), 'LOCAL_SELF_SIGNED');
    assertOnly(localCert('lmn', { issuer: [['CN', 'Other']] }), 'LOCAL_SELF_SIGNED', { kind: 'lmn' });
  });
  it('LOCAL_VALIDITY_7Y (exactly 7 years passes)', () => {
    const sevenYears = new Date(T0);
    sevenYears.setUTCFullYear(T0.getUTCFullYear() + 7);
    assert.deepEqual(ruleIds(localCert('lmn', { notAfter: sevenYears })), []);
    assertOnly(localCert('lmn', { notAfter: new Date(sevenYears.getTime() + DAY) }), 'LOCAL_VALIDITY_7Y');
    assertOnly(localCert('han', { set: [ext.pkup(T0, new Date(sevenYears.getTime() + DAY))] }), 'LOCAL_VALIDITY_7Y');
  });
  it('LOCAL_KEY_CURVE', () => {
    assertOnly(localCert('lmn', { hash: 'SHA-384' }), 'LOCAL_KEY_CURVE');
    const pair = cryptoModule.generateKeyPairSync('ec', { namedCurve: 'secp256k1' });
    const spki = new Uint8Array(pair.publicKey.export({ format: 'der', type: 'spki' }));
    assertOnly(
      localCert('lmn', { subjectKey: { curve: 'P-384', privateKey: pair.privateKey, spki } }),
      'LOCAL_KEY_CURVE',
    );
  });
  it('LOCAL_NOT_CA', () => {
    assertOnly(localCert('lmn', { set: [ext.keyUsage(KU.digitalSignature | KU.keyCertSign)] }), 'LOCAL_NOT_CA');
    assertOnly(localCert('han', { set: [ext.keyUsage(KU.keyAgreement)] }), 'LOCAL_NOT_CA');
  });
});

describe('lintCertificate on certificates made by the openssl CLI (independent source)', () => {
  it('a compliant GWA TLS certificate passes; a non-critical KeyUsage is reported', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smgw-lint-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), toPem('CERTIFICATE', subCaCert()));
      writeFileSync(join(dir, 'ca.key'), subCaKey().privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const leaf = leafKey('openssl-leaf');
      writeFileSync(join(dir, 'leaf.key'), leaf.privateKey.export({ format: 'pem', type: 'pkcs8' }));
      const common = [
        'subjectKeyIdentifier=hash',
        'authorityKeyIdentifier=keyid',
        'certificatePolicies=0.4.0.127.0.7.3.4.1.1.1',
        'issuerAltName=URI:http://pki.opensmgw.test/subca',
        'basicConstraints=critical,CA:FALSE',
        'crlDistributionPoints=URI:http://pki.opensmgw.test/subca.crl',
        'extendedKeyUsage=critical,serverAuth,clientAuth',
        'subjectAltName=DNS:gwa.opensmgw.test',
      ];
      writeFileSync(join(dir, 'good.cnf'), ['[ext]', ...common, 'keyUsage=critical,digitalSignature'].join('\n'));
      writeFileSync(join(dir, 'bad.cnf'), ['[ext]', ...common, 'keyUsage=digitalSignature'].join('\n'));
      const sign = (cnf: string): Uint8Array => {
        execFileSync('openssl', [
          'req',
          '-new',
          '-key',
          join(dir, 'leaf.key'),
          '-subj',
          '/CN=OpenSMGW-Test.GWA/O=SM-Test-PKI-DE/C=DE',
          '-out',
          join(dir, 'leaf.csr'),
        ]);
        execFileSync(
          'openssl',
          [
            'x509',
            '-req',
            '-in',
            join(dir, 'leaf.csr'),
            '-CA',
            join(dir, 'ca.pem'),
            '-CAkey',
            join(dir, 'ca.key'),
            '-set_serial',
            '0x1234',
            '-days',
            '730',
            '-sha256',
            '-extfile',
            join(dir, cnf),
            '-extensions',
            'ext',
            '-out',
            join(dir, 'leaf.pem'),
          ],
          { stdio: 'pipe' },
        );
        return parseCertificate(
          new Uint8Array(
            Buffer.from(readFileSync(join(dir, 'leaf.pem'), 'utf8').replace(/-----[A-Z ]+-----|\s/g, ''), 'base64'),
          ),
        ).der;
      };
      assert.deepEqual(lintCertificate(sign('good.cnf')), []);
      assertOnly(sign('bad.cnf'), 'SMPKI_KU_CRITICAL');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('lintCertificate on certificates from the PKI builder (certificate-builder.ts, test-only mutate hook)', () => {
  it('the profiles pass; violations made through the builder are found', async () => {
    const module = await SoftwareSecurityModule.open();
    try {
      const rootKeyPair = await module.generateKeyPair('root', 'brainpoolP384r1');
      const subKey = await module.generateKeyPair('subca', 'brainpoolP256r1');
      const leaf = await module.generateKeyPair('leaf', 'brainpoolP256r1');
      const validity = { notBefore: T0, notAfter: new Date(T0.getTime() + 7 * YEAR) };
      const rootProf = rootProfile({ keys: { subjectKey: rootKeyPair, issuerKey: rootKeyPair }, serialNumber: '1' });
      const root = await issueCertificate({
        issuer: { module, slot: 'root' },
        subjectPublicKey: rootKeyPair,
        subject: rootProf.subject,
        serial: new Uint8Array([1]),
        ...validity,
        extensions: rootProf.extensions,
        hash: rootProf.hash,
      });
      const subProf = subCaProfile({
        keys: { subjectKey: subKey, issuerKey: rootKeyPair },
        serialNumber: '2',
        crlDistributionPoint: 'http://pki.opensmgw.test/root.crl',
        issuerAltName: [{ uri: 'http://pki.opensmgw.test/root' }],
      });
      const sub = await issueCertificate({
        issuer: { module, slot: 'root', certificate: root.der },
        subjectPublicKey: subKey,
        subject: subProf.subject,
        serial: new Uint8Array([2]),
        ...validity,
        extensions: subProf.extensions,
        hash: subProf.hash,
      });
      assert.deepEqual(ruleIds(root.der), []);
      assert.deepEqual(ruleIds(sub.der, { issuer: parseCertificate(root.der) }), []);
      const issuer = { module, slot: 'subca', certificate: sub.der };
      const issue = async (mutate?: (tbs: TBSCertificate) => void, role: EndUserRole = 'EMT') => {
        const profile = endUserProfile({
          keys: { subjectKey: leaf, issuerKey: subKey },
          role,
          type: 'sig',
          commonName: `Test.${role}`,
          subjectAltNames: [{ dns: 'emt.opensmgw.test' }],
          crlDistributionPoint: 'http://pki.opensmgw.test/subca.crl',
          issuerAltName: [{ uri: 'http://pki.opensmgw.test/subca' }],
        });
        const built = await issueCertificate({
          issuer,
          subjectPublicKey: leaf,
          subject: profile.subject,
          serial: new Uint8Array([0x01, 0x02]),
          notBefore: T0,
          notAfter: new Date(T0.getTime() + 2 * YEAR),
          extensions: profile.extensions,
          hash: profile.hash,
          ...(mutate ? { mutate } : {}),
        });
        return built.der;
      };
      assert.deepEqual(ruleIds(await issue()), []);
      assert.deepEqual(ruleIds(await issue(undefined, 'SMGW')), []);
      assertOnly(
        await issue((tbs) => {
          tbs.version = Version.v1;
        }),
        'X509_VERSION',
      );
      assertOnly(
        await issue((tbs) => {
          tbs.extensions = new Extensions((tbs.extensions ?? []).filter((e) => e.extnID !== '2.5.29.18'));
        }),
        'SMPKI_ENDUSER_REQUIRES_IAN',
      );
      assertOnly(
        await issue((tbs) => {
          for (const e of tbs.extensions ?? []) if (e.extnID === '2.5.29.19') e.critical = false;
        }),
        'SMPKI_BC_CRITICAL',
      );
    } finally {
      await module.close();
    }
  });
});
