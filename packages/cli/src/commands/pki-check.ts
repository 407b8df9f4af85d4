/**
 * `smgw pki lint` and `smgw pki verify`: check certificates against the TR-03109-4 profile
 * (lint, spec notes §4) and against a trust store (SM-PKI path validation with CRLs, or pinned
 * self-signed LMN/HAN certificates). The checks are @opensmgw/security's; this file reads files,
 * maps options to calls and results to text or JSON and an exit code (0 ok, 1 failed, 2 usage,
 * 3 io: exit-codes.ts).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { isSmgwError } from '@opensmgw/core';
import {
  type CertificateKind,
  commonName,
  type EndUserRole,
  type EndUserType,
  inferCertType,
  type LintFinding,
  lintCertificateDetailed,
  type ParsedCertificate,
  type ParsedCrl,
  type PathUsage,
  PkiError,
  parseCertificates,
  parseCrls,
  validatePath,
  validatePinned,
} from '@opensmgw/security';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EXIT } from '../exit-codes.js';
import { collect, examples, readInput, reportError } from './pki-command-io.js';

/** PEM text or a single DER object. */
function content(bytes: Buffer): Uint8Array | string {
  return bytes.length > 0 && bytes[0] === 0x30 ? new Uint8Array(bytes) : bytes.toString('latin1');
}

function choice<T extends string>(name: string, values: readonly T[]) {
  return (v: string): T => {
    if (!(values as readonly string[]).includes(v)) {
      throw new InvalidArgumentError(`${name}: ${JSON.stringify(v)} is not one of ${values.join(', ')}`);
    }
    return v as T;
  };
}

function isoDate(v: string): Date {
  const d = new Date(v);
  if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`--at: ${JSON.stringify(v)} is not an ISO date`);
  return d;
}

const KINDS = ['root', 'subca', 'crl-signer', 'end-user', 'local', 'lmn', 'han'] as const;
const TYPES: readonly EndUserType[] = ['tls', 'sig', 'enc'];
const ROLES: readonly EndUserRole[] = ['SMGW', 'GWA', 'GWH', 'EMT'];

// ---------------------------------------------------------------- lint

interface LintFlags {
  kind?: CertificateKind | 'lmn' | 'han';
  type?: EndUserType;
  issuer?: string;
  json?: boolean;
}

interface LintEntry {
  file: string;
  index: number;
  subject?: string;
  serial?: string;
  kind?: CertificateKind;
  role?: EndUserRole;
  type?: EndUserType;
  findings: LintFinding[];
  error?: { code: string; message: string };
}

function lintFile(file: string, flags: LintFlags, issuer: ParsedCertificate | undefined): LintEntry[] {
  let certs: ParsedCertificate[];
  try {
    certs = parseCertificates(content(readInput(file)));
  } catch (e) {
    if (isSmgwError(e) && e.code === 'SMGW_PKI_IO') throw e;
    const err = isSmgwError(e)
      ? { code: e.code, message: e.message }
      : { code: 'SMGW_CORE_INTERNAL', message: String(e) };
    return [{ file, index: 0, findings: [], error: err }];
  }
  return certs.map((cert, index) => {
    const options: { kind?: CertificateKind | 'lmn' | 'han'; type?: EndUserType; issuer?: ParsedCertificate } = {};
    if (flags.kind) options.kind = flags.kind;
    if (flags.type) options.type = flags.type;
    if (issuer) options.issuer = issuer;
    const r = lintCertificateDetailed(cert, options);
    const entry: LintEntry = {
      file,
      index,
      subject: cert.subject.text,
      serial: cert.serial,
      kind: r.kind,
      findings: [...r.findings],
    };
    if (r.role) entry.role = r.role;
    if (r.type) entry.type = r.type;
    return entry;
  });
}

function printLint(entries: readonly LintEntry[]): void {
  let out = '';
  for (const e of entries) {
    const where = `${e.file}${entries.filter((x) => x.file === e.file).length > 1 ? `#${e.index}` : ''}`;
    if (e.error) {
      out += `${where}: ${e.error.code}: ${e.error.message}\n`;
      continue;
    }
    const what = [e.kind, e.role, e.type?.toUpperCase()].filter(Boolean).join(' ');
    const errors = e.findings.filter((f) => f.severity === 'error').length;
    out += `${where}: ${e.subject} (${what}): ${errors === 0 && e.findings.length === 0 ? 'OK' : `${errors} error(s), ${e.findings.length - errors} warning(s)`}\n`;
    for (const f of e.findings) out += `  ${f.severity} ${f.rule}: ${f.message}\n    source: ${f.source}\n`;
  }
  const certs = entries.filter((e) => !e.error).length;
  const errors = entries.reduce(
    (n, e) => n + e.findings.filter((f) => f.severity === 'error').length + (e.error ? 1 : 0),
    0,
  );
  out += `${certs} certificate(s) checked, ${errors} error(s)\n`;
  process.stdout.write(out);
}

function registerLint(pki: Command): void {
  pki
    .command('lint')
    .summary('check certificates against the SM-PKI profile (TR-03109-4)')
    .description(
      [
        'Check every certificate in each FILE (PEM with one or more certificates, or DER)',
        'against the TR-03109-4 §A.2 profile rules (spec notes §4: naming, policy OID,',
        'required/forbidden extensions and their criticality, SAN per role, key usage per',
        'TLS/SIG/ENC, TR-03116-TS TLS_CERT_03/06/08), the signature parameters per issuer',
        '(spec notes §3.2) and, for self-signed LMN/HAN certificates, the local profile',
        '(self-signed, at most 7 years). Each finding names its rule id, says what is wrong',
        'and what the rule requires, and cites its source. The rule table is in',
        'docs/pki-lint.md.',
        '',
        'The kind (root, subca, crl-signer, end-user, local) is detected unless --kind is',
        'given; the type of an end-user certificate is inferred from KeyUsage/EKU unless',
        '--type is given. Exit code 0 when no finding is an error, 1 otherwise, 3 when a',
        'file cannot be read.',
      ].join('\n'),
    )
    .argument('<file...>', 'certificate files (PEM or DER)')
    .addOption(new Option('--kind <kind>', 'lint as this kind').argParser(choice('--kind', KINDS)))
    .addOption(new Option('--type <type>', 'end users: tls, sig or enc').argParser(choice('--type', TYPES)))
    .option('--issuer <file>', "issuer certificate: the signature hash must match its key's curve")
    .option('--json', 'print a JSON array of {file, index, subject, serial, kind, role, type, findings}')
    .addHelpText(
      'after',
      examples([
        'smgw pki lint pki/gwa/tls.crt.pem pki/gwa/sig.crt.pem pki/gwa/enc.crt.pem',
        'smgw pki lint --issuer pki/subca/ca.crt.pem pki/gateway/*.crt.pem',
        'smgw pki lint --kind lmn pki/meter-1/lmn-tls.crt.pem',
        'smgw pki lint --json pki/subca/chain.pem | jq ".[].findings[].rule"',
      ]),
    )
    .action((files: string[], flags: LintFlags) => {
      try {
        const issuer = flags.issuer ? parseCertificates(content(readInput(flags.issuer)))[0] : undefined;
        const entries = files.flatMap((f) => lintFile(f, flags, issuer));
        if (flags.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
        else printLint(entries);
        const failed = entries.some((e) => e.error || e.findings.some((f) => f.severity === 'error'));
        process.exitCode = failed ? EXIT.failed : EXIT.ok;
      } catch (e) {
        reportError(e);
      }
    });
}

// ---------------------------------------------------------------- verify

interface VerifyFlags {
  pki?: string;
  roots?: string;
  untrusted?: string[];
  crl?: string[];
  pinned?: string[];
  type?: EndUserType;
  eku?: 'serverAuth' | 'clientAuth';
  role?: EndUserRole[];
  at?: Date;
  crlCheck: boolean;
  json?: boolean;
}

function readCerts(file: string): ParsedCertificate[] {
  return parseCertificates(content(readInput(file)));
}

function readCrlFile(file: string): ParsedCrl[] {
  return parseCrls(content(readInput(file)));
}

/** The trust material of a test SM-PKI directory (layout contract in docs/pki.md). */
function trustFromPkiDir(dir: string): { roots: string[]; untrusted: string[]; crls: string[] } {
  const crls = existsSync(join(dir, 'trust/crls.pem'))
    ? [join(dir, 'trust/crls.pem')]
    : [join(dir, 'root/ca.crl.pem'), join(dir, 'subca/ca.crl.pem')];
  return { roots: [join(dir, 'trust/roots.pem')], untrusted: [join(dir, 'subca/chain.pem')], crls };
}

function describeCert(c: ParsedCertificate): string {
  return `${c.subject.text} (serial ${c.serial}, ${c.notBefore.toISOString()} .. ${c.notAfter.toISOString()})`;
}

function registerVerify(pki: Command): void {
  pki
    .command('verify')
    .summary('validate a certificate against SM-PKI roots and CRLs (or pinned certificates)')
    .description(
      [
        'Validate the certificate in FILE (further certificates in FILE are used as',
        'intermediates) the way every OpenSMGW TLS endpoint does: chain to a root by',
        'issuer name and AKI/SKI, signatures, validity at --at (default now), basic',
        'constraints and keyCertSign on issuers, the SM-PKI policy OID, role, key usage',
        'and extended key usage for --type/--eku, and revocation of every non-root',
        'certificate by a current CRL of its issuer.',
        '',
        'Trust: --pki DIR uses DIR/trust/roots.pem, DIR/subca/chain.pem and the CRLs',
        '(DIR/trust/crls.pem, or DIR/root/ca.crl.pem and DIR/subca/ca.crl.pem);',
        'or give --roots, --untrusted and --crl. --pinned FILE instead checks a self-signed',
        'LMN/HAN certificate against pinned certificates (exact match, validity,',
        'self-signature).',
        '',
        'Prints the chain and OK, or the error code and why. Exit code 0 when valid, 1 when',
        'not, 2 for bad options, 3 when a file cannot be read.',
      ].join('\n'),
    )
    .argument('<file>', 'certificate to check (PEM or DER)')
    .option('--pki <dir>', 'a test SM-PKI directory made by `smgw pki init`')
    .option('--roots <file>', 'trust anchors (PEM)')
    .option('--untrusted <file>', 'intermediate certificates (PEM), repeatable', collect)
    .option('--crl <file>', 'CRL file (PEM or DER), repeatable', collect)
    .option('--pinned <file>', 'pinned self-signed certificates (LMN/HAN), repeatable', collect)
    .addOption(
      new Option('--type <type>', 'tls, sig or enc (default: from KeyUsage/EKU)').argParser(choice('--type', TYPES)),
    )
    .addOption(
      new Option('--eku <purpose>', 'TLS side the certificate must allow').argParser(
        choice('--eku', ['serverAuth', 'clientAuth'] as const),
      ),
    )
    .addOption(
      new Option('--role <role>', 'required role (CN suffix), repeatable').argParser(
        (v: string, prev: EndUserRole[] = []) => [...prev, choice('--role', ROLES)(v)],
      ),
    )
    .option('--at <iso-date>', 'validation time (default now)', isoDate)
    .option('--no-crl-check', 'do not require CRLs (revocation is still checked where a CRL is given)')
    .option('--json', 'print {ok, chain, role, error} as JSON')
    .addHelpText(
      'after',
      examples([
        'smgw pki verify --pki ./pki --type tls --eku serverAuth pki/gwa/tls.crt.pem',
        'smgw pki verify --pki ./pki --role SMGW --eku clientAuth pki/gateway/tls.crt.pem',
        'smgw pki verify --roots pki/trust/roots.pem --untrusted pki/subca/chain.pem \\',
        '  --crl pki/root/ca.crl.pem --crl pki/subca/ca.crl.pem --at 2027-01-01T00:00:00Z pki/emt-1/sig.crt.pem',
        'smgw pki verify --pinned pki/meter-1/lmn-tls.crt.pem pki/meter-1/lmn-tls.crt.pem',
      ]),
    )
    .action((file: string, flags: VerifyFlags) => {
      try {
        verify(file, flags);
      } catch (e) {
        reportError(e);
      }
    });
}

function verify(file: string, flags: VerifyFlags): void {
  const sources = [flags.pki !== undefined, flags.roots !== undefined, flags.pinned !== undefined].filter(
    Boolean,
  ).length;
  if (sources !== 1) {
    throw new PkiError('SMGW_PKI_BAD_ARGUMENT', 'give exactly one of --pki DIR, --roots FILE or --pinned FILE');
  }
  if (flags.pki !== undefined && (flags.untrusted || flags.crl)) {
    throw new PkiError(
      'SMGW_PKI_BAD_ARGUMENT',
      '--pki DIR brings its own intermediates and CRLs; drop --untrusted/--crl',
    );
  }
  const [leaf, ...sent] = readCerts(file);
  if (!leaf) throw new PkiError('SMGW_PKI_MALFORMED', `${file}: no certificate`);
  const at = flags.at ?? new Date();
  const lines: string[] = [];
  const result: { ok: boolean; chain: string[]; role?: string; error?: { code: string; message: string } } = {
    ok: false,
    chain: [],
  };
  try {
    if (flags.pinned) {
      const pinned = flags.pinned.flatMap(readCerts);
      const cert = validatePinned(leaf, pinned, at);
      result.chain = [describeCert(cert)];
    } else {
      const trust =
        flags.pki !== undefined
          ? trustFromPkiDir(flags.pki)
          : { roots: [flags.roots as string], untrusted: flags.untrusted ?? [], crls: flags.crl ?? [] };
      const roots = trust.roots.flatMap(readCerts);
      const intermediates = [...sent, ...trust.untrusted.flatMap(readCerts)];
      const crls = trust.crls.flatMap(readCrlFile);
      const usage: { role?: EndUserRole[]; type: EndUserType; eku?: 'serverAuth' | 'clientAuth' } = {
        type: flags.type ?? inferCertType(leaf),
      };
      if (flags.role) usage.role = flags.role;
      if (flags.eku) usage.eku = flags.eku;
      const r = validatePath({
        leaf,
        intermediates,
        roots,
        crls,
        at,
        usage: usage as PathUsage,
        requireCrl: flags.crlCheck,
      });
      result.chain = r.chain.map(describeCert);
      if (r.role) result.role = r.role;
      lines.push(
        `usage: ${usage.type.toUpperCase()}${usage.eku ? ` ${usage.eku}` : ''}${r.role ? `, role ${r.role}` : ''}`,
      );
    }
    result.ok = true;
  } catch (e) {
    if (!(e instanceof PkiError) || e.code === 'SMGW_PKI_IO' || e.code === 'SMGW_PKI_BAD_ARGUMENT') throw e;
    result.error = { code: e.code, message: e.message };
    result.chain = [describeCert(leaf)];
  }
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  } else {
    let out = `${file}: ${commonName(leaf.subject) ?? leaf.subject.text}, checked at ${at.toISOString()}\n`;
    result.chain.forEach((c, i) => {
      out += `  [${i}] ${c}\n`;
    });
    for (const l of lines) out += `  ${l}\n`;
    out += result.ok ? 'OK\n' : `FAILED: ${result.error?.code}: ${result.error?.message}\n`;
    process.stdout.write(out);
  }
  process.exitCode = result.ok ? EXIT.ok : EXIT.failed;
}

export function registerPkiCheckCommands(pki: Command): void {
  registerLint(pki);
  registerVerify(pki);
}
