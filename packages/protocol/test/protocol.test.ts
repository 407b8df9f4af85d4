import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSmgwError } from '@opensmgw/core';
import fc from 'fast-check';
import {
  decodeReadingsMessage,
  encodeReadingsMessage,
  obisToText,
  parseAdminJob,
  parseCommunicationProfile,
  parseEvaluationProfile,
  parseJobResult,
  parseJobsResponse,
  parseLogEntry,
  parseMeterProfile,
  parseTimeResponse,
  type ReadingsMessage,
} from '../src/index.js';

const CERT = '-----BEGIN CERTIFICATE-----\nMIIBsz==\n-----END CERTIFICATE-----\n';

const meter = {
  meterId: 'ELS-12345678',
  medium: 'gas',
  active: true,
  access: { type: 'wmbus', manufacturer: 'ELS', serial: '12345678', keyHex: '000102030405060708090A0B0C0D0E0F' },
  channels: ['0700030000ff'],
};

const evaluation = {
  id: 'taf2-1',
  taf: 2,
  meterId: 'EMH-1',
  channels: ['0100010800ff'],
  recipients: ['emt-1'],
  registrationPeriodSeconds: 900,
  billingPeriod: { months: 1 },
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
          { time: '00:00', tariffNumber: 2 },
          { time: '06:00', tariffNumber: 1 },
          { time: '22:00', tariffNumber: 2 },
        ],
      },
      { dayId: 2, switches: [{ time: '00:00', tariffNumber: 2 }] },
    ],
    weekdays: [1, 1, 1, 1, 1, 2, 2],
    specialDays: [{ date: '2026-12-25', dayId: 2 }],
  },
  validFrom: '2026-11-01T00:00:00.000Z',
};

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    assert.ok(isSmgwError(e), `typed error, got ${String(e)}`);
    return `${e.code} ${String(e.detail.path)}`;
  }
  return 'accepted';
}

describe('profiles', () => {
  it('reads a wM-Bus meter profile, defaults allowMode5 to false and normalises the key', () => {
    const p = parseMeterProfile(meter);
    assert.equal(p.access.type, 'wmbus');
    assert.equal(p.access.type === 'wmbus' && p.access.allowMode5, false);
    assert.equal(p.access.type === 'wmbus' && p.access.keyHex, '000102030405060708090a0b0c0d0e0f');
  });

  it('refuses unknown fields, bad keys, duplicate channels and unknown access types, naming the field', () => {
    assert.equal(
      code(() => parseMeterProfile({ ...meter, debug: true })),
      'SMGW_PROTO_INVALID meterProfile.debug',
    );
    assert.equal(
      code(() => parseMeterProfile({ ...meter, access: { ...meter.access, keyHex: 'zz' } })),
      'SMGW_PROTO_INVALID meterProfile.access.keyHex',
    );
    assert.equal(
      code(() => parseMeterProfile({ ...meter, channels: ['0700030000ff', '0700030000ff'] })),
      'SMGW_PROTO_INVALID meterProfile.channels',
    );
    assert.equal(
      code(() => parseMeterProfile({ ...meter, access: { type: 'mode5' } })),
      'SMGW_PROTO_INVALID meterProfile.access.type',
    );
  });

  it('an error message never repeats the value of a refused key', () => {
    try {
      parseMeterProfile({ ...meter, access: { ...meter.access, keyHex: 'SECRETSECRETSECRETSECRETSECRETXX' } });
      assert.fail('accepted');
    } catch (e) {
      assert.doesNotMatch(String((e as Error).message), /SECRET/);
    }
  });

  it('reads a TAF 2 evaluation profile and checks the switching program', () => {
    const p = parseEvaluationProfile(evaluation);
    assert.equal(p.timeZone, 'Europe/Berlin');
    assert.equal(p.tariff?.stages.length, 2);
    const bad = (tariff: unknown) => code(() => parseEvaluationProfile({ ...evaluation, tariff }));
    assert.match(bad({ ...evaluation.tariff, errorRegisterObis: '0100010800ff' }), /errorRegisterObis/);
    assert.match(bad({ ...evaluation.tariff, weekdays: [1, 1, 1, 1, 1, 2] }), /weekdays/);
    assert.match(bad({ ...evaluation.tariff, weekdays: [1, 1, 1, 1, 1, 2, 9] }), /weekdays\[6\]/);
    assert.match(
      bad({ ...evaluation.tariff, dayProfiles: [{ dayId: 1, switches: [{ time: '01:00', tariffNumber: 1 }] }] }),
      /switches\[0\]\.time/,
    );
    assert.match(
      code(() => parseEvaluationProfile({ ...evaluation, registrationPeriodSeconds: 7 })),
      /registrationPeriodSeconds/,
    );
    assert.match(
      code(() => parseEvaluationProfile({ ...evaluation, tariff: undefined })),
      /tariff/,
    );
    assert.match(
      code(() => parseEvaluationProfile({ ...evaluation, timeZone: 'Mars/Olympus' })),
      /timeZone/,
    );
  });

  it('reads a communication profile with the default retry policy', () => {
    const p = parseCommunicationProfile({
      id: 'emt-1',
      url: 'https://127.0.0.1:9443',
      servername: 'emt-1.opensmgw.test',
      tlsCertificatePem: CERT,
      encryptionCertificatePem: CERT,
    });
    assert.deepEqual(p.retry, { initialDelayMs: 2000, maxDelayMs: 300000 });
    assert.match(
      code(() => parseCommunicationProfile({ ...p, url: 'http://127.0.0.1:9443' })),
      /communicationProfile\.url/,
    );
  });
});

describe('admin jobs', () => {
  it('reads every job type and refuses fields of another type', () => {
    const jobs = parseJobsResponse(
      JSON.stringify({
        jobs: [
          { jobId: 'j1', type: 'set-meter-profile', profile: meter },
          { jobId: 'j2', type: 'create-csr', use: 'tls' },
          { jobId: 'j3', type: 'read-log', log: 'system', fromIndex: 1, count: 1500 },
          { jobId: 'j4', type: 'sync-time' },
          { jobId: 'j5', type: 'set-schedule', pollIntervalSeconds: 60 },
        ],
      }),
    );
    assert.deepEqual(
      jobs.jobs.map((j) => j.type),
      ['set-meter-profile', 'create-csr', 'read-log', 'sync-time', 'set-schedule'],
    );
    assert.match(
      code(() => parseAdminJob({ jobId: 'j', type: 'sync-time', use: 'tls' })),
      /job\.use/,
    );
    assert.match(
      code(() => parseAdminJob({ jobId: 'j', type: 'read-log', log: 'consumer', fromIndex: 1, count: 1 })),
      /log/,
    );
    assert.match(
      code(() => parseAdminJob({ jobId: 'j', type: 'read-log', log: 'system', fromIndex: 1, count: 1501 })),
      /count/,
    );
    assert.match(
      code(() => parseAdminJob({ jobId: '../x', type: 'sync-time' })),
      /jobId/,
    );
  });

  it('reads results and time', () => {
    assert.deepEqual(parseJobResult('{"ok":true}'), { ok: true });
    assert.deepEqual(parseJobResult('{"ok":false,"error":{"code":"SMGW_X","message":"m"}}'), {
      ok: false,
      error: { code: 'SMGW_X', message: 'm' },
    });
    assert.equal(parseTimeResponse('{"epochMs":1700000000000}').epochMs, 1700000000000);
    assert.equal(
      code(() => parseTimeResponse('{"epochMs":1.5}')),
      'SMGW_PROTO_INVALID response.epochMs',
    );
    assert.equal(
      code(() => parseTimeResponse('not json')),
      'SMGW_PROTO_INVALID $',
    );
  });

  it('refuses oversized bodies before parsing', () => {
    assert.match(
      code(() => parseJobsResponse('x'.repeat(4 * 1024 * 1024 + 1))),
      /SMGW_PROTO_TOO_LARGE/,
    );
  });
});

describe('readings messages', () => {
  const message: ReadingsMessage = {
    format: 'opensmgw-readings/1',
    messageId: 'EOSM0100000001.taf7-1.1764288000000.emt-1',
    gatewayId: 'EOSM0100000001',
    evaluationProfileId: 'taf7-1',
    taf: 7,
    created: '2026-11-28T00:00:02.000Z',
    readings: [
      {
        meterId: 'EMH-1',
        obis: '0100010800ff',
        kind: 'original',
        value: '123456789012345678901',
        scaler: -1,
        unit: 'Wh',
        captureTime: '2026-11-27T23:59:58.000Z',
        targetTime: '2026-11-28T00:00:00.000Z',
        smgwStatus: '00000000',
      },
    ],
  };

  it('round-trips, keeping integers beyond 2^53 exact', () => {
    assert.deepEqual(decodeReadingsMessage(encodeReadingsMessage(message)), message);
  });

  it('refuses a wrong format tag, a fractional value and a bad gateway ID', () => {
    const enc = (m: unknown) => new TextEncoder().encode(JSON.stringify(m));
    assert.match(
      code(() => decodeReadingsMessage(enc({ ...message, format: 'x' }))),
      /format/,
    );
    const r0 = message.readings[0];
    assert.match(
      code(() => decodeReadingsMessage(enc({ ...message, readings: [{ ...r0, value: '1.5' }] }))),
      /value/,
    );
    assert.match(
      code(() => decodeReadingsMessage(enc({ ...message, gatewayId: 'XOSM0100000001' }))),
      /gatewayId/,
    );
  });

  it('obisToText prints the operator notation', () => {
    assert.equal(obisToText('0100010800ff'), '1-0:1.8.0*255');
    assert.equal(obisToText('0700030000ff'), '7-0:3.0.0*255');
  });
});

describe('hostile JSON (property)', () => {
  const readers: [string, (v: unknown) => unknown][] = [
    ['meter', parseMeterProfile],
    ['communication', parseCommunicationProfile],
    ['evaluation', parseEvaluationProfile],
    ['job', parseAdminJob],
    ['log entry', parseLogEntry],
  ];
  for (const [name, read] of readers) {
    it(`${name}: any JSON value gives a value or a ProtocolError, nothing else`, () => {
      fc.assert(
        fc.property(fc.jsonValue(), (v) => {
          try {
            read(v);
          } catch (e) {
            if (!isSmgwError(e) || !e.code.startsWith('SMGW_PROTO_')) throw e;
          }
        }),
        { numRuns: 3000 },
      );
    });
  }

  it('mutated valid profiles and messages give a value or a ProtocolError', () => {
    const mutate = (v: unknown, path: string[], replacement: unknown): unknown => {
      if (path.length === 0 || v === null || typeof v !== 'object') return replacement;
      const [head, ...rest] = path as [string, ...string[]];
      const copy: Record<string, unknown> = Array.isArray(v)
        ? ([...v] as unknown as Record<string, unknown>)
        : { ...v };
      copy[head] = mutate(copy[head], rest, replacement);
      return copy;
    };
    const paths = (v: unknown, prefix: string[] = []): string[][] =>
      v !== null && typeof v === 'object'
        ? [prefix, ...Object.entries(v).flatMap(([k, x]) => paths(x, [...prefix, k]))]
        : [prefix];
    for (const [sample, read] of [
      [evaluation, parseEvaluationProfile],
      [meter, parseMeterProfile],
    ] as const) {
      const all = paths(sample);
      fc.assert(
        fc.property(fc.constantFrom(...all), fc.jsonValue(), (p, x) => {
          try {
            read(mutate(sample, p, x));
          } catch (e) {
            if (!isSmgwError(e) || !e.code.startsWith('SMGW_PROTO_')) throw e;
          }
        }),
        { numRuns: 3000 },
      );
    }
  });
});
