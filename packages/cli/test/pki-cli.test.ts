import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { buildProgram } from '../src/program.js';
import { runCli } from './run-cli.js';

function openssl(args: string[]): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  return { status: r.status, out: r.stdout + r.stderr };
}

describe('smgw pki init|issue|csr|revoke|crl', () => {
  let base: string;
  let pki: string;
  const p = (...parts: string[]) => join(pki, ...parts);
  const verify = (leaf: string) =>
    openssl([
      'verify',
      '-crl_check_all',
      '-CAfile',
      p('trust/roots.pem'),
      '-untrusted',
      p('subca/ca.crt.pem'),
      '-CRLfile',
      p('trust/crls.pem'),
      leaf,
    ]);

  before(() => {
    base = mkdtempSync(join(tmpdir(), 'smgw-pki-cli-'));
    pki = join(base, 'pki');
  });
  after(() => rmSync(base, { recursive: true, force: true }));

  it('init makes the PKI, reports progress on stderr and a summary with files and elapsed ms', async () => {
    const r = await runCli(['pki', 'init', pki, '--gateway-id', 'EOSM0100000042']);
    assert.equal(r.code, 0, r.stderr);
    const m = /created test SM-PKI in .*: (\d+) files, 21 certificates, (\d+) ms/.exec(r.stdout);
    assert.ok(m, r.stdout);
    assert.ok(Number(m[1]) >= 40);
    assert.match(r.stderr, /root CA SM-Test-Root.CA: brainpoolP384r1/);
    assert.match(r.stderr, /gateway: 8 certificates \(\d+ ms\)/);
    assert.match(readFileSync(p('pki.json'), 'utf8'), /"gatewayId": "EOSM0100000042"/);
    assert.equal(verify(p('gateway/tls.crt.pem')).status, 0);
  });

  it('init refuses a non-empty directory (exit 2) and replaces it with --force', async () => {
    const dir = join(base, 'busy');
    mkdirSync(dir);
    writeFileSync(join(dir, 'x'), 'x');
    const r = await runCli(['pki', 'init', dir]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: SMGW_PKI_BAD_ARGUMENT: .*not empty \(use --force/m);
    const f = await runCli(['pki', 'init', dir, '--force', '--end-user-years', '1']);
    assert.equal(f.code, 0, f.stderr);
    assert.ok(!existsSync(join(dir, 'x')));
    assert.equal(JSON.parse(readFileSync(join(dir, 'pki.json'), 'utf8')).validity.endUserYears, 1);
  });

  it('bad options are usage errors (exit 2), a missing PKI an I/O error (exit 3)', async () => {
    const [bad, years, role, none] = await Promise.all([
      runCli(['pki', 'init', join(base, 'n'), '--gateway-id', 'x']),
      runCli(['pki', 'init', join(base, 'n'), '--local-years', '8']),
      runCli(['pki', 'issue', pki, '--entity', 'x', '--role', 'FOO']),
      runCli(['pki', 'crl', join(base, 'nothing')]),
    ]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^error: SMGW_PKI_BAD_ARGUMENT: gateway ID "x"/m);
    assert.equal(years.code, 2);
    assert.equal(role.code, 2);
    assert.equal(none.code, 3);
    assert.match(none.stderr, /^error: SMGW_PKI_IO: cannot read/m);
    assert.ok(!existsSync(join(base, 'n')));
  });

  it('issue --entity makes a new keystore and a triplet that openssl verifies', async () => {
    const r = await runCli(['pki', 'issue', pki, '--entity', 'emt-3', '--role', 'EMT', '--cn', 'OpenSMGW-Test-3.EMT']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.lines.length, 3);
    for (const t of ['tls', 'sig', 'enc']) assert.equal(verify(p(`emt-3/${t}.crt.pem`)).status, 0);
    assert.ok(existsSync(p('emt-3/keys.smgwks')));
  });

  it('csr signs a request inside a keystore; issue --csr turns it into a certificate', async () => {
    const csr = join(base, 'gwa.csr.pem');
    const c = await runCli([
      'pki',
      'csr',
      '--keystore',
      p('gwa/keys.smgwks'),
      '--key-file',
      p('gwa/keystore.key'),
      '--slot',
      'wan-tls-next',
      '--new-key',
      'brainpoolP256r1',
      '--subject',
      'C=DE,O=SM-Test-PKI-DE,CN=OpenSMGW-Test.GWA',
      '--san',
      'gwa.opensmgw.test',
      '--out',
      csr,
    ]);
    assert.equal(c.code, 0, c.stderr);
    const req = openssl(['req', '-in', csr, '-verify', '-noout']);
    assert.equal(req.status, 0, req.out);
    assert.match(req.out, /verify OK/);
    const out = join(base, 'gwa-next.crt.pem');
    const i = await runCli(['pki', 'issue', pki, '--csr', csr, '--role', 'GWA', '--type', 'tls', '--out', out]);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stdout, /issued GWA tls certificate serial [0-9a-f]+ for OpenSMGW-Test.GWA/);
    assert.equal(verify(out).status, 0);
    assert.match(openssl(['x509', '-in', out, '-noout', '-ext', 'subjectAltName']).out, /DNS:gwa.opensmgw.test/);
    const [wrongRole, missing, noPin] = await Promise.all([
      runCli(['pki', 'issue', pki, '--csr', csr, '--role', 'EMT', '--type', 'tls', '--out', join(base, 'x.pem')]),
      runCli(['pki', 'issue', pki, '--csr', csr, '--role', 'GWA']),
      runCli([
        'pki',
        'csr',
        '--keystore',
        p('gwa/keys.smgwks'),
        '--pin-env',
        'NO_SUCH_VAR_H3',
        '--slot',
        'x',
        '--subject',
        'CN=x',
        '--out',
        join(base, 'y.pem'),
      ]),
    ]);
    assert.equal(wrongRole.code, 2);
    assert.match(wrongRole.stderr, /does not have the EMT form/);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--csr needs --type and --out/);
    assert.equal(noPin.code, 2);
    assert.match(noPin.stderr, /NO_SUCH_VAR_H3 is not set/);
  });

  it('revoke --cert puts the certificate on the Sub-CA CRL: openssl reports "certificate revoked"', async () => {
    const r = await runCli(['pki', 'revoke', pki, '--cert', p('emt-1/tls.crt.pem'), '--reason', 'keyCompromise']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /revoked [0-9a-f]+ \(OpenSMGW-Test-1.EMT, keyCompromise\)/);
    const v = verify(p('emt-1/tls.crt.pem'));
    assert.notEqual(v.status, 0);
    assert.match(v.out, /certificate revoked/);
    assert.equal(verify(p('emt-1/sig.crt.pem')).status, 0);
    const [again, both] = await Promise.all([
      runCli(['pki', 'revoke', pki, '--cert', p('emt-1/tls.crt.pem')]),
      runCli(['pki', 'revoke', pki]),
    ]);
    assert.equal(again.code, 2);
    assert.equal(both.code, 2);
    assert.match(both.stderr, /exactly one of --serial and --cert/);
  });

  it('crl re-signs both CRLs with the next numbers', async () => {
    const r = await runCli(['pki', 'crl', pki]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /root number 2, Sub-CA number 3/);
    assert.match(openssl(['crl', '-in', p('subca/ca.crl.pem'), '-noout', '-crlnumber']).out, /crlNumber=0x03/);
  });

  it('every command has --help with a description and examples', () => {
    // In process: commander prints the same text as `smgw pki CMD --help`.
    const pkiCommand = buildProgram().commands.find((c) => c.name() === 'pki');
    for (const name of ['init', 'issue', 'revoke', 'crl', 'csr']) {
      const cmd = pkiCommand?.commands.find((c) => c.name() === name);
      assert.ok(cmd, name);
      let text = '';
      cmd.configureOutput({ writeOut: (t) => (text += t) });
      cmd.outputHelp();
      assert.ok(cmd.description().length > 40, name);
      assert.match(text, /Examples:\n {2}(smgw|openssl|SMGW_PIN)/, name);
    }
  });
});
