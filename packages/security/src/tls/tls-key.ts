/**
 * A slot's TLS key reference (SecurityModule.tlsKey) -> the node:tls SecureContextOptions that
 * use it. The profiles (profiles.ts) spread this into every context that presents a certificate.
 */
import { TlsError } from '../errors.js';
import type { TlsKeyReference } from '../module/security-module.js';
import { engineProcessProblem } from './openssl-engine.js';

export type TlsKeyOptions =
  | { readonly key: string }
  | { readonly privateKeyEngine: string; readonly privateKeyIdentifier: string };

export interface TlsKeyOptionsContext {
  /** The process's node arguments and environment, for the engine check (tests pass their own). */
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
}

/**
 * `pem` -> `{ key }` (software module, same process); `engine` -> `{ privateKeyEngine,
 * privateKeyIdentifier }` (token key through OpenSSL's pkcs11 engine, see openssl-engine.ts).
 * For an engine key, a process that was not started with --openssl-shared-config and
 * OPENSSL_CONF gets SMGW_TLS_BAD_CONFIG here instead of OpenSSL's "could not load the shared
 * library" later.
 */
export function tlsKeyOptions(ref: TlsKeyReference, context: TlsKeyOptionsContext = {}): TlsKeyOptions {
  if (ref?.kind === 'pem') {
    if (typeof ref.pem !== 'string' || !ref.pem.includes('PRIVATE KEY')) {
      throw new TlsError('SMGW_TLS_BAD_CONFIG', 'TLS key reference of kind pem holds no PEM private key');
    }
    return { key: ref.pem };
  }
  if (ref?.kind === 'engine') {
    if (ref.engine !== 'pkcs11' || typeof ref.identifier !== 'string' || !ref.identifier.startsWith('pkcs11:')) {
      throw new TlsError('SMGW_TLS_BAD_CONFIG', 'TLS key reference of kind engine is not a pkcs11 URI');
    }
    const problem = engineProcessProblem(context.execArgv, context.env);
    if (problem !== undefined) {
      throw new TlsError('SMGW_TLS_BAD_CONFIG', `TLS key ${ref.identifier} is in a token, but ${problem}`);
    }
    return { privateKeyEngine: ref.engine, privateKeyIdentifier: ref.identifier };
  }
  throw new TlsError('SMGW_TLS_BAD_CONFIG', 'unknown kind of TLS key reference');
}
