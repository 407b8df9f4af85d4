/**
 * The PKCS#11 backend of the security module (spec notes §13): keys are generated on the token,
 * marked sensitive and non-extractable, and every private-key operation (ECDSA, ECKA-DH) runs on
 * the token. Tested with SoftHSM2; any PKCS#11 v2.40 token with CKM_EC_KEY_PAIR_GEN, CKM_ECDSA
 * and CKM_ECDH1_DERIVE on the TR-03116-3 curves (spec notes §3.1) should do.
 *
 * Objects of a slot on the token: a private key, its public key and (once written) an X.509
 * certificate, all with CKA_LABEL = slot name and CKA_ID = the slot name's UTF-8 bytes. The label
 * is what the OpenSSL engine URI names (`object=<slot>`); the shared CKA_ID is how libp11 pairs
 * the private key with its public key, which OpenSSL needs to match the key to the certificate.
 *
 * All pkcs11js calls are synchronous and each method runs its calls without awaiting in between,
 * so operations never interleave on the one session (PKCS#11 allows one active operation of a
 * kind per session).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '@opensmgw/core';
import { ECParameters } from '@peculiar/asn1-ecc';
import { AsnConvert, AsnSerializer } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import type * as Pkcs11Js from 'pkcs11js';
import { CURVES, type CurveName, curveByOid, type HashName, NODE_HASH, requireCurve, requireHash } from '../curves.js';
import { derTlv } from '../der-writer.js';
import { type EcPublicKey, peerKeyOnCurve, publicKeyFromPoint, rawToDerSignature } from '../ec-keys.js';
import { SecurityModuleError } from '../errors.js';
import { fromPkcs11Error } from './pkcs11-errors.js';
import {
  acquireLibrary,
  type LoadedLibrary,
  loginUser,
  type Pkcs11Api,
  releaseLibrary,
  releaseLogin,
} from './pkcs11-library.js';
import { pkcs11Uri } from './pkcs11-uri.js';
import { checkSlotName, type SecurityModule, type SlotInfo, type TlsKeyReference } from './security-module.js';

export interface Pkcs11ModuleOptions {
  /** Path of the PKCS#11 library, e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly library: string;
  /** Label of the token (as set with `softhsm2-util --init-token --label`). */
  readonly tokenLabel: string;
  /** User PIN. Used for C_Login only; never stored in clear, never in a message. */
  readonly pin: string;
  /** Accepted for symmetry with the software module; the token keeps no time we set. */
  readonly clock?: Clock;
  /**
   * What `close()` releases when this is the last module on the token in this process:
   * - `logout` (default): C_Logout, and C_Finalize of the library;
   * - `keep-login`: only our session. Use this in a process whose TLS contexts use a key of the
   *   same token through the OpenSSL pkcs11 engine: PKCS#11 login and initialisation are
   *   process-wide, so logging out would log the engine out too and break its handshakes.
   */
  readonly onClose?: 'logout' | 'keep-login';
}

/** How a slot's private key is protected on the token, as the token reports it. */
export interface Pkcs11KeyProtection {
  readonly sensitive: boolean;
  readonly extractable: boolean;
  readonly alwaysSensitive: boolean;
  readonly neverExtractable: boolean;
  /** True if the token answered C_GetAttributeValue(CKA_VALUE) on the private key (it must not). */
  readonly privateValueReadable: boolean;
}

type Handle = Pkcs11Js.Handle;

const MAX_RANDOM = 65536;
/** An empty X.501 Name, for certificate objects whose bytes do not parse (CKA_SUBJECT is required). */
const EMPTY_NAME = new Uint8Array([0x30, 0x00]);

export class Pkcs11SecurityModule implements SecurityModule {
  readonly kind = 'pkcs11' as const;
  readonly #lib: LoadedLibrary;
  readonly #api: Pkcs11Api;
  readonly #p: Pkcs11Js.PKCS11;
  readonly #session: Handle;
  readonly #slotKey: string;
  readonly #tokenLabel: string;
  readonly #onClose: 'logout' | 'keep-login';
  #closed = false;

  private constructor(
    lib: LoadedLibrary,
    session: Handle,
    slotKey: string,
    tokenLabel: string,
    onClose: 'logout' | 'keep-login',
  ) {
    this.#lib = lib;
    this.#api = lib.api;
    this.#p = lib.p;
    this.#session = session;
    this.#slotKey = slotKey;
    this.#tokenLabel = tokenLabel;
    this.#onClose = onClose;
  }

  /**
   * Opens the token with label `tokenLabel` in `library`: a read-write session logged in as user.
   * Wrong PIN -> SMGW_SM_WRONG_PIN; library or token not found -> SMGW_SM_BACKEND.
   */
  static async open(options: Pkcs11ModuleOptions): Promise<Pkcs11SecurityModule> {
    const { library, tokenLabel, pin } = options;
    if (typeof library !== 'string' || library === '') {
      throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'pkcs11: library path missing');
    }
    if (typeof tokenLabel !== 'string' || tokenLabel === '') {
      throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'pkcs11: token label missing');
    }
    if (typeof pin !== 'string' || pin === '') {
      throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'pkcs11: user PIN missing');
    }
    const onClose = options.onClose ?? 'logout';
    const lib = acquireLibrary(library);
    let session: Handle | undefined;
    try {
      const slot = findTokenSlot(lib, tokenLabel, library);
      const slotKey = slot.toString('hex');
      session = call('C_OpenSession', () =>
        lib.p.C_OpenSession(slot, lib.api.CKF_RW_SESSION | lib.api.CKF_SERIAL_SESSION),
      );
      loginUser(lib, slotKey, session, pin);
      return new Pkcs11SecurityModule(lib, session, slotKey, tokenLabel, onClose);
    } catch (e) {
      if (session !== undefined) {
        const opened = session;
        ignore(() => lib.p.C_CloseSession(opened));
      }
      releaseLibrary(lib, onClose === 'logout');
      throw fromPkcs11Error(e, 'open');
    }
  }

  async generateKeyPair(slot: string, curve: CurveName): Promise<EcPublicKey> {
    this.#open();
    checkSlotName(slot);
    const info = requireCurve(curve);
    const a = this.#api;
    if (this.#privateKey(slot) !== undefined) {
      throw new SecurityModuleError('SMGW_SM_SLOT_IN_USE', `slot ${slot} already holds a key; destroy it first`);
    }
    // A public key or certificate left without its private key (a half-finished destroy by
    // another tool) would be paired with the new key by label: remove it first.
    for (const h of this.#objects(slot)) this.#destroy(h);
    const id = slotId(slot);
    const ecParams = Buffer.from(AsnSerializer.serialize(new ECParameters({ namedCurve: info.oid })));
    const publicTemplate: Pkcs11Js.Template = [
      { type: a.CKA_CLASS, value: a.CKO_PUBLIC_KEY },
      { type: a.CKA_KEY_TYPE, value: a.CKK_EC },
      { type: a.CKA_TOKEN, value: true },
      { type: a.CKA_PRIVATE, value: false },
      { type: a.CKA_VERIFY, value: true },
      { type: a.CKA_EC_PARAMS, value: ecParams },
      { type: a.CKA_LABEL, value: slot },
      { type: a.CKA_ID, value: id },
    ];
    const privateTemplate: Pkcs11Js.Template = [
      { type: a.CKA_CLASS, value: a.CKO_PRIVATE_KEY },
      { type: a.CKA_KEY_TYPE, value: a.CKK_EC },
      { type: a.CKA_TOKEN, value: true },
      { type: a.CKA_PRIVATE, value: true },
      // Keys never leave the module (TR-03109-2; spec notes §13).
      { type: a.CKA_SENSITIVE, value: true },
      { type: a.CKA_EXTRACTABLE, value: false },
      { type: a.CKA_SIGN, value: true },
      { type: a.CKA_DERIVE, value: true },
      { type: a.CKA_LABEL, value: slot },
      { type: a.CKA_ID, value: id },
    ];
    const pair = call('C_GenerateKeyPair', () =>
      this.#p.C_GenerateKeyPair(this.#session, { mechanism: a.CKM_EC_KEY_PAIR_GEN }, publicTemplate, privateTemplate),
    );
    return this.#readPublicKey(pair.publicKey, info.name);
  }

  async publicKey(slot: string): Promise<EcPublicKey> {
    this.#open();
    const key = this.#requireKey(slot);
    const pub = this.#find([
      { type: this.#api.CKA_CLASS, value: this.#api.CKO_PUBLIC_KEY },
      { type: this.#api.CKA_LABEL, value: slot },
    ])[0];
    if (pub === undefined) {
      throw new SecurityModuleError('SMGW_SM_BACKEND', `slot ${slot}: the token holds no public key object for it`);
    }
    return this.#readPublicKey(pub, key.curve);
  }

  async sign(slot: string, data: Uint8Array, hash: HashName): Promise<Uint8Array> {
    this.#open();
    requireHash(hash);
    requireBytes(data, 'data');
    const key = this.#requireKey(slot);
    // The hash is computed here and the token signs the digest (CKM_ECDSA): TR-03111 ECDSA over
    // H(m); every token offers CKM_ECDSA, not every one CKM_ECDSA_SHA384/512.
    const digest = createHash(NODE_HASH[hash]).update(data).digest();
    const size = CURVES[key.curve].size;
    const raw = call('C_Sign', () => {
      this.#p.C_SignInit(this.#session, { mechanism: this.#api.CKM_ECDSA }, key.handle);
      return this.#p.C_Sign(this.#session, digest, Buffer.alloc(2 * size));
    });
    if (raw.length !== 2 * size) {
      throw new SecurityModuleError('SMGW_SM_BACKEND', `token returned a ${raw.length}-byte ECDSA signature`);
    }
    return rawToDerSignature(new Uint8Array(raw));
  }

  async ecdh(slot: string, peer: Uint8Array): Promise<Uint8Array> {
    this.#open();
    requireBytes(peer, 'peer public key');
    const key = this.#requireKey(slot);
    const peerKey = peerKeyOnCurve(key.curve, peer);
    const a = this.#api;
    const size = CURVES[key.curve].size;
    // ECKA-DH (TR-03111 §4.3.1) on the token; the derived Z is a session object that is read and
    // destroyed at once: ephemeral secrets are never persisted (TR-03116-3 §3.1, spec notes §3.1).
    const ecdhParams: Pkcs11Js.ECDH1 = {
      type: a.CK_PARAMS_EC_DH,
      kdf: a.CKD_NULL,
      // The DER OCTET STRING of the point, not the raw point: SoftHSM2 accepts both and tells
      // them apart by trying a DER parse first, so a raw point whose bytes happen to read as a
      // valid OCTET STRING header (e.g. 04 7F … on brainpoolP512r1, about 1 key in 256) was
      // misread and failed with CKR_GENERAL_ERROR. PKCS#11 v2.20 §12.4.4 names the DER form.
      publicData: Buffer.from(derTlv(0x04, peerKey.point)),
    };
    return call('C_DeriveKey', () => {
      const secret = this.#p.C_DeriveKey(
        this.#session,
        {
          mechanism: a.CKM_ECDH1_DERIVE,
          parameter: ecdhParams,
        },
        key.handle,
        [
          { type: a.CKA_CLASS, value: a.CKO_SECRET_KEY },
          { type: a.CKA_KEY_TYPE, value: a.CKK_GENERIC_SECRET },
          { type: a.CKA_VALUE_LEN, value: size },
          { type: a.CKA_TOKEN, value: false },
          { type: a.CKA_SENSITIVE, value: false },
          { type: a.CKA_EXTRACTABLE, value: true },
        ],
      );
      try {
        const value = this.#attribute(secret, a.CKA_VALUE);
        const z = new Uint8Array(value);
        value.fill(0);
        return z;
      } finally {
        this.#p.C_DestroyObject(this.#session, secret);
      }
    });
  }

  async random(length: number): Promise<Uint8Array> {
    this.#open();
    if (!Number.isInteger(length) || length < 1 || length > MAX_RANDOM) {
      throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', `random length must be 1..${MAX_RANDOM}`);
    }
    const out = call('C_GenerateRandom', () => this.#p.C_GenerateRandom(this.#session, Buffer.alloc(length)));
    return new Uint8Array(out);
  }

  async writeCertificate(slot: string, der: Uint8Array): Promise<void> {
    this.#open();
    requireBytes(der, 'certificate');
    if (der.length === 0) throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'certificate is empty');
    this.#requireKey(slot);
    const a = this.#api;
    const old = this.#find([
      { type: a.CKA_CLASS, value: a.CKO_CERTIFICATE },
      { type: a.CKA_LABEL, value: slot },
    ]);
    // New object first, then the old ones go: a failure leaves the old certificate in place.
    call('C_CreateObject', () =>
      this.#p.C_CreateObject(this.#session, [
        { type: a.CKA_CLASS, value: a.CKO_CERTIFICATE },
        { type: a.CKA_CERTIFICATE_TYPE, value: a.CKC_X_509 },
        { type: a.CKA_TOKEN, value: true },
        { type: a.CKA_PRIVATE, value: false },
        { type: a.CKA_LABEL, value: slot },
        { type: a.CKA_ID, value: slotId(slot) },
        { type: a.CKA_SUBJECT, value: Buffer.from(certificateSubject(der)) },
        { type: a.CKA_VALUE, value: Buffer.from(der) },
      ]),
    );
    for (const h of old) this.#destroy(h);
  }

  async readCertificate(slot: string): Promise<Uint8Array | undefined> {
    this.#open();
    checkSlotName(slot);
    const cert = this.#find([
      { type: this.#api.CKA_CLASS, value: this.#api.CKO_CERTIFICATE },
      { type: this.#api.CKA_LABEL, value: slot },
    ])[0];
    return cert === undefined ? undefined : new Uint8Array(this.#attribute(cert, this.#api.CKA_VALUE));
  }

  async destroyKey(slot: string): Promise<void> {
    this.#open();
    checkSlotName(slot);
    // Private key first: once it is gone the slot counts as empty even if a later step fails.
    const a = this.#api;
    for (const cls of [a.CKO_PRIVATE_KEY, a.CKO_PUBLIC_KEY, a.CKO_CERTIFICATE]) {
      for (const h of this.#find([
        { type: a.CKA_CLASS, value: cls },
        { type: a.CKA_LABEL, value: slot },
      ])) {
        this.#destroy(h);
      }
    }
  }

  async listSlots(): Promise<SlotInfo[]> {
    this.#open();
    const a = this.#api;
    const slots = new Map<string, SlotInfo>();
    for (const h of this.#find([
      { type: a.CKA_CLASS, value: a.CKO_PRIVATE_KEY },
      { type: a.CKA_KEY_TYPE, value: a.CKK_EC },
    ])) {
      // Objects made by other tools may share the token: only those that look like ours count.
      const slot = this.#attribute(h, a.CKA_LABEL).toString('utf8');
      const curve = ecParamsCurve(this.#attribute(h, a.CKA_EC_PARAMS));
      if (!/^[a-z][a-z0-9-]{0,31}$/.test(slot) || curve === undefined || slots.has(slot)) continue;
      const hasCertificate =
        this.#find([
          { type: a.CKA_CLASS, value: a.CKO_CERTIFICATE },
          { type: a.CKA_LABEL, value: slot },
        ]).length > 0;
      slots.set(slot, { slot, curve, hasCertificate });
    }
    return [...slots.values()].sort((x, y) => (x.slot < y.slot ? -1 : x.slot > y.slot ? 1 : 0));
  }

  /**
   * The engine reference for node:tls (tls/tls-key.ts): the URI names token and object only. The
   * PIN reaches the engine through its own configuration, see tls/openssl-engine.ts.
   */
  async tlsKey(slot: string): Promise<TlsKeyReference> {
    this.#open();
    this.#requireKey(slot);
    return {
      kind: 'engine',
      engine: 'pkcs11',
      identifier: pkcs11Uri({ token: this.#tokenLabel, object: slot, type: 'private' }),
    };
  }

  /**
   * The token's protection attributes of a slot's private key, for audits and tests: a correct
   * key is sensitive, never extractable, and its CKA_VALUE cannot be read.
   */
  async keyProtection(slot: string): Promise<Pkcs11KeyProtection> {
    this.#open();
    const { handle } = this.#requireKey(slot);
    const a = this.#api;
    const flag = (type: number) => {
      const v = this.#attribute(handle, type);
      return v.length > 0 && v[0] !== 0;
    };
    let privateValueReadable = true;
    try {
      this.#p.C_GetAttributeValue(this.#session, handle, [{ type: a.CKA_VALUE }]);
    } catch {
      privateValueReadable = false;
    }
    return {
      sensitive: flag(a.CKA_SENSITIVE),
      extractable: flag(a.CKA_EXTRACTABLE),
      alwaysSensitive: flag(a.CKA_ALWAYS_SENSITIVE),
      neverExtractable: flag(a.CKA_NEVER_EXTRACTABLE),
      privateValueReadable,
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const release = this.#onClose === 'logout';
    releaseLogin(this.#lib, this.#slotKey, this.#session, release);
    ignore(() => this.#p.C_CloseSession(this.#session));
    releaseLibrary(this.#lib, release);
  }

  #open(): void {
    if (this.#closed) throw new SecurityModuleError('SMGW_SM_CLOSED', 'the security module was closed');
  }

  #requireKey(slot: string): { handle: Handle; curve: CurveName } {
    checkSlotName(slot);
    const handle = this.#privateKey(slot);
    if (handle === undefined) throw new SecurityModuleError('SMGW_SM_NO_KEY', `slot ${slot} holds no key`);
    const curve = ecParamsCurve(this.#attribute(handle, this.#api.CKA_EC_PARAMS));
    if (curve === undefined) {
      throw new SecurityModuleError('SMGW_SM_BACKEND', `slot ${slot}: the key is not on a TR-03116-3 curve`);
    }
    return { handle, curve };
  }

  #privateKey(slot: string): Handle | undefined {
    return this.#find([
      { type: this.#api.CKA_CLASS, value: this.#api.CKO_PRIVATE_KEY },
      { type: this.#api.CKA_LABEL, value: slot },
    ])[0];
  }

  /** Every object of a slot (any class). */
  #objects(slot: string): Handle[] {
    return this.#find([{ type: this.#api.CKA_LABEL, value: slot }]);
  }

  #readPublicKey(handle: Handle, curve: CurveName): EcPublicKey {
    const point = unwrapEcPoint(this.#attribute(handle, this.#api.CKA_EC_POINT), CURVES[curve].size);
    try {
      return publicKeyFromPoint(curve, point);
    } catch (e) {
      throw new SecurityModuleError('SMGW_SM_BACKEND', 'the token returned a public key that is not a valid point', {
        cause: e,
      });
    }
  }

  #find(template: Pkcs11Js.Template): Handle[] {
    return call('C_FindObjects', () => {
      this.#p.C_FindObjectsInit(this.#session, template);
      try {
        const found: Handle[] = [];
        for (;;) {
          const batch = this.#p.C_FindObjects(this.#session, 64);
          if (batch.length === 0) return found;
          found.push(...batch);
        }
      } finally {
        this.#p.C_FindObjectsFinal(this.#session);
      }
    });
  }

  #attribute(handle: Handle, type: number): Buffer {
    return call('C_GetAttributeValue', () => {
      const [attr] = this.#p.C_GetAttributeValue(this.#session, handle, [{ type }]);
      if (!attr || !Buffer.isBuffer(attr.value)) {
        throw new SecurityModuleError(
          'SMGW_SM_BACKEND',
          `token returned no value for attribute 0x${type.toString(16)}`,
        );
      }
      return attr.value;
    });
  }

  #destroy(handle: Handle): void {
    call('C_DestroyObject', () => this.#p.C_DestroyObject(this.#session, handle));
  }
}

/** Runs a pkcs11js call; anything it throws becomes a SecurityModuleError. */
function call<T>(operation: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    throw fromPkcs11Error(e, operation);
  }
}

function ignore(fn: () => unknown): void {
  try {
    fn();
  } catch {
    // best effort while releasing
  }
}

function findTokenSlot(lib: LoadedLibrary, tokenLabel: string, library: string): Handle {
  const slots = call('C_GetSlotList', () => lib.p.C_GetSlotList(true));
  const labels: string[] = [];
  for (const slot of slots) {
    // Token labels are blank-padded to 32 bytes (PKCS#11 v2.40 §3.2, CK_TOKEN_INFO).
    const label = call('C_GetTokenInfo', () => lib.p.C_GetTokenInfo(slot)).label.replace(/[ \0]+$/, '');
    if (label === tokenLabel) return slot;
    if (label !== '') labels.push(label); // SoftHSM2 always offers one free, unlabelled slot
  }
  throw new SecurityModuleError(
    'SMGW_SM_BACKEND',
    `no token labelled ${JSON.stringify(tokenLabel)} in ${library} (tokens present: ${
      labels.length === 0 ? 'none' : labels.map((l) => JSON.stringify(l)).join(', ')
    })`,
  );
}

/** CKA_ID of a slot's objects: the slot name's bytes, stable and readable in `pkcs11-tool -O`. */
function slotId(slot: string): Buffer {
  return Buffer.from(slot, 'utf8');
}

function requireBytes(value: unknown, what: string): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', `${what} must be a Uint8Array`);
  }
}

/** CKA_EC_PARAMS (DER ECParameters, namedCurve) -> our curve, or undefined. */
function ecParamsCurve(params: Uint8Array): CurveName | undefined {
  try {
    const oid = AsnConvert.parse(params, ECParameters).namedCurve;
    return oid === undefined ? undefined : curveByOid(oid)?.name;
  } catch {
    return undefined;
  }
}

/**
 * CKA_EC_POINT is a DER OCTET STRING around the uncompressed point (PKCS#11 v2.40 §2.3.3); some
 * tokens return the bare point. The lengths tell them apart (bare: 1 + 2*size).
 */
function unwrapEcPoint(value: Uint8Array, size: number): Uint8Array {
  const bare = 1 + 2 * size;
  if (value.length === bare && value[0] === 0x04) return value;
  let offset = 2;
  let length = value[1] ?? 0;
  if (length === 0x81) {
    length = value[2] ?? 0;
    offset = 3;
  }
  if (value[0] !== 0x04 || length !== bare || value.length !== offset + bare) {
    throw new SecurityModuleError('SMGW_SM_BACKEND', 'the token returned a CKA_EC_POINT that is not a point');
  }
  return value.subarray(offset);
}

/** The DER subject Name of a certificate, or an empty Name when the bytes are no certificate. */
function certificateSubject(der: Uint8Array): Uint8Array {
  try {
    const cert = AsnConvert.parse(der, Certificate);
    return new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subject));
  } catch {
    return EMPTY_NAME;
  }
}
