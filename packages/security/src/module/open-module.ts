/**
 * One entry point that opens whichever security-module backend a configuration names (spec notes
 * §13: "back it with a PKCS#11/HSM, TPM or software keystore"). The PKCS#11 backend is imported
 * only when asked for, so a software-only deployment never loads the native pkcs11js addon.
 */
import type { Clock } from '@opensmgw/core';
import { SecurityModuleError } from '../errors.js';
import type { Pkcs11ModuleOptions } from './pkcs11-module.js';
import type { SecurityModule } from './security-module.js';
import { SoftwareSecurityModule, type SoftwareSecurityModuleOptions } from './software-module.js';

/**
 * The software backend: a sealed keystore file, or memory only without `path`. The fields are
 * SoftwareSecurityModule's options (documented there); the clock comes as an open option.
 */
export interface SoftwareModuleConfig extends Omit<SoftwareSecurityModuleOptions, 'clock'> {
  readonly backend: 'software';
}

/**
 * The PKCS#11 backend: a token found by label in a PKCS#11 library (SoftHSM2, an HSM). The fields
 * are Pkcs11SecurityModule's options (documented there, `onClose: 'keep-login'` included); the
 * clock comes as an open option.
 */
export interface Pkcs11ModuleConfig extends Omit<Pkcs11ModuleOptions, 'clock'> {
  readonly backend: 'pkcs11';
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
