/**
 * Errors of the security package, one class per area so a `switch` over `code` is exhaustive
 * within an area. Messages never carry key material, PINs or plaintext (Secure by default).
 */
import { SmgwError } from '@opensmgw/core';

export type SecurityModuleErrorCode =
  /** A slot name that is not `[a-z][a-z0-9-]{0,31}`, or a curve/hash this module does not offer. */
  | 'SMGW_SM_BAD_ARGUMENT'
  /** No key (or certificate) in the named slot. */
  | 'SMGW_SM_NO_KEY'
  /** The slot already holds a key; destroy it first (keys are never silently replaced). */
  | 'SMGW_SM_SLOT_IN_USE'
  /** The PIN or key file does not open the keystore / token. */
  | 'SMGW_SM_WRONG_PIN'
  /** The sealed keystore file fails its authentication tag or is not a keystore at all. */
  | 'SMGW_SM_KEYSTORE_CORRUPT'
  /** A peer public key that is not a valid point on the slot's curve. */
  | 'SMGW_SM_BAD_PEER_KEY'
  /** The backend (PKCS#11 library, token, file system) failed. */
  | 'SMGW_SM_BACKEND'
  /** The module was closed. */
  | 'SMGW_SM_CLOSED';

export class SecurityModuleError extends SmgwError<SecurityModuleErrorCode> {}

export type PkiErrorCode =
  /** Not DER, not a certificate/CRL/CSR, or a structure this code cannot read. */
  | 'SMGW_PKI_MALFORMED'
  /** A certificate breaks a TR-03109-4 profile rule (lint). */
  | 'SMGW_PKI_PROFILE'
  /** A signature on a certificate, CRL or CSR does not verify. */
  | 'SMGW_PKI_BAD_SIGNATURE'
  /** No path from the certificate to a configured root. */
  | 'SMGW_PKI_UNTRUSTED'
  /** Outside notBefore/notAfter at the validation time. */
  | 'SMGW_PKI_CERT_EXPIRED'
  /** Listed on a valid CRL. */
  | 'SMGW_PKI_REVOKED'
  /** No CRL (or only an outdated one) for an issuer whose certificates must be checked. */
  | 'SMGW_PKI_NO_CRL'
  /** Key usage, extended key usage, basic constraints, policy or role do not fit the use. */
  | 'SMGW_PKI_USAGE'
  /** A command was given bad options (unknown role, missing file, bad validity). */
  | 'SMGW_PKI_BAD_ARGUMENT'
  /** A PKI directory or file could not be read or written (or is locked by another command). */
  | 'SMGW_PKI_IO';

export class PkiError extends SmgwError<PkiErrorCode> {}

export type CmsErrorCode =
  /** Not a CMS ContentInfo of the expected shape. */
  | 'SMGW_CMS_MALFORMED'
  /** An algorithm or structure choice this profile does not allow. */
  | 'SMGW_CMS_UNSUPPORTED'
  /** The outer signature does not verify, or the signer is not a trusted sender. */
  | 'SMGW_CMS_BAD_SIGNATURE'
  /** No RecipientInfo for any of our ENC certificates. */
  | 'SMGW_CMS_NOT_RECIPIENT'
  /** Key unwrap, GCM tag or CMAC failed: the container was altered. */
  | 'SMGW_CMS_DECRYPT'
  /** Bad arguments to seal (no recipient, unsupported curve). */
  | 'SMGW_CMS_BAD_ARGUMENT';

export class CmsError extends SmgwError<CmsErrorCode> {}

export type WakeupErrorCode =
  /** Wrong length, magic or version. */
  | 'SMGW_WAKEUP_MALFORMED'
  /** Addressed to another gateway. */
  | 'SMGW_WAKEUP_WRONG_RECIPIENT'
  /** Timestamp outside the accepted window around the gateway's time. */
  | 'SMGW_WAKEUP_STALE'
  /** Not newer than the last accepted packet. */
  | 'SMGW_WAKEUP_REPLAY'
  /** The signature does not verify against the configured GWA signature key. */
  | 'SMGW_WAKEUP_BAD_SIGNATURE'
  /** Bad fields to encode, or a verifier configuration/state that cannot work (no keys, bad ID). */
  | 'SMGW_WAKEUP_BAD_ARGUMENT';

export class WakeupError extends SmgwError<WakeupErrorCode> {}

export type TlsErrorCode =
  /** A profile was asked for with missing or inconsistent material. */
  | 'SMGW_TLS_BAD_CONFIG'
  /** The peer's certificate is not acceptable for this interface and role. */
  | 'SMGW_TLS_PEER_REJECTED'
  /** The session reached its maximum age, byte budget or idle time and was closed. */
  | 'SMGW_TLS_SESSION_LIMIT'
  /** The peer tried to renegotiate. */
  | 'SMGW_TLS_RENEGOTIATION';

export class TlsError extends SmgwError<TlsErrorCode> {}
