/**
 * The test SM-PKI on disk (`smgw pki init|issue|revoke|crl`): I/O at the edge around the pure
 * builders (certificate-builder, certificate-profiles, crl, csr) and the manifest/plan
 * (test-pki-manifest). Layout: docs/pki.md (a contract with the PKI checks).
 *
 * Every entity keeps its keys in its own sealed software keystore, opened by a key file next to
 * it. That is for a TEST PKI only: a key file beside its keystore protects nothing; it exists so
 * tests and demos can open the keystores without a PIN prompt.
 *
 * Writes never leave half a PKI: `initTestPki` builds everything in a temporary directory next to
 * the target and renames it into place; later changes write the manifest and CRLs each through a
 * temporary file and a rename, the manifest first (it is the source of truth: `regenerateCrls`
 * rebuilds CRLs from it). A lock file keeps two commands from changing one PKI at once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, open, readdir, readFile, rename, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { type Clock, systemClock } from '@opensmgw/core';
import { replaceFileAtomically } from '../atomic-file.js';
import type { CurveName } from '../curves.js';
import type { EcPublicKey } from '../ec-keys.js';
import { PkiError } from '../errors.js';
import { SoftwareSecurityModule } from '../module/software-module.js';
import { parseCertificate, parseCertificates } from './certificate.js';
import { type BuiltCertificate, issueCertificate } from './certificate-builder.js';
import { type CrlReasonName, EXTENSION_OIDS, type GeneralNameSpec, isCrlReasonName } from './certificate-extensions.js';
import {
  type CertificateProfile,
  commonNameFitsRole,
  type EndUserRole,
  type EndUserType,
  endUserProfile,
  hashForIssuer,
  localSelfSignedProfile,
  rootProfile,
  SAN_REQUIRED,
  subCaProfile,
} from './certificate-profiles.js';
import { buildCrl } from './crl.js';
import { readVerifiedCsr } from './csr.js';
import { readDerObjects, toPem } from './pem.js';
import {
  addDays,
  addYears,
  checkEntityName,
  checkGatewayId,
  checkValidity,
  DEFAULT_GATEWAY_ID,
  DEFAULT_PUBLICATION,
  type EntityKind,
  initPlan,
  type ManifestEntity,
  type ManifestIssued,
  normaliseSerialHex,
  type PlannedCertificate,
  parseManifest,
  ROLE_KIND,
  revokedBy,
  serialFor,
  serializeManifest,
  type TestPkiManifest,
  type TestPkiPublication,
  type TestPkiValidity,
  tripletPlan,
} from './test-pki-manifest.js';

export const MANIFEST_FILE = 'pki.json';
export const KEYSTORE_FILE = 'keys.smgwks';
export const KEY_FILE = 'keystore.key';
export const CA_SLOT = 'ca';
/** Curves per spec notes §3.2 (before the switch) and §3.3 (brainpoolP256r1 end-user keys). */
export const ROOT_CURVE: CurveName = 'brainpoolP384r1';
export const SUB_CA_CURVE: CurveName = 'brainpoolP256r1';
export const END_USER_CURVE: CurveName = 'brainpoolP256r1';

export interface TestPkiOptions {
  /** "Now" for validity periods, CRL times and the elapsed time (default: the system clock). */
  readonly clock?: Clock;
  /** Receives one human-readable line per step. */
  readonly progress?: (line: string) => void;
}

export interface InitTestPkiOptions extends TestPkiOptions {
  readonly gatewayId?: string;
  /** Replace an existing non-empty directory. */
  readonly force?: boolean;
  readonly validity?: Partial<TestPkiValidity>;
  readonly publication?: Partial<TestPkiPublication>;
}

export interface InitTestPkiResult {
  readonly dir: string;
  /** Every file written, relative to `dir`. */
  readonly files: readonly string[];
  readonly elapsedMs: number;
  readonly manifest: TestPkiManifest;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
interface Draft extends Omit<Mutable<TestPkiManifest>, 'issued' | 'entities' | 'crlNumber'> {
  issued: ManifestIssued[];
  entities: Record<string, ManifestEntity>;
  crlNumber: { root: number; subca: number };
}

/** Everything a running command holds: the target, the manifest draft, open keystores, files written. */
class Session {
  readonly modules = new Map<string, SoftwareSecurityModule>();
  readonly files: string[] = [];
  constructor(
    readonly dir: string,
    readonly draft: Draft,
    readonly clock: Clock,
    readonly progress: (line: string) => void,
  ) {}

  path(...parts: string[]): string {
    return join(this.dir, ...parts);
  }

  async write(rel: string, data: string | Uint8Array): Promise<void> {
    const p = this.path(rel);
    await mkdir(dirname(p), { recursive: true });
    await writeFile(p, data, { mode: rel.endsWith(KEY_FILE) ? 0o600 : 0o644 });
    this.files.push(rel);
  }

  /** A new entity directory with an empty keystore (manual persistence: saved in `saveAll`). */
  async createEntity(name: string, kind: EntityKind): Promise<SoftwareSecurityModule> {
    const keyFile = new Uint8Array(randomBytes(32));
    await this.write(join(name, KEY_FILE), keyFile);
    const module = await SoftwareSecurityModule.open({
      path: this.path(name, KEYSTORE_FILE),
      keyFile: new Uint8Array(keyFile),
      create: true,
      persist: 'manual',
      clock: this.clock,
    });
    keyFile.fill(0);
    this.files.push(join(name, KEYSTORE_FILE));
    this.modules.set(name, module);
    this.draft.entities[name] = { kind, dir: name, slots: [] };
    return module;
  }

  async openEntity(name: string): Promise<SoftwareSecurityModule> {
    const open = this.modules.get(name);
    if (open) return open;
    const module = await openEntityModule(this.dir, name, { persist: 'manual', clock: this.clock });
    this.modules.set(name, module);
    return module;
  }

  async generate(entity: string, slot: string, curve: CurveName): Promise<EcPublicKey> {
    const module = await this.openEntity(entity);
    const key = await module.generateKeyPair(slot, curve);
    const e = this.draft.entities[entity];
    if (e) this.draft.entities[entity] = { ...e, slots: [...e.slots, slot] };
    return key;
  }

  async nextSerial(module: SoftwareSecurityModule): Promise<Uint8Array> {
    const serial = serialFor(this.draft.nextSerial, await module.random(12));
    this.draft.nextSerial += 1;
    return serial;
  }

  async saveAll(): Promise<void> {
    for (const m of this.modules.values()) await m.save();
  }

  async closeAll(): Promise<void> {
    for (const m of this.modules.values()) await m.close();
    this.modules.clear();
  }
}

/** Opens an entity's keystore with its key file (test PKI only). */
export async function openEntityModule(
  dir: string,
  entity: string,
  options: { readonly persist?: 'auto' | 'manual'; readonly clock?: Clock } = {},
): Promise<SoftwareSecurityModule> {
  checkEntityName(entity);
  return SoftwareSecurityModule.open({
    path: join(dir, entity, KEYSTORE_FILE),
    keyFile: join(dir, entity, KEY_FILE),
    persist: options.persist ?? 'auto',
    ...(options.clock ? { clock: options.clock } : {}),
  });
}

function record(
  s: Session,
  cert: BuiltCertificate,
  e: Omit<ManifestIssued, 'serial' | 'notBefore' | 'notAfter'>,
  notBefore: Date,
  notAfter: Date,
): ManifestIssued {
  const entry: ManifestIssued = {
    serial: cert.serialHex,
    ...e,
    notBefore: notBefore.toISOString(),
    notAfter: notAfter.toISOString(),
  };
  s.draft.issued.push(entry);
  return entry;
}

interface CaHandle {
  readonly module: SoftwareSecurityModule;
  readonly certificate: Uint8Array;
  readonly key: EcPublicKey;
}

async function caHandle(s: Session, name: 'root' | 'subca'): Promise<CaHandle> {
  const module = await s.openEntity(name);
  const certificate = await module.readCertificate(CA_SLOT);
  if (!certificate) throw new PkiError('SMGW_PKI_MALFORMED', `${name} keystore holds no CA certificate`);
  return { module, certificate, key: await module.publicKey(CA_SLOT) };
}

function endUserYears(v: TestPkiValidity, role: EndUserRole): number {
  return role === 'SMGW' ? v.gatewayYears : v.endUserYears;
}

interface EndUserRequest {
  readonly role: EndUserRole;
  readonly type: EndUserType;
  readonly commonName: string;
  readonly subjectAltNames?: readonly GeneralNameSpec[];
}

/** The Sub-CA's end-user profile for `subjectKey` (publication values from the manifest). */
function endUserProfileOf(s: Session, subca: CaHandle, subjectKey: EcPublicKey, o: EndUserRequest): CertificateProfile {
  const p = s.draft.publication;
  return endUserProfile({
    keys: { subjectKey, issuerKey: subca.key },
    role: o.role,
    type: o.type,
    commonName: o.commonName,
    ...(o.subjectAltNames ? { subjectAltNames: o.subjectAltNames } : {}),
    crlDistributionPoint: p.subCaCrlUrl,
    issuerAltName: [{ uri: p.subCaAltName }],
  });
}

function subCaSigner(subca: CaHandle) {
  return { module: subca.module, slot: CA_SLOT, certificate: subca.certificate };
}

async function issueWith(
  s: Session,
  issuer: { readonly module: SoftwareSecurityModule; readonly slot: string; readonly certificate?: Uint8Array },
  subjectKey: EcPublicKey,
  profile: CertificateProfile,
  years: number,
): Promise<{ cert: BuiltCertificate; notBefore: Date; notAfter: Date }> {
  const notBefore = new Date(Math.floor(s.clock.now() / 1000) * 1000);
  const notAfter = addYears(notBefore, years);
  const cert = await issueCertificate({
    issuer,
    subjectPublicKey: subjectKey,
    ...profile,
    serial: await s.nextSerial(issuer.module),
    notBefore,
    notAfter,
  });
  return { cert, notBefore, notAfter };
}

/** Issues the planned certificates of one entity into its keystore and directory. */
async function issuePlanned(s: Session, subca: CaHandle, entity: string, plan: readonly PlannedCertificate[]) {
  const module = await s.openEntity(entity);
  const v = s.draft.validity;
  for (const c of plan) {
    const key = await s.generate(entity, c.slot, END_USER_CURVE);
    let issued: { cert: BuiltCertificate; notBefore: Date; notAfter: Date };
    if (c.kind === 'end-user') {
      const profile = endUserProfileOf(s, subca, key, {
        role: c.role,
        type: c.type,
        commonName: c.commonName,
        ...(c.subjectAltNames ? { subjectAltNames: c.subjectAltNames } : {}),
      });
      issued = await issueWith(s, subCaSigner(subca), key, profile, v[c.validity]);
    } else {
      const profile = localSelfSignedProfile({
        key,
        commonName: c.commonName,
        extendedKeyUsage: c.extendedKeyUsage,
        ...(c.subjectAltNames ? { subjectAltNames: c.subjectAltNames } : {}),
      });
      issued = await issueWith(s, { module, slot: c.slot }, key, profile, v.localYears);
    }
    await module.writeCertificate(c.slot, issued.cert.der);
    const file = join(entity, c.file);
    await s.write(file, toPem('CERTIFICATE', issued.cert.der));
    record(
      s,
      issued.cert,
      {
        issuer: c.kind === 'end-user' ? 'subca' : 'self',
        entity,
        slot: c.slot,
        type: c.type,
        role: c.role,
        subject: c.commonName,
        file,
        ...(c.kind === 'end-user' && c.factory ? { factory: true as const } : {}),
      },
      issued.notBefore,
      issued.notAfter,
    );
  }
}

/** CRL of `ca` from the draft, with its CRL number advanced; returns the PEM. */
async function makeCrl(s: Session, ca: 'root' | 'subca'): Promise<string> {
  const h = await caHandle(s, ca);
  const thisUpdate = new Date(Math.floor(s.clock.now() / 1000) * 1000);
  s.draft.crlNumber[ca] += 1;
  const der = await buildCrl({
    issuer: { module: h.module, slot: CA_SLOT, certificate: h.certificate },
    thisUpdate,
    nextUpdate: addDays(thisUpdate, s.draft.validity.crlDays),
    crlNumber: s.draft.crlNumber[ca],
    revoked: revokedBy(s.draft as TestPkiManifest, ca).map((e) => ({
      serial: e.serial,
      date: new Date(e.revoked?.date ?? thisUpdate),
      ...(e.revoked ? { reason: e.revoked.reason } : {}),
    })),
    hash: hashForIssuer(h.key),
  });
  return toPem('X509 CRL', der);
}

const README = `# Test Smart Metering PKI (OpenSMGW)

Made by \`smgw pki init\`. FOR TESTS ONLY: every keystore (keys.smgwks) sits next to the key
file that opens it (keystore.key), so these keys protect nothing. The layout and the profiles
are described in docs/pki.md of OpenSMGW; pki.json lists every certificate issued.
`;

/** Builds the whole test PKI in `tmp` (a fresh directory). */
async function buildPki(s: Session, gatewayId: string): Promise<void> {
  const step = async (label: string, fn: () => Promise<void>) => {
    const t = s.clock.monotonic();
    await fn();
    s.progress(`${label} (${Math.round(s.clock.monotonic() - t)} ms)`);
  };
  const v = s.draft.validity;
  const p = s.draft.publication;
  let root!: CaHandle;
  let subca!: CaHandle;

  await step(`root CA SM-Test-Root.CA: ${ROOT_CURVE}, ecdsa-with-SHA384, ${v.rootYears} y`, async () => {
    const module = await s.createEntity('root', 'root');
    const key = await s.generate('root', CA_SLOT, ROOT_CURVE);
    const profile = rootProfile({ keys: { subjectKey: key, issuerKey: key }, serialNumber: '1' });
    const r = await issueWith(s, { module, slot: CA_SLOT }, key, profile, v.rootYears);
    await module.writeCertificate(CA_SLOT, r.cert.der);
    await s.write('root/ca.crt.pem', toPem('CERTIFICATE', r.cert.der));
    await s.write('trust/roots.pem', toPem('CERTIFICATE', r.cert.der));
    record(
      s,
      r.cert,
      {
        issuer: 'self',
        entity: 'root',
        slot: CA_SLOT,
        type: 'ca',
        role: 'root',
        subject: 'SM-Test-Root.CA',
        file: 'root/ca.crt.pem',
      },
      r.notBefore,
      r.notAfter,
    );
    root = { module, certificate: r.cert.der, key };
  });

  await step(`Sub-CA SM-Test-Sub.CA: ${SUB_CA_CURVE}, signed by the root, ${v.subCaYears} y`, async () => {
    const module = await s.createEntity('subca', 'subca');
    const key = await s.generate('subca', CA_SLOT, SUB_CA_CURVE);
    const profile = subCaProfile({
      keys: { subjectKey: key, issuerKey: root.key },
      serialNumber: '1',
      crlDistributionPoint: p.rootCrlUrl,
      issuerAltName: [{ uri: p.rootAltName }],
    });
    const r = await issueWith(
      s,
      { module: root.module, slot: CA_SLOT, certificate: root.certificate },
      key,
      profile,
      v.subCaYears,
    );
    await module.writeCertificate(CA_SLOT, r.cert.der);
    await s.write('subca/ca.crt.pem', toPem('CERTIFICATE', r.cert.der));
    await s.write('subca/chain.pem', toPem('CERTIFICATE', r.cert.der) + toPem('CERTIFICATE', root.certificate));
    record(
      s,
      r.cert,
      {
        issuer: 'root',
        entity: 'subca',
        slot: CA_SLOT,
        type: 'ca',
        role: 'subca',
        subject: 'SM-Test-Sub.CA',
        file: 'subca/ca.crt.pem',
      },
      r.notBefore,
      r.notAfter,
    );
    subca = { module, certificate: r.cert.der, key };
  });

  for (const entity of initPlan(gatewayId)) {
    const n = entity.certificates.length;
    await step(`${entity.name}: ${n} certificate${n === 1 ? '' : 's'}`, async () => {
      await s.createEntity(entity.name, entity.kind);
      await issuePlanned(s, subca, entity.name, entity.certificates);
    });
  }

  await step('CRLs of root and Sub-CA', async () => {
    await writeCrls(s, ['root', 'subca'], false);
  });
  await s.write('README.md', README);
  await s.saveAll();
  await s.write(MANIFEST_FILE, serializeManifest(s.draft as TestPkiManifest));
}

/** Makes the CRLs of `cas` and writes them (atomically when `atomic`), plus trust/crls.pem. */
async function writeCrls(
  s: Session,
  cas: readonly ('root' | 'subca')[],
  atomic: boolean,
): Promise<Map<string, string>> {
  const pems = new Map<string, string>();
  for (const ca of cas) pems.set(`${ca}/ca.crl.pem`, await makeCrl(s, ca));
  if (atomic) await writeAtomic(s.path(MANIFEST_FILE), serializeManifest(s.draft as TestPkiManifest));
  for (const [rel, pem] of pems) {
    if (atomic) await writeAtomic(s.path(rel), pem);
    else await s.write(rel, pem);
  }
  const all =
    (pems.get('root/ca.crl.pem') ?? (await readFile(s.path('root/ca.crl.pem'), 'utf8'))) +
    (pems.get('subca/ca.crl.pem') ?? (await readFile(s.path('subca/ca.crl.pem'), 'utf8')));
  if (atomic) await writeAtomic(s.path('trust/crls.pem'), all);
  else await s.write('trust/crls.pem', all);
  return pems;
}

/** Replaces a file of the PKI atomically (atomic-file.ts); a failure is SMGW_PKI_IO. */
async function writeAtomic(path: string, data: string | Uint8Array): Promise<void> {
  try {
    await replaceFileAtomically(path, data, 0o644);
  } catch (e) {
    throw ioError(`cannot write ${path}`, e);
  }
}

function ioError(message: string, cause: unknown): PkiError {
  if (cause instanceof PkiError) return cause;
  const detail = cause instanceof Error ? `: ${cause.message}` : '';
  return new PkiError('SMGW_PKI_IO', `${message}${detail}`, { cause });
}

async function isNonEmptyDir(dir: string): Promise<'missing' | 'empty' | 'non-empty' | 'file'> {
  try {
    const st = await stat(dir);
    if (!st.isDirectory()) return 'file';
    return (await readdir(dir)).length === 0 ? 'empty' : 'non-empty';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'missing';
    throw ioError(`cannot read ${dir}`, e);
  }
}

/**
 * Creates the test SM-PKI in `dir` (layout: docs/pki.md). Refuses an existing non-empty `dir`
 * unless `force`. Everything is built in a temporary directory beside `dir` and renamed into
 * place at the end, so a failure leaves `dir` as it was.
 */
export async function initTestPki(dir: string, options: InitTestPkiOptions = {}): Promise<InitTestPkiResult> {
  const clock = options.clock ?? systemClock;
  const started = clock.monotonic();
  const target = resolve(dir);
  const gatewayId = checkGatewayId(options.gatewayId ?? DEFAULT_GATEWAY_ID);
  const validity = checkValidity(options.validity);
  const state = await isNonEmptyDir(target);
  if (state === 'file') throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `${target} exists and is not a directory`);
  if (state === 'non-empty' && !options.force) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `${target} exists and is not empty (use --force to replace it)`);
  }
  let tmp: string;
  try {
    await mkdir(dirname(target), { recursive: true });
    tmp = await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  } catch (e) {
    throw ioError(`cannot create a directory beside ${target}`, e);
  }
  const draft: Draft = {
    version: 1,
    created: new Date(clock.now()).toISOString(),
    gatewayId,
    validity,
    publication: { ...DEFAULT_PUBLICATION, ...options.publication },
    nextSerial: 1,
    entities: {},
    issued: [],
    crlNumber: { root: 0, subca: 0 },
  };
  const s = new Session(tmp, draft, clock, options.progress ?? (() => {}));
  try {
    await buildPki(s, gatewayId);
    await s.closeAll();
    await moveIntoPlace(tmp, target, state);
  } catch (e) {
    await s.closeAll().catch(() => {});
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof PkiError || (e instanceof Error && (e as { code?: string }).code?.startsWith('SMGW_'))) throw e;
    throw ioError(`cannot create the test PKI in ${target}`, e);
  }
  return {
    dir: target,
    files: [...s.files].sort(),
    elapsedMs: clock.monotonic() - started,
    manifest: draft as TestPkiManifest,
  };
}

async function moveIntoPlace(tmp: string, target: string, state: 'missing' | 'empty' | 'non-empty'): Promise<void> {
  if (state === 'empty') await rmdir(target);
  if (state !== 'non-empty') {
    await rename(tmp, target);
    return;
  }
  // --force: swap the old directory out, the new one in, then delete the old one.
  const old = `${tmp}.old`;
  await rename(target, old);
  try {
    await rename(tmp, target);
  } catch (e) {
    await rename(old, target);
    throw e;
  }
  await rm(old, { recursive: true, force: true });
}

// ---- changes to an existing PKI ------------------------------------------------------------

export async function readManifest(dir: string): Promise<TestPkiManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (e) {
    throw ioError(`cannot read ${join(dir, MANIFEST_FILE)} (is ${dir} a test PKI made by smgw pki init?)`, e);
  }
  return parseManifest(text);
}

/** Runs `fn` on a session of `dir` under its lock file; saves keystores and closes them after. */
async function withPki<T>(dir: string, options: TestPkiOptions, fn: (s: Session) => Promise<T>): Promise<T> {
  const target = resolve(dir);
  const manifest = await readManifest(target);
  const lock = join(target, '.lock');
  try {
    await (await open(lock, 'wx')).close();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      throw new PkiError('SMGW_PKI_IO', `${target} is locked by another command (remove ${lock} if none runs)`);
    }
    throw ioError(`cannot lock ${target}`, e);
  }
  const draft = structuredClone(manifest) as unknown as Draft;
  const s = new Session(target, draft, options.clock ?? systemClock, options.progress ?? (() => {}));
  try {
    const out = await fn(s);
    await s.saveAll();
    return out;
  } finally {
    await s.closeAll().catch(() => {});
    await rm(lock, { force: true });
  }
}

export interface IssueFromCsrOptions extends TestPkiOptions {
  /** DER or PEM PKCS#10 request. */
  readonly csr: Uint8Array | string;
  readonly role: EndUserRole;
  readonly type: EndUserType;
  /** Name recorded in the manifest (default `external`). */
  readonly entity?: string;
  /** Slot the requester keeps the key in, for the manifest. */
  readonly slot?: string;
  /** SAN for GWA/GWH/EMT when the request carries none (default: the CN in lower case). */
  readonly subjectAltNames?: readonly GeneralNameSpec[];
}

export interface IssuedResult {
  readonly der: Uint8Array;
  readonly entry: ManifestIssued;
}

/**
 * Issues an end-user certificate from a PKCS#10 request: checks its self-signature (proof of
 * possession) and that its CN carries the role suffix; the CA decides everything else (O, C,
 * extensions per profile; only a requested SubjectAltName is taken over). Keeps a copy in
 * DIR/issued/<serial>.crt.pem.
 */
export async function issueFromCsr(dir: string, o: IssueFromCsrOptions): Promise<IssuedResult> {
  const der = readDerObjects(o.csr, 'CERTIFICATE REQUEST')[0];
  if (!der) throw new PkiError('SMGW_PKI_MALFORMED', 'no certificate request');
  const csr = readVerifiedCsr(der);
  const cn = csr.commonName;
  if (cn === undefined || !commonNameFitsRole(cn, o.role)) {
    throw new PkiError(
      'SMGW_PKI_BAD_ARGUMENT',
      `the request's CN ${JSON.stringify(cn ?? null)} does not have the ${o.role} form <name>.${o.role} (spec notes §4)`,
    );
  }
  if (csr.publicKey.curve !== END_USER_CURVE) {
    throw new PkiError(
      'SMGW_PKI_BAD_ARGUMENT',
      `end-user keys are ${END_USER_CURVE} (spec notes §3.3), not ${csr.publicKey.curve}`,
    );
  }
  const requestedSan = csr.requestedExtensions.find((e) => e.oid === EXTENSION_OIDS.subjectAltName);
  const san = SAN_REQUIRED[o.role]
    ? requestedSan
      ? undefined
      : (o.subjectAltNames ?? [{ dns: cn.toLowerCase() }])
    : undefined;
  return withPki(dir, o, async (s) => {
    const subca = await caHandle(s, 'subca');
    const years = endUserYears(s.draft.validity, o.role);
    let profile = endUserProfileOf(s, subca, csr.publicKey, {
      role: o.role,
      type: o.type,
      commonName: cn,
      ...(san ? { subjectAltNames: san } : {}),
    });
    if (requestedSan) {
      // The requested SubjectAltName is taken over verbatim, where the profile puts the SAN.
      const extensions = [...profile.extensions];
      const at = extensions.findIndex((e) => e.oid === EXTENSION_OIDS.issuerAltName);
      extensions.splice(at, 0, { oid: requestedSan.oid, critical: false, value: requestedSan.value });
      profile = { ...profile, extensions };
    }
    const issued = await issueWith(s, subCaSigner(subca), csr.publicKey, profile, years);
    const certDer = issued.cert.der;
    const serial = parseCertificate(certDer).serial;
    const file = join('issued', `${serial}.crt.pem`);
    await mkdir(s.path('issued'), { recursive: true });
    await writeAtomic(s.path(file), toPem('CERTIFICATE', certDer));
    const entry = record(
      s,
      { der: certDer, serialHex: serial },
      {
        issuer: 'subca',
        entity: o.entity ?? 'external',
        ...(o.slot ? { slot: o.slot } : {}),
        type: o.type,
        role: o.role,
        subject: cn,
        file,
      },
      issued.notBefore,
      issued.notAfter,
    );
    await writeAtomic(s.path(MANIFEST_FILE), serializeManifest(s.draft as TestPkiManifest));
    s.progress(`issued ${o.role} ${o.type} certificate ${serial} for ${cn}`);
    return { der: certDer, entry };
  });
}

export interface IssueEntityOptions extends TestPkiOptions {
  readonly entity: string;
  readonly role: EndUserRole;
  /** Default `<entity>.<ROLE>`. */
  readonly commonName?: string;
  /** GWA/GWH/EMT only; default DNS `<entity>.opensmgw.test`. */
  readonly subjectAltNames?: readonly GeneralNameSpec[];
}

/**
 * A new entity DIR/<entity> with its own keystore and a TLS/SIG/ENC triplet from the Sub-CA
 * (slots wan-tls/-sig/-enc, files tls/sig/enc.crt.pem). Built in a temporary directory inside
 * DIR and renamed into place before the manifest records it.
 */
export async function issueEntity(dir: string, o: IssueEntityOptions): Promise<readonly ManifestIssued[]> {
  const entity = checkEntityName(o.entity);
  const commonName = o.commonName ?? `${entity}.${o.role}`;
  if (!commonNameFitsRole(commonName, o.role)) {
    throw new PkiError(
      'SMGW_PKI_BAD_ARGUMENT',
      `CN ${JSON.stringify(commonName)} does not have the form <name>.${o.role}`,
    );
  }
  return withPki(dir, o, async (s) => {
    if (s.draft.entities[entity] || (await isNonEmptyDir(s.path(entity))) !== 'missing') {
      throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `entity ${entity} exists already in ${s.dir}`);
    }
    const subca = await caHandle(s, 'subca');
    const san = SAN_REQUIRED[o.role] ? (o.subjectAltNames ?? [{ dns: `${entity}.opensmgw.test` }]) : undefined;
    const plan = tripletPlan({
      role: o.role,
      commonName,
      ...(san ? { subjectAltNames: san } : {}),
      validity: o.role === 'SMGW' ? 'gatewayYears' : 'endUserYears',
    });
    // Build under a temporary name inside DIR, rename at the end.
    const tmpName = `.${entity}.tmp-${randomBytes(4).toString('hex')}`;
    const before = s.draft.issued.length;
    await s.createEntity(tmpName, ROLE_KIND[o.role]);
    try {
      await issuePlanned(s, subca, tmpName, plan);
      await s.modules.get(tmpName)?.save();
      await s.modules.get(tmpName)?.close();
      s.modules.delete(tmpName);
      await rename(s.path(tmpName), s.path(entity));
    } catch (e) {
      await rm(s.path(tmpName), { recursive: true, force: true });
      throw e;
    }
    // Rename the temporary entity in the draft to its real name.
    const planned = s.draft.entities[tmpName];
    delete s.draft.entities[tmpName];
    if (planned) s.draft.entities[entity] = { ...planned, dir: entity };
    for (let i = before; i < s.draft.issued.length; i++) {
      const e = s.draft.issued[i];
      if (e) s.draft.issued[i] = { ...e, entity, file: join(entity, basename(e.file)) };
    }
    try {
      await writeAtomic(s.path(MANIFEST_FILE), serializeManifest(s.draft as TestPkiManifest));
    } catch (e) {
      await rm(s.path(entity), { recursive: true, force: true });
      throw e;
    }
    s.progress(`entity ${entity}: ${o.role} triplet for ${commonName}`);
    return s.draft.issued.slice(before);
  });
}

/**
 * Revokes the certificate with `serial` (hex): records it in the manifest and regenerates the
 * issuer's CRL. Self-signed certificates (root, LMN, HAN) cannot be revoked by CRL: SMGW_PKI_BAD_ARGUMENT.
 */
export async function revoke(
  dir: string,
  serial: string,
  reason: CrlReasonName = 'unspecified',
  options: TestPkiOptions = {},
): Promise<ManifestIssued> {
  const hex = normaliseSerialHex(serial);
  if (!isCrlReasonName(reason)) throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `unknown revocation reason ${reason}`);
  return withPki(dir, options, async (s) => {
    const i = s.draft.issued.findIndex((e) => e.serial === hex);
    const e = s.draft.issued[i];
    if (!e) throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `no certificate with serial ${hex} in ${s.dir}`);
    if (e.issuer === 'self') {
      throw new PkiError(
        'SMGW_PKI_BAD_ARGUMENT',
        `certificate ${hex} is self-signed; no CRL can revoke it (unpin it instead)`,
      );
    }
    if (e.revoked) throw new PkiError('SMGW_PKI_BAD_ARGUMENT', `certificate ${hex} was revoked on ${e.revoked.date}`);
    const revoked: ManifestIssued = {
      ...e,
      revoked: { date: new Date(Math.floor(s.clock.now() / 1000) * 1000).toISOString(), reason },
    };
    s.draft.issued[i] = revoked;
    await writeCrls(s, [e.issuer], true);
    s.progress(`revoked ${hex} (${e.subject}, ${reason}); ${e.issuer} CRL number ${s.draft.crlNumber[e.issuer]}`);
    return revoked;
  });
}

/** The serial (hex) of a certificate file, for `revoke --cert`. */
export function serialOfCertificate(content: Uint8Array | string): string {
  const cert = parseCertificates(content)[0];
  if (!cert) throw new PkiError('SMGW_PKI_MALFORMED', 'no certificate');
  return cert.serial;
}

/** Re-signs both CRLs with fresh thisUpdate/nextUpdate and the next CRL numbers. */
export async function regenerateCrls(
  dir: string,
  options: TestPkiOptions = {},
): Promise<{ readonly root: number; readonly subca: number }> {
  return withPki(dir, options, async (s) => {
    await writeCrls(s, ['root', 'subca'], true);
    s.progress(`CRLs re-signed: root number ${s.draft.crlNumber.root}, Sub-CA number ${s.draft.crlNumber.subca}`);
    return { ...s.draft.crlNumber };
  });
}
