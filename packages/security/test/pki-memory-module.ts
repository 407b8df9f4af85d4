/**
 * A minimal in-memory SecurityModule on node:crypto, for PKI tests that need a signer but not a
 * keystore. Test-only: the real backends are in src/module/.
 */
import { createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import { CURVES, type CurveName, type HashName, NODE_HASH } from '../src/curves.js';
import { type EcPublicKey, parseSpki } from '../src/ec-keys.js';
import { SecurityModuleError } from '../src/errors.js';
import { checkSlotName, type SecurityModule, type SlotInfo, type TlsKeyReference } from '../src/module/index.js';

interface Slot {
  curve: CurveName;
  privateKey: KeyObject;
  publicKey: EcPublicKey;
  certificate?: Uint8Array;
}

export class MemorySecurityModule implements SecurityModule {
  readonly kind = 'software' as const;
  readonly #slots = new Map<string, Slot>();

  #get(slot: string): Slot {
    const s = this.#slots.get(checkSlotName(slot));
    if (!s) throw new SecurityModuleError('SMGW_SM_NO_KEY', `no key in slot ${slot}`);
    return s;
  }

  async generateKeyPair(slot: string, curve: CurveName): Promise<EcPublicKey> {
    if (this.#slots.has(checkSlotName(slot))) throw new SecurityModuleError('SMGW_SM_SLOT_IN_USE', slot);
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: CURVES[curve].opensslName });
    const pub = parseSpki(new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })));
    this.#slots.set(slot, { curve, privateKey, publicKey: pub });
    return pub;
  }
  async publicKey(slot: string): Promise<EcPublicKey> {
    return this.#get(slot).publicKey;
  }
  async sign(slot: string, data: Uint8Array, hash: HashName): Promise<Uint8Array> {
    return new Uint8Array(sign(NODE_HASH[hash], data, { key: this.#get(slot).privateKey, dsaEncoding: 'der' }));
  }
  async ecdh(slot: string, peer: Uint8Array): Promise<Uint8Array> {
    const s = this.#get(slot);
    const pub = parseSpki(peer);
    return new Uint8Array(
      diffieHellman({
        privateKey: s.privateKey,
        publicKey: createPublicKey({ key: Buffer.from(pub.spki), format: 'der', type: 'spki' }),
      }),
    );
  }
  async random(length: number): Promise<Uint8Array> {
    return new Uint8Array(randomBytes(length));
  }
  async writeCertificate(slot: string, der: Uint8Array): Promise<void> {
    this.#get(slot).certificate = new Uint8Array(der);
  }
  async readCertificate(slot: string): Promise<Uint8Array | undefined> {
    return this.#get(slot).certificate;
  }
  async destroyKey(slot: string): Promise<void> {
    this.#slots.delete(checkSlotName(slot));
  }
  async listSlots(): Promise<SlotInfo[]> {
    return [...this.#slots].map(([slot, s]) => ({ slot, curve: s.curve, hasCertificate: !!s.certificate }));
  }
  async tlsKey(slot: string): Promise<TlsKeyReference> {
    const pem = this.#get(slot).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
    return { kind: 'pem', pem };
  }
  async close(): Promise<void> {
    this.#slots.clear();
  }
  /** Test helper: the PEM private key, for handing to the openssl CLI (e.g. `openssl req`). */
  privateKeyPem(slot: string): string {
    return this.#get(slot).privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
  }
}
