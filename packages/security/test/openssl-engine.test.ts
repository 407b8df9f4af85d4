import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { TlsError } from '../src/errors.js';
import {
  engineProcessProblem,
  OPENSSL_SHARED_CONFIG_FLAG,
  openTokenBesideEngine,
  PKCS11_PIN_ENV,
  pkcs11EngineConfigText,
  pkcs11EngineProcess,
  takePkcs11Pin,
  writePkcs11EngineConfig,
} from '../src/tls/openssl-engine.js';

const base = {
  modulePath: '/usr/lib/softhsm/libsofthsm2.so',
  enginePath: '/usr/lib/x86_64-linux-gnu/engines-3/pkcs11.so',
};

const badConfig = (e: unknown) => e instanceof TlsError && e.code === 'SMGW_TLS_BAD_CONFIG';

describe('OpenSSL pkcs11 engine configuration', () => {
  it('declares the engine in openssl_conf with module path, the PIN taken from the environment, init deferred', () => {
    const text = pkcs11EngineConfigText(base);
    const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    assert.deepEqual(lines, [
      'openssl_conf = openssl_init',
      '[openssl_init]',
      'engines = engine_section',
      '[engine_section]',
      'pkcs11 = pkcs11_section',
      '[pkcs11_section]',
      'engine_id = pkcs11',
      `dynamic_path = ${base.enginePath}`,
      `MODULE_PATH = ${base.modulePath}`,
      `PIN = $ENV::${PKCS11_PIN_ENV}`,
      'init = 0',
    ]);
  });

  it('takes another variable name, or none', () => {
    assert.match(pkcs11EngineConfigText({ ...base, pinEnv: 'GW_TOKEN_PIN' }), /^PIN = \$ENV::GW_TOKEN_PIN$/m);
    assert.doesNotMatch(pkcs11EngineConfigText({ ...base, pinEnv: null }), /^PIN/m);
  });

  it('refuses values OpenSSL would interpret ($, #, quotes, newlines, ;) and bad variable names', () => {
    for (const p of ['', '/a b/x.so', '/x$HOME.so', '/x#y.so', '/x"y.so', "/x'y.so", '/x\\y.so', '/x\ny.so', '/x;y']) {
      assert.throws(() => pkcs11EngineConfigText({ ...base, modulePath: p }), badConfig, JSON.stringify(p));
      assert.throws(() => pkcs11EngineConfigText({ ...base, enginePath: p }), badConfig, JSON.stringify(p));
    }
    for (const n of ['', '1PIN', 'PIN-X', 'PIN X', 'A::B']) {
      assert.throws(() => pkcs11EngineConfigText({ ...base, pinEnv: n }), badConfig, n);
    }
  });

  it('writes the file atomically and leaves no temporary file behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smgw-engine-conf-'));
    try {
      const path = join(dir, 'openssl.cnf');
      writePkcs11EngineConfig(path, base);
      writePkcs11EngineConfig(path, { ...base, pinEnv: 'OTHER_PIN' });
      assert.equal(readFileSync(path, 'utf8'), pkcs11EngineConfigText({ ...base, pinEnv: 'OTHER_PIN' }));
      assert.deepEqual(readdirSync(dir), ['openssl.cnf']);
      assert.equal(statSync(path).mode & 0o022, 0, 'not writable by group or others');
      assert.throws(() => writePkcs11EngineConfig(join(dir, 'missing', 'openssl.cnf'), base), badConfig);
      assert.throws(() => writePkcs11EngineConfig(path, { ...base, modulePath: '/x$y' }), badConfig);
      assert.equal(readFileSync(path, 'utf8'), pkcs11EngineConfigText({ ...base, pinEnv: 'OTHER_PIN' }));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('child process options: the node flag, OPENSSL_CONF and the PIN variable', () => {
    assert.deepEqual(pkcs11EngineProcess('/etc/smgw/openssl.cnf', '1234'), {
      execArgv: [OPENSSL_SHARED_CONFIG_FLAG],
      env: { OPENSSL_CONF: '/etc/smgw/openssl.cnf', [PKCS11_PIN_ENV]: '1234' },
    });
    assert.deepEqual(pkcs11EngineProcess('/c', undefined).env, { OPENSSL_CONF: '/c' });
  });

  it('tells whether this process can use the engine', () => {
    assert.match(engineProcessProblem([], { OPENSSL_CONF: '/c' }) ?? '', /--openssl-shared-config/);
    assert.match(engineProcessProblem([OPENSSL_SHARED_CONFIG_FLAG], {}) ?? '', /OPENSSL_CONF/);
    assert.equal(engineProcessProblem([OPENSSL_SHARED_CONFIG_FLAG], { OPENSSL_CONF: '/c' }), undefined);
    assert.equal(
      engineProcessProblem([], { OPENSSL_CONF: '/c', NODE_OPTIONS: '--max-old-space-size=99 --openssl-shared-config' }),
      undefined,
    );
  });
  it('takePkcs11Pin returns the PIN and removes it from the environment (children must not inherit it)', () => {
    const env: NodeJS.ProcessEnv = { [PKCS11_PIN_ENV]: '1234567890', OTHER: 'x' };
    assert.equal(takePkcs11Pin(env), '1234567890');
    assert.deepEqual(env, { OTHER: 'x' });
    assert.equal(takePkcs11Pin(env), undefined, 'taken once');
    const custom: NodeJS.ProcessEnv = { MY_PIN: '42' };
    assert.equal(takePkcs11Pin(custom, 'MY_PIN'), '42');
    assert.deepEqual(custom, {});
  });
  it('openTokenBesideEngine without a PIN is SMGW_SM_BAD_ARGUMENT, before touching any library', async () => {
    await assert.rejects(
      openTokenBesideEngine({ library: '/nonexistent/libpkcs11.so', tokenLabel: 't', pin: undefined }),
      (e: unknown) => (e as { code?: string }).code === 'SMGW_SM_BAD_ARGUMENT' && !String(e).includes('/nonexistent'),
    );
  });
});
