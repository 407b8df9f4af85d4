/**
 * One entry point that opens whichever security-module backend a configuration names (spec notes
 * §13: "back it with a PKCS#11/HSM, TPM or software keystore"). The PKCS#11 backend is imported
 * only when asked for, so a software-only deployment never loads the native pkcs11js addon.
 */
import type { Clock } from '@opensmgw/core';
import { SecurityModuleError } from '../errors.js';
import type { ScryptParams } from './keystore.js';
import type { SecurityModule } from './security-module.js';
import { SoftwareSecurityModule } from './software-module.js';

/** The software backend: a sealed keystore file, or memory only without `path`. */
export interface SoftwareModuleConfig {
  readonly backend: 'software';
  /** Keystore file; omit for an in-memory module (tests, ephemeral keys). */
  readonly path?: string;
  /** Exactly one of `pin` and `keyFile` when `path` is set. */
  readonly pin?: string;
  /** Key file bytes, or the path of the key file. */
  readonly keyFile?: Uint8Array | string;
  /** Create an empty keystore if `path` does not exist yet. */
  readonly create?: boolean;
  /** scrypt parameters for a new PIN keystore (production: leave the default). */
  readonly kdf?: Partial<ScryptParams>;
  /** `auto` (default) persists every change; `manual` only on `save()`. */
  readonly persist?: 'auto' | 'manual';
}

/** The PKCS#11 backend: a token found by label in a PKCS#11 library (SoftHSM2, an HSM). */
export interface Pkcs11ModuleConfig {
  readonly backend: 'pkcs11';
  /** Path of the PKCS#11 library. */
  readonly library: string;
  readonly tokenLabel: string;
  /** User PIN of the token. */
  readonly pin: string;
  /**
   * `logout` (default) logs out and finalises the library on close; `keep-login` leaves the
   * process-wide login for OpenSSL's pkcs11 engine, which a process using a token key for TLS
   * needs (see pkcs11-module.ts).
   */
  readonly onClose?: 'logout' | 'keep-login';
}

export type SecurityModuleConfig = SoftwareModuleConfig | Pkcs11ModuleConfig;

/** Opens the backend `config` names. SMGW_SM_BAD_ARGUMENT for an unknown backend. */
export async function openSecurityModule(
  config: SecurityModuleConfig,
  options: { readonly clock?: Clock } = {},
): Promise<SecurityModule> {
  switch (config?.backend) {
    case 'software': {
      const { backend: _, ...rest } = config;
      return SoftwareSecurityModule.open(options.clock === undefined ? rest : { ...rest, clock: options.clock });
    }
    case 'pkcs11': {
      const { Pkcs11SecurityModule } = await import('./pkcs11-module.js');
      const { backend: _, ...rest } = config;
      return Pkcs11SecurityModule.open(options.clock === undefined ? rest : { ...rest, clock: options.clock });
    }
    default:
      throw new SecurityModuleError(
        'SMGW_SM_BAD_ARGUMENT',
        `unknown security module backend ${JSON.stringify((config as { backend?: unknown } | undefined)?.backend)}; use software or pkcs11`,
      );
  }
}
