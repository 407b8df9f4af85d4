/**
 * The TAF engine against the real SQLite store (':memory:') with a FakeClock: periods close on
 * the timer, one commit per period (values, deliveries, consumer log, progress), catch-up after a
 * restart in bounded steps, no metering output in Secure State Application.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '@opensmgw/core';
import { decodeReadingsMessage, type EvaluationProfile } from '@opensmgw/protocol';
import { GatewayTime, SYSTEMTIME_INVALID } from '../src/core/gateway-time.js';
import { OperatingState } from '../src/core/operating-state.js';
import { RateLimitedEventLog } from '../src/core/rate-limited-log.js';
import { messageIdFor, TafEngine, type TafEngineOptions } from '../src/core/taf-engine.js';
import { openGatewayStore } from '../src/store/gateway-store.js';
import type { GatewayStore, TafCommit } from '../src/store/types.js';
import { ENERGY, METER, meterProfile } from './fixtures/store-fixtures.js';

const GW = 'EOSG0000000001';
const t = (iso: string) => Date.parse(iso);
const Q = 900_000;

function taf7(over: Partial<EvaluationProfile> = {}): EvaluationProfile {
  return {
    id: 'taf7-1',
    taf: 7,
    meterId: METER,
    channels: [ENERGY],
    recipients: ['emt-1', 'emt-2'],
    registrationPeriodSeconds: 900,
    timeZone: 'Europe/Berlin',
    validFrom: '2026-01-06T00:00:00.000Z',
    usagePointId: 'DE0001',
    ...over,
  };
}

function setup(options: { start?: string; synced?: boolean; engine?: Partial<TafEngineOptions> } = {}) {
  const clock = new FakeClock(options.start ?? '2026-01-06T00:00:00Z');
  // Log times are gateway time, but GatewayTime logs while it is constructed: until it exists,
  // the system clock stands in (the wiring the gateway's main uses too).
  let time: GatewayTime | undefined;
  const logClock = { now: () => (time ?? clock).now(), monotonic: () => clock.monotonic() };
  const store = openGatewayStore(':memory:', { clock: logClock });
  const events = new RateLimitedEventLog({ store, clock: logClock });
  const states = new OperatingState({ events });
  time = new GatewayTime({ clock, events, minRegistrationPeriodSeconds: () => 900, operatingState: states });
  if (options.synced !== false) time.sync(clock.now(), clock.now(), clock.now());
  store.putMeterProfile(meterProfile());
  const commits: TafCommit[] = [];
  const engineOptions: TafEngineOptions = {
    store,
    clock,
    time,
    events,
    gatewayId: GW,
    operatingState: states,
    onCommitted: (c) => commits.push(c),
    ...options.engine,
  };
  const engine = new TafEngine(engineOptions);
  return { clock, store, events, states, time, engine, engineOptions, commits };
}

/** A reading every 5 minutes, 10 Wh each, from `fromMs` for `count` readings. */
function feed(store: GatewayStore, fromMs: number, count: number, first = 0): void {
  for (let i = 0; i < count; i++) {
    store.accept([
      {
        meterId: METER,
        counter: first + i + 1,
        readings: [
          {
            meterId: METER,
            obis: ENERGY,
            value: String(1000 + 10 * (first + i)),
            scaler: 0,
            unit: 'Wh',
            captureTimeMs: fromMs + i * 300_000,
            smgwStatus: 0,
            security: 'mode7',
          },
        ],
      },
    ]);
  }
}

describe('TafEngine', () => {
  it('closes each TAF 7 period on its timer, grace after the end: values, deliveries, consumer log, progress', () => {
    const { clock, store, engine, commits } = setup();
    store.putEvaluationProfile(taf7());
    feed(store, t('2026-01-06T00:01:00Z'), 12); // 00:01 .. 00:56
    engine.start();
    assert.equal(clock.pendingTimers, 1);
    clock.advance(Q); // 00:15:00: not yet (grace 2 s)
    assert.equal(store.tafProgress('taf7-1'), undefined);
    clock.advance(2000);
    assert.equal(store.tafProgress('taf7-1'), t('2026-01-06T00:15:00Z'));
    clock.advance(3 * Q);
    assert.equal(store.tafProgress('taf7-1'), t('2026-01-06T01:00:00Z'));
    assert.equal(clock.pendingTimers, 1, 'one timer at a time');

    const values = store.derivedValues('taf7-1', 0, t('2026-01-07T00:00:00Z'), 100);
    assert.deepEqual(
      values.map((v) => [new Date(v.targetTimeMs).toISOString().slice(11, 16), v.value, v.kind]),
      [
        ['00:15', '1020', 'original'], // 00:11
        ['00:30', '1050', 'original'], // 00:26
        ['00:45', '1080', 'original'], // 00:41
        ['01:00', '1110', 'original'], // 00:56
      ],
    );
    // One delivery per recipient and period, deterministic message IDs, a valid ReadingsMessage.
    assert.equal(store.queueLength('emt-1'), 4);
    assert.equal(store.queueLength('emt-2'), 4);
    const head = store.nextDelivery('emt-2', clock.now())!;
    const target = t('2026-01-06T00:15:00Z');
    assert.equal(head.messageId, `${GW}.taf7-1.${target}.emt-2`);
    const msg = decodeReadingsMessage(head.payload);
    assert.equal(msg.messageId, head.messageId);
    assert.equal(msg.gatewayId, GW);
    assert.equal(msg.taf, 7);
    assert.equal(msg.usagePointId, 'DE0001');
    assert.deepEqual(msg.readings, [
      {
        meterId: METER,
        obis: ENERGY,
        kind: 'original',
        value: '1020',
        scaler: 0,
        unit: 'Wh',
        captureTime: '2026-01-06T00:11:00.000Z',
        targetTime: '2026-01-06T00:15:00.000Z',
        smgwStatus: '00000000',
      },
    ]);
    assert.equal(commits.length, 4);
    // The meter's consumer sees that billing values were recorded.
    const consumer = store.readLog('consumer', 1, 100, 'consumer-1');
    assert.equal(consumer.length, 4);
    assert.equal(consumer[0]?.event, 'TAF_VALUES_RECORDED');
    assert.match(consumer[0]!.message, /billing values recorded/);
    assert.equal(store.verifyLog('consumer').ok, true);
    engine.stop();
    assert.equal(clock.pendingTimers, 0);
  });

  it('a period without a reading: no value, no delivery, one calibration note per gap', () => {
    const { clock, store, engine } = setup();
    store.putEvaluationProfile(taf7());
    feed(store, t('2026-01-06T00:01:00Z'), 3); // only the first interval has values
    engine.start();
    clock.advance(4 * Q + 2000);
    assert.equal(store.tafProgress('taf7-1'), t('2026-01-06T01:00:00Z'));
    assert.equal(store.derivedValues('taf7-1', 0, t('2026-01-07T00:00:00Z'), 100).length, 1);
    assert.equal(store.queueLength('emt-1'), 1);
    const cal = store.readLog('calibration', 1, 100).filter((e) => e.event === 'TAF_NO_READING');
    assert.equal(cal.length, 1);
    assert.match(cal[0]!.message, /no reading for 2026-01-06T00:30:00.000Z/);
  });

  it('catches up after a restart in bounded steps, then follows the timer', () => {
    const { clock, store, engine, engineOptions } = setup({
      start: '2026-01-08T00:00:05Z',
      engine: { maxPeriodsPerRun: 50 },
    });
    store.putEvaluationProfile(taf7({ recipients: ['emt-1'] }));
    feed(store, t('2026-01-06T00:01:00Z'), 12 * 48); // two days of readings
    // Two days of 15-minute periods are due: 192.
    assert.equal(engine.runDue(), 50);
    assert.equal(store.tafProgress('taf7-1'), t('2026-01-06T00:00:00Z') + 50 * Q);
    engine.start(); // backlog: zero-delay timers until done
    clock.advance(0);
    assert.equal(store.tafProgress('taf7-1'), t('2026-01-08T00:00:00Z'));
    assert.equal(store.queueLength('emt-1'), 192);
    // A second engine over the same store (a restart) has nothing to redo.
    const again = new TafEngine({ ...engineOptions, store });
    assert.equal(again.runDue(t('2026-01-08T00:00:05Z')), 0);
    engine.stop();
  });

  it('no metering output in Secure State Application; the periods are caught up afterwards', () => {
    const { clock, store, engine, states } = setup();
    store.putEvaluationProfile(taf7());
    feed(store, t('2026-01-06T00:01:00Z'), 12);
    engine.start();
    states.enter('time-deviation', 'test');
    clock.advance(4 * Q + 2000);
    assert.equal(store.tafProgress('taf7-1'), undefined);
    assert.equal(store.queueLength(), 0);
    states.leave('time-deviation', 'test');
    clock.advance(60_000); // the retry
    assert.equal(store.tafProgress('taf7-1'), t('2026-01-06T01:00:00Z'));
  });

  it('values closed while time is invalid carry Systemtime_Invalid (0x200)', () => {
    const { clock, store, engine } = setup({ synced: false });
    store.putEvaluationProfile(taf7({ recipients: ['emt-1'] }));
    feed(store, t('2026-01-06T00:01:00Z'), 3);
    engine.start();
    clock.advance(Q + 2000);
    const [v] = store.derivedValues('taf7-1', 0, t('2026-01-07T00:00:00Z'), 10);
    assert.equal(v?.smgwStatus, SYSTEMTIME_INVALID);
    const msg = decodeReadingsMessage(store.nextDelivery('emt-1', clock.now())!.payload);
    assert.equal(msg.readings[0]?.smgwStatus, '00000200');
  });

  it('TAF 2 registers run on across billing periods through the store', () => {
    const { store, engine } = setup({ start: '2026-01-06T02:00:05Z' });
    store.putEvaluationProfile({
      id: 'tou-1',
      taf: 2,
      meterId: METER,
      channels: [ENERGY],
      recipients: ['emt-1'],
      registrationPeriodSeconds: 900,
      billingPeriod: { seconds: 3600 },
      tariff: {
        stages: [
          { tariffNumber: 1, obis: '0100010801ff' },
          { tariffNumber: 2, obis: '0100010802ff' },
        ],
        errorRegisterObis: '010001083fff',
        dayProfiles: [
          {
            dayId: 1,
            switches: [
              { time: '00:00', tariffNumber: 1 },
              { time: '02:00', tariffNumber: 2 },
            ],
          },
        ],
        weekdays: [1, 1, 1, 1, 1, 1, 1],
        specialDays: [],
      },
      timeZone: 'Europe/Berlin',
      validFrom: '2026-01-06T00:00:00.000Z', // 01:00 local
      tariffName: 'HT/NT',
    });
    feed(store, t('2026-01-06T00:00:00Z'), 25); // 00:00 .. 02:00, 10 Wh per 5 min
    assert.equal(engine.runDue(), 2);
    const last = store
      .derivedValues('tou-1', t('2026-01-06T01:59:59Z'), t('2026-01-06T02:00:00Z'), 10)
      .map((v) => [v.obis, v.value]);
    // 01:00-02:00 local is T1 (120 Wh), 02:00-03:00 local is T2 (120 Wh).
    assert.deepEqual(Object.fromEntries(last), {
      '0100010801ff': '120',
      '0100010802ff': '120',
      '010001083fff': '0',
      [ENERGY]: '240',
    });
    const msg = decodeReadingsMessage(store.nextDelivery('emt-1', t('2026-01-07T00:00:00Z'))!.payload);
    assert.equal(msg.tariffName, 'HT/NT');
    assert.equal(msg.readings.length, 4);
  });

  it('TAF 6 keeps six weeks of daily values', () => {
    const { store, engine } = setup({ start: '2026-03-01T00:00:00Z' });
    store.putEvaluationProfile(taf7({ id: 'taf6-1', taf: 6, validFrom: '2026-01-01T00:00:00.000Z' }));
    for (let d = 0; d < 60; d++) {
      feed(store, t('2026-01-01T22:55:00Z') + d * 86_400_000, 1, d);
    }
    engine.runDue();
    const kept = store.derivedValues('taf6-1', 0, t('2026-03-02T00:00:00Z'), 1000);
    assert.ok(kept.length >= 42 && kept.length <= 43, `kept ${kept.length}`);
    assert.ok(kept.every((v) => v.kind === 'daily' && v.targetTimeMs >= t('2026-03-01T00:00:00Z') - 42 * 86_400_000));
  });

  it('one failing profile does not stop the others; the failure is logged and retried', () => {
    const { store, engineOptions } = setup({ start: '2026-01-06T01:00:05Z' });
    store.putEvaluationProfile(taf7({ id: 'good', recipients: ['emt-1'] }));
    store.putEvaluationProfile(taf7({ id: 'bad', meterId: 'BAD-1', recipients: ['emt-1'] }));
    feed(store, t('2026-01-06T00:01:00Z'), 12);
    const broken = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'lastAtOrBefore') {
          return (meterId: string, ...rest: [string, number, number?]) => {
            if (meterId === 'BAD-1') throw new Error('disk on fire');
            return target.lastAtOrBefore(meterId, ...rest);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const e2 = new TafEngine({ ...engineOptions, store: broken });
    assert.equal(e2.runDue(), 4);
    assert.equal(store.tafProgress('good'), t('2026-01-06T01:00:00Z'));
    assert.equal(store.tafProgress('bad'), undefined);
    const sys = store.readLog('system', 1, 100).filter((e) => e.event === 'TAF_FAILED');
    assert.equal(sys.length, 1);
    assert.equal(sys[0]?.subject, 'bad');
  });

  it('message IDs are deterministic and fit the protocol limit', () => {
    assert.equal(messageIdFor(GW, 'p', 5, 'r'), `${GW}.p.5.r`);
    const long = messageIdFor(GW, 'p'.repeat(64), 1_767_657_600_000, 'r'.repeat(64));
    assert.ok(long.length <= 128);
    assert.equal(long, messageIdFor(GW, 'p'.repeat(64), 1_767_657_600_000, 'r'.repeat(64)));
    assert.notEqual(long, messageIdFor(GW, 'p'.repeat(64), 1_767_657_600_001, 'r'.repeat(64)));
  });
});

describe('TafEngine timer robustness', () => {
  it('a store that fails entirely is logged and retried, never thrown out of the timer', () => {
    const { clock, store, engineOptions } = setup();
    store.putEvaluationProfile(taf7());
    const logged: string[] = [];
    const failing = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop === 'evaluationProfiles')
          return () => {
            throw new Error('database is locked');
          };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    const engine = new TafEngine({
      ...engineOptions,
      store: failing,
      events: {
        record: (_log, e) => {
          logged.push(e.event);
          return undefined;
        },
      },
    });
    engine.start();
    clock.advance(3 * 60_000);
    assert.ok(logged.length >= 3 && logged.every((e) => e === 'TAF_FAILED'), logged.join());
    assert.equal(clock.pendingTimers, 1);
    engine.stop();
  });
});
