/**
 * The EMT store suite (emt-store-suite.ts) on PostgreSQL 15: a temporary cluster (emt-postgres.ts)
 * with one fresh database per test. Skipped, with the reason, only where the server binaries
 * are missing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { PostgresEmtStore, redactDatabaseUrl } from '../src/emt/postgres-store.js';
import { postgresMissing, startTestPostgres, type TestPostgres } from './emt-postgres.js';
import { storeSuite } from './emt-store-suite.js';

const missing = postgresMissing();
if (missing !== undefined) {
  test('postgres store suite', { skip: missing }, () => {});
} else {
  let server: TestPostgres | undefined;
  before(async () => {
    server = await startTestPostgres();
  });
  after(() => server?.stop());

  storeSuite('postgres', async () => {
    const url = await (server as TestPostgres).newDatabase();
    return {
      store: await PostgresEmtStore.open(url),
      openReadonly: () => PostgresEmtStore.open(url, { readonly: true }),
      cleanup: async () => {},
    };
  });

  test('postgres: an unreachable server is SMGW_EMT_STORE and the password is not in the message', async () => {
    const url = 'postgres://emt:s3cret-pw@127.0.0.1:1/emt';
    await assert.rejects(PostgresEmtStore.open(url), (e: Error & { code?: string }) => {
      assert.equal(e.code, 'SMGW_EMT_STORE');
      assert.ok(!e.message.includes('s3cret-pw'), e.message);
      return true;
    });
    assert.equal(redactDatabaseUrl(url), 'postgres://emt:***@127.0.0.1:1/emt');
  });
}
