/**
 * The elliptic curves of TR-03116-3 §3.1 (spec notes §3.1) and their names in the places we
 * meet them: X.509/CMS OIDs, OpenSSL (node:crypto, TLS groups) and PKCS#11 (DER OID params).
 * Tables are data; every other module looks curves up here.
 */
import { SecurityModuleError } from './errors.js';

export type CurveName = 'brainpoolP256r1' | 'brainpoolP384r1' | 'brainpoolP512r1' | 'P-256' | 'P-384';
export type HashName = 'SHA-256' | 'SHA-384' | 'SHA-512';

export interface CurveInfo {
  readonly name: CurveName;
  /** namedCurve OID in SubjectPublicKeyInfo / ECParameters. */
  readonly oid: string;
  /** Name for node:crypto `generateKeyPairSync('ec', { namedCurve })` and `createECDH`. */
  readonly opensslName: string;
  /** Name for a TLS `ecdhCurve` list (OpenSSL group name). */
  readonly tlsGroup: string;
  /** Field size in bytes: length of r and s, and of each point coordinate. */
  readonly size: number;
  /** The hash that matches the curve's strength (TR-03116-3 pairs P256/SHA-256 etc.). */
  readonly hash: HashName;
}

export const CURVES: Readonly<Record<CurveName, CurveInfo>> = {
  brainpoolP256r1: {
    name: 'brainpoolP256r1',
    oid: '1.3.36.3.3.2.8.1.1.7',
    opensslName: 'brainpoolP256r1',
    tlsGroup: 'brainpoolP256r1',
    size: 32,
    hash: 'SHA-256',
  },
  brainpoolP384r1: {
    name: 'brainpoolP384r1',
    oid: '1.3.36.3.3.2.8.1.1.11',
    opensslName: 'brainpoolP384r1',
    tlsGroup: 'brainpoolP384r1',
    size: 48,
    hash: 'SHA-384',
  },
  brainpoolP512r1: {
    name: 'brainpoolP512r1',
    oid: '1.3.36.3.3.2.8.1.1.13',
    opensslName: 'brainpoolP512r1',
    tlsGroup: 'brainpoolP512r1',
    size: 64,
    hash: 'SHA-512',
  },
  'P-256': {
    name: 'P-256',
    oid: '1.2.840.10045.3.1.7',
    opensslName: 'prime256v1',
    tlsGroup: 'P-256',
    size: 32,
    hash: 'SHA-256',
  },
  'P-384': {
    name: 'P-384',
    oid: '1.3.132.0.34',
    opensslName: 'secp384r1',
    tlsGroup: 'P-384',
    size: 48,
    hash: 'SHA-384',
  },
};

export const CURVE_NAMES: readonly CurveName[] = Object.keys(CURVES) as CurveName[];
export const HASH_NAMES: readonly HashName[] = ['SHA-256', 'SHA-384', 'SHA-512'];

/** OID of id-ecPublicKey (RFC 5480). */
export const EC_PUBLIC_KEY_OID = '1.2.840.10045.2.1';

/** ecdsa-with-SHAxxx signature algorithm OIDs (RFC 5758), keyed by hash. */
export const ECDSA_OIDS: Readonly<Record<HashName, string>> = {
  'SHA-256': '1.2.840.10045.4.3.2',
  'SHA-384': '1.2.840.10045.4.3.3',
  'SHA-512': '1.2.840.10045.4.3.4',
};

/** Hash algorithm OIDs (NIST), keyed by hash. */
export const HASH_OIDS: Readonly<Record<HashName, string>> = {
  'SHA-256': '2.16.840.1.101.3.4.2.1',
  'SHA-384': '2.16.840.1.101.3.4.2.2',
  'SHA-512': '2.16.840.1.101.3.4.2.3',
};

/** node:crypto digest names. */
export const NODE_HASH: Readonly<Record<HashName, string>> = {
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

export function isCurveName(s: unknown): s is CurveName {
  return typeof s === 'string' && Object.hasOwn(CURVES, s);
}

export function isHashName(s: unknown): s is HashName {
  return typeof s === 'string' && (HASH_NAMES as readonly string[]).includes(s);
}

export function curveByOid(oid: string): CurveInfo | undefined {
  return Object.values(CURVES).find((c) => c.oid === oid);
}

export function hashByEcdsaOid(oid: string): HashName | undefined {
  return HASH_NAMES.find((h) => ECDSA_OIDS[h] === oid);
}

export function requireCurve(s: unknown): CurveInfo {
  if (!isCurveName(s)) {
    throw new SecurityModuleError(
      'SMGW_SM_BAD_ARGUMENT',
      `unsupported curve ${JSON.stringify(s)}; use one of ${CURVE_NAMES.join(', ')}`,
    );
  }
  return CURVES[s];
}

export function requireHash(s: unknown): HashName {
  if (!isHashName(s)) {
    throw new SecurityModuleError(
      'SMGW_SM_BAD_ARGUMENT',
      `unsupported hash ${JSON.stringify(s)}; use one of ${HASH_NAMES.join(', ')}`,
    );
  }
  return s;
}
