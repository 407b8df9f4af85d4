/**
 * The certificate-profile rules that `lintCertificate` checks, as data: a stable id, what the rule
 * requires, where it comes from, its severity and the certificate kinds it applies to. The ids
 * are what the CLI, logs and tests report; docs/pki-lint.md renders this table.
 *
 * Sources: spec notes §4 (the SM-PKI profile as encoded by jzlint's SM-PKI lints from
 * TR-03109-4 v1.2.1 §A.2 and the SM-PKI CP v1.1.2), §3.2 (PKI signature parameters,
 * TR-03116-3), §3.5 (LMN certificates self-signed, ≤ 7 years), TR-03116-TS TLS_CERT_03/06/08
 * (spec notes §4), RFC 5280 for the generic X.509 rules.
 */

export type CertificateKind = 'root' | 'subca' | 'crl-signer' | 'end-user' | 'local';
export type LintSeverity = 'error' | 'warning';

export interface LintRule {
  readonly id: string;
  readonly severity: LintSeverity;
  /** What a compliant certificate looks like. */
  readonly requirement: string;
  readonly source: string;
  readonly kinds: readonly CertificateKind[];
}

const SMPKI: readonly CertificateKind[] = ['root', 'subca', 'crl-signer', 'end-user'];
const ALL: readonly CertificateKind[] = [...SMPKI, 'local'];
const A2 = 'spec notes §4; TR-03109-4 §A.2 (jzlint SM-PKI lints)';
const CP = 'spec notes §4; SM-PKI CP v1.1.2 naming (jzlint SM-PKI lints)';

function rule(
  id: string,
  kinds: readonly CertificateKind[],
  requirement: string,
  source: string,
  severity: LintSeverity = 'error',
): LintRule {
  return { id, severity, requirement, source, kinds };
}

export const LINT_RULES: readonly LintRule[] = [
  // --- generic X.509 ---
  rule('X509_VERSION', ALL, 'The certificate is X.509 version 3.', 'RFC 5280 §4.1.2.1; TR-03109-4 §A.2'),
  rule('X509_SERIAL', ALL, 'The serial number is a positive INTEGER of at most 20 octets.', 'RFC 5280 §4.1.2.2'),
  rule(
    'X509_SIGNATURE_ALGORITHM',
    ALL,
    'The TBS signature algorithm equals the outer one, and an ECDSA AlgorithmIdentifier has no parameters.',
    'RFC 5280 §4.1.1.2; RFC 5758 §3.2',
  ),
  rule('X509_VALIDITY', ALL, 'notBefore is before notAfter.', 'RFC 5280 §4.1.2.5'),
  rule(
    'X509_UNKNOWN_CRITICAL_EXTENSION',
    ALL,
    'No critical extension that path validation does not process (validators must reject such certificates).',
    'RFC 5280 §4.2',
  ),
  // --- SM-PKI naming ---
  rule(
    'SMPKI_SUBJECT_O',
    SMPKI,
    'Subject carries exactly one O = "SM-PKI-DE" (or "SM-Test-PKI-DE" in the test PKI).',
    CP,
  ),
  rule('SMPKI_SUBJECT_C', SMPKI, 'Subject carries exactly one C; it is "DE" (Sub-CAs: any single country).', CP),
  rule(
    'SMPKI_SUBJECT_SERIALNUMBER',
    ['root', 'subca'],
    'Root and Sub-CA subjects carry exactly one serialNumber attribute made of digits.',
    CP,
  ),
  rule(
    'SMPKI_SUBJECT_CN',
    SMPKI,
    'Exactly one CN: root "SM-Root.CA" / "SM-Test-Root.CA"; CRL signer "SM-Root.CA.CRL-S" / "SM-Test-Root.CA.CRL-S"; Sub-CA ends in ".CA"; end users "<name>.SMGW", "<name>.GWA", "<name>.GWH", "<name>.EMT" (or "<name>.EMT.<suffix>").',
    CP,
  ),
  rule(
    'SMPKI_POLICY',
    SMPKI,
    'CertificatePolicies is present and contains the SM-PKI policy 0.4.0.127.0.7.3.4.1.1.1.',
    A2,
  ),
  // --- end-user extension set ---
  rule('SMPKI_ENDUSER_REQUIRES_AKI', ['end-user'], 'End-user certificates carry AuthorityKeyIdentifier.', A2),
  rule('SMPKI_ENDUSER_REQUIRES_SKI', ['end-user'], 'End-user certificates carry SubjectKeyIdentifier.', A2),
  rule('SMPKI_ENDUSER_REQUIRES_KU', ['end-user'], 'End-user certificates carry KeyUsage.', A2),
  rule('SMPKI_ENDUSER_REQUIRES_IAN', ['end-user'], 'End-user certificates carry IssuerAlternativeName.', A2),
  rule('SMPKI_ENDUSER_REQUIRES_BC', ['end-user'], 'End-user certificates carry BasicConstraints.', A2),
  rule('SMPKI_ENDUSER_REQUIRES_CRLDP', ['end-user'], 'End-user certificates carry CRLDistributionPoints.', A2),
  rule('SMPKI_ENDUSER_FORBIDS_PKUP', ['end-user'], 'End-user certificates do not carry PrivateKeyUsagePeriod.', A2),
  rule('SMPKI_SAN_REQUIRED', ['end-user'], 'GWA, GWH and EMT certificates carry SubjectAltName.', A2),
  rule('SMPKI_SAN_FORBIDDEN', ['end-user'], 'SMGW certificates do not carry SubjectAltName.', A2),
  rule('SMPKI_ENDUSER_NOT_CA', ['end-user'], 'End-user certificates are no CA: BasicConstraints cA is false.', A2),
  // --- criticality ---
  rule('SMPKI_KU_CRITICAL', SMPKI, 'KeyUsage, when present, is critical.', A2),
  rule('SMPKI_BC_CRITICAL', SMPKI, 'BasicConstraints, when present, is critical.', A2),
  rule('SMPKI_EKU_CRITICAL', SMPKI, 'ExtendedKeyUsage, when present, is critical.', A2),
  rule('SMPKI_AKI_NONCRITICAL', SMPKI, 'AuthorityKeyIdentifier is not critical.', A2),
  rule('SMPKI_SKI_NONCRITICAL', SMPKI, 'SubjectKeyIdentifier is not critical.', A2),
  rule('SMPKI_PKUP_NONCRITICAL', SMPKI, 'PrivateKeyUsagePeriod is not critical.', A2),
  rule('SMPKI_POLICIES_NONCRITICAL', SMPKI, 'CertificatePolicies is not critical.', A2),
  rule('SMPKI_SAN_NONCRITICAL', SMPKI, 'SubjectAltName is not critical.', A2),
  rule('SMPKI_IAN_NONCRITICAL', SMPKI, 'IssuerAltName is not critical.', A2),
  rule('SMPKI_CRLDP_NONCRITICAL', SMPKI, 'CRLDistributionPoints is not critical.', A2),
  // --- key usage per certificate type ---
  rule(
    'SMPKI_CA_KEY_USAGE',
    ['root', 'subca'],
    'CA certificates carry BasicConstraints cA=true and KeyUsage with keyCertSign and cRLSign.',
    'RFC 5280 §4.2.1.3, §4.2.1.9; spec notes §4',
  ),
  rule(
    'SMPKI_CRL_SIGNER_KEY_USAGE',
    ['crl-signer'],
    'The root CRL signer is no CA and its KeyUsage is cRLSign only.',
    'spec notes §4 (SM-Root.CA.CRL-S); RFC 5280 §4.2.1.3',
  ),
  rule(
    'SMPKI_TLS_KEY_USAGE',
    ['end-user'],
    'TLS certificates: KeyUsage has digitalSignature and neither keyCertSign nor cRLSign (nor other bits).',
    'TR-03116-TS TLS_CERT_06; spec notes §4',
  ),
  rule(
    'SMPKI_TLS_EKU',
    ['end-user'],
    'TLS certificates carry ExtendedKeyUsage with id-kp-serverAuth and/or id-kp-clientAuth (SMGW: clientAuth), no anyExtendedKeyUsage.',
    'TR-03116-TS TLS_CERT_08; spec notes §4',
  ),
  rule(
    'SMPKI_SIG_KEY_USAGE',
    ['end-user'],
    'Signature certificates: KeyUsage has digitalSignature and/or nonRepudiation and nothing else.',
    'spec notes §4 [M]',
  ),
  rule(
    'SMPKI_ENC_KEY_USAGE',
    ['end-user'],
    'Encryption certificates: KeyUsage is keyAgreement (ECKA-EG) and nothing else.',
    'spec notes §4 [M]',
  ),
  rule(
    'TLS_NO_WILDCARD',
    ALL,
    'No wildcard ("*") in the subject CN or in SubjectAltName DNS names.',
    'TR-03116-TS TLS_CERT_03; spec notes §4',
  ),
  // --- algorithms per issuer (spec notes §3.2) ---
  rule(
    'SMPKI_KEY_CURVE',
    SMPKI,
    'Key on the curve of its position: root brainpoolP384r1 (brainpoolP512r1 after the switch); Sub-CA brainpoolP256r1 (brainpoolP384r1 after the switch); root CRL signer like the root; end users brainpoolP256r1.',
    'spec notes §3.2, §3.3 (TR-03116-3)',
  ),
  rule(
    'SMPKI_SIGNATURE_HASH',
    SMPKI,
    "Signature by the issuer's parameters: root-signed (root, Sub-CA, CRL signer) ecdsa-with-SHA384 (SHA512 after the switch), matching the root key; Sub-CA-signed end users ecdsa-with-SHA256 (SHA384 after the switch).",
    'spec notes §3.2 (TR-03116-3)',
  ),
  // --- local self-signed LMN/HAN certificates (spec notes §3.4, §3.5) ---
  rule(
    'LOCAL_SELF_SIGNED',
    ['local'],
    'LMN/HAN certificates are self-signed: subject = issuer and the signature verifies with its own key.',
    'spec notes §3.5 (TR-03116-3)',
  ),
  rule(
    'LOCAL_VALIDITY_7Y',
    ['local'],
    'LMN/HAN certificate validity (and PrivateKeyUsagePeriod, if present) is at most 7 years.',
    'spec notes §3.5 (TR-03116-3)',
  ),
  rule(
    'LOCAL_KEY_CURVE',
    ['local'],
    'ECDSA key on a TR-03116-3 curve (brainpoolP256r1/P384r1/P512r1, P-256, P-384) with the matching ecdsa-with-SHA2 hash.',
    'spec notes §3.1, §3.4, §3.5 (TR-03116-3)',
  ),
  rule(
    'LOCAL_NOT_CA',
    ['local'],
    'LMN/HAN certificates are TLS end-entity certificates: no cA, no keyCertSign/cRLSign; KeyUsage, if present, has digitalSignature.',
    'TR-03116-TS TLS_CERT_06; local profile (docs/pki.md) [M]',
    // [M]: TR-03109-1 defines the local profile and we could not read it; pinning makes a CA bit harmless.
    'warning',
  ),
];

export const LINT_RULES_BY_ID: ReadonlyMap<string, LintRule> = new Map(LINT_RULES.map((r) => [r.id, r]));
