/**
 * The CLS profiles the GWA set (spec notes §9.2) [M]: which CLS device (by its pinned,
 * self-signed HAN certificate) may reach which active EMT (a communication profile). Kept in the
 * store's small persistent state under one key, as a list, so a set/delete is one atomic write;
 * every stored item is validated again when read (the store file is input like any other).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { type ClsProfile, parseClsProfile } from '@opensmgw/protocol';
import type { GatewayStore } from '../store/types.js';
import { ClsError } from './cls-errors.js';

export const CLS_PROFILES_STATE_KEY = 'han.cls-profiles';
/** Most CLS profiles a gateway keeps (a household has a handful of controllable devices). */
export const MAX_CLS_PROFILES = 256;

export type ClsProfileStore = Pick<GatewayStore, 'getState' | 'setState'>;

/** SHA-256 over the certificate's DER, lower-case hex: how a device is recognised. */
export function clsCertificateFingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export class ClsProfiles {
  readonly #store: ClsProfileStore;
  #cache: Map<string, { profile: ClsProfile; fingerprint: string }> | undefined;

  constructor(store: ClsProfileStore) {
    this.#store = store;
  }

  list(): ClsProfile[] {
    return [...this.#load().values()].map((e) => e.profile);
  }

  get(id: string): ClsProfile | undefined {
    return this.#load().get(id)?.profile;
  }

  /** The profile whose pinned certificate has this SHA-256 fingerprint. */
  byFingerprint(fingerprint: string): ClsProfile | undefined {
    for (const e of this.#load().values()) if (e.fingerprint === fingerprint) return e.profile;
    return undefined;
  }

  /**
   * Validates and stores (replaces by id). Throws ClsError SMGW_CLS_BAD_PROFILE for an
   * unparseable certificate, a certificate another profile already pins (the device would be
   * ambiguous), or too many profiles; nothing is written then.
   */
  put(input: ClsProfile): ClsProfile {
    let profile: ClsProfile;
    try {
      profile = parseClsProfile(input, 'profile');
    } catch (e) {
      throw new ClsError('SMGW_CLS_BAD_PROFILE', 'CLS profile is malformed', { cause: e });
    }
    const fingerprint = fingerprintOf(profile.certificatePem);
    if (fingerprint === undefined) {
      throw new ClsError('SMGW_CLS_BAD_PROFILE', `CLS profile ${profile.id}: certificate cannot be parsed`);
    }
    const current = this.#load();
    for (const [id, e] of current) {
      if (id !== profile.id && e.fingerprint === fingerprint) {
        throw new ClsError('SMGW_CLS_BAD_PROFILE', `CLS profile ${profile.id}: certificate already pinned by ${id}`);
      }
    }
    if (!current.has(profile.id) && current.size >= MAX_CLS_PROFILES) {
      throw new ClsError('SMGW_CLS_BAD_PROFILE', `at most ${MAX_CLS_PROFILES} CLS profiles`);
    }
    const next = new Map(current);
    next.set(profile.id, { profile, fingerprint });
    this.#save(next);
    return profile;
  }

  delete(id: string): boolean {
    const current = this.#load();
    if (!current.has(id)) return false;
    const next = new Map(current);
    next.delete(id);
    this.#save(next);
    return true;
  }

  #save(next: Map<string, { profile: ClsProfile; fingerprint: string }>): void {
    this.#store.setState(
      CLS_PROFILES_STATE_KEY,
      [...next.values()].map((e) => e.profile),
    );
    this.#cache = next;
  }

  #load(): Map<string, { profile: ClsProfile; fingerprint: string }> {
    if (this.#cache !== undefined) return this.#cache;
    const map = new Map<string, { profile: ClsProfile; fingerprint: string }>();
    const raw = this.#store.getState<unknown>(CLS_PROFILES_STATE_KEY);
    if (Array.isArray(raw)) {
      for (const item of raw.slice(0, MAX_CLS_PROFILES)) {
        try {
          const profile = parseClsProfile(item, 'profile');
          const fingerprint = fingerprintOf(profile.certificatePem);
          // A damaged entry pins nobody: skipping it refuses that device, never widens access.
          if (fingerprint !== undefined && !map.has(profile.id)) map.set(profile.id, { profile, fingerprint });
        } catch {
          // skipped, see above
        }
      }
    }
    this.#cache = map;
    return map;
  }
}

function fingerprintOf(pem: string): string | undefined {
  try {
    return clsCertificateFingerprint(new X509Certificate(pem).raw);
  } catch {
    return undefined;
  }
}
