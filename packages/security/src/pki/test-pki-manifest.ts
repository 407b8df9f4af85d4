/**
 * The test SM-PKI directory as data: the manifest `pki.json` (its types, defaults and a strict
 * reader), the plan of entities and certificates `smgw pki init` makes, and the small pure
 * decisions around them (serials, validity periods, which entries a CRL lists). The directory
 * layout is a contract with the PKI checks (docs/pki.md); `test-pki.ts` does the I/O.
 */

import { PkiError } from '../errors.js';
import { isGatewayId } from '../gateway-id.js';
import type { CrlReasonName, GeneralNameSpec } from './certificate-extensions.js';
import type { EndUserRole, EndUserType } from './certificate-profiles.js';

/**
 * Validity periods in years (CRL in days). All [M] (spec notes §4: "do not hard-code these; make
 * them configuration"), except the LMN/HAN maximum of 7 years ([V], spec notes §3.5) and the
 * two-year EMT/GWA renewal ([V], telesec).
 */
export interface TestPkiValidity {
  readonly rootYears: number;
  readonly subCaYears: number;
  /** GWA, EMT, GWH triplets. */
  readonly endUserYears: number;
  /** The gateway's operational triplet. */
  readonly gatewayYears: number;
  /** The gateway's factory ("Gütesiegel") triplet. */
  readonly factoryYears: number;
  /** Self-signed LMN and HAN certificates: at most 7 ([V] spec notes §3.5). */
  readonly localYears: number;
  /** Time from thisUpdate to nextUpdate of both CRLs. */
  readonly crlDays: number;
}

export const DEFAULT_VALIDITY: TestPkiValidity = {
  rootYears: 10,
  subCaYears: 7,
  endUserYears: 2,
  gatewayYears: 7,
  factoryYears: 7,
  localYears: 7,
  crlDays: 30,
};

export const MAX_LOCAL_YEARS = 7;

/** Where the test PKI says its CRLs live and how its CAs name themselves (IssuerAltName). [M] */
export interface TestPkiPublication {
  readonly rootCrlUrl: string;
  readonly subCaCrlUrl: string;
  readonly rootAltName: string;
  readonly subCaAltName: string;
}

export const DEFAULT_PUBLICATION: TestPkiPublication = {
  rootCrlUrl: 'http://pki.opensmgw.test/root.crl',
  subCaCrlUrl: 'http://pki.opensmgw.test/subca.crl',
  rootAltName: 'http://pki.opensmgw.test/root',
  subCaAltName: 'http://pki.opensmgw.test/subca',
};

export type EntityKind = 'root' | 'subca' | 'gwa' | 'emt' | 'gwh' | 'smgw' | 'meter' | 'consumer';
export type IssuedType = 'ca' | 'tls' | 'sig' | 'enc' | 'lmn' | 'han';
export type IssuerRef = 'root' | 'subca' | 'self';

export interface ManifestEntity {
  readonly kind: EntityKind;
  /** Directory relative to the PKI directory. */
  readonly dir: string;
  readonly slots: readonly string[];
}

export interface ManifestRevocation {
  readonly date: string;
  readonly reason: CrlReasonName;
}

export interface ManifestIssued {
  /** Lower-case hex, no leading zero octets. */
  readonly serial: string;
  readonly issuer: IssuerRef;
  readonly entity: string;
  /** The key's slot in the entity's keystore; absent for certificates issued from a CSR. */
  readonly slot?: string;
  readonly type: IssuedType;
  /** 'root' | 'subca' for CA certificates, GWA/EMT/SMGW/GWH for end users, 'SMGW' | 'meter' | 'consumer' for local ones. */
  readonly role: string;
  readonly subject: string;
  /** Certificate file relative to the PKI directory. */
  readonly file: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly factory?: true;
  readonly revoked?: ManifestRevocation;
}

export interface TestPkiManifest {
  readonly version: 1;
  readonly created: string;
  readonly gatewayId: string;
  readonly validity: TestPkiValidity;
  readonly publication: TestPkiPublication;
  /** Sequence number that goes into the next serial (see `serialFor`). */
  readonly nextSerial: number;
  readonly entities: Readonly<Record<string, ManifestEntity>>;
  readonly issued: readonly ManifestIssued[];
  readonly crlNumber: { readonly root: number; readonly subca: number };
}

export const DEFAULT_GATEWAY_ID = 'EOSM0100000001';
/** Entity names are directory names: same rule as slot names. */
export const ENTITY_NAME_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;

function bad(message: string): PkiError {
  return new PkiError('SMGW_PKI_BAD_ARGUMENT', message);
}

export function checkGatewayId(id: unknown): string {
  if (!isGatewayId(id)) {
    throw bad(`gateway ID ${JSON.stringify(id)} is not E + 3 letters + 10 digits (e.g. ${DEFAULT_GATEWAY_ID})`);
  }
  return id;
}

export function checkEntityName(name: unknown): string {
  if (typeof name !== 'string' || !ENTITY_NAME_PATTERN.test(name)) {
    throw bad(`entity name ${JSON.stringify(name)}: use [a-z][a-z0-9-]{0,31}`);
  }
  return name;
}

/** Defaults merged with `overrides`; every period a positive number, local ≤ 7 years. */
export function checkValidity(overrides: Partial<TestPkiValidity> = {}): TestPkiValidity {
  const v = { ...DEFAULT_VALIDITY, ...overrides };
  for (const [k, n] of Object.entries(v)) {
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || n > 100) {
      throw bad(`validity ${k} = ${String(n)} is not a number in (0, 100]`);
    }
  }
  if (v.localYears > MAX_LOCAL_YEARS) {
    throw bad(
      `LMN/HAN certificates may be valid at most ${MAX_LOCAL_YEARS} years (spec notes §3.5), not ${v.localYears}`,
    );
  }
  return v;
}

/**
 * `from` plus a number of years on the calendar (fractions as days of 365), to the second.
 * Calendar years keep "7 years" what a reader expects: 2026-01-15 + 7 y = 2033-01-15.
 */
export function addYears(from: Date, years: number): Date {
  const whole = Math.trunc(years);
  const d = new Date(Math.floor(from.getTime() / 1000) * 1000);
  d.setUTCFullYear(d.getUTCFullYear() + whole);
  return new Date(d.getTime() + Math.round((years - whole) * 365 * 86_400) * 1000);
}

export function addDays(from: Date, days: number): Date {
  return new Date(Math.floor(from.getTime() / 1000) * 1000 + Math.round(days * 86_400) * 1000);
}

/**
 * Serial of the `sequence`-th certificate: 4 octets of sequence number then 12 random octets
 * (`random` from the issuing module). The sequence makes serials unique within the PKI by
 * construction; the random part makes them unpredictable, as CAs do against chosen-prefix
 * attacks. 16 octets, well inside RFC 5280's 20.
 */
export function serialFor(sequence: number, random: Uint8Array): Uint8Array {
  if (!Number.isSafeInteger(sequence) || sequence < 1 || sequence > 0x7fffffff) {
    throw bad(`serial sequence ${sequence} out of range`);
  }
  if (random.length < 12) throw bad('serial needs 12 random octets');
  const out = new Uint8Array(16);
  new DataView(out.buffer).setUint32(0, sequence);
  out.set(random.subarray(0, 12), 4);
  return out;
}

/** Normalises a serial given by a user: hex, optional 0x and colons, no leading zero octets. */
export function normaliseSerialHex(text: string): string {
  const hex = text.trim().replace(/^0x/i, '').replace(/:/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(hex)) throw bad(`serial ${JSON.stringify(text)} is not hexadecimal`);
  const even = hex.length % 2 === 1 ? `0${hex}` : hex;
  let i = 0;
  while (i < even.length - 2 && even.startsWith('00', i)) i += 2;
  return even.slice(i);
}

/** The revoked entries a CA's CRL lists. */
export function revokedBy(manifest: TestPkiManifest, issuer: 'root' | 'subca'): ManifestIssued[] {
  return manifest.issued.filter((e) => e.issuer === issuer && e.revoked !== undefined && e.entity !== issuer);
}

// ---- the plan of `smgw pki init` ----------------------------------------------------------

export type PlannedCertificate =
  | {
      readonly kind: 'end-user';
      readonly slot: string;
      readonly type: EndUserType;
      readonly role: EndUserRole;
      readonly commonName: string;
      readonly subjectAltNames?: readonly GeneralNameSpec[];
      readonly file: string;
      readonly validity: 'endUserYears' | 'gatewayYears' | 'factoryYears';
      readonly factory?: true;
    }
  | {
      readonly kind: 'local';
      readonly slot: string;
      readonly type: 'lmn' | 'han';
      readonly role: 'SMGW' | 'meter' | 'consumer';
      readonly commonName: string;
      readonly extendedKeyUsage: readonly ('serverAuth' | 'clientAuth')[];
      readonly subjectAltNames?: readonly GeneralNameSpec[];
      readonly file: string;
    };

export interface PlannedEntity {
  readonly name: string;
  readonly kind: EntityKind;
  readonly certificates: readonly PlannedCertificate[];
}

const TRIPLET: readonly EndUserType[] = ['tls', 'sig', 'enc'];

/** TLS, SIG and ENC certificates in slots wan-tls/-sig/-enc (files tls/sig/enc.crt.pem). */
export function tripletPlan(o: {
  readonly role: EndUserRole;
  readonly commonName: string;
  readonly subjectAltNames?: readonly GeneralNameSpec[];
  readonly validity: 'endUserYears' | 'gatewayYears' | 'factoryYears';
  readonly factory?: boolean;
}): PlannedCertificate[] {
  const suffix = o.factory ? '-factory' : '';
  const prefix = o.factory ? 'factory-' : '';
  return TRIPLET.map((type) => ({
    kind: 'end-user' as const,
    slot: `wan-${type}${suffix}`,
    type,
    role: o.role,
    commonName: o.commonName,
    ...(o.subjectAltNames ? { subjectAltNames: o.subjectAltNames } : {}),
    file: `${prefix}${type}.crt.pem`,
    validity: o.validity,
    ...(o.factory ? { factory: true as const } : {}),
  }));
}

/** The default role of an entity kind for `smgw pki issue --entity`. */
export const ROLE_KIND: Readonly<Record<EndUserRole, EntityKind>> = {
  GWA: 'gwa',
  EMT: 'emt',
  GWH: 'gwh',
  SMGW: 'smgw',
};

/**
 * What `smgw pki init` makes besides the two CAs (layout contract, docs/pki.md): one GWA, two
 * EMTs, the gateway with operational and factory triplets and its self-signed LMN and HAN
 * certificates, a wired meter and a HAN consumer with self-signed certificates.
 */
export function initPlan(gatewayId: string): PlannedEntity[] {
  return [
    {
      name: 'gwa',
      kind: 'gwa',
      certificates: tripletPlan({
        role: 'GWA',
        commonName: 'OpenSMGW-Test.GWA',
        subjectAltNames: [{ dns: 'gwa.opensmgw.test' }],
        validity: 'endUserYears',
      }),
    },
    ...[1, 2].map((n) => ({
      name: `emt-${n}`,
      kind: 'emt' as const,
      certificates: tripletPlan({
        role: 'EMT',
        commonName: `OpenSMGW-Test-${n}.EMT`,
        subjectAltNames: [{ dns: `emt-${n}.opensmgw.test` }],
        validity: 'endUserYears',
      }),
    })),
    {
      name: 'gateway',
      kind: 'smgw',
      certificates: [
        ...tripletPlan({ role: 'SMGW', commonName: `${gatewayId}.SMGW`, validity: 'gatewayYears' }),
        ...tripletPlan({ role: 'SMGW', commonName: `${gatewayId}.SMGW`, validity: 'factoryYears', factory: true }),
        {
          kind: 'local',
          slot: 'lmn-tls',
          type: 'lmn',
          role: 'SMGW',
          commonName: `${gatewayId}-LMN`,
          // Both TLS directions are in use on the LMN (spec notes §3.5).
          extendedKeyUsage: ['serverAuth', 'clientAuth'],
          file: 'lmn-tls.crt.pem',
        },
        {
          kind: 'local',
          slot: 'han-tls',
          type: 'han',
          role: 'SMGW',
          commonName: `${gatewayId}-HAN`,
          // Server towards consumers; client towards CLS devices (spec notes §3.4).
          extendedKeyUsage: ['serverAuth', 'clientAuth'],
          // [M] so that a browser or client on the same machine can check the name.
          subjectAltNames: [{ dns: 'localhost' }, { ip: '127.0.0.1' }],
          file: 'han-tls.crt.pem',
        },
      ],
    },
    {
      name: 'meter-1',
      kind: 'meter',
      certificates: [
        {
          kind: 'local',
          slot: 'lmn-tls',
          type: 'lmn',
          role: 'meter',
          commonName: 'OpenSMGW-Test-Meter-1',
          extendedKeyUsage: ['serverAuth', 'clientAuth'],
          file: 'lmn-tls.crt.pem',
        },
      ],
    },
    {
      name: 'consumer-1',
      kind: 'consumer',
      certificates: [
        {
          kind: 'local',
          slot: 'han-tls',
          type: 'han',
          role: 'consumer',
          commonName: 'OpenSMGW-Test-Consumer-1',
          extendedKeyUsage: ['clientAuth'],
          file: 'han-tls.crt.pem',
        },
      ],
    },
  ];
}

// ---- reading pki.json --------------------------------------------------------------------

function malformed(message: string): PkiError {
  return new PkiError('SMGW_PKI_MALFORMED', `pki.json: ${message}`);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ISSUERS: readonly string[] = ['root', 'subca', 'self'];
const TYPES: readonly string[] = ['ca', 'tls', 'sig', 'enc', 'lmn', 'han'];

/** Parses and checks the manifest's shape; SMGW_PKI_MALFORMED for anything off. */
export function parseManifest(text: string): TestPkiManifest {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw malformed('not JSON');
  }
  if (!isObject(v)) throw malformed('not an object');
  if (v.version !== 1) throw malformed(`version ${JSON.stringify(v.version)} is not 1`);
  if (typeof v.gatewayId !== 'string') throw malformed('gatewayId missing');
  if (typeof v.created !== 'string') throw malformed('created missing');
  if (!Number.isSafeInteger(v.nextSerial) || (v.nextSerial as number) < 1) throw malformed('nextSerial missing');
  if (!isObject(v.entities)) throw malformed('entities missing');
  for (const [name, e] of Object.entries(v.entities)) {
    if (!isObject(e) || typeof e.kind !== 'string' || typeof e.dir !== 'string' || !Array.isArray(e.slots)) {
      throw malformed(`entity ${name} is not {kind, dir, slots}`);
    }
  }
  if (!Array.isArray(v.issued)) throw malformed('issued missing');
  for (const [i, e] of v.issued.entries()) {
    if (
      !isObject(e) ||
      typeof e.serial !== 'string' ||
      !/^[0-9a-f]+$/.test(e.serial) ||
      typeof e.issuer !== 'string' ||
      !ISSUERS.includes(e.issuer) ||
      typeof e.type !== 'string' ||
      !TYPES.includes(e.type) ||
      typeof e.entity !== 'string' ||
      typeof e.file !== 'string'
    ) {
      throw malformed(`issued[${i}] is not a certificate entry`);
    }
  }
  if (!isObject(v.crlNumber) || !Number.isSafeInteger(v.crlNumber.root) || !Number.isSafeInteger(v.crlNumber.subca)) {
    throw malformed('crlNumber missing');
  }
  const validity = isObject(v.validity) ? (v.validity as Partial<TestPkiValidity>) : {};
  const publication = isObject(v.publication) ? (v.publication as Partial<TestPkiPublication>) : {};
  return {
    ...(v as unknown as TestPkiManifest),
    validity: { ...DEFAULT_VALIDITY, ...validity },
    publication: { ...DEFAULT_PUBLICATION, ...publication },
  };
}

export function serializeManifest(m: TestPkiManifest): string {
  return `${JSON.stringify(m, null, 2)}\n`;
}
