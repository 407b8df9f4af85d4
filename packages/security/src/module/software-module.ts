/**
 * The software security module: the `SecurityModule` contract (spec notes §13) on node:crypto,
 * with keys in memory while open and, at rest, in a sealed keystore file (`keystore.ts`).
 *
 * Where it sits. A hardware security module keeps keys behind PACE + Secure Messaging (spec notes
 * §3.9); this module lives in the gateway process instead. Private keys are node:crypto
 * KeyObjects held in private fields, and no method returns them, with one deliberate exception:
 * `tlsKey(slot)` hands node:tls the PKCS#8 PEM of the slot key. node:tls in the same process is
 * this module's own TLS use of its key (the process is the module), not an export to a third
 * party. A deployment that wants private keys out of the gateway process uses the `pkcs11` backend
 * (an HSM or SoftHSM2), whose `tlsKey` names the key for OpenSSL's pkcs11 engine instead.
 *
 * Persistence. With a `path`, every change (generateKeyPair, writeCertificate, destroyKey) is
 * sealed and written atomically before the call returns (`persist: 'auto'`, the default), or
 * only on `save()` (`persist: 'manual'`, for batch set-ups such as `smgw pki init`). The KDF runs
 * once per open; each save is one AES-GCM seal with a fresh nonce, so saving is cheap. Without a
 * `path` the module is purely in memory (tests, ephemeral keys).
 */
import {
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
  sign as nodeSign,
  randomBytes,
} from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { type Clock, systemClock, zeroize } from '@opensmgw/core';
import { CURVES, type CurveName, type HashName, NODE_HASH, requireCurve, requireHash } from '../curves.js';
import { type EcPublicKey, keyObjectOf, parseSpki, peerKeyOnCurve } from '../ec-keys.js';
import { SecurityModuleError } from '../errors.js';
import {
  type KeystoreContents,
  KeystoreKey,
  type KeystoreSecret,
  type KeystoreSlot,
  keystoreFileExists,
  MIN_KEY_FILE_BYTES,
  readKeystoreFile,
  type ScryptParams,
  writeKeystoreFile,
} from './keystore.js';
import { checkSlotName, type SecurityModule, type SlotInfo, type TlsKeyReference } from './security-module.js';

/** The largest `random` request (GET CHALLENGE answers are short; this bounds memory). */
export const MAX_RANDOM_BYTES = 65536;

export interface SoftwareSecurityModuleOptions {
  /** Keystore file. Without it the module is in memory only and `pin`/`keyFile` are not used. */
  readonly path?: string;
  /** PIN that opens (or seals a new) keystore; scrypt-derived. See `KeystoreSecret` on PIN length. */
  readonly pin?: string;
  /**
   * Key file that opens (or seals a new) keystore: its bytes, or a path to read them from (at
   * least 32 bytes, e.g. `head -c 32 /dev/urandom > keystore.key`); HKDF-derived.
   */
  readonly keyFile?: Uint8Array | string;
  /** Create an empty keystore at `path` if there is no file yet (default: the file must exist). */
  readonly create?: boolean;
  /**
   * scrypt parameters for a new PIN keystore (default DEFAULT_SCRYPT, N=2^15 r=8 p=1, which
   * production should keep; tests pass cheaper ones). An existing keystore keeps its own.
   */
  readonly kdf?: Partial<ScryptParams>;
  /** `auto` (default): persist before each changing call returns; `manual`: only on `save()`. */
  readonly persist?: 'auto' | 'manual';
  /** Source of slot creation times (default: the system clock). */
  readonly clock?: Clock;
}

interface Slot {
  readonly curve: CurveName;
  readonly privateKey: KeyObject;
  readonly publicKey: EcPublicKey;
  readonly createdAt: number;
  certificate?: Uint8Array;
}

interface Store {
  readonly path: string;
  readonly key: KeystoreKey;
}

function closedError(): SecurityModuleError {
  return new SecurityModuleError('SMGW_SM_CLOSED', 'the security module was closed');
}

function requireBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', `${what} must be a Uint8Array`);
  }
  return value;
}

function publicKeyOf(privateKey: KeyObject): EcPublicKey {
  const spki = new Uint8Array(createPublicKey(privateKey).export({ format: 'der', type: 'spki' }));
  return parseSpki(spki);
}

export class SoftwareSecurityModule implements SecurityModule {
  readonly kind = 'software' as const;

  #slots: Map<string, Slot> | undefined = new Map();
  readonly #store: Store | undefined;
  readonly #persist: 'auto' | 'manual';
  readonly #clock: Clock;
  /** Saves run one after another, each writing the state current when it runs. */
  #saving: Promise<void> = Promise.resolve();
  #dirty = false;

  private constructor(store: Store | undefined, persist: 'auto' | 'manual', clock: Clock) {
    this.#store = store;
    this.#persist = persist;
    this.#clock = clock;
  }

  /**
   * Opens a module. With `path`: loads the keystore (SMGW_SM_WRONG_PIN, SMGW_SM_KEYSTORE_CORRUPT,
   * SMGW_SM_BACKEND if unreadable or missing without `create`), or creates an empty one with
   * `create: true`. Without `path`: an empty in-memory module.
   */
  static async open(options: SoftwareSecurityModuleOptions = {}): Promise<SoftwareSecurityModule> {
    const clock = options.clock ?? systemClock;
    const persist = options.persist ?? 'auto';
    if (persist !== 'auto' && persist !== 'manual') {
      throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', `persist must be 'auto' or 'manual'`);
    }
    if (options.path === undefined) return new SoftwareSecurityModule(undefined, persist, clock);
    if (typeof options.path !== 'string' || options.path.length === 0) {
      throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'path must be a non-empty string');
    }
    const secret = await secretOf(options);
    try {
      const path = options.path;
      if (await keystoreFileExists(path)) {
        const bytes = await readKeystoreFile(path);
        const key = KeystoreKey.forFile(bytes, secret);
        let contents: KeystoreContents;
        try {
          contents = key.open(bytes);
        } catch (e) {
          key.zeroize();
          throw e;
        }
        const sm = new SoftwareSecurityModule({ path, key }, persist, clock);
        try {
          sm.#load(contents);
        } catch (e) {
          await sm.close();
          throw e;
        } finally {
          for (const s of contents.slots) zeroize(s.pkcs8);
        }
        return sm;
      }
      if (!options.create) {
        throw new SecurityModuleError(
          'SMGW_SM_BACKEND',
          `keystore: no file at ${path} (pass create: true to make one)`,
          {
            detail: { path },
          },
        );
      }
      const key = KeystoreKey.create(secret, options.kdf === undefined ? {} : { scrypt: options.kdf });
      const sm = new SoftwareSecurityModule({ path, key }, persist, clock);
      try {
        await sm.#write(); // the empty keystore exists once open returns, in either persist mode
      } catch (e) {
        key.zeroize();
        throw e;
      }
      return sm;
    } finally {
      if ('keyFile' in secret) zeroize(secret.keyFile);
    }
  }

  #load(contents: KeystoreContents): void {
    const slots = this.#live();
    for (const s of contents.slots) {
      const info = CURVES[s.curve];
      let privateKey: KeyObject;
      try {
        privateKey = createPrivateKey({ key: Buffer.from(s.pkcs8), format: 'der', type: 'pkcs8' });
      } catch (e) {
        throw new SecurityModuleError('SMGW_SM_KEYSTORE_CORRUPT', `keystore: slot ${s.slot} holds no usable key`, {
          cause: e,
        });
      }
      if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== info.opensslName) {
        throw new SecurityModuleError('SMGW_SM_KEYSTORE_CORRUPT', `keystore: slot ${s.slot} is not a ${s.curve} key`);
      }
      const slot: Slot = { curve: s.curve, privateKey, publicKey: publicKeyOf(privateKey), createdAt: s.createdAt };
      if (s.certificate) slot.certificate = Uint8Array.from(s.certificate);
      slots.set(s.slot, slot);
    }
  }

  #live(): Map<string, Slot> {
    if (this.#slots === undefined) throw closedError();
    return this.#slots;
  }

  #key(slot: string): Slot {
    const s = this.#live().get(slot);
    if (!s) throw new SecurityModuleError('SMGW_SM_NO_KEY', `no key in slot ${slot}`, { detail: { slot } });
    return s;
  }

  /** Seals the current state and replaces the file (serialised with other saves). */
  #write(): Promise<void> {
    const store = this.#store;
    if (!store) return Promise.resolve();
    const run = this.#saving.then(async () => {
      const slots = this.#slots;
      if (slots === undefined) throw closedError();
      const entries: KeystoreSlot[] = [];
      try {
        for (const [name, s] of slots) {
          const pkcs8 = new Uint8Array(s.privateKey.export({ format: 'der', type: 'pkcs8' }));
          entries.push(
            s.certificate
              ? { slot: name, curve: s.curve, pkcs8, certificate: s.certificate, createdAt: s.createdAt }
              : { slot: name, curve: s.curve, pkcs8, createdAt: s.createdAt },
          );
        }
        const sealed = store.key.seal({ slots: entries });
        this.#dirty = false;
        try {
          await writeKeystoreFile(store.path, sealed);
        } catch (e) {
          this.#dirty = true;
          throw e;
        }
      } finally {
        for (const e of entries) zeroize(e.pkcs8);
      }
    });
    // A failed save must not block the next one; the failure goes to this call's awaiter.
    this.#saving = run.catch(() => undefined);
    return run;
  }

  /**
   * Applies a change: in `auto` mode persists it, and undoes it in memory if persisting fails
   * (the module never reports a state the file does not hold).
   */
  async #change(undo: () => void): Promise<void> {
    if (!this.#store) return;
    this.#dirty = true;
    if (this.#persist === 'manual') return;
    try {
      await this.#write();
    } catch (e) {
      if (this.#slots) undo();
      throw e;
    }
  }

  /**
   * Writes the keystore now (`persist: 'manual'`; harmless in `auto` mode). No-op in memory.
   */
  async save(): Promise<void> {
    this.#live();
    await this.#write();
  }

  /** True if there are changes not yet written (only ever in `persist: 'manual'` or after a failed save). */
  get unsaved(): boolean {
    return this.#store !== undefined && this.#dirty;
  }

  async generateKeyPair(slot: string, curve: CurveName): Promise<EcPublicKey> {
    const slots = this.#live();
    checkSlotName(slot);
    const info = requireCurve(curve);
    if (slots.has(slot)) {
      throw new SecurityModuleError('SMGW_SM_SLOT_IN_USE', `slot ${slot} holds a key; destroy it first`, {
        detail: { slot },
      });
    }
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: info.opensslName });
    const entry: Slot = {
      curve: info.name,
      privateKey,
      publicKey: publicKeyOf(privateKey),
      createdAt: this.#clock.now(),
    };
    slots.set(slot, entry);
    await this.#change(() => {
      if (this.#slots?.get(slot) === entry) this.#slots.delete(slot);
    });
    return copyKey(entry.publicKey);
  }

  async publicKey(slot: string): Promise<EcPublicKey> {
    this.#live();
    return copyKey(this.#key(checkSlotName(slot)).publicKey);
  }

  async sign(slot: string, data: Uint8Array, hash: HashName): Promise<Uint8Array> {
    this.#live();
    const s = this.#key(checkSlotName(slot));
    const h = requireHash(hash);
    requireBytes(data, 'data to sign');
    return new Uint8Array(nodeSign(NODE_HASH[h], data, { key: s.privateKey, dsaEncoding: 'der' }));
  }

  async ecdh(slot: string, peer: Uint8Array): Promise<Uint8Array> {
    this.#live();
    const s = this.#key(checkSlotName(slot));
    const peerKey = peerKeyOnCurve(s.curve, peer);
    let z: Buffer | undefined;
    try {
      z = diffieHellman({ privateKey: s.privateKey, publicKey: keyObjectOf(peerKey) });
      return Uint8Array.from(z);
    } catch (e) {
      throw new SecurityModuleError('SMGW_SM_BAD_PEER_KEY', 'key agreement with the peer key failed', { cause: e });
    } finally {
      if (z) zeroize(z);
    }
  }

  async random(length: number): Promise<Uint8Array> {
    this.#live();
    if (typeof length !== 'number' || !Number.isInteger(length) || length < 1 || length > MAX_RANDOM_BYTES) {
      throw new SecurityModuleError(
        'SMGW_SM_BAD_ARGUMENT',
        `random length must be an integer in 1..${MAX_RANDOM_BYTES}`,
      );
    }
    return new Uint8Array(randomBytes(length));
  }

  async writeCertificate(slot: string, der: Uint8Array): Promise<void> {
    this.#live();
    checkSlotName(slot);
    if (!(der instanceof Uint8Array) || der.length === 0) {
      throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'certificate must be non-empty DER bytes');
    }
    const s = this.#key(slot);
    const previous = s.certificate;
    const next = Uint8Array.from(der);
    s.certificate = next;
    await this.#change(() => {
      if (s.certificate !== next) return;
      if (previous) s.certificate = previous;
      else delete s.certificate;
    });
  }

  async readCertificate(slot: string): Promise<Uint8Array | undefined> {
    const slots = this.#live();
    const cert = slots.get(checkSlotName(slot))?.certificate;
    return cert ? Uint8Array.from(cert) : undefined;
  }

  async destroyKey(slot: string): Promise<void> {
    const slots = this.#live();
    checkSlotName(slot);
    const s = slots.get(slot);
    if (!s) return;
    slots.delete(slot);
    await this.#change(() => {
      if (!this.#slots?.has(slot)) this.#slots?.set(slot, s);
    });
  }

  async listSlots(): Promise<SlotInfo[]> {
    const slots = this.#live();
    return [...slots].map(([slot, s]) => ({ slot, curve: s.curve, hasCertificate: s.certificate !== undefined }));
  }

  /**
   * The slot key as PKCS#8 PEM for node:tls in this process (see the module comment for why this
   * is the module's own use of its key). The PEM is a JS string and cannot be wiped: callers
   * should pass it straight to `tls.createSecureContext` and keep no other reference.
   */
  async tlsKey(slot: string): Promise<TlsKeyReference> {
    this.#live();
    const s = this.#key(checkSlotName(slot));
    return { kind: 'pem', pem: s.privateKey.export({ format: 'pem', type: 'pkcs8' }) as string };
  }

  /**
   * Waits for pending saves, then drops every key and wipes the buffers this module holds. A
   * `manual` module with unsaved changes loses them (call `save()` first). Closing twice is a
   * no-op.
   */
  async close(): Promise<void> {
    if (this.#slots === undefined) return;
    const slots = this.#slots;
    this.#slots = undefined;
    await this.#saving;
    for (const s of slots.values()) if (s.certificate) zeroize(s.certificate);
    slots.clear();
    this.#store?.key.zeroize();
  }
}

function copyKey(k: EcPublicKey): EcPublicKey {
  return { curve: k.curve, point: Uint8Array.from(k.point), spki: Uint8Array.from(k.spki) };
}

async function secretOf(options: SoftwareSecurityModuleOptions): Promise<KeystoreSecret> {
  const hasPin = options.pin !== undefined;
  const hasKeyFile = options.keyFile !== undefined;
  if (hasPin === hasKeyFile) {
    throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'a keystore needs exactly one of pin or keyFile');
  }
  if (hasPin) {
    if (typeof options.pin !== 'string' || options.pin.length === 0) {
      throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'the PIN must be a non-empty string');
    }
    return { pin: options.pin };
  }
  let bytes: Uint8Array;
  if (typeof options.keyFile === 'string') {
    try {
      bytes = new Uint8Array(await readFile(options.keyFile));
    } catch (e) {
      throw new SecurityModuleError('SMGW_SM_BACKEND', `cannot read key file ${options.keyFile}`, { cause: e });
    }
  } else if (options.keyFile instanceof Uint8Array) {
    bytes = Uint8Array.from(options.keyFile);
  } else {
    throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', 'keyFile must be bytes or a path');
  }
  if (bytes.length < MIN_KEY_FILE_BYTES) {
    zeroize(bytes);
    throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', `a key file must hold at least ${MIN_KEY_FILE_BYTES} bytes`);
  }
  return { keyFile: bytes };
}
