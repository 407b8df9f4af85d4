import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock, isSmgwError } from '@opensmgw/core';
import { SoftwareSecurityModule } from '../src/module/software-module.js';
import { parseCertificates } from '../src/pki/certificate.js';
import { subjectAltNameExtension } from '../src/pki/certificate-extensions.js';
import { parseCrls } from '../src/pki/crl-parse.js';
import { buildCsr } from '../src/pki/csr.js';
import { lintCertificateDetailed } from '../src/pki/lint.js';
import { toPem } from '../src/pki/pem.js';
import {
  initTestPki,
  issueEntity,
  issueFromCsr,
  openEntityModule,
  readManifest,
  regenerateCrls,
  revoke,
  serialOfCertificate,
} from '../src/pki/test-pki.js';
import { addYears, parseManifest } from '../src/pki/test-pki-manifest.js';
import { validatePath, validatePinned } from '../src/pki/validate.js';
import { openssl, x509Text } from './pki-openssl.js';

const START = '2026-03-01T08:00:00Z';
// openssl checks validity and CRL times at -attime: a little after the clock of the PKI.
const at = (clock: FakeClock) => ['-attime', String(Math.floor(clock.now() / 1000) + 60)];
const code = (c: string) => (e: unknown) => isSmgwError(e) && e.code === c;

/** The file names of the layout contract (docs/pki.md). */
const CONTRACT_FILES = [
  'pki.json',
  'root/ca.crt.pem',
  'root/ca.crl.pem',
  'subca/ca.crt.pem',
  'subca/ca.crl.pem',
  'subca/chain.pem',
  'trust/roots.pem',
  ...['root', 'subca', 'gwa', 'emt-1', 'emt-2', 'gateway', 'meter-1', 'consumer-1'].flatMap((e) => [
    `${e}/keys.smgwks`,
    `${e}/keystore.key`,
  ]),
  ...['gwa', 'emt-1', 'emt-2', 'gateway'].flatMap((e) => ['tls', 'sig', 'enc'].map((t) => `${e}/${t}.crt.pem`)),
  'gateway/factory-tls.crt.pem',
  'gateway/factory-sig.crt.pem',
  'gateway/factory-enc.crt.pem',
  'gateway/lmn-tls.crt.pem',
  'gateway/han-tls.crt.pem',
  'meter-1/lmn-tls.crt.pem',
  'consumer-1/han-tls.crt.pem',
];

describe('test SM-PKI (initTestPki and friends)', () => {
  let base: string;
  let dir: string;
  const clock = new FakeClock(START);
  const f = (rel: string) => join(dir, rel);
  /** The first certificate of a PKI file. */
  const certAt = (rel: string) => parseCertificates(readFileSync(f(rel), 'utf8'))[0];
  /** What a relying party of the PKI trusts: its root, the Sub-CA chain and both CRLs. */
  const trust = () => ({
    roots: parseCertificates(readFileSync(f('trust/roots.pem'), 'utf8')),
    intermediates: parseCertificates(readFileSync(f('subca/chain.pem'), 'utf8')),
    crls: parseCrls(readFileSync(f('trust/crls.pem'), 'utf8')),
  });
  /** openssl verify of end-user certificates up to the root via the Sub-CA, with an optional CRL check. */
  const verifyLeaves = (
    leaves: readonly string[],
    crl?: { readonly check: '-crl_check' | '-crl_check_all'; readonly file: string },
  ) =>
    openssl([
      'verify',
      ...at(clock),
      ...(crl ? [crl.check, '-CRLfile', f(crl.file)] : []),
      '-CAfile',
      f('trust/roots.pem'),
      '-untrusted',
      f('subca/ca.crt.pem'),
      ...leaves.map(f),
    ]);
  let elapsedMs = 0;
  let fileCount = 0;

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'smgw-testpki-'));
    dir = join(base, 'pki');
    const lines: string[] = [];
    const t = performance.now();
    const r = await initTestPki(dir, { clock, progress: (l) => lines.push(l) });
    elapsedMs = performance.now() - t;
    fileCount = r.files.length;
    assert.ok(lines.length >= 8, lines.join('\n'));
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('writes every file of the layout contract', () => {
    for (const rel of CONTRACT_FILES) assert.ok(existsSync(f(rel)), `missing ${rel}`);
    assert.ok(fileCount >= CONTRACT_FILES.length);
    assert.equal(statSync(f('gwa/keystore.key')).mode & 0o077, 0, 'key file readable by others');
  });

  it('finishes quickly (loose bound; the < 5 s claim is measured by the CLI and docs)', () => {
    assert.ok(elapsedMs < 30_000, `init took ${Math.round(elapsedMs)} ms`);
  });

  it('records every certificate in pki.json, and each file holds the certificate with that serial', async () => {
    const m = await readManifest(dir);
    assert.equal(m.version, 1);
    assert.equal(m.gatewayId, 'EOSM0100000001');
    assert.equal(m.created, new Date(START).toISOString());
    assert.equal(m.issued.length, 2 + 3 * 4 + 3 + 4);
    assert.equal(m.nextSerial, m.issued.length + 1);
    assert.deepEqual(m.crlNumber, { root: 1, subca: 1 });
    assert.equal(new Set(m.issued.map((e) => e.serial)).size, m.issued.length);
    for (const e of m.issued) {
      const cert = certAt(e.file);
      assert.equal(cert?.serial, e.serial, e.file);
    }
    assert.deepEqual(
      m.issued.filter((e) => e.factory).map((e) => e.slot),
      ['wan-tls-factory', 'wan-sig-factory', 'wan-enc-factory'],
    );
    assert.deepEqual(m.entities.gateway?.slots, [
      'wan-tls',
      'wan-sig',
      'wan-enc',
      'wan-tls-factory',
      'wan-sig-factory',
      'wan-enc-factory',
      'lmn-tls',
      'han-tls',
    ]);
    assert.throws(() => parseManifest('{"version":2}'), code('SMGW_PKI_MALFORMED'));
  });

  it('openssl x509 parses every certificate; the CAs have the curves and hashes of spec notes §3.2', async () => {
    const m = await readManifest(dir);
    for (const e of m.issued) x509Text(f(e.file));
    const root = x509Text(f('root/ca.crt.pem'));
    assert.match(root, /ASN1 OID: brainpoolP384r1/);
    assert.match(root, /Signature Algorithm: ecdsa-with-SHA384/);
    assert.match(root, /Subject: C = DE, O = SM-Test-PKI-DE, serialNumber = 1, CN = SM-Test-Root.CA/);
    const sub = x509Text(f('subca/ca.crt.pem'));
    assert.match(sub, /ASN1 OID: brainpoolP256r1/);
    assert.match(sub, /Signature Algorithm: ecdsa-with-SHA384/);
    assert.match(sub, /CN = SM-Test-Sub.CA/);
    const gw = x509Text(f('gateway/tls.crt.pem'));
    assert.match(gw, /Subject: C = DE, O = SM-Test-PKI-DE, CN = EOSM0100000001.SMGW/);
    assert.match(gw, /Signature Algorithm: ecdsa-with-SHA256/);
    assert.doesNotMatch(gw, /Subject Alternative Name/);
    assert.match(x509Text(f('gwa/tls.crt.pem')), /DNS:gwa.opensmgw.test/);
    assert.match(x509Text(f('emt-2/tls.crt.pem')), /DNS:emt-2.opensmgw.test/);
  });

  it('openssl verify -crl_check_all accepts every end-user chain with the CRLs', async () => {
    const m = await readManifest(dir);
    const leaves = m.issued.filter((e) => e.issuer === 'subca').map((e) => e.file);
    assert.equal(leaves.length, 15);
    const r = verifyLeaves(leaves, { check: '-crl_check_all', file: 'trust/crls.pem' });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(r.stdout.match(/: OK/g)?.length, 15);
  });

  it('the self-signed LMN/HAN certificates verify against themselves and last at most 7 years', async () => {
    const m = await readManifest(dir);
    const local = m.issued.filter((e) => e.issuer === 'self' && e.type !== 'ca');
    assert.deepEqual(local.map((e) => e.file).sort(), [
      'consumer-1/han-tls.crt.pem',
      'gateway/han-tls.crt.pem',
      'gateway/lmn-tls.crt.pem',
      'meter-1/lmn-tls.crt.pem',
    ]);
    for (const e of local) {
      const r = openssl(['verify', ...at(clock), '-CAfile', f(e.file), f(e.file)]);
      assert.equal(r.status, 0, r.stdout + r.stderr);
      const cert = certAt(e.file);
      assert.ok(cert && cert.notAfter.getTime() <= addYears(cert.notBefore, 7).getTime());
    }
  });

  it('openssl crl parses both CRLs, each signed by its CA', () => {
    for (const [crl, ca, hash] of [
      ['root/ca.crl.pem', 'root/ca.crt.pem', 'SHA384'],
      ['subca/ca.crl.pem', 'subca/ca.crt.pem', 'SHA256'],
    ] as const) {
      const r = openssl(['crl', '-in', f(crl), '-noout', '-text', '-CAfile', f(ca)]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout + r.stderr, /verify OK/);
      assert.match(r.stdout, new RegExp(`ecdsa-with-${hash}`));
      assert.match(r.stdout, /CRL Number:\s+1/);
    }
  });

  it('every certificate passes the SM-PKI lint (H4) with no error', async () => {
    const m = await readManifest(dir);
    const root = certAt('root/ca.crt.pem');
    const sub = certAt('subca/ca.crt.pem');
    for (const e of m.issued) {
      const cert = certAt(e.file);
      assert.ok(cert);
      const issuer = e.issuer === 'root' ? root : e.issuer === 'subca' ? sub : cert;
      const r = lintCertificateDetailed(cert, issuer ? { issuer } : {});
      const errors = r.findings.filter((x) => x.severity === 'error');
      assert.deepEqual(errors, [], `${e.file}: ${JSON.stringify(errors)}`);
    }
  });

  it("the SM-PKI path validation (H4's validatePath) accepts every end-user chain and pins the local ones", async () => {
    const m = await readManifest(dir);
    const { roots, intermediates, crls } = trust();
    const atDate = new Date(clock.now() + 60_000);
    for (const e of m.issued.filter((x) => x.issuer === 'subca')) {
      const leaf = certAt(e.file);
      assert.ok(leaf);
      const r = validatePath({
        leaf,
        intermediates,
        roots,
        crls,
        at: atDate,
        usage: { role: e.role as 'GWA' | 'EMT' | 'SMGW', type: e.type as 'tls' | 'sig' | 'enc' },
      });
      assert.equal(r.chain.length, 3, e.file);
    }
    for (const e of m.issued.filter((x) => x.issuer === 'self' && x.type !== 'ca')) {
      const leaf = certAt(e.file);
      assert.ok(leaf);
      validatePinned(leaf, [leaf], atDate);
    }
  });

  it('each keystore opens with its key file and holds the keys and certificates of its slots', async () => {
    const m = await readManifest(dir);
    for (const [name, entity] of Object.entries(m.entities)) {
      const module = await openEntityModule(dir, name);
      try {
        const slots = (await module.listSlots()).map((s) => s.slot).sort();
        assert.deepEqual(slots, [...entity.slots].sort(), name);
        for (const e of m.issued.filter((x) => x.entity === name)) {
          const der = await module.readCertificate(e.slot ?? '');
          const cert = certAt(e.file);
          assert.deepEqual(der, cert?.der, `${name}/${e.slot}`);
          assert.deepEqual((await module.publicKey(e.slot ?? '')).spki, cert?.publicKey.key?.spki);
        }
      } finally {
        await module.close();
      }
    }
  });

  it('refuses a non-empty directory without force; with force replaces it', async () => {
    const other = join(base, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'keep.txt'), 'x');
    await assert.rejects(initTestPki(other, { clock }), code('SMGW_PKI_BAD_ARGUMENT'));
    assert.equal(readFileSync(join(other, 'keep.txt'), 'utf8'), 'x');
    const r = await initTestPki(other, { clock, force: true, gatewayId: 'ETHE0300004261' });
    assert.ok(!existsSync(join(other, 'keep.txt')));
    assert.equal(r.manifest.gatewayId, 'ETHE0300004261');
    assert.match(readFileSync(join(other, 'gateway/tls.crt.pem'), 'utf8'), /BEGIN CERTIFICATE/);
    await assert.rejects(initTestPki(join(base, 'x'), { gatewayId: 'nope' }), code('SMGW_PKI_BAD_ARGUMENT'));
    await assert.rejects(initTestPki(join(base, 'x'), { validity: { localYears: 8 } }), code('SMGW_PKI_BAD_ARGUMENT'));
  });

  it('a failure half-way leaves the target as it was and no temporary directory behind', async () => {
    const target = join(base, 'half');
    mkdirSync(target);
    writeFileSync(join(target, 'old.txt'), 'old');
    let steps = 0;
    await assert.rejects(
      initTestPki(target, {
        clock,
        force: true,
        progress: () => {
          if (++steps === 3) throw new Error('disk full (simulated)');
        },
      }),
    );
    assert.equal(readFileSync(join(target, 'old.txt'), 'utf8'), 'old');
    const leftovers = (await import('node:fs')).readdirSync(base).filter((n) => n.startsWith('.half'));
    assert.deepEqual(leftovers, []);
  });

  it('issues from a PKCS#10 request made in another security module; openssl verifies it', async () => {
    const requester = await SoftwareSecurityModule.open();
    await requester.generateKeyPair('wan-tls', 'brainpoolP256r1');
    const csr = await buildCsr({
      module: requester,
      slot: 'wan-tls',
      subject: [{ type: 'CN', value: 'Partner-3.EMT' }],
      extensions: [subjectAltNameExtension([{ dns: 'partner-3.example.test' }])],
    });
    const r = await issueFromCsr(dir, { csr, role: 'EMT', type: 'tls', entity: 'partner-3', clock });
    assert.equal(r.entry.file, `issued/${r.entry.serial}.crt.pem`);
    const text = x509Text(f(r.entry.file));
    assert.match(text, /Subject: C = DE, O = SM-Test-PKI-DE, CN = Partner-3.EMT/);
    assert.match(text, /DNS:partner-3.example.test/);
    const v = verifyLeaves([r.entry.file]);
    assert.equal(v.status, 0, v.stdout + v.stderr);
    const m = await readManifest(dir);
    assert.equal(m.issued.at(-1)?.serial, r.entry.serial);
    // PEM works as well; the CN must carry the role suffix.
    await assert.rejects(
      issueFromCsr(dir, { csr: toPem('CERTIFICATE REQUEST', csr), role: 'GWA', type: 'tls', clock }),
      code('SMGW_PKI_BAD_ARGUMENT'),
    );
    const bad = new Uint8Array(csr);
    bad[Buffer.from(bad).indexOf('Partner')] = 0x51;
    await assert.rejects(
      issueFromCsr(dir, { csr: bad, role: 'EMT', type: 'tls', clock }),
      code('SMGW_PKI_BAD_SIGNATURE'),
    );
    await requester.close();
  });

  it('issues a new entity with a fresh keystore and triplet', async () => {
    const issued = await issueEntity(dir, { entity: 'gwa-2', role: 'GWA', clock });
    assert.deepEqual(
      issued.map((e) => e.file),
      ['gwa-2/tls.crt.pem', 'gwa-2/sig.crt.pem', 'gwa-2/enc.crt.pem'],
    );
    const v = verifyLeaves(issued.map((e) => e.file));
    assert.equal(v.status, 0, v.stdout + v.stderr);
    assert.match(openssl(['x509', '-in', f('gwa-2/tls.crt.pem'), '-noout', '-subject']).stdout, /CN = gwa-2.GWA/);
    const m = await readManifest(dir);
    assert.deepEqual(m.entities['gwa-2'], { kind: 'gwa', dir: 'gwa-2', slots: ['wan-tls', 'wan-sig', 'wan-enc'] });
    const module = await openEntityModule(dir, 'gwa-2');
    assert.equal((await module.listSlots()).length, 3);
    await module.close();
    await assert.rejects(issueEntity(dir, { entity: 'gwa-2', role: 'GWA', clock }), code('SMGW_PKI_BAD_ARGUMENT'));
    await assert.rejects(issueEntity(dir, { entity: 'Bad Name', role: 'GWA', clock }), code('SMGW_PKI_BAD_ARGUMENT'));
  });

  it('revoking an end-user certificate makes openssl verify -crl_check report "certificate revoked"', async () => {
    clock.advance(3_600_000);
    const serial = serialOfCertificate(readFileSync(f('gwa/tls.crt.pem'), 'utf8'));
    const entry = await revoke(dir, serial.toUpperCase(), 'keyCompromise', { clock });
    assert.deepEqual(entry.revoked, { date: new Date(clock.now()).toISOString(), reason: 'keyCompromise' });
    const m = await readManifest(dir);
    assert.equal(m.crlNumber.subca, 2);
    assert.equal(m.crlNumber.root, 1);
    const verify = (leaf: string) => verifyLeaves([leaf], { check: '-crl_check', file: 'subca/ca.crl.pem' });
    const bad = verify('gwa/tls.crt.pem');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stdout + bad.stderr, /certificate revoked/);
    assert.equal(verify('gwa/sig.crt.pem').status, 0);
    assert.throws(
      () =>
        validatePath({
          leaf: certAt('gwa/tls.crt.pem') ?? new Uint8Array(),
          ...trust(),
          at: new Date(clock.now() + 60_000),
          usage: { role: 'GWA', type: 'tls' },
        }),
      code('SMGW_PKI_REVOKED'),
    );
    assert.match(openssl(['crl', '-in', f('subca/ca.crl.pem'), '-noout', '-text']).stdout, /Key Compromise/);
    await assert.rejects(revoke(dir, serial, 'keyCompromise', { clock }), code('SMGW_PKI_BAD_ARGUMENT'));
    const lmn = serialOfCertificate(readFileSync(f('gateway/lmn-tls.crt.pem'), 'utf8'));
    await assert.rejects(revoke(dir, lmn, 'unspecified', { clock }), code('SMGW_PKI_BAD_ARGUMENT'));
    await assert.rejects(revoke(dir, 'abcdef', 'unspecified', { clock }), code('SMGW_PKI_BAD_ARGUMENT'));
  });

  it('revoking the Sub-CA puts it on the root CRL: every end-user chain then fails -crl_check_all', async () => {
    const serial = serialOfCertificate(readFileSync(f('subca/ca.crt.pem'), 'utf8'));
    await revoke(dir, serial, 'cACompromise', { clock });
    const r = verifyLeaves(['emt-1/tls.crt.pem'], { check: '-crl_check_all', file: 'trust/crls.pem' });
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /certificate revoked/);
    assert.equal((await readManifest(dir)).crlNumber.root, 2);
  });

  it('regenerateCrls re-signs both CRLs with the next numbers and fresh times', async () => {
    clock.advance(86_400_000);
    const n = await regenerateCrls(dir, { clock });
    assert.deepEqual(n, { root: 3, subca: 3 });
    const text = openssl(['crl', '-in', f('subca/ca.crl.pem'), '-noout', '-text']).stdout;
    assert.match(text, /CRL Number:\s+3/);
    assert.match(text, /Key Compromise/);
    const last = openssl(['crl', '-in', f('subca/ca.crl.pem'), '-noout', '-lastupdate']).stdout;
    assert.equal(Date.parse(last.replace('lastUpdate=', '').trim()), clock.now());
  });

  it('a second command on a locked PKI is refused with SMGW_PKI_IO', async () => {
    writeFileSync(f('.lock'), '');
    await assert.rejects(regenerateCrls(dir, { clock }), code('SMGW_PKI_IO'));
    rmSync(f('.lock'));
    await assert.rejects(regenerateCrls(join(base, 'nowhere'), { clock }), code('SMGW_PKI_IO'));
  });
});
