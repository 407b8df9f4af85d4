// Interoperability: curl (a real Digest client, OpenSSL 3) against the HAN server, as the
// community scripts use it (`curl --digest`), and with a client certificate.
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { type HanFixture, type HanPki, makeHanPki, PASSWORDS, startHanFixture } from './fixtures/han-server-fixture.js';

const run = promisify(execFile);
let curl = true;
try {
  execFileSync('curl', ['--version'], { stdio: 'ignore' });
} catch {
  curl = false;
}

let pki: HanPki;
let f: HanFixture;
let dir: string;
before(async () => {
  pki = await makeHanPki();
  f = await startHanFixture(pki);
  dir = mkdtempSync(join(tmpdir(), 'opensmgw-han-curl-'));
  writeFileSync(join(dir, 'gw.pem'), pki.gatewayCertPem);
  writeFileSync(join(dir, 'client.pem'), pki.consumerCertPem);
  writeFileSync(join(dir, 'client.key'), pki.consumerKeyPem, { mode: 0o600 });
});
after(async () => {
  await f.close();
  await pki.cleanup();
  rmSync(dir, { recursive: true, force: true });
});

async function curlGet(path: string, args: string[]): Promise<{ status: number; body: unknown }> {
  const { stdout } = await run('curl', [
    '-s',
    '--cacert',
    join(dir, 'gw.pem'),
    '--curves',
    'brainpoolP256r1:brainpoolP384r1:brainpoolP512r1:prime256v1:secp384r1',
    '-w',
    '\n%{http_code}',
    ...args,
    `${f.server.url}${path}`,
  ]);
  const cut = stdout.lastIndexOf('\n');
  return { status: Number(stdout.slice(cut + 1)), body: JSON.parse(stdout.slice(0, cut)) };
}

test('curl --digest logs in; a wrong password is 401', { skip: !curl && 'no curl' }, async () => {
  const ok = await curlGet('/han/v1/me', ['--digest', '-u', `consumer-a:${PASSWORDS['consumer-a']}`]);
  assert.equal(ok.status, 200);
  assert.equal((ok.body as { userId: string }).userId, 'consumer-a');
  const log = await curlGet('/han/v1/log?count=5', ['--digest', '-u', `consumer-b:${PASSWORDS['consumer-b']}`]);
  assert.equal(log.status, 200);
  const wrong = await curlGet('/han/v1/me', ['--digest', '-u', 'consumer-a:nope']);
  assert.equal(wrong.status, 401);
});

test('curl with the client certificate logs in without a password', { skip: !curl && 'no curl' }, async () => {
  const r = await curlGet('/han/v1/me', ['--cert', join(dir, 'client.pem'), '--key', join(dir, 'client.key')]);
  assert.equal(r.status, 200);
  assert.equal((r.body as { authenticatedBy: string }).authenticatedBy, 'certificate');
});
