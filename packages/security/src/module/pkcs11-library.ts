/**
 * One loaded PKCS#11 library per process, shared by every Pkcs11SecurityModule on it.
 *
 * Why shared: PKCS#11 state belongs to the application, not to a handle (PKCS#11 v2.40 §5.4 and
 * §5.6): a second C_Initialize fails with CKR_CRYPTOKI_ALREADY_INITIALIZED, C_Finalize ends every
 * session of the process, and a login (C_Login/C_Logout) applies to all sessions of the process
 * on that token. The users may be several modules on one token, and also OpenSSL's pkcs11 engine
 * when a TLS context of this process uses a token key (tls/openssl-engine.ts): the engine loads
 * the same library (dlopen gives the same instance) and rides on the same login. So the library
 * and each token's login are reference-counted here, and a module only finalizes or logs out
 * when it is the last user we know of (see `Pkcs11ModuleOptions.onClose`).
 *
 * pkcs11js is a native addon; it is loaded on first use so that importing this package works on
 * machines where the addon is not built (they simply cannot open a pkcs11 module).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Pkcs11Js from 'pkcs11js';
import { SecurityModuleError } from '../errors.js';
import { ckrName, fromPkcs11Error } from './pkcs11-errors.js';

export type Pkcs11Api = typeof Pkcs11Js;

export interface LoadedLibrary {
  readonly path: string;
  readonly api: Pkcs11Api;
  readonly p: Pkcs11Js.PKCS11;
  /** Modules holding it. */
  refs: number;
  /** False when someone else in this process (the OpenSSL engine) had initialised it first. */
  readonly ownsInit: boolean;
  /** Logins per token, keyed by slot id (hex). */
  readonly logins: Map<string, TokenLogin>;
}

interface TokenLogin {
  refs: number;
  /**
   * HMAC of the PIN that logged in, under a per-process random key, so a second open with another
   * PIN is refused although the token is already logged in (C_Login would answer
   * CKR_USER_ALREADY_LOGGED_IN without looking at the PIN). Undefined when the login was made by
   * someone else in this process: then the PIN cannot be checked without logging everybody out.
   */
  readonly pinTag: Buffer | undefined;
  /** True if we made the login (and so may undo it). */
  readonly ours: boolean;
}

/** CK_STATE values (PKCS#11 v2.40 §5.6); pkcs11js exports no constants for them. */
const CKS_RO_USER_FUNCTIONS = 1;
const CKS_RW_USER_FUNCTIONS = 3;

const libraries = new Map<string, LoadedLibrary>();
const pinTagKey = randomBytes(32);

function loadBinding(): Pkcs11Api {
  try {
    return createRequire(import.meta.url)('pkcs11js') as Pkcs11Api;
  } catch (e) {
    throw new SecurityModuleError(
      'SMGW_SM_BACKEND',
      'the pkcs11js native addon cannot be loaded (npm install builds it; it needs a C++ tool chain)',
      { cause: e },
    );
  }
}

/** Loads and initialises the library at `path` (or takes the already loaded one). */
export function acquireLibrary(path: string): LoadedLibrary {
  let real: string;
  try {
    real = realpathSync(path);
  } catch (e) {
    throw new SecurityModuleError('SMGW_SM_BACKEND', `PKCS#11 library not found: ${path}`, { cause: e });
  }
  const known = libraries.get(real);
  if (known) {
    known.refs++;
    return known;
  }
  const api = loadBinding();
  const p = new api.PKCS11();
  try {
    p.load(real);
  } catch (e) {
    throw new SecurityModuleError('SMGW_SM_BACKEND', `PKCS#11 library cannot be loaded: ${path}`, { cause: e });
  }
  let ownsInit = true;
  try {
    p.C_Initialize();
  } catch (e) {
    if (ckrName(e) === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') {
      ownsInit = false;
    } else {
      try {
        p.close();
      } catch {
        // already failing; the first error is the one to report
      }
      throw fromPkcs11Error(e, 'C_Initialize');
    }
  }
  const lib: LoadedLibrary = { path: real, api, p, refs: 1, ownsInit, logins: new Map() };
  libraries.set(real, lib);
  return lib;
}

/**
 * Drops one reference. The last one finalizes the library if `finalize` and if we initialised
 * it; otherwise the library stays loaded for the other users in the process.
 */
export function releaseLibrary(lib: LoadedLibrary, finalize: boolean): void {
  lib.refs--;
  if (lib.refs > 0 || !finalize) return;
  libraries.delete(lib.path);
  if (!lib.ownsInit) return;
  try {
    lib.p.C_Finalize();
  } catch {
    // nothing left to save: the process drops the library either way
  }
  try {
    lib.p.close();
  } catch {
    // as above
  }
}

function pinTag(pin: string): Buffer {
  return createHmac('sha256', pinTagKey).update(pin, 'utf8').digest();
}

/**
 * Logs the session's token in as user (CKU_USER), or joins the login that exists in this process.
 * The session state says whether the token is logged in: our record alone could be stale (a token
 * whose last session closed is logged out, PKCS#11 v2.40 §5.6 C_CloseSession).
 */
export function loginUser(lib: LoadedLibrary, slotKey: string, session: Pkcs11Js.Handle, pin: string): void {
  const a = lib.api;
  let state: number;
  try {
    state = lib.p.C_GetSessionInfo(session).state;
  } catch (e) {
    throw fromPkcs11Error(e, 'C_GetSessionInfo');
  }
  const loggedIn = state === CKS_RO_USER_FUNCTIONS || state === CKS_RW_USER_FUNCTIONS;
  const existing = lib.logins.get(slotKey);
  if (loggedIn) {
    if (existing === undefined) {
      // Logged in by another user of the library in this process (the OpenSSL engine): PKCS#11
      // gives no way to check our PIN without logging that user out. See docs/pkcs11.md.
      lib.logins.set(slotKey, { refs: 1, pinTag: undefined, ours: false });
      return;
    }
    if (existing.pinTag !== undefined && !timingSafeEqual(existing.pinTag, pinTag(pin))) {
      throw new SecurityModuleError(
        'SMGW_SM_WRONG_PIN',
        'PKCS#11 C_Login failed with CKR_PIN_INCORRECT: the user PIN is wrong',
        { detail: { ckr: 'CKR_PIN_INCORRECT', operation: 'C_Login' } },
      );
    }
    existing.refs++;
    return;
  }
  try {
    lib.p.C_Login(session, a.CKU_USER, pin);
  } catch (e) {
    throw fromPkcs11Error(e, 'C_Login');
  }
  // A record left from a login that ended with its last session is replaced.
  lib.logins.set(slotKey, { refs: 1, pinTag: pinTag(pin), ours: true });
}

/** Drops one login reference; the last one logs out if `logout` and the login was ours. */
export function releaseLogin(lib: LoadedLibrary, slotKey: string, session: Pkcs11Js.Handle, logout: boolean): void {
  const login = lib.logins.get(slotKey);
  if (!login) return;
  login.refs--;
  // Kept at zero references when not logging out, so a later open still has its PIN checked.
  if (login.refs > 0 || !logout) return;
  lib.logins.delete(slotKey);
  if (!login.ours) return;
  try {
    lib.p.C_Logout(session);
  } catch {
    // a token that is gone is logged out as well
  }
}
