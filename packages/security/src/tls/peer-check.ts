/**
 * The check every TLS endpoint runs on its peer's certificate on top of OpenSSL's own (issue 3
 * part 2: "path validation used by every TLS endpoint on top of OpenSSL's checks").
 *
 * OpenSSL has already verified the chain to `ca` with the system clock and its default purpose
 * (EKU serverAuth for a server's certificate, clientAuth for a client's). Here we add what it
 * does not know, through the SM-PKI validator (../pki/validate.ts):
 * - SM-PKI trust (WAN; HAN optionally): `validatePath` at our `Clock`'s time (so the gateway's
 *   own time source rules, and a fake clock moves expiry in tests) with the peer's role by the
 *   SM-PKI naming (CN suffix `.SMGW`, `.GWA`, `.EMT`, `.GWH`: spec notes §4), TLS key usage and
 *   EKU, the SM-PKI policy OID, basic constraints, and revocation by current CRLs.
 * - Pinned trust (LMN §3.5, HAN §3.4): `validatePinned`, the peer's leaf is byte-for-byte one of
 *   the pinned self-signed certificates, correctly self-signed and valid on our clock.
 *
 * Resumed sessions are not checked again: their certificate was checked at the full handshake,
 * and their age is bounded by the session lifetime (profiles.ts `sessionTimeout`, the session
 * cache and session-policy.ts).
 */
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import { type Clock, isSmgwError } from '@opensmgw/core';
import { PkiError, type PkiErrorCode, TlsError } from '../errors.js';
import { parseCertificates } from '../pki/certificate.js';
import type { EndUserRole } from '../pki/certificate-profiles.js';
import { parseCrls } from '../pki/crl-parse.js';
import { peerChainDer, validatePeerChain, validatePinned } from '../pki/validate.js';

/** SM-PKI participant roles as named in certificate CNs (spec notes §4). */
export type SmPkiRole = EndUserRole;

/** What the peer's leaf certificate must allow. */
export interface PeerUsage {
  /** Required extended key usage: the peer acts as TLS server or as TLS client. */
  readonly eku: 'serverAuth' | 'clientAuth';
  /** SM-PKI only: the peer's role must be one of these (CN suffix). Omitted: any role. */
  readonly roles?: readonly SmPkiRole[];
}

/** DER bytes or PEM text (one or more blocks). */
export type TrustMaterial = Uint8Array | string;

export type TlsTrust =
  | {
      readonly kind: 'sm-pki';
      /** Trust anchors (the SM-PKI root certificates); also OpenSSL's `ca`. */
      readonly roots: readonly TrustMaterial[];
      /** Sub-CA (and CRL signer) certificates, for a peer that sends only its leaf and for CRLs. */
      readonly intermediates?: readonly TrustMaterial[];
      /** CRLs (DER or PEM) of root and Sub-CAs. */
      readonly crls?: readonly TrustMaterial[];
      /**
       * Every non-root certificate must be covered by a current CRL (default true: SM-PKI,
       * TR-03116-TS TLS_CERT_04). False only for set-ups without CRL distribution.
       */
      readonly requireCrl?: boolean;
    }
  | {
      readonly kind: 'pinned';
      /** The peers' self-signed certificates we accept. */
      readonly certificates: readonly TrustMaterial[];
    };

/** A prepared check: trust material parsed once per profile, run per connection. */
export type PeerVerifier = (chain: readonly Uint8Array[]) => void;

/** Short, stable reasons in TlsError detail (the PkiError code is kept as `pkiCode`). */
const REASONS: Readonly<Partial<Record<PkiErrorCode, string>>> = {
  SMGW_PKI_MALFORMED: 'malformed',
  SMGW_PKI_PROFILE: 'profile',
  SMGW_PKI_BAD_SIGNATURE: 'bad-signature',
  SMGW_PKI_UNTRUSTED: 'untrusted',
  SMGW_PKI_CERT_EXPIRED: 'expired',
  SMGW_PKI_REVOKED: 'revoked',
  SMGW_PKI_NO_CRL: 'no-crl',
  SMGW_PKI_USAGE: 'usage',
  SMGW_PKI_BAD_ARGUMENT: 'bad-argument',
};

export function createPeerVerifier(trust: TlsTrust, usage: PeerUsage, clock: Clock): PeerVerifier {
  if (trust?.kind === 'pinned') {
    const pinned = parseAll(trust.certificates, 'pinned certificates', parseCertificates);
    if (pinned.length === 0) throw badConfig('pinned trust needs at least one certificate');
    return (chain) =>
      guard(() => {
        const leaf = chain[0];
        if (leaf === undefined) throw new PkiError('SMGW_PKI_UNTRUSTED', 'the peer sent no certificate');
        validatePinned(leaf, pinned, new Date(clock.now()));
      });
  }
  if (trust?.kind === 'sm-pki') {
    const roots = parseAll(trust.roots, 'trust roots', parseCertificates);
    if (roots.length === 0) throw badConfig('sm-pki trust needs at least one root');
    const intermediates = parseAll(trust.intermediates ?? [], 'intermediates', parseCertificates);
    const crls = parseAll(trust.crls ?? [], 'CRLs', parseCrls);
    const requireCrl = trust.requireCrl ?? true;
    const pathUsage = {
      type: 'tls' as const,
      eku: usage.eku,
      ...(usage.roles === undefined ? {} : { role: usage.roles }),
    };
    return (chain) =>
      guard(() => {
        validatePeerChain(chain, {
          roots,
          intermediates,
          crls,
          requireCrl,
          at: new Date(clock.now()),
          usage: pathUsage,
        });
      });
  }
  throw badConfig('trust must be { kind: "sm-pki" | "pinned", ... }');
}

/** One-shot form of createPeerVerifier. Throws TlsError SMGW_TLS_PEER_REJECTED. */
export function verifyPeerChain(chain: readonly Uint8Array[], trust: TlsTrust, usage: PeerUsage, clock: Clock): void {
  createPeerVerifier(trust, usage, clock)(chain);
}

/**
 * Checks the peer of an established connection (after 'secureConnect' / 'secureConnection').
 * Throws TlsError SMGW_TLS_PEER_REJECTED; the caller destroys the socket (endpoints.ts does).
 */
export function checkPeer(socket: TLSSocket, trust: TlsTrust, usage: PeerUsage, clock: Clock): void {
  if (socket.isSessionReused()) return;
  createPeerVerifier(trust, usage, clock)(peerChainOf(socket));
}

/** The peer's certificate chain as DER, leaf first, as the peer sent it. */
export function peerChainOf(socket: TLSSocket): Uint8Array[] {
  return peerChainFromCertificate(socket.getPeerCertificate(true));
}

/** Walks Node's `issuerCertificate` links (they end in a self-reference at a self-signed certificate). */
export function peerChainFromCertificate(cert: DetailedPeerCertificate | undefined): Uint8Array[] {
  return peerChainDer(cert);
}

/** Runs a validation and turns every failure into TlsError SMGW_TLS_PEER_REJECTED. */
function guard(run: () => void): void {
  try {
    run();
  } catch (e) {
    const pkiCode = e instanceof PkiError ? e.code : undefined;
    const reason = pkiCode === undefined ? 'internal' : (REASONS[pkiCode] ?? 'untrusted');
    const message = isSmgwError(e) ? e.message : 'peer certificate check failed';
    throw new TlsError('SMGW_TLS_PEER_REJECTED', `peer rejected: ${message}`, {
      cause: e,
      detail: pkiCode === undefined ? { reason } : { reason, pkiCode },
    });
  }
}

function parseAll<T>(material: readonly TrustMaterial[], what: string, parse: (m: TrustMaterial) => T[]): T[] {
  if (!Array.isArray(material)) throw badConfig(`${what}: expected a list`);
  const out: T[] = [];
  for (const m of material) {
    try {
      out.push(...parse(m));
    } catch (e) {
      throw new TlsError('SMGW_TLS_BAD_CONFIG', `${what}: ${e instanceof Error ? e.message : 'unreadable'}`, {
        cause: e,
      });
    }
  }
  return out;
}

function badConfig(message: string): TlsError {
  return new TlsError('SMGW_TLS_BAD_CONFIG', message);
}
