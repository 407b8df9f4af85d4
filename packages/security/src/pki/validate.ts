/**
 * SM-PKI path validation (RFC 5280 §6, reduced to what the SM-PKI uses) on top of OpenSSL's own
 * checks in every TLS endpoint (issue 3 part 2), and pinned validation of self-signed LMN/HAN
 * certificates (spec notes §3.4, §3.5).
 *
 * validatePath: builds the chain leaf → Sub-CA → root by issuer name and AKI/SKI, verifies every
 * signature with node:crypto (ECDSA on brainpool: Node's WebCrypto cannot, DESIGN.md), checks
 * every certificate's validity at `at` (a parameter: the caller's Clock decides), basic
 * constraints (cA, pathLen) and keyCertSign on issuers, no unknown critical extension, the SM-PKI
 * policy OID on every non-root certificate, the leaf's role (CN suffix), key usage and extended
 * key usage for the intended use, and revocation of every non-root certificate by a CRL signed
 * by its issuer (or by a CRL signer certificate the issuer certified, like SM-Root.CA.CRL-S) that
 * is current at `at` (thisUpdate ≤ at ≤ nextUpdate). Every failure is a PkiError with its code.
 * Pure apart from node:crypto: no files, no clock.
 */

import { PkiError, type PkiErrorCode } from '../errors.js';
import {
  isSelfIssued,
  type ParsedCertificate,
  parseCertificate,
  unknownCriticalExtensions,
  verifyCertificateSignature,
} from './certificate.js';
import type { EndUserRole, EndUserType } from './certificate-profiles.js';
import { SM_PKI_POLICY_OID } from './certificate-profiles.js';
import {
  findRevoked,
  type ParsedCrl,
  parseCrl,
  unknownCriticalCrlExtensions,
  verifyCrlSignature,
} from './crl-parse.js';
import { commonName, namesEqual } from './distinguished-name.js';
import { KEY_PURPOSE_OIDS } from './extension-views.js';
import { roleFromCommonName } from './lint.js';

export type CertificateSource = Uint8Array | ParsedCertificate;
export type CrlSource = Uint8Array | ParsedCrl;

export interface PathUsage {
  /** The leaf's SM-PKI role (CN suffix, spec notes §4); one or several accepted. Omitted: any role. */
  readonly role?: EndUserRole | readonly EndUserRole[];
  /** TLS, SIG or ENC certificate of the triplet: decides the key usage required (spec notes §4). */
  readonly type: EndUserType;
  /** TLS: the side the peer plays. Omitted for TLS: serverAuth or clientAuth must be there. */
  readonly eku?: 'serverAuth' | 'clientAuth';
}

export interface ValidatePathOptions {
  readonly leaf: CertificateSource;
  /** Sub-CA (and CRL signer) certificates the chain may use; order does not matter. */
  readonly intermediates?: readonly CertificateSource[];
  /** Trust anchors: the SM-PKI root certificate(s). */
  readonly roots: readonly CertificateSource[];
  readonly crls?: readonly CrlSource[];
  /** Validation time (from the caller's Clock). */
  readonly at: Date;
  readonly usage: PathUsage;
  /** Every non-root certificate must be covered by a current CRL (default true: SM-PKI, TR-03116-TS TLS_CERT_04). */
  readonly requireCrl?: boolean;
  /** Policy OID every non-root certificate must carry (default the SM-PKI policy); null: no policy check. */
  readonly policy?: string | null;
  /** Longest chain, root included (default 5). */
  readonly maxLength?: number;
}

export interface ValidatedPath {
  /** Leaf first, trust anchor last. */
  readonly chain: readonly ParsedCertificate[];
  /** The leaf's role by its CN, when it has one. */
  readonly role?: EndUserRole;
}

function fail(code: PkiErrorCode, message: string, detail: Record<string, unknown> = {}): never {
  throw new PkiError(code, message, { detail });
}

const asCert = (c: CertificateSource): ParsedCertificate => (c instanceof Uint8Array ? parseCertificate(c) : c);
const asCrl = (c: CrlSource): ParsedCrl => (c instanceof Uint8Array ? parseCrl(c) : c);
const sameCert = (a: ParsedCertificate, b: ParsedCertificate): boolean => a.fingerprint256 === b.fingerprint256;
const label = (c: ParsedCertificate): string => `"${c.subject.text}" (serial ${c.serial})`;

/**
 * Signature checks remembered per parsed object: a TLS endpoint validates every peer against the
 * same pre-parsed Sub-CA, root and CRLs, so only the leaf costs an ECDSA verification per
 * handshake. Keyed by the object (parsed views are read-only) and the signer's fingerprint.
 */
const verifiedCache = new WeakMap<object, Map<string, boolean>>();

function signedBy(item: ParsedCertificate | ParsedCrl, signer: ParsedCertificate): boolean {
  let bySigner = verifiedCache.get(item);
  if (!bySigner) {
    bySigner = new Map();
    verifiedCache.set(item, bySigner);
  }
  let ok = bySigner.get(signer.fingerprint256);
  if (ok === undefined) {
    ok = 'revoked' in item ? verifyCrlSignature(item, signer) : verifyCertificateSignature(item, signer);
    bySigner.set(signer.fingerprint256, ok);
  }
  return ok;
}

/** Could `issuer` have issued `cert`? Names match and, where both are present, AKI = SKI. */
function mayHaveIssued(issuer: ParsedCertificate, cert: ParsedCertificate): boolean {
  if (!namesEqual(issuer.subject, cert.issuer)) return false;
  const aki = cert.ext.authorityKeyId?.keyIdentifier;
  const ski = issuer.ext.subjectKeyId;
  return !aki || !ski || Buffer.from(aki).equals(Buffer.from(ski));
}

/**
 * Validates `leaf` for `usage` against `roots` at time `at`. Returns the chain; throws PkiError
 * SMGW_PKI_UNTRUSTED / BAD_SIGNATURE / CERT_EXPIRED / USAGE / NO_CRL / REVOKED (or MALFORMED
 * when an input is not a certificate or CRL).
 */
export function validatePath(options: ValidatePathOptions): ValidatedPath {
  const at = options.at;
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    fail('SMGW_PKI_BAD_ARGUMENT', 'validatePath: `at` is not a valid Date');
  const leaf = asCert(options.leaf);
  const roots = options.roots.map(asCert);
  if (roots.length === 0) fail('SMGW_PKI_UNTRUSTED', 'no trust anchor configured');
  const intermediates = (options.intermediates ?? []).map(asCert);
  const crls = (options.crls ?? []).map(asCrl);
  const chain = buildChain(leaf, intermediates, roots, options.maxLength ?? 5);

  // Validity of every certificate, the anchor included.
  for (const c of chain) {
    if (at.getTime() < c.notBefore.getTime()) {
      fail('SMGW_PKI_CERT_EXPIRED', `${label(c)} is not valid before ${c.notBefore.toISOString()}`, {
        serial: c.serial,
      });
    }
    if (at.getTime() > c.notAfter.getTime()) {
      fail('SMGW_PKI_CERT_EXPIRED', `${label(c)} expired at ${c.notAfter.toISOString()}`, { serial: c.serial });
    }
  }
  checkConstraints(chain, options.policy === undefined ? SM_PKI_POLICY_OID : options.policy);
  const role = checkLeafUsage(leaf, options.usage);
  checkRevocation(chain, crls, [...intermediates, ...roots], at, options.requireCrl ?? true);
  return role === undefined ? { chain } : { chain, role };
}

function buildChain(
  leaf: ParsedCertificate,
  intermediates: readonly ParsedCertificate[],
  roots: readonly ParsedCertificate[],
  maxLength: number,
): ParsedCertificate[] {
  let badSignature: string | undefined;
  // Depth-first over issuer candidates (roots first), so a root rollover or a stray certificate
  // with the right name does not hide a good path.
  const extend = (path: ParsedCertificate[]): ParsedCertificate[] | undefined => {
    const current = path[path.length - 1] as ParsedCertificate;
    if (roots.some((r) => sameCert(r, current))) return path;
    if (path.length >= maxLength) return undefined;
    const candidates = [...roots, ...intermediates.filter((c) => !roots.some((r) => sameCert(r, c)))].filter(
      (c) => !path.some((p) => sameCert(p, c)) && mayHaveIssued(c, current),
    );
    for (const issuer of candidates) {
      if (!signedBy(current, issuer)) {
        badSignature ??= `the signature of ${label(current)} does not verify with the key of ${label(issuer)}`;
        continue;
      }
      const found = extend([...path, issuer]);
      if (found) return found;
    }
    return undefined;
  };
  const chain = extend([leaf]);
  if (chain) return chain;
  if (badSignature) fail('SMGW_PKI_BAD_SIGNATURE', badSignature);
  fail('SMGW_PKI_UNTRUSTED', `no path from ${label(leaf)} (issuer "${leaf.issuer.text}") to a configured root`);
}

function checkConstraints(chain: readonly ParsedCertificate[], policy: string | null): void {
  chain.forEach((c, i) => {
    const unknown = unknownCriticalExtensions(c);
    if (unknown.length > 0)
      fail('SMGW_PKI_USAGE', `${label(c)} has unprocessed critical extension(s) ${unknown.join(', ')}`);
    const isAnchor = i === chain.length - 1;
    if (i > 0) {
      // An issuer: a CA allowed to sign certificates (RFC 5280 §6.1.4 (k), (n)).
      if (c.ext.basicConstraints?.cA !== true)
        fail('SMGW_PKI_USAGE', `issuer ${label(c)} is not a CA (basicConstraints)`);
      if (c.ext.keyUsage && !c.ext.keyUsage.has('keyCertSign')) {
        fail('SMGW_PKI_USAGE', `issuer ${label(c)} may not sign certificates (keyUsage without keyCertSign)`);
      }
      const pathLen = c.ext.basicConstraints.pathLen;
      // CA certificates below this one, not counting the leaf and self-issued ones (§6.1.4 (l), (m)).
      const below = chain.slice(1, i).filter((x) => !isSelfIssued(x)).length;
      if (pathLen !== undefined && below > pathLen) {
        fail(
          'SMGW_PKI_USAGE',
          `issuer ${label(c)} allows ${pathLen} CA certificate(s) below it, the path has ${below}`,
        );
      }
    }
    if (!isAnchor && policy !== null && !(c.ext.policies ?? []).includes(policy)) {
      fail('SMGW_PKI_USAGE', `${label(c)} does not carry the certificate policy ${policy}`);
    }
  });
}

const REQUIRED_KU: Readonly<
  Record<EndUserType, readonly (readonly ('digitalSignature' | 'nonRepudiation' | 'keyAgreement')[])[]>
> = {
  // any one of the alternatives (spec notes §4 key usage per type)
  tls: [['digitalSignature']],
  sig: [['digitalSignature'], ['nonRepudiation']],
  enc: [['keyAgreement']],
};

function checkLeafUsage(leaf: ParsedCertificate, usage: PathUsage): EndUserRole | undefined {
  // The role needs exactly one CN (a second CN could claim another role).
  const role = roleFromCommonName(commonName(leaf.subject));
  if (usage.role !== undefined) {
    const wanted: readonly EndUserRole[] = typeof usage.role === 'string' ? [usage.role] : usage.role;
    if (!role || !wanted.includes(role)) {
      fail('SMGW_PKI_USAGE', `${label(leaf)} has role ${role ?? 'none'}; expected ${wanted.join(' or ')}`);
    }
  }
  if (leaf.ext.basicConstraints?.cA === true)
    fail('SMGW_PKI_USAGE', `${label(leaf)} is a CA, not an end-user certificate`);
  const ku = leaf.ext.keyUsage;
  if (!ku) fail('SMGW_PKI_USAGE', `${label(leaf)} has no keyUsage (required for SM-PKI end users)`);
  if (!REQUIRED_KU[usage.type].some((alt) => alt.every((b) => ku.has(b)))) {
    fail(
      'SMGW_PKI_USAGE',
      `keyUsage {${[...ku].join(', ')}} of ${label(leaf)} does not allow ${usage.type.toUpperCase()} use`,
    );
  }
  if (usage.type === 'tls' && (ku.has('keyCertSign') || ku.has('cRLSign'))) {
    fail('SMGW_PKI_USAGE', `TLS certificate ${label(leaf)} has keyCertSign/cRLSign (TR-03116-TS TLS_CERT_06)`);
  }
  const eku = leaf.ext.extKeyUsage;
  if (usage.type === 'tls' || usage.eku !== undefined) {
    if (!eku) fail('SMGW_PKI_USAGE', `${label(leaf)} has no extendedKeyUsage (TR-03116-TS TLS_CERT_08)`);
    const wanted = usage.eku
      ? [KEY_PURPOSE_OIDS[usage.eku]]
      : [KEY_PURPOSE_OIDS.serverAuth, KEY_PURPOSE_OIDS.clientAuth];
    if (!wanted.some((w) => eku.includes(w))) {
      fail('SMGW_PKI_USAGE', `extendedKeyUsage of ${label(leaf)} does not allow ${usage.eku ?? 'TLS'}`);
    }
  }
  return role;
}

/** A CRL is current at `at` when thisUpdate ≤ at ≤ nextUpdate (a CRL without nextUpdate never is). */
function isCurrent(crl: ParsedCrl, at: Date): boolean {
  return (
    crl.thisUpdate.getTime() <= at.getTime() && crl.nextUpdate !== undefined && at.getTime() <= crl.nextUpdate.getTime()
  );
}

/**
 * The CRLs that speak for `ca`: issued under its name and signed by its key, or signed by a CRL
 * signer certificate that `ca` issued (non-CA, keyUsage cRLSign without keyCertSign) and that is
 * valid at `at`. (The signer's own revocation is not checked: it would be on the CRL it signs.)
 */
function crlsOf(
  ca: ParsedCertificate,
  crls: readonly ParsedCrl[],
  pool: readonly ParsedCertificate[],
  at: Date,
): { candidates: ParsedCrl[]; verified: ParsedCrl[] } {
  const signers = pool.filter(
    (s) =>
      !sameCert(s, ca) &&
      // a dedicated CRL signer (SM-Root.CA.CRL-S): not a CA, so a Sub-CA the same root certified
      // can never speak for the root's revocation list
      s.ext.basicConstraints?.cA !== true &&
      s.ext.keyUsage?.has('cRLSign') === true &&
      !s.ext.keyUsage.has('keyCertSign') &&
      mayHaveIssued(ca, s) &&
      at.getTime() >= s.notBefore.getTime() &&
      at.getTime() <= s.notAfter.getTime() &&
      signedBy(s, ca),
  );
  const candidates = crls.filter(
    (crl) => namesEqual(crl.issuer, ca.subject) || signers.some((s) => namesEqual(crl.issuer, s.subject)),
  );
  const verified = candidates.filter((crl) => {
    if (namesEqual(crl.issuer, ca.subject) && signedBy(crl, ca)) return true;
    return signers.some((s) => signedBy(crl, s));
  });
  return { candidates, verified };
}

function checkRevocation(
  chain: readonly ParsedCertificate[],
  crls: readonly ParsedCrl[],
  pool: readonly ParsedCertificate[],
  at: Date,
  requireCrl: boolean,
): void {
  // The anchor is trusted as configured; everything below it is checked, top down.
  for (let i = chain.length - 2; i >= 0; i--) {
    const cert = chain[i] as ParsedCertificate;
    const issuer = chain[i + 1] as ParsedCertificate;
    const { candidates, verified } = crlsOf(issuer, crls, pool, at);
    const usable = verified.filter((crl) => isCurrent(crl, at) && unknownCriticalCrlExtensions(crl).length === 0);
    if (usable.length === 0) {
      if (!requireCrl) continue;
      if (candidates.length > 0 && verified.length === 0) {
        fail(
          'SMGW_PKI_BAD_SIGNATURE',
          `the CRL of "${issuer.subject.text}" does not verify with its key or a CRL signer's`,
        );
      }
      const outdated = verified.find((crl) => !isCurrent(crl, at));
      fail(
        'SMGW_PKI_NO_CRL',
        outdated
          ? `the CRL of "${issuer.subject.text}" is not current at ${at.toISOString()} (thisUpdate ${outdated.thisUpdate.toISOString()}, nextUpdate ${outdated.nextUpdate?.toISOString() ?? 'absent'})`
          : verified.length > 0
            ? `the CRL of "${issuer.subject.text}" has critical extensions we do not process`
            : `no CRL of "${issuer.subject.text}" to check ${label(cert)}`,
        { issuer: issuer.subject.text },
      );
    }
    for (const crl of usable) {
      const entry = findRevoked(crl, cert.serial);
      if (entry && entry.reason !== 'removeFromCRL' && entry.date.getTime() <= at.getTime()) {
        fail(
          'SMGW_PKI_REVOKED',
          `${label(cert)} was revoked on ${entry.date.toISOString()}${entry.reason ? ` (${entry.reason})` : ''}`,
          { serial: cert.serial },
        );
      }
    }
  }
}

export interface PinnedOptions {
  /** `certificate` (default): the DER must equal a pinned one; `spki`: the public key must. */
  readonly by?: 'certificate' | 'spki';
}

/**
 * Pinned trust for self-signed LMN/HAN certificates (spec notes §3.4, §3.5): `leaf` equals one of
 * `pinned` (or has its key), is valid at `at`, and its self-signature verifies. UNTRUSTED when no
 * pin matches, CERT_EXPIRED, BAD_SIGNATURE, USAGE for a key on a curve we do not allow.
 */
export function validatePinned(
  leafInput: CertificateSource,
  pinned: readonly CertificateSource[],
  at: Date,
  options: PinnedOptions = {},
): ParsedCertificate {
  if (!(at instanceof Date) || Number.isNaN(at.getTime()))
    fail('SMGW_PKI_BAD_ARGUMENT', 'validatePinned: `at` is not a valid Date');
  const leaf = asCert(leafInput);
  const pins = pinned.map(asCert);
  const by = options.by ?? 'certificate';
  const match = pins.some((p) =>
    by === 'certificate' ? sameCert(p, leaf) : Buffer.from(p.spki).equals(Buffer.from(leaf.spki)),
  );
  if (!match) fail('SMGW_PKI_UNTRUSTED', `${label(leaf)} is not one of the ${pins.length} pinned certificate(s)`);
  if (!leaf.publicKey.key) fail('SMGW_PKI_USAGE', `${label(leaf)}: ${leaf.publicKey.problem ?? 'unusable key'}`);
  if (!isSelfIssued(leaf) || !verifyCertificateSignature(leaf, leaf)) {
    fail('SMGW_PKI_BAD_SIGNATURE', `${label(leaf)} is not correctly self-signed`);
  }
  if (at.getTime() < leaf.notBefore.getTime() || at.getTime() > leaf.notAfter.getTime()) {
    fail(
      'SMGW_PKI_CERT_EXPIRED',
      `${label(leaf)} is valid from ${leaf.notBefore.toISOString()} to ${leaf.notAfter.toISOString()}, not at ${at.toISOString()}`,
    );
  }
  return leaf;
}

/** The subset of node:tls's DetailedPeerCertificate we read (raw DER and the issuer link). */
export interface PeerCertificateLike {
  readonly raw?: Uint8Array;
  readonly issuerCertificate?: PeerCertificateLike;
}

/**
 * The DER chain the peer sent, leaf first, from `tlsSocket.getPeerCertificate(true)`: follows
 * `issuerCertificate` until it repeats (Node links a self-signed certificate to itself) or ends.
 */
export function peerChainDer(peer: PeerCertificateLike | null | undefined, max = 8): Uint8Array[] {
  const out: Uint8Array[] = [];
  const seen = new Set<PeerCertificateLike>();
  let current = peer ?? undefined;
  while (current?.raw && current.raw.length > 0 && !seen.has(current) && out.length < max) {
    seen.add(current);
    const der = new Uint8Array(current.raw);
    if (out.some((d) => Buffer.from(d).equals(Buffer.from(der)))) break;
    out.push(der);
    current = current.issuerCertificate;
  }
  return out;
}

/**
 * For a TLS endpoint's 'secureConnect' / 'secureConnection' handler: validates the peer's chain
 * (leaf first, as peerChainDer returns it; the rest are intermediates) with validatePath. The
 * trust material can be pre-parsed once per profile and passed as ParsedCertificate/ParsedCrl.
 */
export function validatePeerChain(
  chain: readonly Uint8Array[],
  options: Omit<ValidatePathOptions, 'leaf'>,
): ValidatedPath {
  const [leaf, ...sent] = chain;
  if (!leaf) fail('SMGW_PKI_UNTRUSTED', 'the peer sent no certificate');
  return validatePath({ ...options, leaf, intermediates: [...sent, ...(options.intermediates ?? [])] });
}
