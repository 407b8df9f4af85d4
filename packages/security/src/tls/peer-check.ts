/**
 * The check every TLS endpoint runs on its peer's certificate on top of OpenSSL's own (issue 3
 * part 2: "path validation used by every TLS endpoint on top of OpenSSL's checks").
 *
 * OpenSSL has already verified the chain to `ca` with the system clock and its default purpose
 * (EKU serverAuth for a server's certificate, clientAuth for a client's). Here we add what it
 * does not know:
 * - SM-PKI trust (WAN, optionally HAN): the chain again, on our `Clock` (so a fake clock moves
 *   expiry in tests and the gateway's own time source rules in production), the peer's role by
 *   the SM-PKI naming (CN suffix `.SMGW`, `.GWA`, `.EMT`, `.GWH`: spec notes §4), and the EKU.
 * - Pinned trust (LMN §3.5, HAN §3.4): the peer's leaf must be byte-for-byte one of the pinned
 *   self-signed certificates and valid on our clock.
 *
 * Resumed sessions are not checked again: their certificate was checked at the full handshake,
 * and their age is bounded by the session lifetime (profiles.ts `sessionTimeout`, session-policy).
 *
 * TODO(H4): the SM-PKI branch switches to `validatePath` from ../pki/validate.ts when it lands
 * (CRLs, key usage, policy OID, basic constraints with path length). Until then CRLs in `trust`
 * are not consulted here; the interim check below uses node:crypto's X509Certificate.
 */
import { X509Certificate } from 'node:crypto';
import type { DetailedPeerCertificate, TLSSocket } from 'node:tls';
import type { Clock } from '@opensmgw/core';
import { TlsError } from '../errors.js';
import { readDerObjects } from '../pki/pem.js';

/** SM-PKI participant roles as named in certificate CNs (spec notes §4). */
export type SmPkiRole = 'SMGW' | 'GWA' | 'GWH' | 'EMT';

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
      /** Trust anchors (the SM-PKI root certificates). */
      readonly roots: readonly TrustMaterial[];
      /** Sub-CA certificates we may need when a peer sends only its leaf. */
      readonly intermediates?: readonly TrustMaterial[];
      /** CRLs (DER or PEM) of root and Sub-CAs, for validatePath (H4). */
      readonly crls?: readonly TrustMaterial[];
    }
  | {
      readonly kind: 'pinned';
      /** The peers' self-signed certificates we accept. */
      readonly certificates: readonly TrustMaterial[];
    };

const EKU_OIDS: Readonly<Record<PeerUsage['eku'], string>> = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
};

/** The longest chain we follow (root, Sub-CA, leaf, plus slack for a CRL signer or cross certificate). */
const MAX_CHAIN = 6;

/** A prepared check: trust material parsed once per profile, run per connection. */
export type PeerVerifier = (chain: readonly Uint8Array[]) => void;

export function createPeerVerifier(trust: TlsTrust, usage: PeerUsage, clock: Clock): PeerVerifier {
  if (trust?.kind === 'pinned') {
    const pinned = parseAll(trust.certificates, 'pinned certificates');
    return (chain) => verifyPinned(chain, pinned, clock);
  }
  if (trust?.kind === 'sm-pki') {
    const roots = parseAll(trust.roots, 'trust roots');
    const intermediates = parseAll(trust.intermediates ?? [], 'intermediates');
    return (chain) => verifySmPki(chain, roots, intermediates, usage, clock);
  }
  throw new TlsError('SMGW_TLS_BAD_CONFIG', 'trust must be { kind: "sm-pki" | "pinned", ... }');
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
  const chain: Uint8Array[] = [];
  let c: DetailedPeerCertificate | undefined = cert;
  const seen = new Set<DetailedPeerCertificate>();
  while (c?.raw !== undefined && !seen.has(c) && chain.length < MAX_CHAIN + 1) {
    seen.add(c);
    chain.push(new Uint8Array(c.raw));
    c = c.issuerCertificate;
  }
  return chain;
}

function reject(message: string, reason: string, cause?: unknown): TlsError {
  return new TlsError('SMGW_TLS_PEER_REJECTED', message, {
    ...(cause === undefined ? {} : { cause }),
    detail: { reason },
  });
}

function parseAll(material: readonly TrustMaterial[], what: string): X509Certificate[] {
  if (!Array.isArray(material)) throw new TlsError('SMGW_TLS_BAD_CONFIG', `${what}: expected a list`);
  const out: X509Certificate[] = [];
  for (const m of material) {
    try {
      for (const der of readDerObjects(m, 'CERTIFICATE')) out.push(new X509Certificate(der));
    } catch (e) {
      throw new TlsError('SMGW_TLS_BAD_CONFIG', `${what}: not a certificate`, { cause: e });
    }
  }
  return out;
}

function parsePeer(der: Uint8Array): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (e) {
    throw reject('peer certificate does not parse', 'malformed', e);
  }
}

function validAt(cert: X509Certificate, now: number): boolean {
  return Date.parse(cert.validFrom) <= now && now <= Date.parse(cert.validTo);
}

function sameDer(a: X509Certificate, b: Uint8Array | X509Certificate): boolean {
  return a.raw.equals(b instanceof X509Certificate ? b.raw : Buffer.from(b));
}

function verifyPinned(chain: readonly Uint8Array[], pinned: readonly X509Certificate[], clock: Clock): void {
  const leafDer = chain[0];
  if (leafDer === undefined) throw reject('peer sent no certificate', 'no-certificate');
  const match = pinned.find((p) => sameDer(p, leafDer));
  if (match === undefined) throw reject('peer certificate is not pinned', 'not-pinned');
  if (!validAt(match, clock.now())) throw reject('pinned peer certificate is outside its validity period', 'expired');
}

function verifySmPki(
  chain: readonly Uint8Array[],
  roots: readonly X509Certificate[],
  intermediates: readonly X509Certificate[],
  usage: PeerUsage,
  clock: Clock,
): void {
  const leafDer = chain[0];
  if (leafDer === undefined) throw reject('peer sent no certificate', 'no-certificate');
  if (chain.length > MAX_CHAIN) throw reject('peer chain too long', 'chain-length');
  const leaf = parsePeer(leafDer);
  const sent = chain.slice(1).map(parsePeer);
  const now = clock.now();

  // Build the path leaf → root by issuer name and signature; the anchor must be a configured root.
  const path: X509Certificate[] = [leaf];
  let current = leaf;
  for (;;) {
    const root = roots.find((r) => current.checkIssued(r) && current.verify(r.publicKey));
    if (root !== undefined) {
      if (!sameDer(current, root)) path.push(root);
      break;
    }
    if (roots.some((r) => sameDer(current, r))) break;
    const issuer = [...sent, ...intermediates].find(
      (c) => !path.includes(c) && current.checkIssued(c) && current.verify(c.publicKey),
    );
    if (issuer === undefined || path.length >= MAX_CHAIN) {
      throw reject('peer certificate does not chain to a configured SM-PKI root', 'untrusted');
    }
    path.push(issuer);
    current = issuer;
  }
  for (const c of path) {
    if (!validAt(c, now))
      throw reject(`certificate ${c.subject.replace(/\n/g, ', ')} is outside its validity period`, 'expired');
  }
  for (const issuer of path.slice(1)) {
    if (!issuer.ca) throw reject('an issuer in the peer chain is not a CA', 'usage');
  }
  if (!(leaf.keyUsage ?? []).includes(EKU_OIDS[usage.eku])) {
    throw reject(`peer certificate lacks extended key usage ${usage.eku}`, 'usage');
  }
  if (usage.roles !== undefined) {
    const role = smPkiRoleOf(leaf);
    if (role === undefined || !usage.roles.includes(role)) {
      throw reject(`peer role ${role ?? '(none)'} is not one of ${usage.roles.join(', ')}`, 'role');
    }
  }
}

/** The SM-PKI role of a certificate from its CN suffix (`<name>.<ROLE>`), if it has one we know. */
export function smPkiRoleOf(cert: X509Certificate): SmPkiRole | undefined {
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(cert.subject)?.[1];
  const suffix = cn?.slice(cn.lastIndexOf('.') + 1);
  return suffix === 'SMGW' || suffix === 'GWA' || suffix === 'GWH' || suffix === 'EMT' ? suffix : undefined;
}
