/**
 * Which keys and certificates the gateway uses on the WAN (spec notes §4, §5.4): the TLS, SIG
 * and ENC triplet. A new gateway starts with its factory triplet (slots `wan-tls-factory`,
 * `wan-sig-factory`, `wan-enc-factory`); the GWA then has it generate operational keys inside
 * the security module (create-csr), certifies them and installs the certificates
 * (install-certificates). Only when all three certificates check out does the gateway switch,
 * in one state write, so a crash leaves it on either the old or the new triplet, never on a mix.
 *
 * State in the store under 'wan-identity': the active slots and chain, the pending key per use,
 * and a generation counter that names new slots ("wan-<use>-g<N>"; never reused, so a crash
 * after a key was generated cannot make the next create-csr collide with it).
 */
import { bytesEqual, type Clock, isSmgwError } from '@opensmgw/core';
import type { CertificateUse } from '@opensmgw/protocol';
import {
  buildCsr,
  type CmsSigner,
  commonName,
  END_USER_CURVE,
  type ParsedCertificate,
  parseCertificate,
  parseCertificates,
  parseCrls,
  readDerObjects,
  type SecurityModule,
  type TlsKeyReference,
  type TrustMaterial,
  toPem,
  validatePath,
} from '@opensmgw/security';
import type { GatewayStore } from '../store/types.js';
import { WanError } from './errors.js';

export const WAN_IDENTITY_STATE_KEY = 'wan-identity';

/** The factory ("Gütesiegel") slots of the test PKI's gateway keystore (docs/pki.md). */
export const FACTORY_SLOTS: Readonly<Record<CertificateUse, string>> = {
  tls: 'wan-tls-factory',
  sig: 'wan-sig-factory',
  enc: 'wan-enc-factory',
};

const USES: readonly CertificateUse[] = ['tls', 'sig', 'enc'];

/** SM-PKI trust for checking certificates before they are installed. */
export interface WanPkiTrust {
  /** The SM-PKI root certificates (trust anchors). */
  readonly roots: readonly TrustMaterial[];
  /** Sub-CA certificates known beforehand (the install job brings its own chain too). */
  readonly intermediates?: readonly TrustMaterial[];
  /** Current CRLs of root and Sub-CAs (revocation is required, TR-03116-TS TLS_CERT_04). */
  readonly crls?: readonly TrustMaterial[];
}

export interface WanIdentityOptions {
  readonly module: SecurityModule;
  readonly store: Pick<GatewayStore, 'getState' | 'setState'>;
  /** This gateway's DKE/FLAG ID; its certificates are `CN=<gatewayId>.SMGW` (spec notes §4). */
  readonly gatewayId: string;
  /** Sub-CA certificate(s) of the factory triplet, PEM, sent after the leaf (TLS, CMS). */
  readonly chainPem: string;
  readonly trust: WanPkiTrust;
  /** Validity of certificates to install is checked at this clock's time. */
  readonly clock: Clock;
}

interface IdentityState {
  readonly active: Readonly<Record<CertificateUse, string>> & { readonly chainPem: string; readonly factory: boolean };
  readonly pending: Readonly<Partial<Record<CertificateUse, string>>>;
  readonly nextGeneration: number;
}

interface Loaded {
  readonly tlsKey: TlsKeyReference;
  readonly certificates: Readonly<Record<CertificateUse, Uint8Array>>;
  readonly chain: readonly Uint8Array[];
}

export interface InstallCertificates {
  readonly tlsPem: string;
  readonly sigPem: string;
  readonly encPem: string;
  readonly chainPem: string;
}

export interface InstalledSummary {
  /** Serial (hex) per use of the certificates now in use. */
  readonly serials: Readonly<Record<CertificateUse, string>>;
  readonly slots: Readonly<Record<CertificateUse, string>>;
}

export class WanIdentity {
  readonly #o: WanIdentityOptions;
  #state: IdentityState;
  #loaded: Loaded;
  #generation = 0;

  private constructor(o: WanIdentityOptions, state: IdentityState, loaded: Loaded) {
    this.#o = o;
    this.#state = state;
    this.#loaded = loaded;
  }

  /** Loads the persisted identity (default: the factory triplet) and its certificates from the module. */
  static async open(o: WanIdentityOptions): Promise<WanIdentity> {
    const saved = readState(o.store.getState(WAN_IDENTITY_STATE_KEY));
    const state: IdentityState = saved ?? {
      active: { ...FACTORY_SLOTS, chainPem: o.chainPem, factory: true },
      pending: {},
      nextGeneration: 1,
    };
    return new WanIdentity(o, state, await load(o.module, state.active));
  }

  /** Changes whenever the triplet is replaced (the HTTPS client drops its TLS sessions then). */
  get generation(): number {
    return this.#generation;
  }

  /** True while the factory triplet is in use. */
  get isFactory(): boolean {
    return this.#state.active.factory;
  }

  get slots(): Readonly<Record<CertificateUse, string>> {
    const { tls, sig, enc } = this.#state.active;
    return { tls, sig, enc };
  }

  /** The pending (generated, not yet certified) key slot per use. */
  get pending(): Readonly<Partial<Record<CertificateUse, string>>> {
    return { ...this.#state.pending };
  }

  /** Key and chain (leaf first, then Sub-CA) for the WAN client TLS profile. */
  tls(): { key: TlsKeyReference; certificatesPem: string[] } {
    const l = this.#loaded;
    return {
      key: l.tlsKey,
      certificatesPem: [toPem('CERTIFICATE', l.certificates.tls), ...l.chain.map((c) => toPem('CERTIFICATE', c))],
    };
  }

  /** The SIG key and certificate that sign CMS containers (spec notes §3.7). */
  signer(): CmsSigner {
    const l = this.#loaded;
    return { module: this.#o.module, slot: this.#state.active.sig, certificate: l.certificates.sig, chain: l.chain };
  }

  /** The DER certificate in use for `use`. */
  certificate(use: CertificateUse): Uint8Array {
    return this.#loaded.certificates[use];
  }

  /** Random bytes from the security module (jitter, nonces). */
  random(length: number): Promise<Uint8Array> {
    return this.#o.module.random(length);
  }

  /**
   * Generates a new key pair for `use` inside the security module (a fresh slot) and answers a
   * PKCS#10 request signed there (proof of possession). A pending key of the same use that was
   * never certified is destroyed: only the newest request can be installed.
   */
  async createCsr(use: CertificateUse): Promise<string> {
    if (!USES.includes(use)) throw new WanError('SMGW_WAN_BAD_REQUEST', `unknown certificate use ${String(use)}`);
    const generation = this.#state.nextGeneration;
    const slot = `wan-${use}-g${generation}`;
    // The counter is persisted before the key exists: a crash cannot hand out this name twice.
    this.#persist({ ...this.#state, nextGeneration: generation + 1 });
    const previous = this.#state.pending[use];
    await this.#o.module.generateKeyPair(slot, END_USER_CURVE);
    this.#persist({ ...this.#state, pending: { ...this.#state.pending, [use]: slot } });
    if (previous !== undefined && !this.#isActiveSlot(previous)) await this.#destroyQuietly(previous);
    const der = await buildCsr({
      module: this.#o.module,
      slot,
      subject: [
        { type: 'C', value: 'DE' },
        { type: 'CN', value: `${this.#o.gatewayId}.SMGW` },
      ],
    });
    return toPem('CERTIFICATE REQUEST', der);
  }

  /**
   * Checks the three certificates (each certifies its pending key, names this gateway, validates
   * against the SM-PKI roots and CRLs for its use) and only then switches to them atomically.
   * Any refusal leaves the current identity and the pending keys as they were.
   */
  async install(c: InstallCertificates): Promise<InstalledSummary> {
    const pending = this.#state.pending;
    const slots = {} as Record<CertificateUse, string>;
    for (const use of USES) {
      const slot = pending[use];
      if (slot === undefined) {
        throw new WanError('SMGW_WAN_NO_PENDING_KEY', `no pending ${use} key: run create-csr for ${use} first`, {
          detail: { use },
        });
      }
      slots[use] = slot;
    }
    const chain = parseAll(c.chainPem, 'chain');
    const trust = this.#o.trust;
    const roots = (trust.roots ?? []).flatMap((r) => parseAll(r, 'roots'));
    const known = (trust.intermediates ?? []).flatMap((r) => parseAll(r, 'intermediates'));
    const crls = (trust.crls ?? []).flatMap((r) => parseCrls(r));
    const at = new Date(this.#o.clock.now());
    const pems: Record<CertificateUse, string> = { tls: c.tlsPem, sig: c.sigPem, enc: c.encPem };
    const certs = {} as Record<CertificateUse, ParsedCertificate>;
    for (const use of USES) {
      const cert = parseOne(pems[use], use);
      const key = await this.#o.module.publicKey(slots[use]);
      if (!bytesEqual(cert.spki, key.spki)) {
        throw new WanError(
          'SMGW_WAN_CERT_KEY_MISMATCH',
          `the ${use} certificate does not certify the pending ${use} key`,
          {
            detail: { use },
          },
        );
      }
      const cn = commonName(cert.subject);
      if (cn === undefined || cn.toUpperCase() !== `${this.#o.gatewayId}.SMGW`.toUpperCase()) {
        throw new WanError('SMGW_WAN_CERT_WRONG_GATEWAY', `the ${use} certificate is not for this gateway`, {
          detail: { use },
        });
      }
      try {
        validatePath({
          leaf: cert,
          intermediates: [...chain, ...known],
          roots,
          crls,
          at,
          usage: { role: 'SMGW', type: use, ...(use === 'tls' ? { eku: 'clientAuth' as const } : {}) },
        });
      } catch (e) {
        throw new WanError('SMGW_WAN_CERT_INVALID', `the ${use} certificate does not validate in the SM-PKI`, {
          cause: e,
          detail: { use, ...(isSmgwError(e) ? { pkiCode: e.code } : {}) },
        });
      }
      certs[use] = cert;
    }
    for (const use of USES) await this.#o.module.writeCertificate(slots[use], certs[use].der);
    const chainPem = chain.map((x) => toPem('CERTIFICATE', x.der)).join('');
    const active = { ...slots, chainPem, factory: false };
    const loaded = await load(this.#o.module, active);
    const previous = this.#state.active;
    // The switch: one state write. Before it the old triplet is in use, after it the new one.
    this.#persist({ active, pending: {}, nextGeneration: this.#state.nextGeneration });
    this.#loaded = loaded;
    this.#generation += 1;
    // Replaced operational keys are destroyed; the factory keys stay (the manufacturer's anchor).
    if (!previous.factory) {
      for (const use of USES) if (!this.#isActiveSlot(previous[use])) await this.#destroyQuietly(previous[use]);
    }
    return {
      serials: { tls: certs.tls.serial, sig: certs.sig.serial, enc: certs.enc.serial },
      slots: { ...slots },
    };
  }

  #isActiveSlot(slot: string): boolean {
    const a = this.#state.active;
    return slot === a.tls || slot === a.sig || slot === a.enc;
  }

  async #destroyQuietly(slot: string): Promise<void> {
    try {
      await this.#o.module.destroyKey(slot);
    } catch {
      // A key that cannot be destroyed now is unreachable anyway: no state names it any more.
    }
  }

  #persist(state: IdentityState): void {
    this.#o.store.setState(WAN_IDENTITY_STATE_KEY, state);
    this.#state = state;
  }
}

async function load(module: SecurityModule, active: IdentityState['active']): Promise<Loaded> {
  const certificates = {} as Record<CertificateUse, Uint8Array>;
  try {
    for (const use of USES) {
      const der = await module.readCertificate(active[use]);
      if (der === undefined) throw new Error(`slot ${active[use]} holds no certificate`);
      certificates[use] = der;
    }
    return {
      tlsKey: await module.tlsKey(active.tls),
      certificates,
      chain: readDerObjects(active.chainPem, 'CERTIFICATE'),
    };
  } catch (e) {
    throw new WanError('SMGW_WAN_IDENTITY_UNAVAILABLE', 'the WAN key triplet is not usable in the security module', {
      cause: e,
      detail: { slots: [active.tls, active.sig, active.enc] },
    });
  }
}

function parseAll(material: TrustMaterial, what: string): ParsedCertificate[] {
  try {
    return parseCertificates(material);
  } catch (e) {
    throw new WanError('SMGW_WAN_CERT_INVALID', `the ${what} certificates cannot be read`, {
      cause: e,
      detail: { what, ...(isSmgwError(e) ? { pkiCode: e.code } : {}) },
    });
  }
}

function parseOne(pem: string, use: CertificateUse): ParsedCertificate {
  let ders: Uint8Array[];
  try {
    ders = readDerObjects(pem, 'CERTIFICATE');
  } catch (e) {
    throw new WanError('SMGW_WAN_CERT_INVALID', `the ${use} certificate cannot be read`, { cause: e, detail: { use } });
  }
  const der = ders[0];
  if (der === undefined || ders.length !== 1) {
    throw new WanError('SMGW_WAN_CERT_INVALID', `expected exactly one ${use} certificate`, { detail: { use } });
  }
  try {
    return parseCertificate(der);
  } catch (e) {
    throw new WanError('SMGW_WAN_CERT_INVALID', `the ${use} certificate cannot be read`, {
      cause: e,
      detail: { use, ...(isSmgwError(e) ? { pkiCode: e.code } : {}) },
    });
  }
}

const SLOT = /^[a-z][a-z0-9-]{0,31}$/;

/** Our own state, but read defensively: a damaged store must not put garbage into slot names. */
function readState(v: unknown): IdentityState | undefined {
  if (v === undefined || v === null) return undefined;
  const s = v as Partial<IdentityState>;
  const a = s.active as Partial<IdentityState['active']> | undefined;
  const ok =
    typeof a === 'object' &&
    a !== null &&
    USES.every((u) => typeof a[u] === 'string' && SLOT.test(a[u] as string)) &&
    typeof a.chainPem === 'string' &&
    typeof a.factory === 'boolean' &&
    typeof s.pending === 'object' &&
    s.pending !== null &&
    Object.entries(s.pending).every(
      ([u, slot]) => USES.includes(u as CertificateUse) && typeof slot === 'string' && SLOT.test(slot),
    ) &&
    Number.isSafeInteger(s.nextGeneration) &&
    (s.nextGeneration as number) >= 1;
  if (!ok) throw new WanError('SMGW_WAN_IDENTITY_UNAVAILABLE', 'the stored WAN identity state is damaged');
  return s as IdentityState;
}
