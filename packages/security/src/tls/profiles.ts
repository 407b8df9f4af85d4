/**
 * node:tls options per interface and role, exactly as TR-03116-3 (spec notes §3.3 WAN, §3.4 HAN,
 * §3.5 LMN) allows them on Node 20 (OpenSSL 3.0):
 *
 * - TLS 1.2 only (`minVersion = maxVersion = 'TLSv1.2'`). TLS 1.3 is RECOMMENDED by the TR, but
 *   with brainpool it needs the RFC 8734 groups (brainpoolP256r1tls13 …), which OpenSSL 3.0 does
 *   not have (OpenSSL ≥ 3.2 has them; peers-users-libraries §4.2 item 7, openssl #24207). A
 *   TLS 1.3 handshake with NIST groups only would be allowed by the TR but would not be the
 *   brainpool profile every SM-PKI certificate needs, so we do not offer 1.3 at all.
 *   `tls-profiles.test.ts` proves `ecdhCurve: 'brainpoolP256r1tls13'` still fails on this Node.
 * - Only the four ECDHE-ECDSA AES suites (RFC 5289). WAN and LMN: AES-128-CBC-SHA256 and
 *   AES-128-GCM-SHA256 MUST, the AES-256 pair SHOULD (on by default, may be left out); HAN: all
 *   four MUST (the SHOULDs of §3.3 become MUSTs there).
 * - Groups brainpoolP256r1, brainpoolP384r1, brainpoolP512r1, P-256, P-384, set explicitly on
 *   both sides: OpenSSL does not offer brainpool otherwise, and a server with a brainpool
 *   certificate then fails the handshake (peers-users-libraries §4.2 item 6). WAN/LMN: P-256,
 *   bP256, bP384 MUST, bP512 and P-384 SHOULD; HAN: all five MUST. brainpoolP256r1 comes first,
 *   so it is the ephemeral group two of our endpoints agree on.
 * - Handshake signatures ECDSA with SHA-256/384/512 only (`ECDSA+SHA256` is OpenSSL's TLS 1.2
 *   spelling; `ecdsa_secp256r1_sha256` style names are the TLS 1.3 ones).
 * - Renegotiation off (SSL_OP_NO_RENEGOTIATION: refused in both directions), compression off,
 *   no session tickets: resumption by session ID from a server-side cache (session-cache.ts),
 *   whose age we bound ourselves; RFC 5077 tickets would need ticket keys that are "stored
 *   securely, rotated regularly and destroyed" (§3.3), a key-management job we avoid.
 * - Mutual authentication everywhere: servers `requestCert` + `rejectUnauthorized`, clients
 *   always present a certificate. OpenSSL checks the chain against `ca`; on top of it
 *   peer-check.ts applies the SM-PKI rules (role, EKU, validity on our Clock, CRLs) or the pin.
 *
 * What OpenSSL 3.0 does by default and the TR asks for (verified with `openssl s_client`, see
 * docs/tls.md): Encrypt-then-MAC (RFC 7366) offered by clients and used by servers with CBC
 * suites; extended_master_secret (RFC 7627) in ClientHello and ServerHello; `gmt_unix_time` is
 * random bytes, not the clock (TR-03116-3 "SHOULD send a random value"); no truncated_hmac, no
 * heartbeat (both not implemented in 3.0).
 *
 * This module only builds options (no sockets); endpoints.ts creates servers and connections.
 */
import { constants as cryptoConstants } from 'node:crypto';
import {
  type ConnectionOptions,
  type DetailedPeerCertificate,
  checkServerIdentity as defaultCheckServerIdentity,
  type PeerCertificate,
  type TlsOptions,
} from 'node:tls';
import type { Clock } from '@opensmgw/core';
import { CURVES, type CurveName } from '../curves.js';
import { TlsError } from '../errors.js';
import type { TlsKeyReference } from '../module/security-module.js';
import { END_USER_ROLES, isEndUserRole } from '../pki/certificate-profiles.js';
import { toPem } from '../pki/pem.js';
import {
  createPeerVerifier,
  type PeerUsage,
  type PeerVerifier,
  peerChainFromCertificate,
  type TlsTrust,
} from './peer-check.js';
import { DEFAULT_SESSION_POLICIES, type TlsInterface } from './session-policy.js';
import { tlsKeyOptions } from './tls-key.js';

export type { TlsInterface };

export type TlsRole = 'server' | 'client';

/** The only protocol version on Node 20 (see the header). */
export const TLS_PROTOCOL_VERSION = 'TLSv1.2';

/**
 * The TLS 1.2 suites TR-03116-3 allows (spec notes §3.3 table), OpenSSL name → IANA name and
 * code. Order is our server preference: AEAD first (GCM needs no Encrypt-then-MAC), then CBC.
 */
export const TLS12_CIPHER_SUITES = {
  'ECDHE-ECDSA-AES128-GCM-SHA256': { iana: 'TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256', code: 0xc02b },
  'ECDHE-ECDSA-AES256-GCM-SHA384': { iana: 'TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384', code: 0xc02c },
  'ECDHE-ECDSA-AES128-SHA256': { iana: 'TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256', code: 0xc023 },
  'ECDHE-ECDSA-AES256-SHA384': { iana: 'TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384', code: 0xc024 },
} as const;
export type TlsCipherSuite = keyof typeof TLS12_CIPHER_SUITES;
export const TLS12_CIPHER_SUITE_NAMES = Object.keys(TLS12_CIPHER_SUITES) as TlsCipherSuite[];

/** Groups in our preference order (brainpoolP256r1 first: the SM-PKI TLS key curve, §3.3). */
export const TLS12_GROUPS: readonly CurveName[] = [
  'brainpoolP256r1',
  'brainpoolP384r1',
  'brainpoolP512r1',
  'P-256',
  'P-384',
];

/** ECDSA with SHA-256/384/512 only (§3.3 "Handshake signatures"), OpenSSL TLS 1.2 syntax. */
export const TLS12_SIGALGS = 'ECDSA+SHA256:ECDSA+SHA384:ECDSA+SHA512';

/**
 * The RFC 8734 TLS 1.3 brainpool groups TR-03116-3 requires for TLS 1.3. OpenSSL 3.0 rejects
 * them ("Failed to set ECDH curve"); a test keeps this claim true.
 */
export const TLS13_BRAINPOOL_GROUPS = ['brainpoolP256r1tls13', 'brainpoolP384r1tls13', 'brainpoolP512r1tls13'];

/** What each interface requires (MUST) and allows (SHOULD), and its session lifetime. */
interface InterfaceRules {
  readonly mandatorySuites: readonly TlsCipherSuite[];
  readonly mandatoryGroups: readonly CurveName[];
  /** Maximum session age incl. resumptions: the session policy's (session-policy.ts). */
  readonly sessionMaxAgeMs: number;
}

const WAN_LMN_MANDATORY_SUITES: readonly TlsCipherSuite[] = [
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES128-SHA256',
];
const WAN_LMN_MANDATORY_GROUPS: readonly CurveName[] = ['brainpoolP256r1', 'brainpoolP384r1', 'P-256'];

export const INTERFACE_RULES: Readonly<Record<TlsInterface, InterfaceRules>> = {
  wan: {
    mandatorySuites: WAN_LMN_MANDATORY_SUITES,
    mandatoryGroups: WAN_LMN_MANDATORY_GROUPS,
    sessionMaxAgeMs: DEFAULT_SESSION_POLICIES.wan.maxSessionAgeMs,
  },
  lmn: {
    mandatorySuites: WAN_LMN_MANDATORY_SUITES,
    mandatoryGroups: WAN_LMN_MANDATORY_GROUPS,
    sessionMaxAgeMs: DEFAULT_SESSION_POLICIES.lmn.maxSessionAgeMs,
  },
  han: {
    mandatorySuites: TLS12_CIPHER_SUITE_NAMES,
    mandatoryGroups: TLS12_GROUPS,
    sessionMaxAgeMs: DEFAULT_SESSION_POLICIES.han.maxSessionAgeMs,
  },
};

/**
 * What the peer's certificate must be, by interface and role. WAN: SM-PKI TLS certificates; the
 * gateway (client) talks to GWA and EMT servers, a head-end server accepts gateways. LMN and
 * HAN: pinned self-signed certificates (§3.4, §3.5), so there is no role to check.
 */
export const DEFAULT_PEER_USAGE: Readonly<Record<TlsInterface, Readonly<Record<TlsRole, PeerUsage>>>> = {
  wan: {
    client: { eku: 'serverAuth', roles: ['GWA', 'EMT'] },
    server: { eku: 'clientAuth', roles: ['SMGW'] },
  },
  lmn: { client: { eku: 'serverAuth' }, server: { eku: 'clientAuth' } },
  han: { client: { eku: 'serverAuth' }, server: { eku: 'clientAuth' } },
};

/** A certificate as DER bytes, or PEM text (which may hold several certificates). */
export type CertificateInput = Uint8Array | string;

export interface TlsProfileConfig {
  readonly interface: TlsInterface;
  readonly role: TlsRole;
  /** Our private key (software PEM or a PKCS#11 engine reference), from `SecurityModule.tlsKey`. */
  readonly key: TlsKeyReference;
  /** Our certificate chain, leaf first (SM-PKI: leaf and Sub-CA; LMN/HAN: the self-signed leaf). */
  readonly certificates: CertificateInput | readonly CertificateInput[];
  /** Whom we accept: SM-PKI roots (WAN; HAN optionally) or pinned certificates (LMN, HAN). */
  readonly trust: TlsTrust;
  /** Time for certificate validity and CRL freshness in peer-check.ts (not OpenSSL's clock). */
  readonly clock: Clock;
  /** Overrides the role/EKU required of the peer (default DEFAULT_PEER_USAGE). */
  readonly peerUsage?: PeerUsage;
  /**
   * Suites to offer, a subset of TLS12_CIPHER_SUITE_NAMES in preference order; must keep the
   * interface's mandatory ones. Default: all four.
   */
  readonly cipherSuites?: readonly TlsCipherSuite[];
  /** Groups to offer, in preference order; must keep the interface's mandatory ones. Default: all five. */
  readonly groups?: readonly CurveName[];
  /**
   * Maximum session age in ms (GWA-configurable, §3.3-3.5). Bounds the server's resumable
   * session lifetime (`sessionTimeout`); the session policy (session-policy.ts) enforces it on
   * open connections. Must not exceed the interface maximum.
   */
  readonly sessionMaxAgeMs?: number;
  /**
   * Client, SM-PKI trust only: check the server's name (`servername`/host) against its
   * certificate as Node does by default. Default true. Pinned peers have no names to check.
   */
  readonly checkServerName?: boolean;
  /**
   * HAN server only (spec notes §9.1): `'optional'` lets a consumer or service technician
   * connect without a client certificate and authenticate by HTTP Digest instead, the fallback
   * TR-03109-1 v1.1 permits as a product choice [M]. OpenSSL then rejects no client certificate
   * (`rejectUnauthorized: false`), so the application must check a presented one itself
   * (`verifyPeer`, or by its fingerprint); pinned trust may then be empty. Default `'required'`
   * (mutual authentication, as on every other interface).
   */
  readonly clientCertificate?: 'required' | 'optional';
}

interface ProfileCommon {
  readonly interface: TlsInterface;
  readonly trust: TlsTrust;
  readonly peerUsage: PeerUsage;
  readonly clock: Clock;
  readonly sessionMaxAgeMs: number;
  readonly cipherSuites: readonly TlsCipherSuite[];
  readonly groups: readonly CurveName[];
  /** The peer check of this profile (trust parsed once); throws TlsError SMGW_TLS_PEER_REJECTED. */
  readonly verifyPeer: PeerVerifier;
}

export interface TlsServerProfile extends ProfileCommon {
  readonly role: 'server';
  /** `'optional'` only on a HAN server that asked for it (TlsProfileConfig.clientCertificate). */
  readonly clientCertificate: 'required' | 'optional';
  /** For `tls.createServer`. The peer check runs in endpoints.ts `createProfileServer`. */
  readonly options: TlsOptions;
}

export interface TlsClientProfile extends ProfileCommon {
  readonly role: 'client';
  /**
   * For `tls.connect` (add host, port, servername, session). Its `checkServerIdentity` runs the
   * peer check, so a rejected server fails the connection before 'secureConnect'.
   */
  readonly options: ConnectionOptions;
}

export type TlsProfile = TlsServerProfile | TlsClientProfile;

type RoleConfig = Omit<TlsProfileConfig, 'interface' | 'role'>;

export function tlsProfile(config: TlsProfileConfig & { readonly role: 'server' }): TlsServerProfile;
export function tlsProfile(config: TlsProfileConfig & { readonly role: 'client' }): TlsClientProfile;
export function tlsProfile(config: TlsProfileConfig): TlsProfile;
export function tlsProfile(config: TlsProfileConfig): TlsProfile {
  if (config === null || typeof config !== 'object') throw badConfig('no profile configuration');
  if (typeof config.interface !== 'string' || !Object.hasOwn(INTERFACE_RULES, config.interface)) {
    throw badConfig(`unknown interface ${JSON.stringify(config.interface)}`);
  }
  const rules = INTERFACE_RULES[config.interface];
  if (config.role !== 'server' && config.role !== 'client') {
    throw badConfig(`unknown role ${JSON.stringify(config.role)}`);
  }
  const cipherSuites = checkSubset(
    'cipher suite',
    config.cipherSuites ?? TLS12_CIPHER_SUITE_NAMES,
    TLS12_CIPHER_SUITE_NAMES,
    rules.mandatorySuites,
    config.interface,
  );
  const groups = checkSubset(
    'group',
    config.groups ?? TLS12_GROUPS,
    TLS12_GROUPS,
    rules.mandatoryGroups,
    config.interface,
  );
  const sessionMaxAgeMs = config.sessionMaxAgeMs ?? rules.sessionMaxAgeMs;
  if (!(Number.isInteger(sessionMaxAgeMs) && sessionMaxAgeMs >= 1000 && sessionMaxAgeMs <= rules.sessionMaxAgeMs)) {
    throw badConfig(`sessionMaxAgeMs must be an integer from 1000 to ${rules.sessionMaxAgeMs} on ${config.interface}`);
  }
  if (typeof config.clock?.now !== 'function') throw badConfig('clock missing: the peer check needs a Clock');
  const own = toPemList(config.certificates, 'own certificates');
  if (own.length === 0) throw badConfig('no own certificate: mutual authentication needs one on every side');
  const clientCertificate = config.clientCertificate ?? 'required';
  if (clientCertificate !== 'required' && clientCertificate !== 'optional') {
    throw badConfig('clientCertificate must be "required" or "optional"');
  }
  if (clientCertificate === 'optional' && (config.interface !== 'han' || config.role !== 'server')) {
    throw badConfig('an optional client certificate is allowed on the HAN server only (Digest fallback, §9.1)');
  }
  // Optional client certificates with no pinned ones: the application maps certificates by
  // fingerprint, and the profile's own check refuses every chain.
  const nothingPinned =
    clientCertificate === 'optional' &&
    config.trust?.kind === 'pinned' &&
    Array.isArray(config.trust.certificates) &&
    config.trust.certificates.length === 0;
  const trustPem = nothingPinned ? [] : trustAnchorsPem(config.trust);
  const peerUsage = checkPeerUsage(config.peerUsage ?? DEFAULT_PEER_USAGE[config.interface][config.role]);
  const verifyPeer: PeerVerifier = nothingPinned
    ? () => {
        throw new TlsError('SMGW_TLS_PEER_REJECTED', 'no client certificate is pinned', {
          detail: { reason: 'untrusted', interface: config.interface },
        });
      }
    : createPeerVerifier(config.trust, peerUsage, config.clock);

  const base = {
    minVersion: TLS_PROTOCOL_VERSION,
    maxVersion: TLS_PROTOCOL_VERSION,
    ciphers: cipherSuites.join(':'),
    ecdhCurve: groups.map((g) => CURVES[g].tlsGroup).join(':'),
    sigalgs: TLS12_SIGALGS,
    secureOptions:
      cryptoConstants.SSL_OP_NO_RENEGOTIATION |
      cryptoConstants.SSL_OP_NO_COMPRESSION |
      cryptoConstants.SSL_OP_NO_TICKET,
    cert: own.join(''),
    ...(trustPem.length === 0 ? {} : { ca: trustPem }),
    ...tlsKeyOptions(config.key),
  } as const;

  const common: ProfileCommon = {
    interface: config.interface,
    trust: config.trust,
    peerUsage,
    clock: config.clock,
    sessionMaxAgeMs,
    cipherSuites,
    groups,
    verifyPeer,
  };

  if (config.role === 'server') {
    const options: TlsOptions = {
      ...base,
      honorCipherOrder: true,
      requestCert: true,
      rejectUnauthorized: clientCertificate === 'required',
      // Seconds; OpenSSL refuses to resume a session older than this (session IDs only: no tickets).
      sessionTimeout: Math.floor(sessionMaxAgeMs / 1000),
      // Distinct per interface so a session from one interface never resumes on another.
      sessionIdContext: `opensmgw-${config.interface}-tls12`,
    };
    return { ...common, role: 'server', clientCertificate, options };
  }

  const checkName = config.checkServerName ?? true;
  const options: ConnectionOptions = {
    ...base,
    rejectUnauthorized: true,
    // Node calls this after OpenSSL accepted the chain and before 'secureConnect' on full
    // handshakes (resumed sessions were checked when they were made). An Error return makes
    // Node destroy the socket with it.
    checkServerIdentity: (host: string, cert: PeerCertificate) => {
      if (checkName && config.trust.kind === 'sm-pki') {
        const nameError = defaultCheckServerIdentity(host, cert);
        if (nameError !== undefined) {
          return new TlsError('SMGW_TLS_PEER_REJECTED', `server name ${host} not in its certificate`, {
            cause: nameError,
            detail: { reason: 'name', interface: config.interface },
          });
        }
      }
      try {
        verifyPeer(peerChainFromCertificate(cert as DetailedPeerCertificate));
        return undefined;
      } catch (e) {
        return e as Error;
      }
    },
  };
  return { ...common, role: 'client', options };
}

/** LMN, SMGW as TLS server towards wired meters (§3.5; the usual direction). */
export function lmnServerProfile(config: RoleConfig): TlsServerProfile {
  return tlsProfile({ ...config, interface: 'lmn', role: 'server' });
}
/** LMN, SMGW as TLS client (some products, e.g. Theben, connect out to the meter: §3.5); also the meter simulator. */
export function lmnClientProfile(config: RoleConfig): TlsClientProfile {
  return tlsProfile({ ...config, interface: 'lmn', role: 'client' });
}
/** WAN, the SMGW connecting to GWA/EMT (the gateway is TLS client only on the WAN: §3.3). */
export function wanClientProfile(config: RoleConfig): TlsClientProfile {
  return tlsProfile({ ...config, interface: 'wan', role: 'client' });
}
/** WAN, the head-end's GWA/EMT server accepting gateways. */
export function wanServerProfile(config: RoleConfig): TlsServerProfile {
  return tlsProfile({ ...config, interface: 'wan', role: 'server' });
}
/** HAN, SMGW as TLS server towards consumer and service technician (§3.4). */
export function hanServerProfile(config: RoleConfig): TlsServerProfile {
  return tlsProfile({ ...config, interface: 'han', role: 'server' });
}
/** HAN, SMGW as TLS client towards CLS devices; also consumer/CLS simulators (§3.4). */
export function hanClientProfile(config: RoleConfig): TlsClientProfile {
  return tlsProfile({ ...config, interface: 'han', role: 'client' });
}

function checkPeerUsage(usage: PeerUsage): PeerUsage {
  if (usage === null || typeof usage !== 'object' || (usage.eku !== 'serverAuth' && usage.eku !== 'clientAuth')) {
    throw badConfig('peerUsage.eku must be serverAuth or clientAuth');
  }
  if (usage.roles !== undefined && !(Array.isArray(usage.roles) && usage.roles.every((r) => isEndUserRole(r)))) {
    throw badConfig(`peerUsage.roles must be a list of ${END_USER_ROLES.join(', ')}`);
  }
  return usage;
}

function badConfig(message: string): TlsError {
  return new TlsError('SMGW_TLS_BAD_CONFIG', message);
}

function checkSubset<T extends string>(
  what: string,
  chosen: readonly T[],
  allowed: readonly T[],
  mandatory: readonly T[],
  iface: TlsInterface,
): readonly T[] {
  if (!Array.isArray(chosen) || chosen.length === 0) throw badConfig(`no ${what} configured`);
  const seen = new Set<T>();
  for (const c of chosen) {
    if (!allowed.includes(c)) throw badConfig(`${what} ${JSON.stringify(c)} is not allowed by TR-03116-3`);
    if (seen.has(c)) throw badConfig(`${what} ${c} listed twice`);
    seen.add(c);
  }
  for (const m of mandatory) {
    if (!seen.has(m)) throw badConfig(`${what} ${m} is mandatory on the ${iface.toUpperCase()} interface`);
  }
  return Object.freeze([...chosen]);
}

/** PEM text per certificate (DER converted; PEM kept as given, which may hold a chain). */
function toPemList(input: CertificateInput | readonly CertificateInput[], what: string): string[] {
  const list = typeof input === 'string' || input instanceof Uint8Array ? [input] : input;
  if (!Array.isArray(list)) throw badConfig(`${what}: expected DER bytes or PEM text`);
  return list.map((c) => {
    if (typeof c === 'string') {
      if (!c.includes('-----BEGIN CERTIFICATE-----')) throw badConfig(`${what}: PEM text without a CERTIFICATE block`);
      return c.endsWith('\n') ? c : `${c}\n`;
    }
    if (c instanceof Uint8Array && c.length > 0) return toPem('CERTIFICATE', c);
    throw badConfig(`${what}: expected DER bytes or PEM text`);
  });
}

/** What OpenSSL trusts: the SM-PKI roots, or the pinned certificates themselves. */
function trustAnchorsPem(trust: TlsTrust): string[] {
  if (trust === null || typeof trust !== 'object') throw badConfig('trust missing');
  if (trust.kind === 'sm-pki') {
    const roots = toPemList(trust.roots, 'trust roots');
    if (roots.length === 0) throw badConfig('sm-pki trust needs at least one root');
    return roots;
  }
  if (trust.kind === 'pinned') {
    const pinned = toPemList(trust.certificates, 'pinned certificates');
    if (pinned.length === 0) throw badConfig('pinned trust needs at least one certificate');
    return pinned;
  }
  throw badConfig(`unknown trust kind ${JSON.stringify((trust as { kind?: unknown }).kind)}`);
}
