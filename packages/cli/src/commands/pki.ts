/**
 * `smgw pki ...`: the test Smart Metering PKI (issue 3, part 2): init, issue, revoke, crl, csr.
 * `lint` and `verify` live in pki-check.ts. The work is done by @opensmgw/security; this file maps
 * options to calls and errors to one line `error: <code>: <message>` and an exit code.
 */
import {
  buildCsr,
  CRL_REASONS,
  type CrlReasonName,
  CURVE_NAMES,
  type CurveName,
  DEFAULT_GATEWAY_ID,
  END_USER_ROLES,
  END_USER_TYPES,
  type EndUserRole,
  type EndUserType,
  type GeneralNameSpec,
  initTestPki,
  issueEntity,
  issueFromCsr,
  NAME_ATTRIBUTE_OIDS,
  type NameAttribute,
  type NameAttributeType,
  PkiError,
  regenerateCrls,
  revoke,
  SoftwareSecurityModule,
  serialOfCertificate,
  subjectAltNameExtension,
  type TestPkiValidity,
  toPem,
} from '@opensmgw/security';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EXIT } from '../exit-codes.js';
import { registerPkiCheckCommands } from './pki-check.js';
import { collect, examples, readInput, reportError, writeOutput } from './pki-command-io.js';

/** Runs a command body; every error becomes one line on stderr and an exit code. */
function run<A extends unknown[]>(body: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await body(...args);
      process.exitCode ??= EXIT.ok;
    } catch (e) {
      reportError(e);
    }
  };
}

function usage(message: string): PkiError {
  return new PkiError('SMGW_PKI_BAD_ARGUMENT', message);
}

/** `--san dns:x`, `uri:x`, `email:x`, `ip:x`, or a bare DNS name. */
function parseSan(values: readonly string[] | undefined): GeneralNameSpec[] | undefined {
  if (!values || values.length === 0) return undefined;
  return values.map((v) => {
    const m = /^(dns|uri|email|ip):(.+)$/i.exec(v);
    if (!m) return { dns: v };
    const value = m[2] ?? '';
    switch ((m[1] ?? '').toLowerCase()) {
      case 'uri':
        return { uri: value };
      case 'email':
        return { email: value };
      case 'ip':
        return { ip: value };
      default:
        return { dns: value };
    }
  });
}

/** `CN=x.GWA,O=SM-Test-PKI-DE,C=DE` (or `/C=DE/O=.../CN=...`) in the order given. No escaping. */
export function parseSubject(text: string): NameAttribute[] {
  const parts = text.startsWith('/') ? text.slice(1).split('/') : text.split(',');
  const out: NameAttribute[] = [];
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') continue;
    const eq = part.indexOf('=');
    const type = part.slice(0, eq).trim();
    const value = part.slice(eq + 1).trim();
    if (eq <= 0 || !Object.hasOwn(NAME_ATTRIBUTE_OIDS, type) || value === '') {
      throw usage(
        `subject part ${JSON.stringify(part)}: use TYPE=value with TYPE one of ${Object.keys(NAME_ATTRIBUTE_OIDS).join(', ')}`,
      );
    }
    out.push({ type: type as NameAttributeType, value });
  }
  if (out.length === 0) throw usage('empty subject');
  return out;
}

function positiveNumber(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new InvalidArgumentError(`${name}: ${JSON.stringify(v)} is not a positive number`);
    return n;
  };
}

interface InitFlags {
  gatewayId: string;
  force?: boolean;
  rootYears?: number;
  subcaYears?: number;
  endUserYears?: number;
  gatewayYears?: number;
  factoryYears?: number;
  localYears?: number;
  crlDays?: number;
}

function registerInit(pki: Command): void {
  pki
    .command('init')
    .summary('create a complete test SM-PKI in a directory')
    .description(
      [
        'Create a test Smart Metering PKI in DIR: root CA (brainpoolP384r1,',
        'ecdsa-with-SHA384), Sub-CA (brainpoolP256r1), both CRLs, TLS/SIG/ENC',
        'certificate triplets for one GWA, two EMTs and the gateway, the',
        "gateway's factory triplet, and self-signed LMN/HAN certificates for",
        'the gateway, a wired meter and a HAN consumer (at most 7 years).',
        'Every entity gets its own sealed keystore and the key file that opens',
        'it: FOR TESTS ONLY. The layout and profiles are in docs/pki.md.',
        '',
        'The PKI is built in a temporary directory beside DIR and renamed into',
        'place; an existing non-empty DIR is refused unless --force is given.',
        'Progress goes to stderr, a summary (files, elapsed ms) to stdout.',
      ].join('\n'),
    )
    .argument('<dir>', 'directory to create')
    .option('--gateway-id <id>', 'DKE/FLAG gateway ID: E or e + 3 letters + 10 digits', DEFAULT_GATEWAY_ID)
    .option('--force', 'replace an existing non-empty directory')
    .option('--root-years <n>', 'root validity in years (default 10)', positiveNumber('--root-years'))
    .option('--subca-years <n>', 'Sub-CA validity in years (default 7)', positiveNumber('--subca-years'))
    .option('--end-user-years <n>', 'GWA/EMT validity in years (default 2)', positiveNumber('--end-user-years'))
    .option('--gateway-years <n>', 'gateway operational triplet, years (default 7)', positiveNumber('--gateway-years'))
    .option('--factory-years <n>', 'gateway factory triplet, years (default 7)', positiveNumber('--factory-years'))
    .option(
      '--local-years <n>',
      'self-signed LMN/HAN certificates, years (default and max 7)',
      positiveNumber('--local-years'),
    )
    .option('--crl-days <n>', 'CRL nextUpdate after thisUpdate, days (default 30)', positiveNumber('--crl-days'))
    .addHelpText(
      'after',
      examples([
        'smgw pki init ./pki',
        'smgw pki init ./pki --gateway-id ETHE0300004261 --force',
        'openssl verify -CAfile pki/trust/roots.pem -untrusted pki/subca/ca.crt.pem \\',
        '  -crl_check_all -CRLfile pki/trust/crls.pem pki/gateway/tls.crt.pem',
      ]),
    )
    .action(
      run(async (dir: string, flags: InitFlags) => {
        const validity: Partial<Record<keyof TestPkiValidity, number>> = {};
        const map: [keyof InitFlags, keyof TestPkiValidity][] = [
          ['rootYears', 'rootYears'],
          ['subcaYears', 'subCaYears'],
          ['endUserYears', 'endUserYears'],
          ['gatewayYears', 'gatewayYears'],
          ['factoryYears', 'factoryYears'],
          ['localYears', 'localYears'],
          ['crlDays', 'crlDays'],
        ];
        for (const [flag, key] of map) if (typeof flags[flag] === 'number') validity[key] = flags[flag] as number;
        const r = await initTestPki(dir, {
          gatewayId: flags.gatewayId,
          force: flags.force === true,
          validity,
          progress: (line) => process.stderr.write(`  ${line}\n`),
        });
        process.stdout.write(
          `created test SM-PKI in ${r.dir}: ${r.files.length} files, ${r.manifest.issued.length} certificates, ${Math.round(r.elapsedMs)} ms (goal: under 5000 ms)\n`,
        );
      }),
    );
}

interface IssueFlags {
  csr?: string;
  role: EndUserRole;
  type?: EndUserType;
  out?: string;
  entity?: string;
  slot?: string;
  cn?: string;
  san?: string[];
}

function registerIssue(pki: Command): void {
  pki
    .command('issue')
    .summary('issue end-user certificates from a CSR, or a new entity with keys and a triplet')
    .description(
      [
        'Two forms:',
        '',
        '  --csr FILE --role ROLE --type TYPE --out FILE',
        '      Check the PKCS#10 request (self-signature, CN of the form',
        '      <name>.ROLE, brainpoolP256r1 key) and have the Sub-CA issue one',
        '      certificate to it per the SM-PKI profile. A SubjectAltName in the',
        '      request is taken over (GWA/GWH/EMT); else --san, else the CN in',
        '      lower case. A copy is kept in DIR/issued/<serial>.crt.pem.',
        '',
        '  --entity NAME --role ROLE [--cn CN] [--san NAME]...',
        '      Make DIR/NAME with a new keystore, keys in slots wan-tls/-sig/-enc',
        '      and a TLS/SIG/ENC triplet (tls/sig/enc.crt.pem). CN defaults to',
        '      NAME.ROLE, the SAN (not for SMGW) to NAME.opensmgw.test.',
      ].join('\n'),
    )
    .argument('<dir>', 'the test PKI (made by smgw pki init)')
    .addOption(new Option('--role <role>', 'end-user role').choices(END_USER_ROLES).makeOptionMandatory())
    .addOption(new Option('--type <type>', 'certificate type (with --csr)').choices(END_USER_TYPES))
    .option('--csr <file>', 'PKCS#10 request, PEM or DER')
    .option('--out <file>', 'where to write the certificate (PEM, with --csr)')
    .option('--entity <name>', 'new entity directory; with --csr: name recorded in pki.json')
    .option('--slot <slot>', 'with --csr: the slot the requester keeps the key in (recorded in pki.json)')
    .option('--cn <cn>', 'with --entity: common name (default NAME.ROLE)')
    .option('--san <name>', 'SubjectAltName dns:x, uri:x, email:x, ip:x or a DNS name (repeatable)', collect)
    .addHelpText(
      'after',
      examples([
        'smgw pki issue ./pki --csr gwa.csr.pem --role GWA --type tls --out gwa-tls.crt.pem',
        'smgw pki issue ./pki --entity emt-3 --role EMT --cn OpenSMGW-Test-3.EMT --san emt-3.opensmgw.test',
      ]),
    )
    .action(
      run(async (dir: string, flags: IssueFlags) => {
        const san = parseSan(flags.san);
        if (flags.csr !== undefined) {
          if (flags.type === undefined || flags.out === undefined) throw usage('--csr needs --type and --out');
          if (flags.cn !== undefined) throw usage('--cn is for --entity; the CN of a request is its own');
          const r = await issueFromCsr(dir, {
            csr: readInput(flags.csr),
            role: flags.role,
            type: flags.type,
            ...(flags.entity !== undefined ? { entity: flags.entity } : {}),
            ...(flags.slot !== undefined ? { slot: flags.slot } : {}),
            ...(san ? { subjectAltNames: san } : {}),
          });
          writeOutput(flags.out, toPem('CERTIFICATE', r.der));
          process.stdout.write(
            `issued ${flags.role} ${flags.type} certificate serial ${r.entry.serial} for ${r.entry.subject}, valid until ${r.entry.notAfter}: ${flags.out}\n`,
          );
          return;
        }
        if (flags.entity === undefined) throw usage('give --csr FILE or --entity NAME');
        if (flags.type !== undefined || flags.out !== undefined) throw usage('--type and --out are for --csr');
        const issued = await issueEntity(dir, {
          entity: flags.entity,
          role: flags.role,
          ...(flags.cn !== undefined ? { commonName: flags.cn } : {}),
          ...(san ? { subjectAltNames: san } : {}),
        });
        for (const e of issued) process.stdout.write(`issued ${e.role} ${e.type} serial ${e.serial}: ${e.file}\n`);
      }),
    );
}

interface RevokeFlags {
  serial?: string;
  cert?: string;
  reason: CrlReasonName;
}

function registerRevoke(pki: Command): void {
  pki
    .command('revoke')
    .summary('revoke a certificate and re-sign its issuer CRL')
    .description(
      [
        'Mark a certificate of the test PKI as revoked in pki.json and re-sign',
        "its issuer's CRL (the Sub-CA's for end users, the root's for the Sub-CA)",
        'with the next CRL number. Self-signed LMN/HAN certificates cannot be',
        'revoked by a CRL: their peers pin them.',
      ].join('\n'),
    )
    .argument('<dir>', 'the test PKI')
    .option('--serial <hex>', 'serial number in hex (colons and 0x allowed)')
    .option('--cert <file>', 'the certificate file (PEM or DER) instead of --serial')
    .addOption(new Option('--reason <reason>', 'CRL reason code').choices(CRL_REASONS).default('unspecified'))
    .addHelpText(
      'after',
      examples([
        'smgw pki revoke ./pki --cert pki/gwa/tls.crt.pem --reason keyCompromise',
        'smgw pki revoke ./pki --serial 0000000c5f3a...',
      ]),
    )
    .action(
      run(async (dir: string, flags: RevokeFlags) => {
        if ((flags.serial === undefined) === (flags.cert === undefined))
          throw usage('give exactly one of --serial and --cert');
        const serial = flags.serial ?? serialOfCertificate(readInput(flags.cert ?? ''));
        const e = await revoke(dir, serial, flags.reason);
        process.stdout.write(`revoked ${e.serial} (${e.subject}, ${flags.reason}); ${e.issuer} CRL re-signed\n`);
      }),
    );
}

function registerCrl(pki: Command): void {
  pki
    .command('crl')
    .summary('re-sign both CRLs with fresh dates')
    .description(
      [
        'Re-sign the root and Sub-CA CRLs from pki.json with thisUpdate = now,',
        'nextUpdate = now + the configured CRL days, and the next CRL numbers.',
        'Run it before the CRLs expire (openssl verify -crl_check then fails).',
      ].join('\n'),
    )
    .argument('<dir>', 'the test PKI')
    .addHelpText('after', examples(['smgw pki crl ./pki']))
    .action(
      run(async (dir: string) => {
        const n = await regenerateCrls(dir);
        process.stdout.write(`CRLs re-signed: root number ${n.root}, Sub-CA number ${n.subca}\n`);
      }),
    );
}

interface CsrFlags {
  keystore: string;
  keyFile?: string;
  pinEnv?: string;
  slot: string;
  subject: string;
  san?: string[];
  newKey?: CurveName;
  out: string;
}

function registerCsr(pki: Command): void {
  pki
    .command('csr')
    .summary('make a PKCS#10 request signed by a key inside a security module')
    .description(
      [
        'Make a PKCS#10 certificate request for the key in SLOT of a software',
        'keystore, signed inside the module (the private key never leaves it).',
        'With --new-key CURVE a key is generated in an empty slot first.',
        'The subject is TYPE=value pairs separated by commas (no escaping),',
        'TYPE one of C, ST, L, O, OU, CN, serialNumber.',
      ].join('\n'),
    )
    .requiredOption('--keystore <file>', 'software keystore file (.smgwks)')
    .option('--key-file <file>', 'key file that opens the keystore')
    .option('--pin-env <var>', 'environment variable that holds the PIN')
    .requiredOption('--slot <slot>', 'slot of the key, e.g. wan-tls')
    .requiredOption('--subject <dn>', 'subject, e.g. "C=DE,O=SM-Test-PKI-DE,CN=OpenSMGW-Test.GWA"')
    .option('--san <name>', 'requested SubjectAltName dns:x, uri:x, email:x, ip:x or a DNS name (repeatable)', collect)
    .addOption(new Option('--new-key <curve>', 'generate a key in the (empty) slot first').choices(CURVE_NAMES))
    .requiredOption('--out <file>', 'where to write the request (PEM)')
    .addHelpText(
      'after',
      examples([
        'smgw pki csr --keystore pki/gwa/keys.smgwks --key-file pki/gwa/keystore.key \\',
        '  --slot wan-tls-next --new-key brainpoolP256r1 \\',
        '  --subject "C=DE,O=SM-Test-PKI-DE,CN=OpenSMGW-Test.GWA" --san gwa.opensmgw.test --out gwa.csr.pem',
        'SMGW_PIN=1234567890 smgw pki csr --keystore gw.smgwks --pin-env SMGW_PIN --slot wan-tls \\',
        '  --subject "CN=EOSM0100000001.SMGW" --out gw.csr.pem',
      ]),
    )
    .action(
      run(async (flags: CsrFlags) => {
        if ((flags.keyFile === undefined) === (flags.pinEnv === undefined)) {
          throw usage('give exactly one of --key-file and --pin-env');
        }
        let pin: string | undefined;
        if (flags.pinEnv !== undefined) {
          pin = process.env[flags.pinEnv];
          if (pin === undefined || pin === '') throw usage(`environment variable ${flags.pinEnv} is not set`);
        }
        const subject = parseSubject(flags.subject);
        const san = parseSan(flags.san);
        const module = await SoftwareSecurityModule.open({
          path: flags.keystore,
          ...(pin !== undefined ? { pin } : { keyFile: flags.keyFile ?? '' }),
        });
        try {
          if (flags.newKey !== undefined) await module.generateKeyPair(flags.slot, flags.newKey);
          const der = await buildCsr({
            module,
            slot: flags.slot,
            subject,
            ...(san ? { extensions: [subjectAltNameExtension(san)] } : {}),
          });
          writeOutput(flags.out, toPem('CERTIFICATE REQUEST', der));
          process.stdout.write(`wrote request for slot ${flags.slot} (${flags.subject}): ${flags.out}\n`);
        } finally {
          await module.close();
        }
      }),
    );
}

export function registerPki(program: Command): void {
  const pki = program
    .command('pki')
    .description('test Smart Metering PKI: init, issue, revoke, crl, csr, lint, verify');
  registerInit(pki);
  registerIssue(pki);
  registerRevoke(pki);
  registerCrl(pki);
  registerCsr(pki);
  registerPkiCheckCommands(pki);
}
