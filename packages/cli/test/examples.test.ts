/** The README's library example runs and prints what it says (examples/codecs.mjs). */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const example = join(dirname(fileURLToPath(import.meta.url)), '../../../examples/codecs.mjs');

describe('examples', () => {
  it('codecs.mjs: a simulated mode-7 meter round trip and an SML capture', () => {
    const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', example], {
      encoding: 'utf8',
    });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^true \{ mode: 7, decrypted: true, mac: 'verified' \} 12\.345 m3$/m);
    assert.match(r.stdout, /value: 110340315\.1/);
  });
});
