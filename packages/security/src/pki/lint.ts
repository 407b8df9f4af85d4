/**
 * `lintCertificate`: checks one certificate against the SM-PKI profile (spec notes §4,
 * TR-03109-4 §A.2 as encoded by jzlint's SM-PKI lints), the PKI signature parameters (§3.2), the
 * TR-03116-TS TLS certificate rules (TLS_CERT_03/06/08) and, for self-signed LMN/HAN certificates,
 * the local profile (§3.5: self-signed, ≤ 7 years). The rules are data in lint-rules.ts; each
 * finding names its rule id, explains what is wrong and what the rule requires, and cites the
 * source. Pure: no I/O, no clock (nothing here depends on the current time).
 */
import { CURVES, type CurveName, type HashName } from '../curves.js';
import {
  findExtension,
  isSelfIssued,
  type ParsedCertificate,
  parseCertificate,
  unknownCriticalExtensions,
  verifyCertificateSignature,
} from './certificate.js';
import { type EndUserRole, type EndUserType, SM_PKI_POLICY_OID } from './certificate-profiles.js';
import { commonName, nameValues } from './distinguished-name.js';
import { KEY_PURPOSE_OIDS, type KeyUsageBit, type KnownExtensionName } from './extension-views.js';
import { type CertificateKind, LINT_RULES_BY_ID, type LintSeverity } from './lint-rules.js';

export type { CertificateKind, LintRule, LintSeverity } from './lint-rules.js';
export { LINT_RULES, LINT_RULES_BY_ID } from './lint-rules.js';

export interface LintFinding {
  /** Stable rule id, e.g. `SMPKI_SUBJECT_O`. */
  readonly rule: string;
  readonly severity: LintSeverity;
  /** What is wrong with this certificate, and what the rule requires. */
  readonly message: string;
  /** Where the rule comes from (spec notes §, TR section, RFC). */
  readonly source: string;
}

export interface LintOptions {
  /** The certificate's place; detected from the certificate when absent (see detectKind). */
  readonly kind?: CertificateKind | 'lmn' | 'han';
  /** End users: TLS, SIG or ENC; inferred from KU/EKU when absent (see inferCertType). */
  readonly type?: EndUserType;
  /** The issuer's certificate, when known: the signature hash must then match its key (§3.2). */
  readonly issuer?: ParsedCertificate;
}

export interface LintResult {
  readonly kind: CertificateKind;
  readonly role?: EndUserRole;
  readonly type?: EndUserType;
  readonly findings: readonly LintFinding[];
}

const ORGANIZATIONS = ['SM-PKI-DE', 'SM-Test-PKI-DE'];
const ROOT_CNS = ['SM-Root.CA', 'SM-Test-Root.CA'];
const CRL_SIGNER_CNS = ['SM-Root.CA.CRL-S', 'SM-Test-Root.CA.CRL-S'];

/** End-user role from the CN suffix: `<name>.ROLE` or `<name>.ROLE.<suffix>` (spec notes §4). */
export function roleFromCommonName(cn: string | undefined): EndUserRole | undefined {
  if (cn === undefined) return undefined;
  const m = /^.+?\.(SMGW|GWA|GWH|EMT)(?:\.[^.]+)?$/.exec(cn);
  return m ? (m[1] as EndUserRole) : undefined;
}

/**
 * The certificate's place, when not given: self-issued CA = root; a CN ending in `.CRL-S` = the
 * root's CRL signer; other CA = Sub-CA; a CN with a role suffix = end user; self-issued non-CA =
 * local LMN/HAN certificate; anything else is linted as an end user (and fails SMPKI_SUBJECT_CN).
 */
export function detectKind(cert: ParsedCertificate): CertificateKind {
  const ca = cert.ext.basicConstraints?.cA === true;
  const selfIssued = isSelfIssued(cert);
  const cn = commonName(cert.subject) ?? '';
  if (ca && selfIssued) return 'root';
  if (cn.endsWith('.CRL-S')) return 'crl-signer';
  if (ca) return 'subca';
  if (roleFromCommonName(cn)) return 'end-user';
  if (selfIssued) return 'local';
  return 'end-user';
}

/**
 * TLS, SIG or ENC, from the extensions (spec notes §4 key usage per type): an EKU marks a TLS
 * certificate (TLS_CERT_08 makes it mandatory there, and only there); keyAgreement an ENC one;
 * anything else is linted as SIG.
 */
export function inferCertType(cert: ParsedCertificate): EndUserType {
  if (cert.ext.extKeyUsage !== undefined) return 'tls';
  if (cert.ext.keyUsage?.has('keyAgreement')) return 'enc';
  return 'sig';
}

/** Lints one certificate (DER or parsed). Throws only SMGW_PKI_MALFORMED for unreadable DER. */
export function lintCertificate(input: ParsedCertificate | Uint8Array, options: LintOptions = {}): LintFinding[] {
  return lintCertificateDetailed(input, options).findings as LintFinding[];
}

/** As lintCertificate, also telling the kind, role and type the certificate was linted as. */
export function lintCertificateDetailed(input: ParsedCertificate | Uint8Array, options: LintOptions = {}): LintResult {
  const cert = input instanceof Uint8Array ? parseCertificate(input) : input;
  const kind: CertificateKind =
    options.kind === 'lmn' || options.kind === 'han' ? 'local' : (options.kind ?? detectKind(cert));
  const findings: LintFinding[] = [];
  const report = (rule: string, message: string): void => {
    const r = LINT_RULES_BY_ID.get(rule);
    if (!r) throw new Error(`lint: unknown rule ${rule}`);
    if (!r.kinds.includes(kind)) return;
    findings.push({
      rule,
      severity: r.severity,
      message: `${message} Requirement: ${r.requirement}`,
      source: r.source,
    });
  };
  genericRules(cert, report);
  let role: EndUserRole | undefined;
  let type: EndUserType | undefined;
  if (kind === 'local') {
    localRules(cert, report);
  } else {
    namingRules(cert, kind, report);
    criticalityRules(cert, report);
    algorithmRules(cert, kind, options.issuer, report);
    if (kind === 'end-user') {
      role = roleFromCommonName(commonName(cert.subject));
      type = options.type ?? inferCertType(cert);
      endUserRules(cert, role, type, report);
    } else {
      caRules(cert, kind, report);
    }
  }
  const result: { kind: CertificateKind; role?: EndUserRole; type?: EndUserType; findings: LintFinding[] } = {
    kind,
    findings,
  };
  if (role) result.role = role;
  if (type) result.type = type;
  return result;
}

type Report = (rule: string, message: string) => void;

const has = (cert: ParsedCertificate, name: KnownExtensionName): boolean => findExtension(cert, name) !== undefined;

function genericRules(cert: ParsedCertificate, report: Report): void {
  if (cert.version !== 3) report('X509_VERSION', `The certificate is version ${cert.version}.`);
  if (cert.serialNegative) report('X509_SERIAL', `The serial number ${cert.serial} is negative.`);
  else if (cert.serial === '00') report('X509_SERIAL', 'The serial number is zero.');
  if (cert.serialBytes.length > 20)
    report('X509_SERIAL', `The serial number is ${cert.serialBytes.length} octets long.`);
  if (cert.signatureAlgorithm !== cert.tbsSignatureAlgorithm) {
    report(
      'X509_SIGNATURE_ALGORITHM',
      `The TBS names ${cert.tbsSignatureAlgorithm} but the certificate is signed with ${cert.signatureAlgorithm}.`,
    );
  } else if (cert.hash !== undefined && cert.signatureParamsPresent) {
    report('X509_SIGNATURE_ALGORITHM', 'The ECDSA signature AlgorithmIdentifier carries parameters.');
  }
  if (cert.notBefore.getTime() >= cert.notAfter.getTime()) {
    report(
      'X509_VALIDITY',
      `notBefore ${cert.notBefore.toISOString()} is not before notAfter ${cert.notAfter.toISOString()}.`,
    );
  }
  const unknown = unknownCriticalExtensions(cert);
  if (unknown.length > 0)
    report('X509_UNKNOWN_CRITICAL_EXTENSION', `Critical extension(s) ${unknown.join(', ')} are not processed.`);
  const wild = [
    ...nameValues(cert.subject, 'CN').filter((v) => v.includes('*')),
    ...(cert.ext.subjectAltName ?? []).filter((n) => n.type === 'dns' && n.value.includes('*')).map((n) => n.value),
  ];
  if (wild.length > 0) report('TLS_NO_WILDCARD', `Wildcard name(s): ${wild.map((w) => JSON.stringify(w)).join(', ')}.`);
}

function namingRules(cert: ParsedCertificate, kind: CertificateKind, report: Report): void {
  const o = nameValues(cert.subject, 'O');
  if (o.length !== 1 || !ORGANIZATIONS.includes(o[0] as string)) {
    report('SMPKI_SUBJECT_O', `Subject O is ${describeValues(o)}.`);
  }
  const c = nameValues(cert.subject, 'C');
  if (c.length !== 1 || (kind !== 'subca' && c[0] !== 'DE'))
    report('SMPKI_SUBJECT_C', `Subject C is ${describeValues(c)}.`);
  if (kind === 'root' || kind === 'subca') {
    const sn = nameValues(cert.subject, 'serialNumber');
    if (sn.length !== 1 || !/^\d+$/.test(sn[0] as string)) {
      report('SMPKI_SUBJECT_SERIALNUMBER', `Subject serialNumber is ${describeValues(sn)}.`);
    }
  }
  const cns = nameValues(cert.subject, 'CN');
  const cn = cns.length === 1 ? (cns[0] as string) : undefined;
  const cnOk =
    cn !== undefined &&
    (kind === 'root'
      ? ROOT_CNS.includes(cn)
      : kind === 'crl-signer'
        ? CRL_SIGNER_CNS.includes(cn)
        : kind === 'subca'
          ? cn.length > 3 && cn.endsWith('.CA')
          : roleFromCommonName(cn) !== undefined);
  if (!cnOk)
    report('SMPKI_SUBJECT_CN', `Subject CN is ${describeValues(cns)}, which does not fit a ${kind} certificate.`);
  const policies = cert.ext.policies;
  if (policies === undefined) report('SMPKI_POLICY', 'The CertificatePolicies extension is missing.');
  else if (!policies.includes(SM_PKI_POLICY_OID)) {
    report('SMPKI_POLICY', `CertificatePolicies lists ${describeValues([...policies])}, not the SM-PKI policy.`);
  }
}

function describeValues(values: readonly string[]): string {
  if (values.length === 0) return 'absent';
  return values.map((v) => JSON.stringify(v)).join(' and ');
}

const CRITICALITY: ReadonlyArray<readonly [KnownExtensionName, boolean, string, string]> = [
  ['keyUsage', true, 'SMPKI_KU_CRITICAL', 'KeyUsage'],
  ['basicConstraints', true, 'SMPKI_BC_CRITICAL', 'BasicConstraints'],
  ['extKeyUsage', true, 'SMPKI_EKU_CRITICAL', 'ExtendedKeyUsage'],
  ['authorityKeyIdentifier', false, 'SMPKI_AKI_NONCRITICAL', 'AuthorityKeyIdentifier'],
  ['subjectKeyIdentifier', false, 'SMPKI_SKI_NONCRITICAL', 'SubjectKeyIdentifier'],
  ['privateKeyUsagePeriod', false, 'SMPKI_PKUP_NONCRITICAL', 'PrivateKeyUsagePeriod'],
  ['certificatePolicies', false, 'SMPKI_POLICIES_NONCRITICAL', 'CertificatePolicies'],
  ['subjectAltName', false, 'SMPKI_SAN_NONCRITICAL', 'SubjectAltName'],
  ['issuerAltName', false, 'SMPKI_IAN_NONCRITICAL', 'IssuerAltName'],
  ['crlDistributionPoints', false, 'SMPKI_CRLDP_NONCRITICAL', 'CRLDistributionPoints'],
];

function criticalityRules(cert: ParsedCertificate, report: Report): void {
  for (const [name, critical, rule, label] of CRITICALITY) {
    const e = findExtension(cert, name);
    if (e && e.critical !== critical) report(rule, `${label} is ${e.critical ? 'critical' : 'not critical'}.`);
  }
}

/** Allowed key curves per place (spec notes §3.2: before and after the switch). */
const KEY_CURVES: Readonly<Record<Exclude<CertificateKind, 'local'>, readonly CurveName[]>> = {
  root: ['brainpoolP384r1', 'brainpoolP512r1'],
  subca: ['brainpoolP256r1', 'brainpoolP384r1'],
  'crl-signer': ['brainpoolP384r1', 'brainpoolP512r1'],
  'end-user': ['brainpoolP256r1'],
};

/** Allowed signature hashes per place, i.e. per issuer (root-signed or Sub-CA-signed). */
const SIGNATURE_HASHES: Readonly<Record<Exclude<CertificateKind, 'local'>, readonly HashName[]>> = {
  root: ['SHA-384', 'SHA-512'],
  subca: ['SHA-384', 'SHA-512'],
  'crl-signer': ['SHA-384', 'SHA-512'],
  'end-user': ['SHA-256', 'SHA-384'],
};

function algorithmRules(
  cert: ParsedCertificate,
  kind: Exclude<CertificateKind, 'local'>,
  issuer: ParsedCertificate | undefined,
  report: Report,
): void {
  const curve = cert.publicKey.curve;
  if (!curve || !KEY_CURVES[kind].includes(curve) || !cert.publicKey.key) {
    report(
      'SMPKI_KEY_CURVE',
      `The key is ${curve ?? cert.publicKey.curveOid ?? cert.publicKey.algorithm}${cert.publicKey.problem ? ` (${cert.publicKey.problem})` : ''}; a ${kind} key must be on ${KEY_CURVES[kind].join(' or ')}.`,
    );
  }
  const hash = cert.hash;
  if (hash === undefined) {
    report('SMPKI_SIGNATURE_HASH', `The signature algorithm ${cert.signatureAlgorithm} is not ecdsa-with-SHA2.`);
    return;
  }
  if (!SIGNATURE_HASHES[kind].includes(hash)) {
    report(
      'SMPKI_SIGNATURE_HASH',
      `A ${kind} certificate signed with ecdsa-with-${hash}; expected ${SIGNATURE_HASHES[kind].join(' or ')}.`,
    );
    return;
  }
  // The hash goes with the signer's curve (P384/SHA384, P512/SHA512, P256/SHA256).
  const signerCurve = kind === 'root' ? curve : issuer?.publicKey.curve;
  if (signerCurve && CURVES[signerCurve].hash !== hash) {
    report(
      'SMPKI_SIGNATURE_HASH',
      `Signed with ecdsa-with-${hash} by a ${signerCurve} key, which goes with ${CURVES[signerCurve].hash}.`,
    );
  }
}

function caRules(cert: ParsedCertificate, kind: CertificateKind, report: Report): void {
  const ku = cert.ext.keyUsage;
  const bc = cert.ext.basicConstraints;
  if (kind === 'crl-signer') {
    if (bc?.cA === true || !ku || ku.size !== 1 || !ku.has('cRLSign')) {
      report('SMPKI_CRL_SIGNER_KEY_USAGE', `KeyUsage is ${describeKu(ku)}, cA is ${bc?.cA === true}.`);
    }
    return;
  }
  if (bc?.cA !== true || !ku?.has('keyCertSign') || !ku.has('cRLSign')) {
    report(
      'SMPKI_CA_KEY_USAGE',
      `BasicConstraints cA is ${bc ? String(bc.cA) : 'absent'}, KeyUsage is ${describeKu(ku)}.`,
    );
  }
}

function describeKu(ku: ReadonlySet<KeyUsageBit> | undefined): string {
  return ku === undefined ? 'absent' : ku.size === 0 ? 'empty' : `{${[...ku].join(', ')}}`;
}

const REQUIRED_END_USER: ReadonlyArray<readonly [KnownExtensionName, string, string]> = [
  ['authorityKeyIdentifier', 'SMPKI_ENDUSER_REQUIRES_AKI', 'AuthorityKeyIdentifier'],
  ['subjectKeyIdentifier', 'SMPKI_ENDUSER_REQUIRES_SKI', 'SubjectKeyIdentifier'],
  ['keyUsage', 'SMPKI_ENDUSER_REQUIRES_KU', 'KeyUsage'],
  ['issuerAltName', 'SMPKI_ENDUSER_REQUIRES_IAN', 'IssuerAltName'],
  ['basicConstraints', 'SMPKI_ENDUSER_REQUIRES_BC', 'BasicConstraints'],
  ['crlDistributionPoints', 'SMPKI_ENDUSER_REQUIRES_CRLDP', 'CRLDistributionPoints'],
];

const ALLOWED_KU: Readonly<Record<EndUserType, readonly KeyUsageBit[]>> = {
  tls: ['digitalSignature'],
  sig: ['digitalSignature', 'nonRepudiation'],
  enc: ['keyAgreement'],
};

function endUserRules(cert: ParsedCertificate, role: EndUserRole | undefined, type: EndUserType, report: Report): void {
  for (const [name, rule, label] of REQUIRED_END_USER) {
    if (!has(cert, name)) report(rule, `The ${label} extension is missing.`);
  }
  if (has(cert, 'privateKeyUsagePeriod'))
    report('SMPKI_ENDUSER_FORBIDS_PKUP', 'The certificate carries PrivateKeyUsagePeriod.');
  const san = has(cert, 'subjectAltName');
  if (role && role !== 'SMGW' && !san) report('SMPKI_SAN_REQUIRED', `This ${role} certificate has no SubjectAltName.`);
  if (role === 'SMGW' && san) report('SMPKI_SAN_FORBIDDEN', 'This SMGW certificate carries a SubjectAltName.');
  if (cert.ext.basicConstraints?.cA === true) report('SMPKI_ENDUSER_NOT_CA', 'BasicConstraints says cA=true.');

  const ku = cert.ext.keyUsage;
  if (ku) {
    const extra = [...ku].filter((b) => !ALLOWED_KU[type].includes(b));
    const label = `KeyUsage of this ${type.toUpperCase()} certificate is ${describeKu(ku)}`;
    if (type === 'tls' && (!ku.has('digitalSignature') || extra.length > 0)) {
      report('SMPKI_TLS_KEY_USAGE', `${label}.`);
    }
    if (type === 'sig' && ((!ku.has('digitalSignature') && !ku.has('nonRepudiation')) || extra.length > 0)) {
      report('SMPKI_SIG_KEY_USAGE', `${label}.`);
    }
    if (type === 'enc' && (!ku.has('keyAgreement') || extra.length > 0)) report('SMPKI_ENC_KEY_USAGE', `${label}.`);
  }
  if (type === 'tls') {
    const eku = cert.ext.extKeyUsage;
    const names = (eku ?? []).map((o) => Object.entries(KEY_PURPOSE_OIDS).find(([, v]) => v === o)?.[0] ?? o);
    const server = eku?.includes(KEY_PURPOSE_OIDS.serverAuth) === true;
    const client = eku?.includes(KEY_PURPOSE_OIDS.clientAuth) === true;
    const any = eku?.includes(KEY_PURPOSE_OIDS.anyExtendedKeyUsage) === true;
    if (eku === undefined) report('SMPKI_TLS_EKU', 'This TLS certificate has no ExtendedKeyUsage.');
    else if ((!server && !client) || any || (role === 'SMGW' && !client)) {
      report(
        'SMPKI_TLS_EKU',
        `ExtendedKeyUsage of this ${role ?? 'end-user'} TLS certificate is {${names.join(', ')}}.`,
      );
    }
  }
}

/** Adds `years` calendar years in UTC (Feb 29 + 1 year = Mar 1, as Date does). */
function addYears(d: Date, years: number): Date {
  const out = new Date(d.getTime());
  out.setUTCFullYear(out.getUTCFullYear() + years);
  return out;
}

function localRules(cert: ParsedCertificate, report: Report): void {
  if (!isSelfIssued(cert)) {
    report('LOCAL_SELF_SIGNED', `Issuer "${cert.issuer.text}" is not the subject "${cert.subject.text}".`);
  } else if (cert.publicKey.key && !verifyCertificateSignature(cert, cert)) {
    // (A key we cannot use is LOCAL_KEY_CURVE's finding; its signature is not checked.)
    report('LOCAL_SELF_SIGNED', "The signature does not verify with the certificate's own key.");
  }
  const limit = addYears(cert.notBefore, 7);
  if (cert.notAfter.getTime() > limit.getTime()) {
    report(
      'LOCAL_VALIDITY_7Y',
      `Valid from ${cert.notBefore.toISOString()} to ${cert.notAfter.toISOString()}, longer than 7 years.`,
    );
  }
  const pkup = cert.ext.privateKeyUsagePeriod;
  if (pkup?.notBefore && pkup.notAfter && pkup.notAfter.getTime() > addYears(pkup.notBefore, 7).getTime()) {
    report('LOCAL_VALIDITY_7Y', 'The PrivateKeyUsagePeriod is longer than 7 years.');
  }
  const curve = cert.publicKey.curve;
  if (!curve || !cert.publicKey.key) {
    report('LOCAL_KEY_CURVE', `The key is not usable: ${cert.publicKey.problem ?? 'unknown key'}.`);
  } else if (cert.hash !== CURVES[curve].hash) {
    report(
      'LOCAL_KEY_CURVE',
      `A ${curve} key signs with ${cert.hash ? `ecdsa-with-${cert.hash}` : cert.signatureAlgorithm}; expected ecdsa-with-${CURVES[curve].hash}.`,
    );
  }
  const ku = cert.ext.keyUsage;
  if (
    cert.ext.basicConstraints?.cA === true ||
    ku?.has('keyCertSign') ||
    ku?.has('cRLSign') ||
    (ku && !ku.has('digitalSignature'))
  ) {
    report(
      'LOCAL_NOT_CA',
      `BasicConstraints cA is ${cert.ext.basicConstraints?.cA === true}, KeyUsage is ${describeKu(ku)}.`,
    );
  }
}

/** True when no finding is an error. */
export function lintPasses(findings: readonly LintFinding[]): boolean {
  return findings.every((f) => f.severity !== 'error');
}
