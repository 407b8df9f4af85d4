/** The shared edges of `smgw cms` and `smgw wakeup`, in-process: whole-file output and error reports. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SmgwError } from '@opensmgw/core';
import { CmsError, PkiError } from '@opensmgw/security';
import { reportFailure, writeWhole } from '../src/commands/security-command-io.js';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'smgw-command-io-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('writeWhole', () => {
  it('creates a file with the given mode and replaces an existing one whole, leaving no temporary file', async () => {
    const f = join(dir, 'out.bin');
    await writeWhole(f, Uint8Array.of(1, 2, 3), 0o600);
    assert.deepEqual([...readFileSync(f)], [1, 2, 3]);
    assert.equal(statSync(f).mode & 0o777, 0o600);
    writeFileSync(f, 'a much longer previous content');
    await writeWhole(f, 'new');
    assert.equal(readFileSync(f, 'utf8'), 'new');
    assert.deepEqual(readdirSync(dir), ['out.bin']);
    rmSync(f);
  });

  it('follows a symbolic link: the file it names is replaced, the link stays', async () => {
    const real = join(dir, 'real.txt');
    const link = join(dir, 'link.txt');
    writeFileSync(real, 'old');
    symlinkSync(real, link);
    await writeWhole(link, 'new');
    assert.ok(lstatSync(link).isSymbolicLink());
    assert.equal(readFileSync(real, 'utf8'), 'new');
  });

  it('writes into a device node instead of renaming over it (a private /dev/null made with mknod)', async (t) => {
    const node = join(dir, 'null');
    try {
      execFileSync('mknod', [node, 'c', '1', '3'], { stdio: 'ignore' });
    } catch {
      t.skip('mknod is not permitted here');
      return;
    }
    await writeWhole(node, 'discarded');
    assert.ok(statSync(node).isCharacterDevice(), 'still the device node');
  });

  it('a directory that does not exist is SMGW_PKI_IO', async () => {
    await assert.rejects(
      writeWhole(join(dir, 'missing', 'out.bin'), 'x'),
      (e: unknown) => e instanceof PkiError && e.code === 'SMGW_PKI_IO',
    );
  });
});

describe('reportFailure', () => {
  const report = (e: unknown): { line: string; code: number | string | undefined } => {
    let line = '';
    const write = process.stderr.write;
    const saved = process.exitCode;
    process.stderr.write = ((s: string) => {
      line += s;
      return true;
    }) as typeof process.stderr.write;
    try {
      reportFailure(e);
      return { line, code: process.exitCode };
    } finally {
      process.stderr.write = write;
      process.exitCode = saved;
    }
  };

  it('one line with the code, the typed cause in parentheses, and the exit code per kind', () => {
    const cause = new PkiError('SMGW_PKI_NO_CRL', 'no CRL of "CN=SM-Test-Sub.CA"');
    assert.deepEqual(
      report(new CmsError('SMGW_CMS_BAD_SIGNATURE', 'the sender certificate failed validation', { cause })),
      {
        line: 'error: SMGW_CMS_BAD_SIGNATURE: the sender certificate failed validation (SMGW_PKI_NO_CRL: no CRL of "CN=SM-Test-Sub.CA")\n',
        code: 1,
      },
    );
    assert.equal(report(new CmsError('SMGW_CMS_BAD_ARGUMENT', 'x')).code, 2);
    assert.equal(report(new SmgwError('SMGW_WAKEUP_BAD_ARGUMENT', 'x')).code, 2);
    assert.equal(report(new PkiError('SMGW_PKI_IO', 'cannot read x')).code, 3);
    assert.deepEqual(report(new Error('boom')), { line: 'error: SMGW_CORE_INTERNAL: boom\n', code: 1 });
  });
});
