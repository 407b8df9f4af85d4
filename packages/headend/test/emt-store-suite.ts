/**
 * The one behaviour suite both EMT store backends must pass (helper, not a test file):
 * emt-sqlite-store.test.ts and emt-postgres-store.test.ts run it against their backend.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Reading, ReadingsMessage } from '@opensmgw/protocol';
import type { EmtStore, MessageMeta } from '../src/emt/emt-store.js';

export const GW = 'EOSM0100000001';
export const GW2 = 'EOSM0100000002';
const T0 = Date.parse('2026-11-28T10:00:00.000Z');
const iso = (ms: number): string => new Date(ms).toISOString();

export function reading(meterId: string, minute: number, value: string, over: Partial<Reading> = {}): Reading {
  return {
    meterId,
    obis: '0100010800ff',
    kind: 'original',
    value,
    scaler: -1,
    unit: 'Wh',
    captureTime: iso(T0 + minute * 60_000),
    smgwStatus: '00000000',
    ...over,
  };
}

export function message(messageId: string, readings: Reading[], over: Partial<ReadingsMessage> = {}): ReadingsMessage {
  return {
    format: 'opensmgw-readings/1',
    messageId,
    gatewayId: GW,
    evaluationProfileId: 'ep-1',
    taf: 1,
    created: iso(T0 + 3_600_000),
    readings,
    ...over,
  };
}

export const meta = (n = 0): MessageMeta => ({
  senderCertSha256: 'a'.repeat(64),
  containerSha256: n.toString(16).padStart(64, '0'),
  receivedMs: T0 + 7_200_000 + n,
});

export interface StoreUnderTest {
  readonly store: EmtStore;
  /** A second, read-only handle on the same data. */
  openReadonly(): Promise<EmtStore>;
  cleanup(): Promise<void>;
}

export function storeSuite(name: string, make: () => Promise<StoreUnderTest>): void {
  const withStore = (title: string, body: (s: StoreUnderTest) => Promise<void>): void => {
    test(`${name}: ${title}`, async () => {
      const s = await make();
      try {
        await body(s);
      } finally {
        await s.store.close();
        await s.cleanup();
      }
    });
  };

  withStore('a new message stores every reading, oldest capture time first', async ({ store }) => {
    const m = message('m-1', [
      reading('ELS-00000001', 15, '123456', { targetTime: iso(T0 + 15 * 60_000), meterStatus: '00000010' }),
      reading('ELS-00000001', 0, '123400'),
      reading('ELS-00000002', 0, '-5', { kind: 'derived', scaler: 0, unit: 'W', obis: '0100100700ff' }),
    ]);
    assert.deepEqual(await store.storeMessage(m, meta()), { outcome: 'stored', readingsStored: 3 });
    const rows = await store.readings({ limit: 100 });
    assert.equal(rows.length, 3);
    assert.deepEqual(
      rows.map((r) => [r.meterId, r.captureTimeMs - T0]),
      [
        ['ELS-00000001', 0],
        ['ELS-00000002', 0],
        ['ELS-00000001', 15 * 60_000],
      ],
    );
    assert.deepEqual(rows[2], {
      gatewayId: GW,
      evaluationProfileId: 'ep-1',
      meterId: 'ELS-00000001',
      obis: '0100010800ff',
      kind: 'original',
      value: '123456',
      scaler: -1,
      unit: 'Wh',
      captureTimeMs: T0 + 15 * 60_000,
      targetTimeMs: T0 + 15 * 60_000,
      smgwStatus: '00000000',
      meterStatus: '00000010',
      messageId: 'm-1',
      receivedMs: meta().receivedMs,
    });
    assert.equal(rows[1]?.value, '-5');
    assert.equal(rows[1]?.kind, 'derived');
    assert.ok(!('targetTimeMs' in (rows[0] as object)) && !('meterStatus' in (rows[0] as object)));
  });

  withStore('the same message ID again is a duplicate and adds nothing', async ({ store }) => {
    const m = message('m-1', [reading('ELS-00000001', 0, '1'), reading('ELS-00000001', 15, '2')]);
    await store.storeMessage(m, meta(1));
    const again = message('m-1', [reading('ELS-00000001', 30, '3')]);
    assert.deepEqual(await store.storeMessage(again, meta(2)), { outcome: 'duplicate', readingsStored: 0 });
    assert.equal((await store.readings({ limit: 100 })).length, 2);
    const msgs = await store.messages({ limit: 100 });
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]?.containerSha256, meta(1).containerSha256, 'the first delivery stays on record');
    assert.equal(await store.hasMessage(GW, 'm-1'), true);
    assert.equal(await store.hasMessage(GW, 'm-2'), false);
  });

  withStore('a replayed payload under another message ID adds no second reading', async ({ store }) => {
    const rs = [reading('ELS-00000001', 0, '1'), reading('ELS-00000001', 15, '2')];
    await store.storeMessage(message('m-1', rs), meta(1));
    assert.deepEqual(await store.storeMessage(message('m-2', rs), meta(2)), { outcome: 'stored', readingsStored: 0 });
    const partly = message('m-3', [rs[1] as Reading, reading('ELS-00000001', 30, '3')]);
    assert.deepEqual(await store.storeMessage(partly, meta(3)), { outcome: 'stored', readingsStored: 1 });
    const rows = await store.readings({ limit: 100 });
    assert.deepEqual(
      rows.map((r) => [r.value, r.messageId]),
      [
        ['1', 'm-1'],
        ['2', 'm-1'],
        ['3', 'm-3'],
      ],
    );
    const msgs = await store.messages({ limit: 100 });
    assert.deepEqual(
      msgs.map((m) => [m.messageId, m.readingCount, m.readingsStored]),
      [
        ['m-1', 2, 2],
        ['m-2', 2, 0],
        ['m-3', 2, 1],
      ],
    );
  });

  withStore('a reading differing in one key field is a reading of its own', async ({ store }) => {
    const base = reading('ELS-00000001', 0, '1');
    await store.storeMessage(message('m-1', [base]), meta(1));
    const variants = [
      message('m-2', [base], { gatewayId: GW2 }),
      message('m-3', [base], { evaluationProfileId: 'ep-2' }),
      message('m-4', [{ ...base, meterId: 'ELS-00000009' }]),
      message('m-5', [{ ...base, obis: '0100020800ff' }]),
      message('m-6', [{ ...base, kind: 'daily' }]),
      message('m-7', [{ ...base, captureTime: iso(T0 + 1) }]),
    ];
    for (const [i, v] of variants.entries()) {
      assert.deepEqual(await store.storeMessage(v, meta(i + 2)), { outcome: 'stored', readingsStored: 1 });
    }
    assert.equal((await store.readings({ limit: 100 })).length, 7);
  });

  withStore('message IDs are per gateway', async ({ store }) => {
    await store.storeMessage(message('m-1', [reading('ELS-00000001', 0, '1')]), meta(1));
    const other = message('m-1', [reading('ELS-00000001', 0, '1')], { gatewayId: GW2 });
    assert.deepEqual(await store.storeMessage(other, meta(2)), { outcome: 'stored', readingsStored: 1 });
    assert.equal(await store.hasMessage(GW2, 'm-1'), true);
  });

  withStore('filters: gateway, meter, capture-time range (inclusive), limit', async ({ store }) => {
    await store.storeMessage(
      message(
        'm-1',
        [0, 15, 30, 45].map((min) => reading('ELS-00000001', min, String(min))),
      ),
      meta(1),
    );
    await store.storeMessage(message('m-2', [reading('ELS-00000002', 15, '99')], { gatewayId: GW2 }), meta(2));
    const values = async (f: Parameters<EmtStore['readings']>[0]): Promise<string[]> =>
      (await store.readings(f)).map((r) => r.value);
    assert.deepEqual(await values({ gatewayId: GW2, limit: 10 }), ['99']);
    assert.deepEqual(await values({ meterId: 'ELS-00000001', limit: 10 }), ['0', '15', '30', '45']);
    assert.deepEqual(await values({ fromMs: T0 + 15 * 60_000, toMs: T0 + 30 * 60_000, limit: 10 }), ['15', '99', '30']);
    assert.deepEqual(await values({ meterId: 'ELS-00000001', limit: 2 }), ['0', '15']);
    assert.deepEqual(await values({ gatewayId: GW, meterId: 'ELS-00000002', limit: 10 }), []);
    const msgs = await store.messages({ gatewayId: GW2, limit: 10 });
    assert.deepEqual(
      msgs.map((m) => [m.gatewayId, m.messageId, m.taf, m.evaluationProfileId]),
      [[GW2, 'm-2', 1, 'ep-1']],
    );
    assert.deepEqual(
      (await store.messages({ fromMs: meta(2).receivedMs, limit: 10 })).map((m) => m.messageId),
      ['m-2'],
    );
  });

  withStore('a limit outside 1 .. 100000 is refused', async ({ store }) => {
    for (const limit of [0, -1, 1.5, 100_001, Number.NaN]) {
      await assert.rejects(store.readings({ limit }), { code: 'SMGW_EMT_BAD_REQUEST' });
      await assert.rejects(store.messages({ limit }), { code: 'SMGW_EMT_BAD_REQUEST' });
    }
  });

  withStore('optional message fields and values beyond 2^53 come back exactly', async ({ store }) => {
    const big = '-123456789012345678901234567890';
    const m = message('m-1', [reading('ELS-00000001', 0, big, { scaler: 20 })], {
      usagePointId: 'DE0001234567890',
      tariffName: 'HT/NT',
      taf: 7,
    });
    await store.storeMessage(m, meta(1));
    assert.equal((await store.readings({ limit: 1 }))[0]?.value, big);
    assert.equal((await store.readings({ limit: 1 }))[0]?.scaler, 20);
    const [stored] = await store.messages({ limit: 1 });
    assert.equal(stored?.usagePointId, 'DE0001234567890');
    assert.equal(stored?.tariffName, 'HT/NT');
    assert.equal(stored?.taf, 7);
    assert.equal(stored?.createdMs, Date.parse(m.created));
  });

  withStore('a message that fails half-way leaves nothing behind (one transaction)', async ({ store }) => {
    // The second reading's capture time is not a time (the protocol reader would refuse it; the
    // store must still not keep the first reading or the message).
    const broken = message('m-1', [
      reading('ELS-00000001', 0, '1'),
      reading('ELS-00000001', 15, '2', { captureTime: 'x' }),
    ]);
    await assert.rejects(store.storeMessage(broken, meta(1)), { code: 'SMGW_EMT_STORE' });
    assert.equal((await store.readings({ limit: 10 })).length, 0);
    assert.equal((await store.messages({ limit: 10 })).length, 0);
    assert.equal(await store.hasMessage(GW, 'm-1'), false);
    // and the same message ID, now valid, is new
    const fixed = message('m-1', [reading('ELS-00000001', 0, '1')]);
    assert.deepEqual(await store.storeMessage(fixed, meta(2)), { outcome: 'stored', readingsStored: 1 });
  });

  withStore('a read-only handle reads while the writer is open, and refuses to write', async (s) => {
    await s.store.storeMessage(message('m-1', [reading('ELS-00000001', 0, '1')]), meta(1));
    const ro = await s.openReadonly();
    try {
      assert.equal((await ro.readings({ limit: 10 })).length, 1);
      await s.store.storeMessage(message('m-2', [reading('ELS-00000001', 15, '2')]), meta(2));
      assert.equal((await ro.readings({ limit: 10 })).length, 2, 'sees what the writer committed since');
      await assert.rejects(ro.storeMessage(message('m-3', []), meta(3)), { code: 'SMGW_EMT_STORE' });
    } finally {
      await ro.close();
    }
    assert.equal((await s.store.messages({ limit: 10 })).length, 2);
  });
}
