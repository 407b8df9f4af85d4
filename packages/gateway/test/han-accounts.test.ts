// HAN accounts: the protocol reader and admin jobs set-han-account / delete-han-account, and
// their storage in the gateway store (spec notes §9.1).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { type HanAccount, parseAdminJob, parseHanAccount } from '@opensmgw/protocol';
import fc from 'fast-check';
import { RateLimitedEventLog } from '../src/core/rate-limited-log.js';
import { digestHa1 } from '../src/han/digest-auth.js';
import { applyHanAccountJob, HAN_ACCOUNTS_STATE_KEY, HanAccounts } from '../src/han/han-accounts.js';

import { openGatewayStore } from '../src/store/gateway-store.js';

const HA1 = digestHa1('consumer-a', 'opensmgw-han', 'correct horse');
const SHA = 'ab'.repeat(32);

const consumer: HanAccount = {
  userId: 'consumer-a',
  role: 'consumer',
  usagePointIds: ['DE0001'],
  meterIds: ['ELS-00000001'],
  digestHa1: HA1,
};

function protoCode(f: () => unknown): void {
  assert.throws(f, (e: unknown) => (e as { code?: string }).code === 'SMGW_PROTO_INVALID');
}

describe('parseHanAccount', () => {
  test('accepts a consumer with Digest HA1 and a technician with a certificate', () => {
    assert.deepEqual(parseHanAccount(consumer), consumer);
    assert.deepEqual(parseHanAccount({ userId: 'tech', role: 'service', certificateSha256: SHA }), {
      userId: 'tech',
      role: 'service',
      usagePointIds: [],
      meterIds: [],
      certificateSha256: SHA,
    });
  });

  test('refuses accounts without credentials, a password field, bad hashes and unknown roles', () => {
    protoCode(() => parseHanAccount({ userId: 'x', role: 'consumer' }));
    protoCode(() => parseHanAccount({ ...consumer, password: 'secret' }));
    protoCode(() => parseHanAccount({ ...consumer, digestHa1: HA1.toUpperCase() }));
    protoCode(() => parseHanAccount({ ...consumer, digestHa1: 'ab' }));
    protoCode(() => parseHanAccount({ ...consumer, certificateSha256: 'zz'.repeat(32) }));
    protoCode(() => parseHanAccount({ ...consumer, role: 'admin' }));
    protoCode(() => parseHanAccount({ ...consumer, userId: '../etc' }));
    protoCode(() => parseHanAccount({ ...consumer, meterIds: ['ELS-1', 'ELS-1'] }));
  });

  test('a service technician cannot be given meters or usage points (no consumer data, §9.1)', () => {
    protoCode(() => parseHanAccount({ userId: 't', role: 'service', digestHa1: HA1, meterIds: ['ELS-00000001'] }));
    protoCode(() => parseHanAccount({ userId: 't', role: 'service', digestHa1: HA1, usagePointIds: ['DE1'] }));
  });
});

describe('admin jobs set-han-account / delete-han-account', () => {
  test('round trip', () => {
    assert.deepEqual(parseAdminJob({ jobId: 'j1', type: 'set-han-account', account: consumer }), {
      jobId: 'j1',
      type: 'set-han-account',
      account: consumer,
    });
    assert.deepEqual(parseAdminJob({ jobId: 'j2', type: 'delete-han-account', userId: 'consumer-a' }), {
      jobId: 'j2',
      type: 'delete-han-account',
      userId: 'consumer-a',
    });
  });

  test('fields of other job types are refused', () => {
    protoCode(() => parseAdminJob({ jobId: 'j', type: 'set-han-account', account: consumer, userId: 'x' }));
    protoCode(() => parseAdminJob({ jobId: 'j', type: 'delete-han-account', account: consumer }));
    protoCode(() => parseAdminJob({ jobId: 'j', type: 'delete-han-account' }));
  });

  test('hostile JSON gives a valid account or ProtocolError, nothing else (property)', () => {
    const field = fc.oneof(
      fc.jsonValue(),
      fc.constantFrom('consumer', 'service', HA1, SHA, 'consumer-a', ['ELS-00000001'], [], ['DE0001']),
    );
    const shape = fc.record(
      {
        userId: field,
        role: field,
        usagePointIds: field,
        meterIds: field,
        digestHa1: field,
        certificateSha256: field,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(
        fc.oneof(shape, fc.jsonValue()),
        fc.constantFrom('set-han-account', 'delete-han-account'),
        (a, type) => {
          for (const v of [a, { jobId: 'j', type, account: a }, { jobId: 'j', type, userId: a }]) {
            try {
              const r = v === a ? parseHanAccount(v) : parseAdminJob(v);
              assert.ok(r !== null && typeof r === 'object');
            } catch (e) {
              assert.equal((e as { code?: string }).code, 'SMGW_PROTO_INVALID');
            }
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('HanAccounts in the store', () => {
  test('put, look up by user and certificate, replace, delete; logged without credentials', () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 28));
    const store = openGatewayStore(':memory:', { clock });
    try {
      const events = new RateLimitedEventLog({ store, clock });
      const accounts = new HanAccounts(store);
      applyHanAccountJob({ type: 'set-han-account', account: consumer }, accounts, events);
      applyHanAccountJob(
        {
          type: 'set-han-account',
          account: { userId: 'tech', role: 'service', usagePointIds: [], meterIds: [], certificateSha256: SHA },
        },
        accounts,
        events,
      );
      assert.equal(accounts.byUser('consumer-a')?.digestHa1, HA1);
      assert.equal(accounts.byCertificate(SHA.toUpperCase())?.userId, 'tech');
      // One certificate, one user.
      assert.throws(() => accounts.put({ ...consumer, userId: 'other', certificateSha256: SHA }), RangeError);
      accounts.put({ ...consumer, meterIds: [] });
      assert.deepEqual(accounts.byUser('consumer-a')?.meterIds, []);
      assert.equal(accounts.list().length, 2);
      assert.deepEqual(applyHanAccountJob({ type: 'delete-han-account', userId: 'consumer-a' }, accounts, events), {
        userId: 'consumer-a',
        deleted: true,
      });
      assert.equal(accounts.byUser('consumer-a'), undefined);
      const log = store.readLog('system', 1, 100);
      assert.deepEqual(
        log.map((e) => [e.event, e.subject]),
        [
          ['HAN_ACCOUNT_SET', 'consumer-a'],
          ['HAN_ACCOUNT_SET', 'tech'],
          ['HAN_ACCOUNT_DELETED', 'consumer-a'],
        ],
      );
      assert.ok(!JSON.stringify(log).includes(HA1), 'no HA1 in the log');
    } finally {
      store.close();
    }
  });

  test('a damaged state grants nothing', () => {
    const store = openGatewayStore(':memory:');
    try {
      store.setState(HAN_ACCOUNTS_STATE_KEY, [{ userId: 'x', role: 'root', digestHa1: HA1 }, 'junk', consumer]);
      assert.deepEqual(
        new HanAccounts(store).list().map((a) => a.userId),
        ['consumer-a'],
      );
      store.setState(HAN_ACCOUNTS_STATE_KEY, { not: 'a list' });
      assert.deepEqual(new HanAccounts(store).list(), []);
    } finally {
      store.close();
    }
  });
});
