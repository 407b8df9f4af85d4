import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import type { PkiError, PkiErrorCode } from '../src/errors.js';
import { parseCertificate } from '../src/pki/certificate.js';
import { parseCrl } from '../src/pki/crl-parse.js';
import { childrenOf, readTlv } from '../src/pki/der-structure.js';
import {
  peerChainDer,
  type ValidatePathOptions,
  validatePath,
  validatePeerChain,
  validatePinned,
} from '../src/pki/validate.js';
import {
  crlSignerCert,
  crlSignerKey,
  DAY,
  endUserCert,
  ext,
  KU,
  leafKey,
  localCert,
  makeCrl,
  ROOT_NAME,
  rootCert,
  rootCrl,
  SUBCA_NAME,
  subCaCert,
  subCaCrl,
  T0,
  testKey,
  YEAR,
} from './pki-fixtures.js';

const AT = new Date(T0.getTime() + 10 * DAY);

/** The compliant defaults, made once (signing them per call would dominate the file's run time). */
const DEFAULTS = {
  leaf: endUserCert('GWA', 'tls'),
  intermediates: [subCaCert()],
  roots: [rootCert()],
  crls: [rootCrl(), subCaCrl()],
};

function options(over: Partial<ValidatePathOptions> = {}): ValidatePathOptions {
  return { ...DEFAULTS, at: AT, usage: { role: 'GWA', type: 'tls', eku: 'serverAuth' }, ...over };
}

function assertCode(fn: () => unknown, code: PkiErrorCode, message?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(isSmgwError(e), String(e));
    assert.equal((e as PkiError).code, code, (e as Error).message);
    if (message) assert.match((e as Error).message, message);
    return true;
  });
}

describe('validatePath: valid chains', () => {
  it('GWA TLS server certificate → Sub-CA → root with current CRLs', () => {
    const result = validatePath(options());
    assert.deepEqual(
      result.chain.map((c) => c.subject.attributes[0]?.value),
      ['OpenSMGW-Test.GWA', 'SM-Test-Sub.CA', 'SM-Test-Root.CA'],
    );
    assert.equal(result.role, 'GWA');
  });

  it('every triplet member for its own use, roles as a list, pre-parsed inputs', () => {
    const pre = {
      intermediates: [parseCertificate(subCaCert())],
      roots: [parseCertificate(rootCert())],
      crls: [parseCrl(rootCrl()), parseCrl(subCaCrl())],
    };
    assert.equal(
      validatePath(
        options({ ...pre, leaf: endUserCert('SMGW', 'tls'), usage: { type: 'tls', eku: 'clientAuth', role: 'SMGW' } }),
      ).role,
      'SMGW',
    );
    assert.equal(
      validatePath(options({ ...pre, leaf: endUserCert('EMT', 'sig'), usage: { type: 'sig', role: ['GWA', 'EMT'] } }))
        .role,
      'EMT',
    );
    assert.equal(
      validatePath(options({ ...pre, leaf: endUserCert('EMT', 'enc'), usage: { type: 'enc' } })).role,
      'EMT',
    );
    assert.equal(
      validatePath(options({ ...pre, leaf: endUserCert('GWA', 'tls'), usage: { type: 'tls' } })).chain.length,
      3,
    );
  });

  it('a decoy intermediate with the same name but another key does not hide the good path', () => {
    const decoy = subCaCert({ subjectKey: testKey('brainpoolP256r1', 'decoy'), drop: ['2.5.29.14'] });
    assert.equal(validatePath(options({ intermediates: [decoy, subCaCert()] })).chain.length, 3);
  });

  it('CRLs are optional when requireCrl is false, and a root CRL may come from the CRL signer', () => {
    assert.equal(validatePath(options({ crls: [], requireCrl: false })).chain.length, 3);
    const signerName = [
      ['CN', 'SM-Test-Root.CA.CRL-S'],
      ['O', 'SM-Test-PKI-DE'],
      ['C', 'DE'],
      ['serialNumber', '1'],
    ] as const;
    const byCrlSigner = makeCrl({ issuer: signerName, signer: crlSignerKey(), hash: 'SHA-384' });
    assert.equal(
      validatePath(options({ intermediates: [subCaCert(), crlSignerCert()], crls: [byCrlSigner, subCaCrl()] })).chain
        .length,
      3,
    );
    // without the CRL signer's certificate the root CRL speaks for nobody
    assertCode(() => validatePath(options({ crls: [byCrlSigner, subCaCrl()] })), 'SMGW_PKI_NO_CRL', /SM-Test-Root\.CA/);
  });

  it('a revocation dated after the validation time does not count yet', () => {
    const leaf = endUserCert('GWA', 'tls', { serial: new Uint8Array([0x42, 0x01]) });
    const crl = subCaCrl({ revoked: [{ serial: new Uint8Array([0x42, 0x01]), date: new Date(AT.getTime() + DAY) }] });
    assert.equal(validatePath(options({ leaf, crls: [rootCrl(), crl] })).chain.length, 3);
  });
});

describe('validatePath: each failure has its code', () => {
  it('SMGW_PKI_UNTRUSTED: no intermediate, another root, no roots', () => {
    assertCode(() => validatePath(options({ intermediates: [] })), 'SMGW_PKI_UNTRUSTED', /SM-Test-Sub\.CA/);
    const otherRoot = rootCert({
      subjectKey: testKey('brainpoolP384r1', 'other-root'),
      subject: [...ROOT_NAME.slice(1), ['CN', 'SM-Root.CA']],
    });
    assertCode(() => validatePath(options({ roots: [otherRoot] })), 'SMGW_PKI_UNTRUSTED');
    assertCode(() => validatePath(options({ roots: [] })), 'SMGW_PKI_UNTRUSTED');
  });

  it('SMGW_PKI_BAD_SIGNATURE: leaf signed by the wrong key; flipped signature byte; forged CRL', () => {
    assertCode(
      () => validatePath(options({ leaf: endUserCert('GWA', 'tls', { signer: leafKey('mallory') }) })),
      'SMGW_PKI_BAD_SIGNATURE',
    );
    const leaf = endUserCert('GWA', 'tls');
    const flipped = leaf.slice();
    flipped[flipped.length - 3] = (flipped[flipped.length - 3] as number) ^ 0x01;
    assertCode(() => validatePath(options({ leaf: flipped })), 'SMGW_PKI_BAD_SIGNATURE');
    const forged = makeCrl({ issuer: SUBCA_NAME, signer: leafKey('mallory'), hash: 'SHA-256' });
    assertCode(() => validatePath(options({ crls: [rootCrl(), forged] })), 'SMGW_PKI_BAD_SIGNATURE', /CRL/);
  });

  it('SMGW_PKI_CERT_EXPIRED: leaf expired, leaf not yet valid, Sub-CA expired, root expired', () => {
    assertCode(
      () => validatePath(options({ at: new Date(T0.getTime() + 2 * YEAR + DAY) })),
      'SMGW_PKI_CERT_EXPIRED',
      /OpenSMGW-Test\.GWA.*expired/,
    );
    assertCode(
      () => validatePath(options({ at: new Date(T0.getTime() - DAY) })),
      'SMGW_PKI_CERT_EXPIRED',
      /not valid before/,
    );
    const shortSub = subCaCert({ notAfter: new Date(T0.getTime() + 5 * DAY) });
    assertCode(() => validatePath(options({ intermediates: [shortSub] })), 'SMGW_PKI_CERT_EXPIRED', /SM-Test-Sub\.CA/);
    const shortRoot = rootCert({ notAfter: new Date(T0.getTime() + 5 * DAY) });
    assertCode(() => validatePath(options({ roots: [shortRoot] })), 'SMGW_PKI_CERT_EXPIRED', /SM-Test-Root\.CA/);
  });

  it('SMGW_PKI_REVOKED: leaf on the Sub-CA CRL, Sub-CA on the root CRL', () => {
    const leaf = endUserCert('GWA', 'tls', { serial: new Uint8Array([0x42, 0x02]) });
    const crl = subCaCrl({ revoked: [{ serial: new Uint8Array([0x42, 0x02]), reason: 1 }] });
    assertCode(() => validatePath(options({ leaf, crls: [rootCrl(), crl] })), 'SMGW_PKI_REVOKED', /keyCompromise/);
    const sub = subCaCert({ serial: new Uint8Array([0x51]) });
    const rcrl = rootCrl({ revoked: [{ serial: new Uint8Array([0x51]) }] });
    assertCode(
      () => validatePath(options({ intermediates: [sub], crls: [rcrl, subCaCrl()] })),
      'SMGW_PKI_REVOKED',
      /SM-Test-Sub\.CA/,
    );
  });

  it('SMGW_PKI_NO_CRL: none, only the root one, outdated, not yet issued, no nextUpdate', () => {
    assertCode(() => validatePath(options({ crls: [] })), 'SMGW_PKI_NO_CRL');
    assertCode(() => validatePath(options({ crls: [rootCrl()] })), 'SMGW_PKI_NO_CRL', /SM-Test-Sub\.CA/);
    assertCode(
      () => validatePath(options({ crls: [rootCrl(), subCaCrl({ nextUpdate: new Date(AT.getTime() - 1) })] })),
      'SMGW_PKI_NO_CRL',
      /not current/,
    );
    assertCode(
      () =>
        validatePath(
          options({
            crls: [
              rootCrl(),
              subCaCrl({ thisUpdate: new Date(AT.getTime() + DAY), nextUpdate: new Date(AT.getTime() + 30 * DAY) }),
            ],
          }),
        ),
      'SMGW_PKI_NO_CRL',
    );
    assertCode(() => validatePath(options({ crls: [rootCrl(), subCaCrl({ nextUpdate: null })] })), 'SMGW_PKI_NO_CRL');
    // a newer current CRL next to an outdated one is enough
    assert.equal(
      validatePath(
        options({
          crls: [rootCrl(), subCaCrl({ nextUpdate: new Date(AT.getTime() - 1) }), subCaCrl({ crlNumber: 2 })],
        }),
      ).chain.length,
      3,
    );
  });

  it('SMGW_PKI_USAGE: role, type, EKU, leaf CA, issuer not CA, issuer without keyCertSign, pathLen, policy, unknown critical', () => {
    assertCode(() => validatePath(options({ usage: { role: 'EMT', type: 'tls' } })), 'SMGW_PKI_USAGE', /role GWA/);
    assertCode(() => validatePath(options({ usage: { type: 'enc' } })), 'SMGW_PKI_USAGE', /ENC/);
    assertCode(
      () => validatePath(options({ leaf: endUserCert('GWA', 'sig'), usage: { type: 'tls' } })),
      'SMGW_PKI_USAGE',
    );
    assertCode(
      () => validatePath(options({ leaf: endUserCert('GWA', 'enc'), usage: { type: 'sig' } })),
      'SMGW_PKI_USAGE',
    );
    assertCode(
      () => validatePath(options({ leaf: endUserCert('SMGW', 'tls'), usage: { type: 'tls', eku: 'serverAuth' } })),
      'SMGW_PKI_USAGE',
      /serverAuth/,
    );
    assertCode(
      () => validatePath(options({ leaf: endUserCert('GWA', 'tls', { drop: ['2.5.29.37'] }) })),
      'SMGW_PKI_USAGE',
      /TLS_CERT_08/,
    );
    assertCode(
      () => validatePath(options({ leaf: endUserCert('GWA', 'tls', { drop: ['2.5.29.15'] }) })),
      'SMGW_PKI_USAGE',
      /keyUsage/,
    );
    assertCode(
      () =>
        validatePath(
          options({ leaf: endUserCert('GWA', 'tls', { set: [ext.keyUsage(KU.digitalSignature | KU.keyCertSign)] }) }),
        ),
      'SMGW_PKI_USAGE',
      /TLS_CERT_06/,
    );
    assertCode(
      () => validatePath(options({ leaf: endUserCert('GWA', 'tls', { set: [ext.basicConstraints(true)] }) })),
      'SMGW_PKI_USAGE',
      /is a CA/,
    );
    assertCode(
      () => validatePath(options({ intermediates: [subCaCert({ set: [ext.basicConstraints(false)] })] })),
      'SMGW_PKI_USAGE',
      /not a CA/,
    );
    assertCode(
      () => validatePath(options({ intermediates: [subCaCert({ set: [ext.keyUsage(KU.cRLSign)] })] })),
      'SMGW_PKI_USAGE',
      /keyCertSign/,
    );
    assertCode(
      () => validatePath(options({ roots: [rootCert({ set: [ext.basicConstraints(true, 0)] })] })),
      'SMGW_PKI_USAGE',
      /allows 0/,
    );
    assertCode(
      () => validatePath(options({ leaf: endUserCert('GWA', 'tls', { drop: ['2.5.29.32'] }) })),
      'SMGW_PKI_USAGE',
      /policy/,
    );
    assertCode(
      () => validatePath(options({ intermediates: [subCaCert({ drop: ['2.5.29.32'] })] })),
      'SMGW_PKI_USAGE',
      /policy/,
    );
    assert.equal(
      validatePath(options({ leaf: endUserCert('GWA', 'tls', { drop: ['2.5.29.32'] }), policy: null })).chain.length,
      3,
    );
    assertCode(
      () =>
        validatePath(
          options({
            leaf: endUserCert('GWA', 'tls', {
              set: [{ oid: '1.2.3.4', critical: true, value: new Uint8Array([5, 0]) }],
            }),
          }),
        ),
      'SMGW_PKI_USAGE',
      /1\.2\.3\.4/,
    );
  });

  it('no byte of the unsigned parts (outer header, signatureAlgorithm, signature) can change and still validate', () => {
    // Regression: the schema parser ignored the tag of the outer AlgorithmIdentifier, so 0x30 -> 0xa0..0xbe
    // gave other bytes that still validated (found by the mutation property test).
    const leaf = endUserCert('GWA', 'tls');
    const [, alg, sig] = childrenOf(leaf, readTlv(leaf, 0));
    assert.ok(alg && sig);
    const pre = {
      roots: [parseCertificate(rootCert())],
      intermediates: [parseCertificate(subCaCert())],
      crls: [parseCrl(rootCrl()), parseCrl(subCaCrl())],
    };
    // outer header, the whole signatureAlgorithm, the signature's header and unused-bits octet
    const positions = [0, 1, 2, 3];
    for (let p = alg.start; p < sig.contentStart + 1; p++) positions.push(p);
    for (const pos of positions) {
      const values =
        pos === alg.start
          ? Array.from({ length: 256 }, (_, v) => v)
          : [0x01, 0x20, 0x80].map((x) => (leaf[pos] as number) ^ x);
      for (const v of values) {
        if (leaf[pos] === v) continue;
        const m = leaf.slice();
        m[pos] = v;
        assert.throws(() => validatePath(options({ ...pre, leaf: m })), isSmgwError, `byte ${pos} = ${v}`);
      }
    }
  });

  it('SMGW_PKI_MALFORMED for input that is no certificate; BAD_ARGUMENT for a bad time', () => {
    assertCode(() => validatePath(options({ leaf: new Uint8Array([0x30, 0x00]) })), 'SMGW_PKI_MALFORMED');
    assertCode(() => validatePath(options({ at: new Date(Number.NaN) })), 'SMGW_PKI_BAD_ARGUMENT');
  });
});

describe('validatePinned (LMN/HAN self-signed)', () => {
  const cert = localCert('lmn');
  it('accepts the pinned certificate while it is valid', () => {
    assert.equal(validatePinned(cert, [localCert('han'), cert], AT).serial, parseCertificate(cert).serial);
  });
  it('by SPKI: a re-issued certificate with the same key', () => {
    const reissued = localCert('lmn', { notAfter: new Date(T0.getTime() + 3 * YEAR) });
    assertCode(() => validatePinned(reissued, [cert], AT), 'SMGW_PKI_UNTRUSTED');
    assert.ok(validatePinned(reissued, [cert], AT, { by: 'spki' }));
  });
  it('UNTRUSTED, CERT_EXPIRED, BAD_SIGNATURE', () => {
    assertCode(() => validatePinned(cert, [localCert('han')], AT), 'SMGW_PKI_UNTRUSTED');
    assertCode(() => validatePinned(cert, [], AT), 'SMGW_PKI_UNTRUSTED');
    assertCode(() => validatePinned(cert, [cert], new Date(T0.getTime() + 8 * YEAR)), 'SMGW_PKI_CERT_EXPIRED');
    const forged = localCert('lmn', { signer: leafKey('mallory') });
    assertCode(() => validatePinned(forged, [forged], AT), 'SMGW_PKI_BAD_SIGNATURE');
  });
});

describe('TLS helpers', () => {
  it('peerChainDer follows issuerCertificate and stops at the self-link', () => {
    const root = { raw: Buffer.from(rootCert()) } as { raw: Buffer; issuerCertificate?: unknown };
    root.issuerCertificate = root;
    const sub = { raw: Buffer.from(subCaCert()), issuerCertificate: root };
    const leaf = { raw: Buffer.from(endUserCert('GWA', 'tls')), issuerCertificate: sub };
    const chain = peerChainDer(leaf as never);
    assert.equal(chain.length, 3);
    assert.deepEqual(peerChainDer(null), []);
    assert.deepEqual(peerChainDer({ raw: Buffer.alloc(0) }), []);
    const result = validatePeerChain(chain, {
      roots: [rootCert()],
      crls: [rootCrl(), subCaCrl()],
      at: AT,
      usage: { role: ['GWA', 'EMT'], type: 'tls', eku: 'serverAuth' },
    });
    assert.equal(result.role, 'GWA');
    assertCode(
      () => validatePeerChain([], { roots: [rootCert()], at: AT, usage: { type: 'tls' } }),
      'SMGW_PKI_UNTRUSTED',
    );
  });
});

describe('validatePath on mutated input (property)', () => {
  const roots = [parseCertificate(rootCert())];
  const intermediates = [parseCertificate(subCaCert())];
  const crls = [parseCrl(rootCrl()), parseCrl(subCaCrl())];
  const leaf = endUserCert('GWA', 'tls');
  const subCrlDer = subCaCrl();
  const base = { roots, intermediates, at: AT, usage: { type: 'tls', eku: 'serverAuth' } } as const;

  const mutate = (bytes: Uint8Array, edits: Array<[number, number]>): Uint8Array => {
    const out = bytes.slice();
    for (const [pos, v] of edits) out[pos % out.length] = v;
    return out;
  };
  const edits = fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 });

  it('a mutated leaf is accepted only if it is byte-identical to the original; errors are PkiError', () => {
    fc.assert(
      fc.property(edits, (e) => {
        const m = mutate(leaf, e);
        try {
          validatePath({ ...base, leaf: m, crls });
          assert.ok(Buffer.from(m).equals(Buffer.from(leaf)), 'a changed certificate passed validation');
        } catch (err) {
          assert.ok(isSmgwError(err), String(err));
          assert.ok((err as PkiError).code.startsWith('SMGW_PKI_'));
        }
      }),
      { numRuns: 1000 },
    );
  });

  it('a mutated Sub-CA CRL is used only if byte-identical; otherwise a PkiError', () => {
    fc.assert(
      fc.property(edits, (e) => {
        const m = mutate(subCrlDer, e);
        try {
          validatePath({ ...base, leaf, crls: [crls[0] as (typeof crls)[0], m] });
          assert.ok(Buffer.from(m).equals(Buffer.from(subCrlDer)), 'a changed CRL was accepted');
        } catch (err) {
          assert.ok(isSmgwError(err), String(err));
          assert.ok((err as PkiError).code.startsWith('SMGW_PKI_'));
        }
      }),
      { numRuns: 500 },
    );
  });
});
