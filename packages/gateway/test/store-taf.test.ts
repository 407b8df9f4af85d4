import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import type { NewDerivedValue, TafCommit } from '../src/store/types.js';
import { delivery, ENERGY, evaluationProfile, METER, storeCode, withStore } from './fixtures/store-fixtures.js';

const P = 'taf7-1';
const T0 = Date.UTC(2026, 10, 28, 0, 0, 0);
const Q = 900_000;

const derived = (i: number, kind: NewDerivedValue['kind'] = 'derived'): NewDerivedValue => ({
  evaluationProfileId: P,
  meterId: METER,
  obis: ENERGY,
  kind,
  value: String(1000 + i),
  scaler: 0,
  unit: 'Wh',
  captureTimeMs: T0 + i * Q - 1000,
  targetTimeMs: T0 + i * Q,
  smgwStatus: 0,
  ...(i % 2 === 0 ? { meterStatus: 4 } : {}),
});

const commit = (i: number, extra: Partial<TafCommit> = {}): TafCommit => ({
  evaluationProfileId: P,
  processedUntilMs: T0 + i * Q,
  derived: [derived(i)],
  deliveries: [delivery(`msg-${i}`)],
  consumerLog: [{ level: 1, outcome: 0, event: 'VALUES_SENT', message: `period ${i}`, user: 'consumer-1', subject: P }],
  calibrationLog: [],
  ...extra,
});

describe('gateway store: TAF commits', () => {
  it('writes derived values, deliveries, logs and progress together', () =>
    withStore((s) => {
      assert.equal(s.tafProgress(P), undefined);
      s.commitTaf(
        commit(1, {
          calibrationLog: [{ level: 2, outcome: 1, event: 'METER_TIME_ERROR', message: 'clock drift', subject: METER }],
          timeMs: T0 + Q + 5000,
        }),
      );
      assert.equal(s.tafProgress(P), T0 + Q);
      const [d] = s.derivedValues(P, T0, T0 + Q, 10);
      assert.ok(d);
      const { id, ...rest } = d;
      assert.ok(id > 0);
      assert.deepEqual(rest, derived(1));
      assert.equal(s.queueLength('emt-1'), 1);
      assert.equal(s.readLog('consumer', 1, 10, 'consumer-1')[0]?.message, 'period 1');
      assert.equal(s.readLog('calibration', 1, 10)[0]?.event, 'METER_TIME_ERROR');
      assert.equal(s.readLog('calibration', 1, 10)[0]?.time, new Date(T0 + Q + 5000).toISOString());
    }));

  it('stamps log entries with the store clock when the commit has no time', () => {
    const clock = new FakeClock(Date.UTC(2026, 10, 28, 13, 0, 0));
    withStore((s) => {
      s.commitTaf(commit(1));
      assert.equal(s.readLog('consumer', 1, 1)[0]?.time, '2026-11-28T13:00:00.000Z');
    }, clock);
  });

  it('writes nothing when any part of the commit is bad (one transaction)', () =>
    withStore((s) => {
      s.commitTaf(commit(1));
      const cases: TafCommit[] = [
        // a bad log entry is found only inside the transaction, after derived and deliveries were inserted
        commit(2, { calibrationLog: [{ level: 1, outcome: 0, event: 'bad event', message: '' }] }),
        // a duplicate messageId
        commit(2, { deliveries: [delivery('msg-2'), delivery('msg-1')] }),
        commit(2, { derived: [derived(2), { ...derived(3), value: '1.5' }] }),
        // progress backwards
        commit(0),
      ];
      for (const c of cases)
        assert.throws(
          () => s.commitTaf(c),
          (e: unknown) => (e as Error).name === 'StoreError',
        );
      assert.equal(s.tafProgress(P), T0 + Q);
      assert.equal(s.derivedValues(P, 0, T0 + 100 * Q, 100).length, 1);
      assert.equal(s.queueLength(), 1);
      assert.equal(s.readLog('consumer', 1, 100).length, 1);
      assert.equal(s.readLog('calibration', 1, 100).length, 0);
      assert.equal(s.verifyLog('consumer').ok, true);
    }));

  it('reports a duplicate messageId as SMGW_STORE_CONFLICT', () =>
    withStore((s) => {
      s.commitTaf(commit(1));
      assert.throws(
        () => s.commitTaf(commit(2, { deliveries: [delivery('msg-1')] })),
        storeCode('SMGW_STORE_CONFLICT'),
      );
      assert.throws(() => s.enqueue(delivery('msg-1')), storeCode('SMGW_STORE_CONFLICT'));
    }));

  it('derivedValues selects (from, to] by target time, ascending, limited; pruneDerived deletes by kind and age', () =>
    withStore((s) => {
      s.commitTaf(commit(1, { derived: [derived(1), derived(2), derived(3), derived(2, 'daily')], deliveries: [] }));
      const targets = (from: number, to: number, limit = 10): number[] =>
        s.derivedValues(P, from, to, limit).map((v) => (v.targetTimeMs - T0) / Q);
      assert.deepEqual(targets(T0, T0 + 3 * Q), [1, 2, 2, 3]);
      assert.deepEqual(targets(T0 + Q, T0 + 3 * Q), [2, 2, 3]);
      assert.deepEqual(targets(T0, T0 + 3 * Q, 2), [1, 2]);
      assert.deepEqual(s.derivedValues('other', 0, T0 + 3 * Q, 10), []);
      assert.equal(s.pruneDerived('derived', T0 + 3 * Q), 2);
      assert.deepEqual(
        s.derivedValues(P, T0, T0 + 3 * Q, 10).map((v) => `${v.kind}@${(v.targetTimeMs - T0) / Q}`),
        ['daily@2', 'derived@3'],
      );
      assert.equal(s.pruneDerived('daily', T0 + 3 * Q), 1);
      assert.throws(() => s.pruneDerived('weekly' as 'daily', 0), storeCode('SMGW_STORE_BAD_ARGUMENT'));
    }));

  it('deleting an evaluation profile resets its progress', () =>
    withStore((s) => {
      s.putEvaluationProfile(evaluationProfile(P));
      s.commitTaf(commit(4));
      assert.equal(s.deleteEvaluationProfile(P), true);
      assert.equal(s.tafProgress(P), undefined);
      assert.equal(s.derivedValues(P, 0, T0 + 10 * Q, 10).length, 1);
    }));
});

describe('gateway store: delivery queue', () => {
  it('hands out the head of each recipient queue in seq order, only when due', () =>
    withStore((s) => {
      s.enqueue(delivery('a1', 'emt-a', 100));
      s.enqueue(delivery('b1', 'emt-b', 100));
      s.enqueue(delivery('a2', 'emt-a', 50));
      assert.deepEqual(s.pendingRecipients(), ['emt-a', 'emt-b']);
      assert.equal(s.queueLength(), 3);
      assert.equal(s.queueLength('emt-a'), 2);
      assert.equal(s.nextDelivery('emt-a', 99), undefined);
      const head = s.nextDelivery('emt-a', 100);
      assert.ok(head);
      assert.equal(head.messageId, 'a1');
      assert.equal(head.attempts, 0);
      assert.equal(head.nextAttemptMs, 100);
      assert.equal(head.lastError, undefined);
      assert.deepEqual(head.payload, delivery('a1', 'emt-a', 100).payload);
      assert.equal(head.evaluationProfileId, 'taf7-1');

      // A failed head blocks the queue behind it (no overtaking) until it is due again.
      s.markFailed(head.seq, 5000, 'ECONNREFUSED');
      assert.equal(s.nextDelivery('emt-a', 4999), undefined);
      const again = s.nextDelivery('emt-a', 5000);
      assert.equal(again?.seq, head.seq);
      assert.equal(again?.attempts, 1);
      assert.equal(again?.lastError, 'ECONNREFUSED');
      s.markFailed(head.seq, 6000, 'x'.repeat(5000));
      assert.equal(s.nextDelivery('emt-a', 6000)?.attempts, 2);
      assert.equal(s.nextDelivery('emt-a', 6000)?.lastError?.length, 1024);

      s.markDelivered(head.seq);
      s.markDelivered(head.seq); // idempotent
      const second = s.nextDelivery('emt-a', 6000);
      assert.equal(second?.messageId, 'a2');
      assert.ok((second?.seq ?? 0) > head.seq);
      assert.equal(s.nextDelivery('emt-b', 100)?.messageId, 'b1');
      s.markDelivered(second?.seq ?? 0);
      assert.deepEqual(s.pendingRecipients(), ['emt-b']);
      assert.equal(s.queueLength('emt-a'), 0);
      assert.throws(() => s.markFailed(second?.seq ?? 0, 1, 'gone'), storeCode('SMGW_STORE_NOT_FOUND'));
    }));

  it('never reuses a seq after the newest delivery was removed', () =>
    withStore((s) => {
      s.enqueue(delivery('m1'));
      const first = s.nextDelivery('emt-1', 1000);
      s.markDelivered(first?.seq ?? 0);
      s.enqueue(delivery('m2'));
      assert.ok((s.nextDelivery('emt-1', 1000)?.seq ?? 0) > (first?.seq ?? 0));
    }));

  it('refuses malformed deliveries', () =>
    withStore((s) => {
      assert.throws(() => s.enqueue({ ...delivery('m1'), messageId: '' }), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(
        () => s.enqueue({ ...delivery('m1'), payload: 'text' as unknown as Uint8Array }),
        storeCode('SMGW_STORE_BAD_ARGUMENT'),
      );
      assert.throws(() => s.enqueue({ ...delivery('m1'), recipientId: 'a b' }), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.throws(() => s.markFailed(1.5, 0, ''), storeCode('SMGW_STORE_BAD_ARGUMENT'));
      assert.equal(s.queueLength(), 0);
    }));
});
