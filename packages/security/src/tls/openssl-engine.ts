/**
 * OpenSSL configuration that lets node:tls use a private key held in a PKCS#11 token (DESIGN.md,
 * "Conventions", PKCS#11; spec notes §13: keys never leave the security module).
 *
 * How it works: libp11's pkcs11 engine (Debian `libengine-pkcs11-openssl`) is declared in an
 * OpenSSL configuration file; node reads that file at start-up when it runs with
 * `--openssl-shared-config` (or that flag in NODE_OPTIONS) and `OPENSSL_CONF=<file>` in its
 * environment. A TLS context then names the key with `privateKeyEngine: 'pkcs11'` and
 * `privateKeyIdentifier: 'pkcs11:token=…;object=…;type=private'` (tls-key.ts); every signature of
 * the handshake is made by the token. Without the flag node ignores the file's engine section and
 * the context fails with "DSO support routines::could not load the shared library".
 *
 * The user PIN. Three places could carry it; we use the third:
 * - `pin-value=` in the URI: the URI is handed around as configuration, and libp11 prints the URI
 *   to stderr when a key is not found, so the PIN would end up in logs. Rejected.
 * - `PIN = <literal>` in this file: a second copy of the secret at rest. Rejected.
 * - `PIN = $ENV::SMGW_PKCS11_PIN` (default name): the file holds no secret; OpenSSL expands the
 *   variable once, when node loads the configuration at start-up, and hands the value to the
 *   engine's PIN control. The PIN lives only in the environment of the one process that needs
 *   it (readable by the same user and root, the same boundary as that process's memory, which
 *   holds the PIN anyway), and that process may delete the variable right after start-up:
 *   `delete process.env.SMGW_PKCS11_PIN` (tested in test/tls-pkcs11.test.ts). If the variable is
 *   missing, node refuses to start ("variable has no value"): it fails closed.
 *
 * `init = 0` defers loading the PKCS#11 library to the first TLS context that uses the engine, so
 * processes sharing the file do not touch the token at start-up.
 */
import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { SecurityModuleError, TlsError } from '../errors.js';
import { type Pkcs11ModuleOptions, Pkcs11SecurityModule } from '../module/pkcs11-module.js';

/** Default name of the environment variable the engine reads the user PIN from. */
export const PKCS11_PIN_ENV = 'SMGW_PKCS11_PIN';

/** The node flag that makes node read OPENSSL_CONF's `openssl_conf` section (engines included). */
export const OPENSSL_SHARED_CONFIG_FLAG = '--openssl-shared-config';

/** Where distributions put libp11's engine for OpenSSL 3; PKCS11_ENGINE_PATH overrides. */
export const PKCS11_ENGINE_CANDIDATES: readonly string[] = [
  '/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so',
  '/usr/lib/aarch64-linux-gnu/engines-3/pkcs11.so',
  '/usr/lib/arm-linux-gnueabihf/engines-3/pkcs11.so',
  '/usr/lib64/engines-3/pkcs11.so',
  '/usr/lib/engines-3/pkcs11.so',
  '/usr/local/lib/engines-3/pkcs11.so',
];

export interface Pkcs11EngineConfig {
  /** The PKCS#11 library the engine loads (MODULE_PATH), e.g. /usr/lib/softhsm/libsofthsm2.so. */
  readonly modulePath: string;
  /** libp11's engine (dynamic_path), see findPkcs11EnginePath(). */
  readonly enginePath: string;
  /**
   * Environment variable holding the user PIN (default SMGW_PKCS11_PIN), or null for a token
   * that needs no PIN from us (protected authentication path, or a PIN in the URI by choice).
   */
  readonly pinEnv?: string | null;
}

/**
 * Characters we let into a configuration value. OpenSSL's config syntax gives `$`, `#`, `"`, `'`,
 * `\` and `;` meaning, so paths with them are refused rather than escaped (simplest; such paths
 * do not occur in practice).
 */
const SAFE_VALUE = /^[A-Za-z0-9/._+\-@:,=~]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function safeValue(what: string, value: unknown): string {
  if (typeof value !== 'string' || !SAFE_VALUE.test(value)) {
    throw new TlsError(
      'SMGW_TLS_BAD_CONFIG',
      `pkcs11 engine: ${what} ${JSON.stringify(value)} is empty or has characters OpenSSL's config syntax would interpret`,
    );
  }
  return value;
}

/** The OPENSSL_CONF text (sans-I/O). It contains no secret. */
export function pkcs11EngineConfigText(config: Pkcs11EngineConfig): string {
  const enginePath = safeValue('engine path', config.enginePath);
  const modulePath = safeValue('PKCS#11 library path', config.modulePath);
  const pinEnv = config.pinEnv === undefined ? PKCS11_PIN_ENV : config.pinEnv;
  if (pinEnv !== null && !ENV_NAME.test(pinEnv)) {
    throw new TlsError('SMGW_TLS_BAD_CONFIG', `pkcs11 engine: ${JSON.stringify(pinEnv)} is no environment name`);
  }
  return [
    '# OpenSMGW: OpenSSL configuration for TLS keys held in a PKCS#11 token.',
    '# node must run with --openssl-shared-config and OPENSSL_CONF=<this file>.',
    pinEnv === null
      ? '# No PIN is configured here.'
      : `# The user PIN is read from the environment variable ${pinEnv} at start-up; this file holds no secret.`,
    'openssl_conf = openssl_init',
    '',
    '[openssl_init]',
    'engines = engine_section',
    '',
    '[engine_section]',
    'pkcs11 = pkcs11_section',
    '',
    '[pkcs11_section]',
    'engine_id = pkcs11',
    `dynamic_path = ${enginePath}`,
    `MODULE_PATH = ${modulePath}`,
    ...(pinEnv === null ? [] : [`PIN = $ENV::${pinEnv}`]),
    'init = 0',
    '',
  ].join('\n');
}

/** The installed libp11 engine, or undefined. `dpkg -L libengine-pkcs11-openssl` lists it on Debian. */
export function findPkcs11EnginePath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const fromEnv = env['PKCS11_ENGINE_PATH'];
  if (fromEnv && existsSync(fromEnv)) return fromEnv;
  return PKCS11_ENGINE_CANDIDATES.find((p) => existsSync(p));
}

/** Writes the configuration file atomically (temporary file in the same directory, then rename). */
export function writePkcs11EngineConfig(path: string, config: Pkcs11EngineConfig): void {
  const text = pkcs11EngineConfigText(config);
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o644 });
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new TlsError('SMGW_TLS_BAD_CONFIG', `cannot write the OpenSSL configuration ${path}`, { cause: e });
  }
}

/**
 * Environment and node arguments for a child process that must use token keys in TLS: the flag,
 * OPENSSL_CONF, and the PIN variable. Pass the PIN here rather than exporting it in the parent.
 */
export function pkcs11EngineProcess(
  configPath: string,
  pin: string | undefined,
  pinEnv: string = PKCS11_PIN_ENV,
): { readonly execArgv: readonly string[]; readonly env: Readonly<Record<string, string>> } {
  return {
    execArgv: [OPENSSL_SHARED_CONFIG_FLAG],
    env: pin === undefined ? { OPENSSL_CONF: configPath } : { OPENSSL_CONF: configPath, [pinEnv]: pin },
  };
}

/**
 * Why this process cannot use the pkcs11 engine, or undefined if it looks able to: node must have
 * been started with --openssl-shared-config (argument or NODE_OPTIONS) and OPENSSL_CONF set.
 */
export function engineProcessProblem(
  execArgv: readonly string[] = process.execArgv,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const flag =
    execArgv.includes(OPENSSL_SHARED_CONFIG_FLAG) || (env['NODE_OPTIONS'] ?? '').includes(OPENSSL_SHARED_CONFIG_FLAG);
  if (!flag) return `node was not started with ${OPENSSL_SHARED_CONFIG_FLAG}, so no OpenSSL engine is configured`;
  if (!env['OPENSSL_CONF']) return 'OPENSSL_CONF is not set, so no OpenSSL engine is configured';
  return undefined;
}

/**
 * Takes the user PIN out of this process's environment: returns it and deletes the variable. A
 * process started with pkcs11EngineProcess() calls it first thing: OpenSSL expanded the variable
 * when node loaded OPENSSL_CONF, so nothing needs it there any more, and child processes would
 * otherwise inherit it (see the PIN notes at the top).
 */
export function takePkcs11Pin(
  env: NodeJS.ProcessEnv = process.env,
  pinEnv: string = PKCS11_PIN_ENV,
): string | undefined {
  const pin = env[pinEnv];
  delete env[pinEnv];
  return pin;
}

/**
 * Opens the token in a process whose TLS contexts use its keys through the engine: with
 * `onClose: 'keep-login'`, because PKCS#11 login is process-wide and the default close would log
 * the engine out too (pkcs11-module.ts, docs/pkcs11.md). `pin` is what takePkcs11Pin() returned;
 * without one it is SMGW_SM_BAD_ARGUMENT.
 */
export async function openTokenBesideEngine(
  options: Omit<Pkcs11ModuleOptions, 'pin' | 'onClose'> & { readonly pin: string | undefined },
): Promise<Pkcs11SecurityModule> {
  const { pin } = options;
  if (pin === undefined) {
    throw new SecurityModuleError('SMGW_SM_BAD_ARGUMENT', `pkcs11: no user PIN (${PKCS11_PIN_ENV} was not set)`);
  }
  return Pkcs11SecurityModule.open({ ...options, pin, onClose: 'keep-login' });
}
