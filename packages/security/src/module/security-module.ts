/**
 * The security module interface, shaped after the TR-03109-2 command set (spec notes §13):
 * GENERATE ASYMMETRIC KEY PAIR, PSO:COMPUTE DIGITAL SIGNATURE, GENERAL AUTHENTICATE (ECKA-DH /
 * ECKA-EG), GET CHALLENGE, certificate files per key, key life cycle (TERMINATE = destroy).
 *
 * Private keys never leave a module through this interface: there is no export call. The one
 * bridge to TLS is `tlsKey(slot)`, which names the key for OpenSSL (a PKCS#11 URI for a token; for
 * the in-process software module, the key itself, documented in `software-module.ts`).
 *
 * The PACE + Secure Messaging channel between a hardware gateway and its module (spec notes §3.9)
 * is out of scope for a software gateway: the module is reached through this in-process API.
 */
import type { CurveName, HashName } from '../curves.js';
import type { EcPublicKey } from '../ec-keys.js';
import { SecurityModuleError } from '../errors.js';

/**
 * Slots are named by purpose (TR-03109-1: separate keys for WAN TLS, signature and encryption,
 * LMN and HAN TLS). Any name matching SLOT_NAME_PATTERN is allowed so a gateway can hold e.g.
 * `wan-tls-factory` next to `wan-tls` while the GWA replaces the factory certificate.
 */
export const WELL_KNOWN_SLOTS = ['wan-tls', 'wan-sig', 'wan-enc', 'lmn-tls', 'han-tls'] as const;
export type WellKnownSlot = (typeof WELL_KNOWN_SLOTS)[number];
export const SLOT_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

export function checkSlotName(slot: unknown): string {
  if (typeof slot !== 'string' || !SLOT_NAME_PATTERN.test(slot)) {
    throw new SecurityModuleError(
      'SMGW_SM_BAD_ARGUMENT',
      `bad slot name ${JSON.stringify(slot)}: use [a-z][a-z0-9-]{0,31}`,
    );
  }
  return slot;
}

/** What a TLS context needs to use a slot's private key (see tls/ and DESIGN.md "Conventions"). */
export type TlsKeyReference =
  /** In-process software key: PEM PKCS#8 handed to node:tls (the software module's process is the module). */
  | { readonly kind: 'pem'; readonly pem: string }
  /** Token key reached through OpenSSL's pkcs11 engine; the key never leaves the token. */
  | { readonly kind: 'engine'; readonly engine: 'pkcs11'; readonly identifier: string };

export interface SlotInfo {
  readonly slot: string;
  readonly curve: CurveName;
  readonly hasCertificate: boolean;
}

export interface SecurityModule {
  /** `software` or `pkcs11`, for logs and the conformance suite. */
  readonly kind: 'software' | 'pkcs11';

  /** Generates a key pair in an empty slot. SMGW_SM_SLOT_IN_USE if the slot holds a key. */
  generateKeyPair(slot: string, curve: CurveName): Promise<EcPublicKey>;

  /** The slot's public key. SMGW_SM_NO_KEY if empty. */
  publicKey(slot: string): Promise<EcPublicKey>;

  /**
   * ECDSA signature over `data` hashed with `hash`, DER-encoded (Ecdsa-Sig-Value) as X.509, CMS
   * and TLS carry it. `data` must be a Uint8Array (else SMGW_SM_BAD_ARGUMENT); any hash may be
   * used with any curve.
   */
  sign(slot: string, data: Uint8Array, hash: HashName): Promise<Uint8Array>;

  /**
   * ECKA-DH (TR-03111 §4.3.1): the shared secret Z (x-coordinate, curve-size bytes) of the slot's
   * private key and a peer public key (uncompressed point or DER SPKI) on the same curve. The
   * caller owns Z and must zeroise it after deriving keys from it (TR-03116-3 §3.1).
   * SMGW_SM_BAD_PEER_KEY for anything else (other curve, compressed, not on the curve, garbage).
   */
  ecdh(slot: string, peer: Uint8Array): Promise<Uint8Array>;

  /** `length` random bytes from the module's RNG (an integer 1..65536, else SMGW_SM_BAD_ARGUMENT). */
  random(length: number): Promise<Uint8Array>;

  /**
   * Stores (replaces) the DER certificate for a slot that holds a key (SMGW_SM_NO_KEY otherwise).
   * The bytes are stored as given (non-empty, else SMGW_SM_BAD_ARGUMENT); the module does not check
   * that the certificate matches the key, as a card's UPDATE BINARY does not.
   */
  writeCertificate(slot: string, der: Uint8Array): Promise<void>;

  /** The slot's DER certificate, or undefined if none was written. */
  readCertificate(slot: string): Promise<Uint8Array | undefined>;

  /** Destroys the key (and certificate) of a slot irrevocably. No-op for an empty slot. */
  destroyKey(slot: string): Promise<void>;

  /** The slots that hold keys. */
  listSlots(): Promise<SlotInfo[]>;

  /** How a TLS context reaches this slot's private key. */
  tlsKey(slot: string): Promise<TlsKeyReference>;

  /**
   * Releases the backend (zeroises in-memory keys, logs out of the token). Every later call is
   * SMGW_SM_CLOSED; closing again is a no-op.
   */
  close(): Promise<void>;
}
