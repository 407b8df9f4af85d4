/** The README's library example runs and prints what it says (examples/codecs.mjs). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const examples = join(dirname(fileURLToPath(import.meta.url)), '../../../examples');
const run = (name: string) =>
  spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', join(examples, name)], {
    encoding: 'utf8',
  });

describe('examples', () => {
  it('codecs.mjs: a simulated mode-7 meter round trip and an SML capture', () => {
    const r = run('codecs.mjs');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^true \{ mode: 7, decrypted: true, mac: 'verified' \} 12\.345 m3$/m);
    assert.match(r.stdout, /value: 110340315\.1/);
  });
  it('security.mjs: a test PKI, a CMS container from gateway to EMT, a wake-up packet and its replay', () => {
    const r = run('security.mjs');
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, '1-0:1.8.0*255 = 12345.6 kWh aes-128-gcm\n98 EOSM0100000001\nSMGW_WAKEUP_REPLAY\n');
  });
});
