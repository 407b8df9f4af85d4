import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { openGatewayStore } from '../src/store/gateway-store.js';
import { READING_QUERIES } from '../src/store/readings.js';
import { APPLICATION_ID, SCHEMA_VERSION } from '../src/store/schema.js';
import { METER, storeCode, telegram, tempDir } from './fixtures/store-fixtures.js';

const tmp = tempDir();
after(() => tmp.cleanup());

describe('gateway store: opening the file', () => {
  it('creates a WAL database with synchronous FULL, foreign keys and the current schema', () => {
    const path = tmp.file('fresh.db');
    openGatewayStore(path).close();
    const raw = new Database(path, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(raw.pragma('user_version', { simple: true }), SCHEMA_VERSION);
      assert.equal(raw.pragma('application_id', { simple: true }), APPLICATION_ID);
    } finally {
      raw.close();
    }
  });

  it('keeps data across close and reopen', () => {
    const path = tmp.file('reopen.db');
    const a = openGatewayStore(path);
    a.accept([telegram(3, 1000)]);
    a.setState('k', { x: 1 });
    a.close();
    const b = openGatewayStore(path, { synchronous: 'normal' });
    try {
      assert.equal(b.meterCounter(METER), 3);
      assert.equal(b.countReadings(), 2);
      assert.deepEqual(b.getState('k'), { x: 1 });
      assert.deepEqual(b.accept([telegram(3, 2000)]), ['replay']);
    } finally {
      b.close();
    }
  });

  it('refuses a file that is not a database with SMGW_STORE_CORRUPT', () => {
    const path = tmp.file('not-a-db.db');
    writeFileSync(path, Buffer.alloc(8192, 0x41));
    assert.throws(() => openGatewayStore(path), storeCode('SMGW_STORE_CORRUPT'));
  });

  it('refuses a newer schema version with SMGW_STORE_VERSION', () => {
    const path = tmp.file('newer.db');
    openGatewayStore(path).close();
    const raw = new Database(path);
    raw.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    raw.close();
    assert.throws(
      () => openGatewayStore(path),
      (e: unknown) => {
        storeCode('SMGW_STORE_VERSION')(e);
        assert.equal((e as { detail: { version: number } }).detail.version, SCHEMA_VERSION + 1);
        return true;
      },
    );
  });

  it("refuses another application's database with SMGW_STORE_FOREIGN and leaves it untouched", () => {
    const path = tmp.file('foreign.db');
    const raw = new Database(path);
    raw.exec('CREATE TABLE theirs (x)');
    raw.close();
    assert.throws(() => openGatewayStore(path), storeCode('SMGW_STORE_FOREIGN'));
    const check = new Database(path, { readonly: true });
    try {
      const tables = check.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").all();
      assert.deepEqual(tables, [{ name: 'theirs' }]);
    } finally {
      check.close();
    }
  });

  it('reports a path it cannot create as SMGW_STORE_IO', () => {
    assert.throws(() => openGatewayStore(tmp.file('no/such/dir/x.db')), storeCode('SMGW_STORE_IO'));
  });

  it('refuses an empty path', () => {
    assert.throws(() => openGatewayStore(''), storeCode('SMGW_STORE_BAD_ARGUMENT'));
  });

  it('two stores opening one fresh file migrate it once', () => {
    const path = tmp.file('twice.db');
    const a = openGatewayStore(path);
    const b = openGatewayStore(path);
    try {
      a.accept([telegram(1, 1000)]);
      assert.equal(b.meterCounter(METER), 1);
      assert.deepEqual(b.accept([telegram(1, 1000)]), ['replay']);
    } finally {
      a.close();
      b.close();
    }
  });

  it('refuses use after close with SMGW_STORE_CLOSED; close is idempotent', () => {
    const s = openGatewayStore(':memory:');
    s.close();
    s.close();
    assert.throws(() => s.countReadings(), storeCode('SMGW_STORE_CLOSED'));
    assert.throws(() => s.accept([]), storeCode('SMGW_STORE_CLOSED'));
  });

  it('answers reading queries from the (meter_id, obis, capture_ms) and (meter_id, id) indexes', () => {
    const path = tmp.file('plan.db');
    openGatewayStore(path).close();
    const raw = new Database(path, { readonly: true });
    try {
      const plan = (sql: string): string =>
        (raw.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join(' | ');
      for (const sql of [READING_QUERIES.lastAtOrBefore, READING_QUERIES.between.replace('LIMIT ?', 'LIMIT 0')]) {
        const p = plan(sql.replace(/\?/g, '0'));
        assert.match(p, /USING INDEX reading_channel_time/, p);
        assert.doesNotMatch(p, /TEMP B-TREE/, p);
      }
      const p = plan(READING_QUERIES.after.replace(/\?/g, '0'));
      assert.match(p, /reading_meter_id|USING INTEGER PRIMARY KEY/, p);
      assert.doesNotMatch(p, /TEMP B-TREE|SCAN reading$/, p);
    } finally {
      raw.close();
    }
  });
});
