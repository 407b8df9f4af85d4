/** The EMT store suite (emt-store-suite.ts) on SQLite, plus what only SQLite has (WAL, the file). */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { SqliteEmtStore } from '../src/emt/sqlite-store.js';
import { message, meta, reading, storeSuite } from './emt-store-suite.js';

storeSuite('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emt-sqlite-'));
  const dataDir = join(dir, 'emt');
  return {
    store: SqliteEmtStore.open(dataDir),
    openReadonly: async () => SqliteEmtStore.open(dataDir, { readonly: true }),
    cleanup: async () => rmSync(dir, { recursive: true, force: true }),
  };
});

test('sqlite: the database is <dataDir>/emt.db in WAL mode and survives a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emt-sqlite-'));
  try {
    const store = SqliteEmtStore.open(join(dir, 'var/emt'));
    await store.storeMessage(message('m-1', [reading('ELS-00000001', 0, '1')]), meta(1));
    await store.close();
    const db = new Database(join(dir, 'var/emt/emt.db'), { readonly: true });
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
    const ro = SqliteEmtStore.open(join(dir, 'var/emt'), { readonly: true });
    assert.equal((await ro.readings({ limit: 10 })).length, 1, 'read-only after the writer closed');
    await ro.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('sqlite: read-only on a missing or foreign file is SMGW_EMT_STORE, and creates nothing', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'emt-sqlite-'));
  try {
    assert.throws(() => SqliteEmtStore.open(join(dir, 'none'), { readonly: true }), { code: 'SMGW_EMT_STORE' });
    assert.equal(existsSync(join(dir, 'none')), false);
    writeFileSync(join(dir, 'emt.db'), 'not a database');
    const ro = (() => {
      try {
        return SqliteEmtStore.open(dir, { readonly: true });
      } catch (e) {
        assert.equal((e as { code?: string }).code, 'SMGW_EMT_STORE');
        return undefined;
      }
    })();
    if (ro) {
      await assert.rejects(ro.readings({ limit: 1 }), { code: 'SMGW_EMT_STORE' });
      await ro.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
