/**
 * Test-only X.509 certificate and CRL maker for the parser, lint and path-validation tests:
 * asn1-x509 structures signed with node:crypto keys. Independent from the PKI builder
 * (src/pki/certificate-builder.ts) on purpose, so the lint is not only checked against the code
 * it checks, and so every field can be bent (drop/add extensions, flip criticality, wrong names).
 */
import { createHash, generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  AttributeTypeAndValue,
  AttributeValue,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificateList,
  CertificatePolicies,
  CRLDistributionPoints,
  CRLNumber,
  CRLReason,
  DistributionPoint,
  DistributionPointName,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  GeneralNames,
  KeyIdentifier,
  KeyUsage,
  Name,
  PolicyInformation,
  PrivateKeyUsagePeriod,
  RelativeDistinguishedName,
  RevokedCertificate,
  SubjectKeyIdentifier,
  SubjectPublicKeyInfo,
  TBSCertificate,
  TBSCertList,
  Time,
  Validity,
  Version,
} from '@peculiar/asn1-x509';
import { CURVES, type CurveName, ECDSA_OIDS, type HashName, NODE_HASH } from '../src/curves.js';

export const SMPKI_POLICY = '0.4.0.127.0.7.3.4.1.1.1';
export const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
export const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';
export const DAY = 86_400_000;
export const YEAR = 365 * DAY;
/** A fixed "now" for every fixture: tests pass `at` explicitly. */
export const T0 = new Date('2025-01-01T00:00:00Z');

export interface TestKey {
  readonly curve: CurveName;
  readonly privateKey: KeyObject;
  readonly spki: Uint8Array;
}

const keyCache = new Map<string, TestKey>();

/** A key pair on `curve`; `id` reuses one (key generation is the slow part). */
export function testKey(curve: CurveName, id = 'default'): TestKey {
  const cacheKey = `${curve}/${id}`;
  const cached = keyCache.get(cacheKey);
  if (cached) return cached;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVES[curve].opensslName });
  const key = { curve, privateKey, spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })) };
  keyCache.set(cacheKey, key);
  return key;
}

export type NameParts = ReadonlyArray<readonly [string, string]>;

const ATTR_OIDS: Record<string, string> = {
  CN: '2.5.4.3',
  serialNumber: '2.5.4.5',
  C: '2.5.4.6',
  O: '2.5.4.10',
  OU: '2.5.4.11',
};

export function makeName(parts: NameParts): Name {
  return new Name(
    parts.map(
      ([k, v]) =>
        new RelativeDistinguishedName([
          new AttributeTypeAndValue({
            type: ATTR_OIDS[k] ?? k,
            value: new AttributeValue(k === 'C' || k === 'serialNumber' ? { printableString: v } : { utf8String: v }),
          }),
        ]),
    ),
  );
}

export interface ExtSpec {
  readonly oid: string;
  readonly critical: boolean;
  readonly value: Uint8Array;
}

const der = (o: unknown): Uint8Array => new Uint8Array(AsnConvert.serialize(o));

/** One extension: its value is the DER of an asn1-x509 structure. */
const extSpec = (oid: string, critical: boolean, value: unknown): ExtSpec => ({ oid, critical, value: der(value) });

export const ext = {
  keyUsage: (flags: number, critical = true): ExtSpec => extSpec('2.5.29.15', critical, new KeyUsage(flags)),
  eku: (oids: string[], critical = true): ExtSpec => extSpec('2.5.29.37', critical, new ExtendedKeyUsage(oids)),
  basicConstraints: (cA: boolean, pathLen?: number, critical = true): ExtSpec =>
    extSpec(
      '2.5.29.19',
      critical,
      new BasicConstraints(pathLen === undefined ? { cA } : { cA, pathLenConstraint: pathLen }),
    ),
  ski: (spki: Uint8Array, critical = false): ExtSpec =>
    extSpec('2.5.29.14', critical, new SubjectKeyIdentifier(keyId(spki))),
  aki: (issuerSpki: Uint8Array, critical = false): ExtSpec =>
    extSpec('2.5.29.35', critical, new AuthorityKeyIdentifier({ keyIdentifier: new KeyIdentifier(keyId(issuerSpki)) })),
  policies: (oids: string[], critical = false): ExtSpec =>
    extSpec(
      '2.5.29.32',
      critical,
      new CertificatePolicies(oids.map((policyIdentifier) => new PolicyInformation({ policyIdentifier }))),
    ),
  san: (names: GeneralName[], critical = false): ExtSpec => extSpec('2.5.29.17', critical, new GeneralNames(names)),
  ian: (names: GeneralName[], critical = false): ExtSpec => extSpec('2.5.29.18', critical, new GeneralNames(names)),
  crldp: (uri: string, critical = false): ExtSpec =>
    extSpec(
      '2.5.29.31',
      critical,
      new CRLDistributionPoints([
        new DistributionPoint({
          distributionPoint: new DistributionPointName({
            fullName: [new GeneralName({ uniformResourceIdentifier: uri })],
          }),
        }),
      ]),
    ),
  pkup: (notBefore: Date, notAfter: Date, critical = false): ExtSpec =>
    extSpec('2.5.29.16', critical, new PrivateKeyUsagePeriod({ notBefore, notAfter })),
  crlNumber: (n: number): ExtSpec => extSpec('2.5.29.20', false, new CRLNumber(n)),
  crlReason: (reason: number): ExtSpec => extSpec('2.5.29.21', false, new CRLReason(reason)),
};

/** The asn1-x509 Extension of a spec (certificates, CRLs and CRL entries alike). */
function toExtension(e: ExtSpec): Extension {
  return new Extension({
    extnID: e.oid,
    critical: e.critical,
    extnValue: new OctetString(e.value.slice().buffer as ArrayBuffer),
  });
}

/** Key usage flag bits (RFC 5280 order, asn1-x509 encoding). */
export const KU = {
  digitalSignature: 1,
  nonRepudiation: 2,
  keyEncipherment: 4,
  dataEncipherment: 8,
  keyAgreement: 16,
  keyCertSign: 32,
  cRLSign: 64,
} as const;

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey bits. Test-only. */
export function keyId(spki: Uint8Array): Uint8Array {
  const parsed = AsnConvert.parse(spki, SubjectPublicKeyInfo);
  return new Uint8Array(createHash('sha1').update(new Uint8Array(parsed.subjectPublicKey)).digest());
}

export interface CertSpec {
  readonly subject: NameParts;
  /** Issuer name; defaults to the subject (self-issued). */
  readonly issuer?: NameParts;
  readonly subjectKey: TestKey;
  /** Signing key; defaults to the subject key. */
  readonly signer?: TestKey;
  readonly hash: HashName;
  readonly serial?: Uint8Array;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly extensions: readonly ExtSpec[];
  readonly version?: Version;
  /** Signature OID in the TBS (defaults to the outer one). */
  readonly tbsSignatureOid?: string;
}

let serialCounter = 0x1000;

export function nextSerial(): Uint8Array {
  serialCounter += 1;
  return new Uint8Array([0x01, (serialCounter >> 8) & 0xff, serialCounter & 0xff]);
}

export function makeCert(spec: CertSpec): Uint8Array {
  const signer = spec.signer ?? spec.subjectKey;
  const sigOid = ECDSA_OIDS[spec.hash];
  const tbs = new TBSCertificate({
    version: spec.version ?? Version.v3,
    serialNumber: (spec.serial ?? nextSerial()).slice().buffer as ArrayBuffer,
    signature: new AlgorithmIdentifier({ algorithm: spec.tbsSignatureOid ?? sigOid }),
    issuer: makeName(spec.issuer ?? spec.subject),
    validity: new Validity({
      notBefore: spec.notBefore ?? T0,
      notAfter: spec.notAfter ?? new Date(T0.getTime() + 2 * YEAR),
    }),
    subject: makeName(spec.subject),
    subjectPublicKeyInfo: AsnConvert.parse(spec.subjectKey.spki, SubjectPublicKeyInfo),
  });
  if (spec.extensions.length > 0) {
    tbs.extensions = new Extensions(spec.extensions.map(toExtension));
  }
  const tbsDer = der(tbs);
  const signature = sign(NODE_HASH[spec.hash], tbsDer, { key: signer.privateKey, dsaEncoding: 'der' });
  const cert = new Certificate({
    tbsCertificate: tbs,
    signatureAlgorithm: new AlgorithmIdentifier({ algorithm: sigOid }),
    signatureValue: new Uint8Array(signature).buffer as ArrayBuffer,
  });
  return der(cert);
}

// ---- a compliant test SM-PKI, with knobs for hand-made violations ----

export const ROOT_NAME: NameParts = [
  ['CN', 'SM-Test-Root.CA'],
  ['O', 'SM-Test-PKI-DE'],
  ['C', 'DE'],
  ['serialNumber', '1'],
];
export const SUBCA_NAME: NameParts = [
  ['CN', 'SM-Test-Sub.CA'],
  ['O', 'SM-Test-PKI-DE'],
  ['C', 'DE'],
  ['serialNumber', '1'],
];

export type Role = 'SMGW' | 'GWA' | 'GWH' | 'EMT';
export type CertType = 'tls' | 'sig' | 'enc';

/** Changes applied to a profile before signing. */
export interface Tweak {
  readonly subject?: NameParts;
  /** Drop extensions by OID. */
  readonly drop?: readonly string[];
  /** Replace (by OID) or add extensions. */
  readonly set?: readonly ExtSpec[];
  /** Append extensions as they are (duplicates allowed). */
  readonly append?: readonly ExtSpec[];
  readonly hash?: HashName;
  readonly subjectKey?: TestKey;
  readonly signer?: TestKey;
  readonly issuer?: NameParts;
  readonly notBefore?: Date;
  readonly notAfter?: Date;
  readonly serial?: Uint8Array;
  readonly version?: Version;
  readonly tbsSignatureOid?: string;
}

function applyTweak(base: CertSpec, t: Tweak = {}): CertSpec {
  let extensions = base.extensions.filter((e) => !(t.drop ?? []).includes(e.oid));
  for (const s of t.set ?? []) {
    const i = extensions.findIndex((e) => e.oid === s.oid);
    extensions = i >= 0 ? extensions.map((e, j) => (j === i ? s : e)) : [...extensions, s];
  }
  extensions = [...extensions, ...(t.append ?? [])];
  const out: { -readonly [K in keyof CertSpec]: CertSpec[K] } = { ...base, extensions };
  for (const k of [
    'subject',
    'hash',
    'subjectKey',
    'signer',
    'issuer',
    'notBefore',
    'notAfter',
    'serial',
    'version',
    'tbsSignatureOid',
  ] as const) {
    if (t[k] !== undefined) (out as Record<string, unknown>)[k] = t[k];
  }
  return out;
}

export const rootKey = (): TestKey => testKey('brainpoolP384r1', 'root');
export const subCaKey = (): TestKey => testKey('brainpoolP256r1', 'subca');
export const leafKey = (id = 'leaf'): TestKey => testKey('brainpoolP256r1', id);

export function rootCert(t?: Tweak): Uint8Array {
  const key = t?.subjectKey ?? rootKey();
  return makeCert(
    applyTweak(
      {
        subject: ROOT_NAME,
        subjectKey: key,
        hash: 'SHA-384',
        notAfter: new Date(T0.getTime() + 10 * YEAR),
        extensions: [
          ext.ski(key.spki),
          ext.keyUsage(KU.keyCertSign | KU.cRLSign),
          ext.basicConstraints(true, 1),
          ext.policies([SMPKI_POLICY]),
        ],
      },
      t,
    ),
  );
}

export function subCaCert(t?: Tweak): Uint8Array {
  const key = t?.subjectKey ?? subCaKey();
  return makeCert(
    applyTweak(
      {
        subject: SUBCA_NAME,
        issuer: ROOT_NAME,
        subjectKey: key,
        signer: rootKey(),
        hash: 'SHA-384',
        notAfter: new Date(T0.getTime() + 7 * YEAR),
        extensions: [
          ext.aki(rootKey().spki),
          ext.ski(key.spki),
          ext.keyUsage(KU.keyCertSign | KU.cRLSign),
          ext.basicConstraints(true, 0),
          ext.policies([SMPKI_POLICY]),
          ext.crldp('http://pki.opensmgw.test/root.crl'),
        ],
      },
      t,
    ),
  );
}

export const crlSignerKey = (): TestKey => testKey('brainpoolP384r1', 'crl-signer');

/** The root's CRL signer SM-Test-Root.CA.CRL-S (spec notes §4): certified by the root, cRLSign only. */
export function crlSignerCert(t?: Tweak): Uint8Array {
  const key = t?.subjectKey ?? crlSignerKey();
  return makeCert(
    applyTweak(
      {
        subject: [
          ['CN', 'SM-Test-Root.CA.CRL-S'],
          ['O', 'SM-Test-PKI-DE'],
          ['C', 'DE'],
          ['serialNumber', '1'],
        ],
        issuer: ROOT_NAME,
        subjectKey: key,
        signer: rootKey(),
        hash: 'SHA-384',
        notAfter: new Date(T0.getTime() + 7 * YEAR),
        extensions: [
          ext.aki(rootKey().spki),
          ext.ski(key.spki),
          ext.keyUsage(KU.cRLSign),
          ext.basicConstraints(false),
          ext.policies([SMPKI_POLICY]),
          ext.ian([new GeneralName({ uniformResourceIdentifier: 'http://pki.opensmgw.test/root' })]),
          ext.crldp('http://pki.opensmgw.test/root.crl'),
        ],
      },
      t,
    ),
  );
}

const KU_BY_TYPE: Record<CertType, number> = {
  tls: KU.digitalSignature,
  sig: KU.digitalSignature | KU.nonRepudiation,
  enc: KU.keyAgreement,
};

export function endUserCert(role: Role, type: CertType, t?: Tweak): Uint8Array {
  const key = t?.subjectKey ?? leafKey(`${role}-${type}`);
  const cn = role === 'SMGW' ? 'EOSM0100000001.SMGW' : `OpenSMGW-Test.${role}`;
  const extensions: ExtSpec[] = [
    ext.aki(subCaKey().spki),
    ext.ski(key.spki),
    ext.keyUsage(KU_BY_TYPE[type]),
    ext.policies([SMPKI_POLICY]),
    ext.ian([new GeneralName({ uniformResourceIdentifier: 'http://pki.opensmgw.test/subca' })]),
    ext.basicConstraints(false),
    ext.crldp('http://pki.opensmgw.test/subca.crl'),
  ];
  if (type === 'tls') extensions.push(ext.eku(role === 'SMGW' ? [CLIENT_AUTH] : [SERVER_AUTH, CLIENT_AUTH]));
  if (role !== 'SMGW') extensions.push(ext.san([new GeneralName({ dNSName: `${role.toLowerCase()}.opensmgw.test` })]));
  return makeCert(
    applyTweak(
      {
        subject: [
          ['CN', cn],
          ['O', 'SM-Test-PKI-DE'],
          ['C', 'DE'],
        ],
        issuer: SUBCA_NAME,
        subjectKey: key,
        signer: subCaKey(),
        hash: 'SHA-256',
        extensions,
      },
      t,
    ),
  );
}

/** A self-signed LMN/HAN certificate (local profile, spec notes §3.5: ≤ 7 years). */
export function localCert(kind: 'lmn' | 'han', t?: Tweak): Uint8Array {
  const key = t?.subjectKey ?? leafKey(`local-${kind}`);
  return makeCert(
    applyTweak(
      {
        subject: [
          ['CN', kind === 'lmn' ? 'EOSM0100000001.LMN' : 'EOSM0100000001.HAN'],
          ['O', 'OpenSMGW'],
          ['C', 'DE'],
        ],
        subjectKey: key,
        hash: 'SHA-256',
        notAfter: new Date(T0.getTime() + 7 * YEAR),
        extensions: [ext.ski(key.spki), ext.keyUsage(KU.digitalSignature), ext.basicConstraints(false)],
      },
      t,
    ),
  );
}

// ---- CRLs ----

export interface CrlSpec {
  readonly issuer: NameParts;
  readonly signer: TestKey;
  readonly hash: HashName;
  readonly thisUpdate?: Date;
  /** null: no nextUpdate at all. */
  readonly nextUpdate?: Date | null;
  readonly revoked?: ReadonlyArray<{ serial: Uint8Array; date?: Date; reason?: number }>;
  readonly crlNumber?: number;
  readonly akiSpki?: Uint8Array;
}

export function makeCrl(spec: CrlSpec): Uint8Array {
  const sigOid = ECDSA_OIDS[spec.hash];
  const tbs = new TBSCertList({
    version: Version.v2,
    signature: new AlgorithmIdentifier({ algorithm: sigOid }),
    issuer: makeName(spec.issuer),
    thisUpdate: new Time(spec.thisUpdate ?? T0),
  });
  if (spec.nextUpdate !== null) tbs.nextUpdate = new Time(spec.nextUpdate ?? new Date(T0.getTime() + 30 * DAY));
  if (spec.revoked && spec.revoked.length > 0) {
    tbs.revokedCertificates = spec.revoked.map(
      (r) =>
        new RevokedCertificate({
          userCertificate: r.serial.slice().buffer as ArrayBuffer,
          revocationDate: new Time(r.date ?? T0),
          ...(r.reason === undefined ? {} : { crlEntryExtensions: [toExtension(ext.crlReason(r.reason))] }),
        }),
    );
  }
  tbs.crlExtensions = [ext.crlNumber(spec.crlNumber ?? 1), ...(spec.akiSpki ? [ext.aki(spec.akiSpki)] : [])].map(
    toExtension,
  );
  const tbsDer = der(tbs);
  const signature = sign(NODE_HASH[spec.hash], tbsDer, { key: spec.signer.privateKey, dsaEncoding: 'der' });
  return der(
    new CertificateList({
      tbsCertList: tbs,
      signatureAlgorithm: new AlgorithmIdentifier({ algorithm: sigOid }),
      signature: new Uint8Array(signature).buffer as ArrayBuffer,
    }),
  );
}

export const rootCrl = (s: Partial<CrlSpec> = {}): Uint8Array =>
  makeCrl({ issuer: ROOT_NAME, signer: rootKey(), hash: 'SHA-384', akiSpki: rootKey().spki, ...s });
export const subCaCrl = (s: Partial<CrlSpec> = {}): Uint8Array =>
  makeCrl({ issuer: SUBCA_NAME, signer: subCaKey(), hash: 'SHA-256', akiSpki: subCaKey().spki, ...s });
