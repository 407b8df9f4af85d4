import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { parseLogEntry } from '@opensmgw/protocol';
import Database from 'better-sqlite3';
import fc from 'fast-check';
import { openGatewayStore } from '../src/store/gateway-store.js';
import { canonicalLogEntry, GENESIS_HASH, logEntryHash } from '../src/store/log-chain.js';
import type { GatewayStore, NewLogEntry } from '../src/store/types.js';
import { storeCode, tempDir } from './fixtures/store-fixtures.js';

const tmp = tempDir();
after(() => tmp.cleanup());
const T = Date.UTC(2026, 10, 28, 12, 0, 0);

const entry = (n: number, extra: Partial<NewLogEntry> = {}): NewLogEntry => ({
  level: 1,
  outcome: 0,
  event: 'PROFILE_SET',
  message: `entry ${n}`,
  ...extra,
});

function filled(name: string, n: number): { path: string; store: GatewayStore } {
  const path = tmp.file(name);
  const store = openGatewayStore(path);
  for (let i = 1; i <= n; i++) store.appendLog('system', entry(i, { subject: `meter-${i}` }), T + i);
  return { path, store };
}

function rawExec(path: string, sql: string): void {
  const raw = new Database(path);
  try {
    raw.exec(sql);
  } finally {
    raw.close();
  }
}

describe('gateway store: hash-chained logs', () => {
  it('appends entries with indexes from 1 per log, chained from 64 zeros', () => {
    const s = openGatewayStore(':memory:');
    try {
      const a = s.appendLog('system', entry(1, { subject: 'ELS-12345678' }), T);
      const b = s.appendLog('system', entry(2), T + 1000);
      const c = s.appendLog('calibration', entry(3, { level: 3, outcome: 1 }), T + 2000);
      assert.equal(a.index, 1);
      assert.equal(b.index, 2);
      assert.equal(c.index, 1);
      assert.equal(a.prevHash, GENESIS_HASH);
      assert.equal(b.prevHash, a.hash);
      assert.equal(c.prevHash, GENESIS_HASH);
      assert.equal(a.time, '2026-11-28T12:00:00.000Z');
      assert.equal(a.subject, 'ELS-12345678');
      // Every returned entry is a valid wire LogEntry.
      for (const e of [a, b, c]) assert.deepEqual(parseLogEntry(e), e);
      assert.deepEqual(s.readLog('system', 1, 10), [a, b]);
      assert.deepEqual(s.readLog('calibration', 1, 10), [c]);
      assert.deepEqual(s.logHead('system'), { index: 2, hash: b.hash });
      assert.equal(s.logHead('consumer'), undefined);
    } finally {
      s.close();
    }
  });

  it('documents the hash so an external verifier can recompute it', () => {
    const s = openGatewayStore(':memory:');
    try {
      const e = s.appendLog('consumer', entry(1, { user: 'consumer-1', subject: 'taf7-1' }), T);
      // Independent recomputation, written out by hand from the log-chain.ts comment.
      const canonical =
        `{"log":"consumer","index":1,"time":"2026-11-28T12:00:00.000Z","level":1,"outcome":0,` +
        `"event":"PROFILE_SET","message":"entry 1","subject":"taf7-1","user":"consumer-1","prevHash":"${GENESIS_HASH}"}`;
      const { hash: _h, ...unhashed } = e;
      assert.equal(canonicalLogEntry(unhashed), canonical);
      assert.equal(
        e.hash,
        createHash('sha256')
          .update(GENESIS_HASH + canonical, 'utf8')
          .digest('hex'),
      );
      assert.equal(logEntryHash(unhashed), e.hash);
    } finally {
      s.close();
    }
  });

  it('reads from an index, at most count, consumer log filtered by user', () => {
    const s = openGatewayStore(':memory:');
    try {
      for (let i = 1; i <= 6; i++) s.appendLog('consumer', entry(i, { user: i % 2 === 0 ? 'alice' : 'bob' }), T + i);
      assert.deepEqual(
        s.readLog('consumer', 3, 2).map((e) => e.index),
        [3, 4],
      );
      assert.deepEqual(
        s.readLog('consumer', 1, 10, 'alice').map((e) => e.index),
        [2, 4, 6],
      );
      assert.deepEqual(
        s.readLog('consumer', 3, 10, 'bob').map((e) => e.index),
        [3, 5],
      );
      assert.deepEqual(s.readLog('consumer', 1, 10, 'carol'), []);
      assert.deepEqual(s.readLog('consumer', 99, 10), []);
      assert.equal(s.readLog('consumer', 1, 1500).length, 6);
      assert.throws(() => s.readLog('consumer', 1, 1501), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.readLog('consumer', 1, -1), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.readLog('nope' as 'system', 1, 1), storeCode('SMGW_STORE_BAD_ARGUMENT'));
    } finally {
      s.close();
    }
  });

  it('refuses malformed entries and consumer data in the system log; nothing is written', () => {
    const s = openGatewayStore(':memory:');
    try {
      for (const bad of [
        entry(1, { user: 'alice' }),
        entry(1, { event: 'lower_case' }),
        entry(1, { level: 5 as 1 }),
        entry(1, { outcome: 3 as 0 }),
        entry(1, { message: 'x'.repeat(2049) }),
        entry(1, { subject: 'x'.repeat(257) }),
      ]) {
        assert.throws(() => s.appendLog('system', bad, T), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      }
      assert.throws(() => s.appendLog('system', entry(1), -1), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(
        () => s.appendLog('consumer', entry(1, { user: 'not an id' }), T),
        storeCode('SMGW_STORE_BAD_ARGUMENT'),
      );
      assert.equal(s.logHead('system'), undefined);
      assert.deepEqual(s.verifyLog('system'), { ok: true, log: 'system', entries: 0, head: GENESIS_HASH });
    } finally {
      s.close();
    }
  });

  it('verifyLog accepts an intact chain and reports its head', () => {
    const { store } = filled('intact.db', 5);
    try {
      const head = store.logHead('system');
      assert.deepEqual(store.verifyLog('system'), { ok: true, log: 'system', entries: 5, head: head?.hash });
    } finally {
      store.close();
    }
  });

  it('verifyLog finds an entry modified with raw SQL', () => {
    const { path, store } = filled('modified.db', 5);
    store.close();
    rawExec(path, "UPDATE log_entry SET message = 'nothing happened' WHERE log = 'system' AND idx = 3");
    const s = openGatewayStore(path);
    try {
      const r = s.verifyLog('system');
      assert.equal(r.ok, false);
      assert.equal(r.ok === false && r.brokenAt, 3);
      assert.equal(r.entries, 2);
    } finally {
      s.close();
    }
  });

  it('verifyLog finds a modified entry whose hash was recomputed (the next entry no longer chains)', () => {
    const { path, store } = filled('rehashed.db', 5);
    const third = store.readLog('system', 3, 1)[0];
    store.close();
    assert.ok(third);
    const { hash: _h, ...unhashed } = third;
    const forged = logEntryHash({ ...unhashed, message: 'forged' });
    rawExec(path, `UPDATE log_entry SET message = 'forged', hash = '${forged}' WHERE log = 'system' AND idx = 3`);
    const s = openGatewayStore(path);
    try {
      const r = s.verifyLog('system');
      assert.equal(r.ok === false && r.brokenAt, 4);
    } finally {
      s.close();
    }
  });

  it('verifyLog finds a deleted middle entry', () => {
    const { path, store } = filled('deleted.db', 5);
    store.close();
    rawExec(path, "DELETE FROM log_entry WHERE log = 'system' AND idx = 2");
    const s = openGatewayStore(path);
    try {
      const r = s.verifyLog('system');
      assert.equal(r.ok === false && r.brokenAt, 2);
      assert.equal(r.ok === false && r.reason, 'entry 2 is missing');
    } finally {
      s.close();
    }
  });

  it('verifyLog finds a level changed to text, and readLog refuses the row as SMGW_STORE_CORRUPT', () => {
    const { path, store } = filled('retyped.db', 3);
    store.close();
    rawExec(path, "UPDATE log_entry SET level = 'x' WHERE log = 'system' AND idx = 1");
    const s = openGatewayStore(path);
    try {
      const r = s.verifyLog('system');
      assert.equal(r.ok === false && r.brokenAt, 1);
      assert.throws(() => s.readLog('system', 1, 10), storeCode('SMGW_STORE_CORRUPT'));
      assert.equal(s.readLog('system', 2, 10).length, 2);
    } finally {
      s.close();
    }
  });

  it('a truncated tail keeps the chain valid: the remembered head is what reveals it', () => {
    const { path, store } = filled('truncated.db', 5);
    const remembered = store.logHead('system');
    store.close();
    rawExec(path, "DELETE FROM log_entry WHERE log = 'system' AND idx >= 4");
    const s = openGatewayStore(path);
    try {
      assert.equal(s.verifyLog('system').ok, true);
      assert.notDeepEqual(s.logHead('system'), remembered);
      assert.equal(s.logHead('system')?.index, 3);
      // Appending continues the (shortened) chain: a new entry 4 has another hash than the old one.
      const next = s.appendLog('system', entry(4, { subject: 'meter-4' }), T + 99);
      assert.equal(next.index, 4);
      assert.notEqual(next.hash, remembered?.hash);
    } finally {
      s.close();
    }
  });

  let run = 0;
  it('any chain of arbitrary entries verifies, and any single altered message breaks it there', () => {
    const arbEntry = fc.record({
      level: fc.constantFrom(1 as const, 2 as const, 3 as const, 4 as const),
      outcome: fc.constantFrom(0 as const, 1 as const, 2 as const),
      event: fc.constantFrom('LMN_REPLAY', 'WAKEUP_ACCEPTED', 'TAF_PERIOD_CLOSED'),
      message: fc.string({ maxLength: 200, unit: 'grapheme' }),
      subject: fc.option(fc.string({ maxLength: 20 }), { nil: undefined }),
    });
    fc.assert(
      fc.property(fc.array(arbEntry, { minLength: 1, maxLength: 12 }), fc.nat(), (entries, pick) => {
        const path = tmp.file(`prop-${run++}.db`);
        const s = openGatewayStore(path, { synchronous: 'normal' });
        const written = entries.map((e, i) => {
          const { subject, ...rest } = e;
          return s.appendLog('calibration', { ...rest, ...(subject === undefined ? {} : { subject }) }, T + i);
        });
        try {
          assert.deepEqual(s.readLog('calibration', 1, 1500), written);
          assert.deepEqual(s.verifyLog('calibration'), {
            ok: true,
            log: 'calibration',
            entries: written.length,
            head: written.at(-1)?.hash,
          });
        } finally {
          s.close();
        }
        const victim = (pick % written.length) + 1;
        rawExec(path, `UPDATE log_entry SET message = message || '.' WHERE log = 'calibration' AND idx = ${victim}`);
        const t = openGatewayStore(path);
        try {
          const r = t.verifyLog('calibration');
          assert.equal(r.ok === false && r.brokenAt, victim);
        } finally {
          t.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
