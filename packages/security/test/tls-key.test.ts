import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { describe, it } from 'node:test';
import { createSecureContext } from 'node:tls';
import { TlsError } from '../src/errors.js';
import type { TlsKeyReference } from '../src/module/security-module.js';
import { OPENSSL_SHARED_CONFIG_FLAG } from '../src/tls/openssl-engine.js';
import { tlsKeyOptions } from '../src/tls/tls-key.js';

const engineProcess = { execArgv: [OPENSSL_SHARED_CONFIG_FLAG], env: { OPENSSL_CONF: '/etc/smgw/openssl.cnf' } };
const uri = 'pkcs11:token=GW;object=wan-tls;type=private';
const badConfig = (e: unknown) => e instanceof TlsError && e.code === 'SMGW_TLS_BAD_CONFIG';

describe('tlsKeyOptions', () => {
  it('a PEM key becomes { key }, usable by node:tls', () => {
    const pem = generateKeyPairSync('ec', { namedCurve: 'brainpoolP256r1' })
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    const options = tlsKeyOptions({ kind: 'pem', pem });
    assert.deepEqual(options, { key: pem });
    createSecureContext(options);
  });

  it('a token key becomes { privateKeyEngine, privateKeyIdentifier } in a process set up for the engine', () => {
    assert.deepEqual(tlsKeyOptions({ kind: 'engine', engine: 'pkcs11', identifier: uri }, engineProcess), {
      privateKeyEngine: 'pkcs11',
      privateKeyIdentifier: uri,
    });
  });

  it('a token key in a process without --openssl-shared-config or OPENSSL_CONF is SMGW_TLS_BAD_CONFIG up front', () => {
    const ref: TlsKeyReference = { kind: 'engine', engine: 'pkcs11', identifier: uri };
    assert.throws(
      () => tlsKeyOptions(ref, { execArgv: [], env: { OPENSSL_CONF: '/c' } }),
      (e: unknown) => {
        assert.ok(badConfig(e));
        assert.match((e as Error).message, /--openssl-shared-config/);
        return true;
      },
    );
    assert.throws(() => tlsKeyOptions(ref, { execArgv: [OPENSSL_SHARED_CONFIG_FLAG], env: {} }), badConfig);
  });

  it('refuses references that are neither (SMGW_TLS_BAD_CONFIG)', () => {
    for (const bad of [
      undefined,
      null,
      {},
      { kind: 'file', path: '/k.pem' },
      { kind: 'pem', pem: 42 },
      { kind: 'pem', pem: '-----BEGIN CERTIFICATE-----' },
      { kind: 'engine', engine: 'tpm2', identifier: uri },
      { kind: 'engine', engine: 'pkcs11', identifier: '/dev/token' },
    ]) {
      assert.throws(() => tlsKeyOptions(bad as TlsKeyReference, engineProcess), badConfig, JSON.stringify(bad));
    }
  });
});
