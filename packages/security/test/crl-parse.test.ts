import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import { parseSpki } from '../src/ec-keys.js';
import type { PkiError } from '../src/errors.js';
import { parseCertificate } from '../src/pki/certificate.js';
import {
  findRevoked,
  parseCrl,
  parseCrls,
  unknownCriticalCrlExtensions,
  verifyCrlSignature,
} from '../src/pki/crl-parse.js';
import { childrenOf, readTlv } from '../src/pki/der-structure.js';
import { commonName } from '../src/pki/distinguished-name.js';
import { toPem } from '../src/pki/pem.js';
import { DAY, rootCrl, rootKey, subCaCert, subCaCrl, subCaKey, T0 } from './pki-fixtures.js';

describe('parseCrl', () => {
  it('reads issuer, times, number, AKI and revoked entries with reasons', () => {
    const der = subCaCrl({
      crlNumber: 7,
      revoked: [
        { serial: new Uint8Array([0x01, 0xab]), date: new Date(T0.getTime() + DAY), reason: 1 },
        { serial: new Uint8Array([0x00, 0x80]) },
      ],
    });
    const crl = parseCrl(der);
    assert.equal(crl.version, 2);
    assert.equal(commonName(crl.issuer), 'SM-Test-Sub.CA');
    assert.equal(crl.thisUpdate.toISOString(), T0.toISOString());
    assert.equal(crl.nextUpdate?.getTime(), T0.getTime() + 30 * DAY);
    assert.equal(crl.hash, 'SHA-256');
    assert.equal(crl.crlNumber, '07');
    assert.equal(crl.authorityKeyId?.keyIdentifier?.length, 20);
    assert.deepEqual(
      crl.revoked.map((r) => [r.serial, r.reason, r.date.toISOString()]),
      [
        ['01ab', 'keyCompromise', new Date(T0.getTime() + DAY).toISOString()],
        ['80', undefined, T0.toISOString()],
      ],
    );
    assert.equal(findRevoked(crl, '01AB')?.reason, 'keyCompromise');
    assert.equal(findRevoked(crl, '02'), undefined);
    assert.deepEqual(unknownCriticalCrlExtensions(crl), []);
    const sub = parseCertificate(subCaCert());
    assert.ok(verifyCrlSignature(crl, sub));
    assert.ok(verifyCrlSignature(crl, sub.publicKey.key ?? assert.fail()));
    assert.ok(!verifyCrlSignature(parseCrl(rootCrl()), sub));
    assert.ok(verifyCrlSignature(parseCrl(rootCrl()), parseSpki(rootKey().spki)));
  });

  it('reads a CRL without nextUpdate and PEM with several CRLs', () => {
    const crl = parseCrl(subCaCrl({ nextUpdate: null }));
    assert.equal(crl.nextUpdate, undefined);
    const crls = parseCrls(toPem('X509 CRL', rootCrl()) + toPem('X509 CRL', subCaCrl()));
    assert.deepEqual(
      crls.map((c) => commonName(c.issuer)),
      ['SM-Test-Root.CA', 'SM-Test-Sub.CA'],
    );
  });

  it('reads a CRL made by `openssl ca -gencrl` and verifies its signature', () => {
    const dir = mkdtempSync(join(tmpdir(), 'smgw-crl-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), toPem('CERTIFICATE', subCaCert()));
      writeFileSync(join(dir, 'ca.key'), subCaKey().privateKey.export({ format: 'pem', type: 'pkcs8' }));
      writeFileSync(
        join(dir, 'index.txt'),
        'R\t301231000000Z\t250101000000Z,keyCompromise\t01AB\tunknown\t/CN=x\nR\t301231000000Z\t250102000000Z,superseded\t7F\tunknown\t/CN=y\n',
      );
      writeFileSync(join(dir, 'crlnumber'), '05\n');
      writeFileSync(
        join(dir, 'ca.cnf'),
        `[ca]\ndefault_ca = d\n[d]\ndatabase = ${join(dir, 'index.txt')}\ncrlnumber = ${join(dir, 'crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 30\n`,
      );
      execFileSync(
        'openssl',
        [
          'ca',
          '-gencrl',
          '-config',
          join(dir, 'ca.cnf'),
          '-keyfile',
          join(dir, 'ca.key'),
          '-cert',
          join(dir, 'ca.pem'),
          '-out',
          join(dir, 'crl.pem'),
        ],
        { stdio: 'pipe' },
      );
      const [crl] = parseCrls(readFileSync(join(dir, 'crl.pem'), 'utf8'));
      assert.ok(crl);
      assert.equal(crl.crlNumber, '05');
      assert.deepEqual(crl.revoked.map((r) => [r.serial, r.reason]).sort(), [
        ['01ab', 'keyCompromise'],
        ['7f', 'superseded'],
      ]);
      assert.ok(verifyCrlSignature(crl, parseCertificate(subCaCert())));
      assert.equal(crl.nextUpdate && crl.nextUpdate.getTime() - crl.thisUpdate.getTime(), 30 * DAY);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseCrl on hostile input', () => {
  it('rejects trailing bytes and non-CRLs with SMGW_PKI_MALFORMED', () => {
    const good = subCaCrl();
    for (const bad of [new Uint8Array([...good, 0]), good.subarray(0, 40), subCaCert(), new Uint8Array([0x30, 0])]) {
      assert.throws(
        () => parseCrl(bad),
        (e: unknown) => (e as PkiError).code === 'SMGW_PKI_MALFORMED',
      );
    }
  });

  it('rejects a signature BIT STRING with unused bits', () => {
    let der = subCaCrl();
    for (let i = 2; (der[der.length - 1] as number) & 1; i++) der = subCaCrl({ crlNumber: i });
    const [, , sig] = childrenOf(der, readTlv(der, 0));
    assert.ok(sig && sig.tag === 0x03);
    assert.ok(parseCrl(der));
    const bent = der.slice();
    bent[sig.contentStart] = 1;
    assert.throws(
      () => parseCrl(bent),
      (e: unknown) => (e as PkiError).code === 'SMGW_PKI_MALFORMED',
    );
  });

  it('random bytes and mutations of valid CRLs give only PkiError', () => {
    const corpus = [
      subCaCrl({ revoked: [{ serial: new Uint8Array([1, 2]), reason: 4 }, { serial: new Uint8Array([3]) }] }),
      rootCrl(),
    ];
    const original = corpus.map(parseCrl);
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 400 }),
          fc
            .record({
              which: fc.nat({ max: corpus.length - 1 }),
              edits: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()), {
                minLength: 1,
                maxLength: 4,
              }),
            })
            .map(({ which, edits }) => {
              const bytes = [...(corpus[which] as Uint8Array)];
              for (const [pos, v, insert] of edits) {
                const i = pos % bytes.length;
                if (insert) bytes.splice(i, 0, v);
                else bytes[i] = v;
              }
              return new Uint8Array(bytes);
            }),
        ),
        (bytes) => {
          try {
            const crl = parseCrl(bytes);
            // a mutated CRL verifies only if what is signed is unchanged
            const i = original.findIndex((o) => commonName(o.issuer) === commonName(crl.issuer));
            const signer = i === 0 ? subCaKey() : rootKey();
            if (i >= 0 && verifyCrlSignature(crl, parseSpki(signer.spki))) {
              assert.ok(Buffer.from(crl.tbs).equals(Buffer.from((original[i] as { tbs: Uint8Array }).tbs)));
            }
          } catch (e) {
            assert.ok(isSmgwError(e), String(e));
            assert.equal((e as PkiError).code, 'SMGW_PKI_MALFORMED');
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
