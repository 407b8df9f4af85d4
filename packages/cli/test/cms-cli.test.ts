/** `smgw cms seal|open|print` against a test SM-PKI made once (in-process) for the file. */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { initTestPki, openEntityModule, parseCertificates, readDerObjects, signOnly } from '@opensmgw/security';
import type { Command } from 'commander';
import { buildProgram } from '../src/program.js';
import { runCli } from './run-cli.js';

const PAYLOAD = '<sml>1-0:1.8.0*255 = 12345.678 kWh</sml>\n';

let dir: string;
let pki: string;
const inPki = (rel: string) => join(pki, rel);
const file = (name: string) => join(dir, name);
const serialOf = (rel: string) => parseCertificates(readFileSync(inPki(rel), 'latin1'))[0]?.serial;

/** Keystore, key file, slot and certificate of a party in the test PKI. */
const keys = (entity: string, slot: 'wan-sig' | 'wan-enc', cert: 'sig' | 'enc') => [
  '--keystore',
  inPki(`${entity}/keys.smgwks`),
  '--key-file',
  inPki(`${entity}/keystore.key`),
  '--slot',
  slot,
  '--cert',
  inPki(`${entity}/${cert}.crt.pem`),
];
const seal = (...args: string[]) => runCli(['cms', 'seal', ...keys('gateway', 'wan-sig', 'sig'), ...args]);
const open = (entity: string, ...args: string[]) => runCli(['cms', 'open', ...keys(entity, 'wan-enc', 'enc'), ...args]);

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-cms-cli-'));
  pki = join(dir, 'pki');
  await initTestPki(pki);
  writeFileSync(file('payload.xml'), PAYLOAD);
  // a signed-only container (HAN export form) made with the library
  const gateway = await openEntityModule(pki, 'gateway', { persist: 'manual' });
  try {
    const certificate = readDerObjects(readFileSync(inPki('gateway/sig.crt.pem'), 'latin1'), 'CERTIFICATE')[0];
    assert.ok(certificate);
    const signed = await signOnly({
      payload: new TextEncoder().encode(PAYLOAD),
      signer: { module: gateway, slot: 'wan-sig', certificate },
    });
    writeFileSync(file('signed.cms'), signed);
  } finally {
    await gateway.close();
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('smgw cms seal and open', () => {
  it('seals from the gateway to emt-1; emt-1 opens it with --sender (payload file, report on stderr)', async () => {
    const before = Date.now();
    const sealed = await seal('--to', inPki('emt-1/enc.crt.pem'), '--in', file('payload.xml'), '--out', file('c.der'));
    assert.equal(sealed.code, 0, sealed.stderr);
    assert.match(
      sealed.stderr,
      new RegExp(
        `^sealed ${PAYLOAD.length} bytes for 1 recipient\\(s\\) with aes-128-gcm, signed by EOSM0100000001\\.SMGW`,
      ),
    );
    assert.equal(readFileSync(file('c.der'))[0], 0x30);

    const opened = await open(
      'emt-1',
      '--sender',
      inPki('gateway/sig.crt.pem'),
      '--in',
      file('c.der'),
      '--out',
      file('opened.xml'),
    );
    assert.equal(opened.code, 0, opened.stderr);
    assert.equal(readFileSync(file('opened.xml'), 'utf8'), PAYLOAD);
    assert.equal(opened.stdout, '');
    assert.match(opened.stderr, /^sender: EOSM0100000001\.SMGW \(serial [0-9a-f]+, issuer .*CN=SM-Test-Sub\.CA\)$/m);
    assert.match(opened.stderr, /^encryption: aes-128-gcm$/m);
    const time = /^signing time: (\S+)$/m.exec(opened.stderr)?.[1];
    assert.ok(time, opened.stderr);
    // signing-time is a UTCTime (whole seconds)
    assert.ok(Math.abs(Date.parse(time) - before) < 120_000, time);
  });

  it('seals from stdin as PEM with CBC+CMAC and the chain; emt-1 opens it with --pki from stdin to stdout', async () => {
    const fromStdin = await runCli(
      [
        'cms',
        'seal',
        ...keys('gateway', 'wan-sig', 'sig'),
        '--to',
        inPki('emt-1/enc.crt.pem'),
        '--to',
        inPki('emt-2/enc.crt.pem'),
        '--chain',
        inPki('subca/chain.pem'),
        '--encryption',
        'aes-128-cbc-cmac',
        '--pem',
        '--out',
        '-',
      ],
      PAYLOAD,
    );
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.match(fromStdin.stdout, /^-----BEGIN CMS-----\n[A-Za-z0-9+/=\n]+-----END CMS-----\n$/);
    assert.match(fromStdin.stderr, /for 2 recipient\(s\) with aes-128-cbc-cmac/);

    const opened = await runCli(['cms', 'open', ...keys('emt-1', 'wan-enc', 'enc'), '--pki', pki], fromStdin.stdout);
    assert.equal(opened.code, 0, opened.stderr);
    assert.equal(opened.stdout, PAYLOAD);
    assert.match(opened.stderr, /^encryption: aes-128-cbc-cmac$/m);
  });

  it('a container for emt-1 is not for emt-2: SMGW_CMS_NOT_RECIPIENT, exit 1, no output file', async () => {
    const r = await open(
      'emt-2',
      '--sender',
      inPki('gateway/sig.crt.pem'),
      '--in',
      file('c.der'),
      '--out',
      file('emt-2.xml'),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: SMGW_CMS_NOT_RECIPIENT: /);
    assert.equal(existsSync(file('emt-2.xml')), false);
  });

  it('one flipped byte: typed error, exit 1, no output file (nor a temporary one)', async () => {
    const c = readFileSync(file('c.der'));
    // a byte inside the AuthEnvelopedData (the signed eContent), well before the certificate
    c[300] = (c[300] as number) ^ 0x01;
    writeFileSync(file('flipped.der'), c);
    const out = mkdtempSync(join(dir, 'out-'));
    const r = await open(
      'emt-1',
      '--sender',
      inPki('gateway/sig.crt.pem'),
      '--in',
      file('flipped.der'),
      '--out',
      join(out, 'p.xml'),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: SMGW_CMS_(BAD_SIGNATURE|MALFORMED): /);
    assert.deepEqual(readdirSync(out), []);
  });

  it('option errors come before any input is read and are usage errors (exit 2): --key-file with --pin-env', async () => {
    const both = await open('emt-1', '--pin-env', 'SMGW_TEST_PIN', '--sender', inPki('gateway/sig.crt.pem'));
    assert.equal(both.code, 2);
    assert.match(both.stderr, /^error: SMGW_SM_BAD_ARGUMENT: give exactly one of --key-file and --pin-env/);
  });

  it('--help of seal, open and print: a description and examples (in-process)', () => {
    const cms = buildProgram().commands.find((c) => c.name() === 'cms') as Command;
    for (const name of ['seal', 'open', 'print']) {
      const cmd = cms.commands.find((c) => c.name() === name) as Command;
      let help = '';
      cmd.configureOutput({ writeOut: (s) => (help += s) });
      cmd.outputHelp();
      assert.match(help, new RegExp(`^Usage: smgw cms ${name} `));
      assert.ok(cmd.description().length > 100, name);
      assert.match(help, new RegExp(`\nExamples:\n {2}smgw cms ${name} `));
    }
  });
});

describe('smgw cms print', () => {
  it('outlines a sealed container: signer, signing time, algorithms, recipient, GCM lengths', async () => {
    const r = await runCli(['cms', 'print', file('c.der')]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    const signer = o.signedData.signers[0];
    assert.equal(signer.serial, serialOf('gateway/sig.crt.pem'));
    assert.match(signer.issuer, /CN=SM-Test-Sub\.CA$/);
    assert.match(signer.signingTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
    assert.equal(signer.digestAlgorithm.name, 'id-sha256');
    assert.equal(signer.signatureAlgorithm.name, 'ecdsa-with-SHA256');
    assert.deepEqual(
      o.signedData.certificates.map((c: { subject: string }) => c.subject),
      ['C=DE,O=SM-Test-PKI-DE,CN=EOSM0100000001.SMGW'],
    );
    const aed = o.authEnvelopedData;
    assert.equal(aed.recipients.length, 1);
    const kari = aed.recipients[0];
    assert.equal(kari.keyAgreement.oid, '0.4.0.127.0.7.1.1.5.1.1.3');
    assert.equal(kari.keyWrap.name, 'id-aes128-wrap');
    assert.equal(kari.recipientEncryptedKeys[0].serial, serialOf('emt-1/enc.crt.pem'));
    assert.deepEqual(aed.contentEncryption, {
      algorithm: { oid: '2.16.840.1.101.3.4.1.6', name: 'id-aes128-GCM' },
      encryption: 'aes-128-gcm',
      nonceLength: 12,
      icvLength: 16,
    });
    assert.equal(aed.ciphertextLength, Buffer.byteLength(PAYLOAD));
    assert.equal(aed.macLength, 16);
  });

  it('outlines a signed-only container: id-data and the payload length, no AuthEnvelopedData', async () => {
    const r = await runCli(['cms', 'print', file('signed.cms')]);
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.deepEqual(o.signedData.eContentType, { oid: '1.2.840.113549.1.7.1', name: 'id-data' });
    assert.equal(o.signedData.eContentLength, Buffer.byteLength(PAYLOAD));
    assert.equal(o.signedData.signers[0].serial, serialOf('gateway/sig.crt.pem'));
    assert.equal(o.authEnvelopedData, undefined);
  });

  it('hostile input is a typed error, exit 1', async () => {
    // a DER SEQUENCE that claims more than it holds
    writeFileSync(file('hostile.der'), Uint8Array.of(0x30, 0x84, 0x7f, 0xff, 0xff, 0xff, 0x06, 0x00));
    const r = await runCli(['cms', 'print', file('hostile.der')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: SMGW_CMS_MALFORMED: /);
    assert.equal(r.stdout, '');
  });
});
