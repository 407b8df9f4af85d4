/**
 * What the demo sets up (pure data): one gateway, one EMT, the GWA, three wireless meters and
 * one SML meter over TLS, and the profiles the GWA installs. Ports as in docs/wire-protocols.md.
 */
import type { CommunicationProfile, EvaluationProfile, Medium, MeterProfile } from '@opensmgw/protocol';
import { wmbusMeterId } from '@opensmgw/protocol';

export const DEMO_GATEWAY_ID = 'EOSM0100000001';

export const DEMO_PORTS = {
  gwa: 9440,
  emt: 9443,
  wakeup: 9450,
  radio: 9460,
  lmnTls: 9461,
  /** HAN consumer/service API (issue 5: https://localhost:8443). */
  hanApi: 8443,
  /** HAN CLS proxy. */
  cls: 8444,
} as const;

export type DemoPorts = { readonly [K in keyof typeof DEMO_PORTS]: number };

/** TAF 7 raster of the demo: 15 seconds instead of 15 minutes, so values flow within a minute. */
export const DEMO_REGISTRATION_SECONDS = 15;

export interface DemoWmbusMeter {
  readonly manufacturer: string;
  readonly serial: string;
  readonly medium: Medium;
  readonly keyHex: string;
  readonly intervalSeconds: number;
}

export const DEMO_WMBUS_METERS: readonly Omit<DemoWmbusMeter, 'keyHex'>[] = [
  { manufacturer: 'EMH', serial: '10000001', medium: 'electricity', intervalSeconds: 5 },
  { manufacturer: 'ELS', serial: '20000002', medium: 'gas', intervalSeconds: 5 },
  { manufacturer: 'KAM', serial: '30000003', medium: 'water', intervalSeconds: 5 },
];

/** The demo's two consumers, each with a usage point (33 characters: DE + 31) and its meters. */
export const DEMO_CONSUMERS = [
  { userId: 'consumer-1', usagePointId: `DE${'1'.padStart(31, '0')}`, media: ['electricity'] },
  { userId: 'consumer-2', usagePointId: `DE${'2'.padStart(31, '0')}`, media: ['gas', 'water', 'heat'] },
] as const;

function consumerOf(medium: Medium): (typeof DEMO_CONSUMERS)[number] {
  return DEMO_CONSUMERS.find((c) => (c.media as readonly string[]).includes(medium)) ?? DEMO_CONSUMERS[0];
}

/** The SML meter's ID (DIN 43863-5 style) and the test-PKI entity holding its LMN key. */
export const DEMO_SML_METER = { meterId: '1EMH0012345678', entity: 'meter-1', intervalSeconds: 5 } as const;

const CHANNELS: Readonly<Record<Medium, readonly string[]>> = {
  electricity: ['0100010800ff', '0100100700ff'],
  gas: ['0700030000ff'],
  water: ['0800010000ff'],
  heat: ['0600010000ff', '0600020000ff'],
};

/** The register channel of a medium (TAF 1, 2, 6, 7 work on registers, not on power). */
const REGISTER: Readonly<Record<Medium, string>> = {
  electricity: '0100010800ff',
  gas: '0700030000ff',
  water: '0800010000ff',
  heat: '0600010000ff',
};

export function demoMeterProfiles(meters: readonly DemoWmbusMeter[], smlMeterCertificatePem: string): MeterProfile[] {
  return [
    ...meters.map(
      (m): MeterProfile => ({
        meterId: wmbusMeterId(m.manufacturer, m.serial),
        medium: m.medium,
        active: true,
        access: { type: 'wmbus', manufacturer: m.manufacturer, serial: m.serial, keyHex: m.keyHex, allowMode5: false },
        channels: CHANNELS[m.medium],
        consumerId: consumerOf(m.medium).userId,
        usagePointId: consumerOf(m.medium).usagePointId,
      }),
    ),
    {
      meterId: DEMO_SML_METER.meterId,
      medium: 'electricity',
      active: true,
      access: { type: 'tls-sml', certificatePem: smlMeterCertificatePem },
      channels: CHANNELS.electricity,
      consumerId: DEMO_CONSUMERS[0].userId,
      usagePointId: DEMO_CONSUMERS[0].usagePointId,
    },
  ];
}

export function demoEmtProfile(
  certificates: { tlsPem: string; encPem: string },
  port: number,
): Omit<CommunicationProfile, 'retry'> {
  return {
    id: 'emt-1',
    url: `https://127.0.0.1:${port}`,
    servername: 'emt-1.opensmgw.test',
    tlsCertificatePem: certificates.tlsPem,
    encryptionCertificatePem: certificates.encPem,
  };
}

/**
 * TAF 7 for every meter's register (the demo's 15-second raster), and for the SML meter also
 * TAF 6 (daily values), TAF 1 (billing every 2 minutes) and TAF 2 (peak 06:00-22:00 on working
 * days, off-peak otherwise), all for emt-1.
 */
export function demoEvaluationProfiles(
  meters: readonly MeterProfile[],
  validFromMs: number,
  registrationSeconds: number = DEMO_REGISTRATION_SECONDS,
): EvaluationProfile[] {
  const validFrom = new Date(Math.floor(validFromMs / 60_000) * 60_000).toISOString();
  const common = { recipients: ['emt-1'], timeZone: 'Europe/Berlin', validFrom } as const;
  const profiles: EvaluationProfile[] = meters.map((m) => ({
    ...common,
    id: `taf7-${m.meterId}`,
    taf: 7,
    meterId: m.meterId,
    channels: [REGISTER[m.medium]],
    registrationPeriodSeconds: registrationSeconds,
    tariffName: 'Zählerstandsgang',
  }));
  const sml = DEMO_SML_METER.meterId;
  profiles.push(
    {
      ...common,
      id: `taf6-${sml}`,
      taf: 6,
      meterId: sml,
      channels: ['0100010800ff'],
      registrationPeriodSeconds: 900,
    },
    {
      ...common,
      id: `taf1-${sml}`,
      taf: 1,
      meterId: sml,
      channels: ['0100010800ff'],
      registrationPeriodSeconds: registrationSeconds,
      billingPeriod: { seconds: 120 },
      tariffName: 'Einheitstarif',
    },
    {
      ...common,
      id: `taf2-${sml}`,
      taf: 2,
      meterId: sml,
      channels: ['0100010800ff'],
      registrationPeriodSeconds: registrationSeconds,
      billingPeriod: { seconds: 120 },
      tariffName: 'HT/NT',
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
        specialDays: [],
      },
    },
  );
  return profiles;
}
