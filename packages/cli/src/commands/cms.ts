/**
 * `smgw cms seal|open|print`: the CMS containers of spec notes §3.7 (docs/cms.md) from the
 * command line, for test labs and head-end developers: seal a payload for EMTs with a gateway's
 * keys, open a container with a recipient's keys (sender pinned or validated against a test
 * SM-PKI), and outline a container without any key. The work is @opensmgw/security's; this file
 * maps options to calls and errors to one line `error: <code>: <message>` and an exit code
 * (0 ok, 1 the container failed a check, 2 usage, 3 a file could not be read or written).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  CmsError,
  CONTENT_ENCRYPTIONS,
  type ContentEncryption,
  commonName,
  openContainer,
  outlineContainer,
  PkiError,
  parseCertificate,
  parsePemBlocks,
  readDerObjects,
  type SenderValidator,
  sealContainer,
  toPem,
  validatePath,
} from '@opensmgw/security';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { collect, examples, readInput } from './pki-command-io.js';
import {
  type KeystoreFlags,
  keystoreOpening,
  keystoreOptions,
  openKeystore,
  readBytes,
  readCertificate,
  readCertificates,
  run,
  writeWhole,
} from './security-command-io.js';

/** A container as DER: raw DER (first byte SEQUENCE) or the first PEM block labelled CMS or PKCS7. */
function containerDer(bytes: Uint8Array, source: string): Uint8Array {
  if (bytes[0] === 0x30) return bytes;
  const block = parsePemBlocks(Buffer.from(bytes).toString('latin1')).find(
    (b) => b.label === 'CMS' || b.label === 'PKCS7',
  );
  if (block === undefined) throw new CmsError('SMGW_CMS_MALFORMED', `${source}: neither DER nor a CMS PEM block`);
  return block.der;
}

function describeSender(der: Uint8Array): string {
  try {
    const c = parseCertificate(der);
    return `${commonName(c.subject) ?? c.subject.text} (serial ${c.serial}, issuer ${c.issuer.text})`;
  } catch {
    // opening succeeded, so the certificate verified the signature; describe it by size only
    return `a ${der.length}-byte certificate`;
  }
}

function isoDate(name: string) {
  return (v: string): Date => {
    const d = new Date(v);
    if (Number.isNaN(d.getTime())) throw new InvalidArgumentError(`${name}: ${JSON.stringify(v)} is not an ISO date`);
    return d;
  };
}

// ---------------------------------------------------------------- seal

interface SealFlags extends KeystoreFlags {
  cert: string;
  chain?: string;
  to: string[];
  encryption: ContentEncryption;
  in: string;
  out: string;
  pem?: boolean;
}

function registerSeal(cms: Command): void {
  keystoreOptions(
    cms
      .command('seal')
      .summary('sign a payload and encrypt it for one or more recipients')
      .description(
        [
          'Seal a payload as the gateway does for market participants (spec notes §3.7):',
          'AuthEnvelopedData for every --to ENC certificate (ECKA-EG with the X9.63 KDF,',
          'AES-128 key wrap, AES-128-GCM or AES-128-CBC + CMAC, a fresh content key per',
          'message), signed (SignedData, ECDSA-SHA256) by the key in SLOT of the keystore,',
          'whose certificate is --cert. --chain adds certificates (e.g. the Sub-CA) for a',
          'receiver that validates the sender.',
          '',
          'The payload comes from --in FILE or stdin; the container goes to --out as DER,',
          'or PEM "CMS" with --pem. The keystore is only read, never rewritten.',
        ].join('\n'),
      ),
    'wan-sig',
  )
    .requiredOption('--cert <file>', "the signer's SIG certificate (PEM or DER)")
    .option('--chain <file>', 'further certificates to embed (PEM), e.g. pki/subca/chain.pem')
    .requiredOption('--to <file...>', "recipients' ENC certificates (PEM or DER), one or more")
    .addOption(
      new Option('--encryption <alg>', 'content encryption').choices(CONTENT_ENCRYPTIONS).default('aes-128-gcm'),
    )
    .option('--in <file>', 'payload file, - for stdin', '-')
    .requiredOption('--out <file>', 'container file, - for stdout')
    .option('--pem', 'write PEM (label CMS) instead of DER')
    .addHelpText(
      'after',
      examples([
        'smgw cms seal --keystore pki/gateway/keys.smgwks --key-file pki/gateway/keystore.key \\',
        '  --slot wan-sig --cert pki/gateway/sig.crt.pem --to pki/emt-1/enc.crt.pem \\',
        '  --in readings.xml --out readings.cms',
        'echo hello | SMGW_PIN=1234567890 smgw cms seal --keystore gw.smgwks --pin-env SMGW_PIN \\',
        '  --slot wan-sig --cert gw-sig.pem --chain pki/subca/chain.pem \\',
        '  --to emt-1-enc.pem --to emt-2-enc.pem --encryption aes-128-cbc-cmac --pem --out -',
      ]),
    )
    .action(
      run(async (flags: SealFlags) => {
        const keystore = keystoreOpening(flags);
        const certificate = readCertificate(flags.cert);
        const chain = flags.chain === undefined ? [] : readCertificates(flags.chain);
        const recipients = flags.to.flatMap(readCertificates);
        const payload = await readBytes(flags.in);
        const module = await openKeystore(keystore);
        let der: Uint8Array;
        try {
          der = await sealContainer({
            payload,
            recipients,
            signer: { module, slot: flags.slot, certificate, chain },
            encryption: flags.encryption,
          });
        } finally {
          await module.close();
        }
        await writeWhole(flags.out, flags.pem ? toPem('CMS', der) : der);
        process.stderr.write(
          `sealed ${payload.length} bytes for ${recipients.length} recipient(s) with ${flags.encryption}, signed by ${describeSender(certificate)}: ${der.length}-byte container${flags.out === '-' ? '' : ` in ${flags.out}`}\n`,
        );
      }),
    );
}

// ---------------------------------------------------------------- open

interface OpenFlags extends KeystoreFlags {
  cert: string;
  sender?: string[];
  pki?: string;
  at?: Date;
  in: string;
  out: string;
}

/**
 * The sender check for --pki DIR (layout in docs/pki.md): path validation of the SIG certificate
 * to DIR/trust/roots.pem through DIR/subca/chain.pem (and certificates in the container), with
 * the CRLs (DIR/trust/crls.pem, else DIR/root/ca.crl.pem and DIR/subca/ca.crl.pem), at `at`:
 * validity and CRLs are those of now, as for a TLS peer [our choice: the test PKI keeps only
 * current CRLs]. The signing time must also lie inside the certificate's validity. Files are
 * read here, before opening, so a missing file is exit 3 and not a rejected sender.
 */
function pkiSenderValidator(dir: string, at: Date): SenderValidator {
  const roots = readCertificates(join(dir, 'trust/roots.pem'));
  const intermediates = readCertificates(join(dir, 'subca/chain.pem'));
  const crlFiles = existsSync(join(dir, 'trust/crls.pem'))
    ? [join(dir, 'trust/crls.pem')]
    : [join(dir, 'root/ca.crl.pem'), join(dir, 'subca/ca.crl.pem')];
  const crls = crlFiles.flatMap((f) => readDerObjects(readInput(f), 'X509 CRL'));
  return (sender, others, signingTime) => {
    const leaf = parseCertificate(sender);
    if (signingTime < leaf.notBefore || signingTime > leaf.notAfter) {
      throw new PkiError(
        'SMGW_PKI_CERT_EXPIRED',
        `signing time ${signingTime.toISOString()} is outside the sender certificate's validity (${leaf.notBefore.toISOString()} .. ${leaf.notAfter.toISOString()})`,
      );
    }
    validatePath({ leaf, intermediates: [...intermediates, ...others], roots, crls, at, usage: { type: 'sig' } });
  };
}

function registerOpen(cms: Command): void {
  keystoreOptions(
    cms
      .command('open')
      .summary("check a container's sender, decrypt it and write the payload")
      .description(
        [
          'Open a sealed container as a recipient (an EMT): check the outer signature and',
          'the sender, then decrypt with the ENC key in SLOT of the keystore, whose',
          'certificate is --cert. The sender is trusted when its SIG certificate is one of',
          'the --sender certificates (byte for byte), or, with --pki DIR, when it validates',
          'to the test SM-PKI: DIR/trust/roots.pem, DIR/subca/chain.pem, the CRLs, key usage',
          'for SIG, at --at (default now), with the signing time inside its validity.',
          'Both given: both must hold.',
          '',
          'The container comes from --in FILE or stdin (DER or PEM). The payload goes to',
          '--out (default stdout) only after every check passed: a rejected container',
          'leaves no file. Sender, signing time and encryption are reported on stderr.',
          'Exit code 1 with the error code when the container is rejected.',
        ].join('\n'),
      ),
    'wan-enc',
  )
    .requiredOption('--cert <file>', "the recipient's ENC certificate (PEM or DER)")
    .option('--sender <file>', "trusted senders' SIG certificates (PEM or DER), repeatable", collect)
    .option('--pki <dir>', 'validate the sender against a test SM-PKI made by `smgw pki init`')
    .option('--at <iso-date>', 'with --pki: validation time (default now)', isoDate('--at'))
    .option('--in <file>', 'container file (DER or PEM), - for stdin', '-')
    .option('--out <file>', 'payload file, - for stdout', '-')
    .addHelpText(
      'after',
      examples([
        'smgw cms open --keystore pki/emt-1/keys.smgwks --key-file pki/emt-1/keystore.key \\',
        '  --slot wan-enc --cert pki/emt-1/enc.crt.pem --sender pki/gateway/sig.crt.pem \\',
        '  --in readings.cms --out readings.xml',
        'smgw cms open --keystore pki/emt-1/keys.smgwks --key-file pki/emt-1/keystore.key \\',
        '  --slot wan-enc --cert pki/emt-1/enc.crt.pem --pki ./pki < readings.cms',
      ]),
    )
    .action(
      run(async (flags: OpenFlags) => {
        if (flags.sender === undefined && flags.pki === undefined) {
          throw new CmsError('SMGW_CMS_BAD_ARGUMENT', 'give --sender CERT or --pki DIR (or both)');
        }
        if (flags.at !== undefined && flags.pki === undefined) {
          throw new CmsError('SMGW_CMS_BAD_ARGUMENT', '--at is the validation time of --pki');
        }
        const keystore = keystoreOpening(flags);
        const certificate = readCertificate(flags.cert);
        const trustedSenders = flags.sender?.flatMap(readCertificates);
        const validateSender =
          flags.pki === undefined ? undefined : pkiSenderValidator(flags.pki, flags.at ?? new Date());
        const container = containerDer(await readBytes(flags.in), flags.in === '-' ? 'stdin' : flags.in);
        const module = await openKeystore(keystore);
        let opened: Awaited<ReturnType<typeof openContainer>>;
        try {
          opened = await openContainer(container, {
            recipient: { module, slot: flags.slot, certificate },
            ...(trustedSenders === undefined ? {} : { trustedSenders }),
            ...(validateSender === undefined ? {} : { validateSender }),
          });
        } finally {
          await module.close();
        }
        // Decrypted content is for the recipient only: a file is created mode 600.
        await writeWhole(flags.out, opened.payload, 0o600);
        process.stderr.write(
          [
            `sender: ${describeSender(opened.sender)}`,
            `signing time: ${opened.signingTime.toISOString()}`,
            `encryption: ${opened.encryption}`,
            `payload: ${opened.payload.length} bytes, content type ${opened.contentType}${flags.out === '-' ? '' : `, written to ${flags.out}`}`,
            '',
          ].join('\n'),
        );
      }),
    );
}

// ---------------------------------------------------------------- print

function registerPrint(cms: Command): void {
  cms
    .command('print')
    .summary('outline a container as JSON (no keys needed, nothing verified)')
    .description(
      [
        'Print a JSON outline of a container (DER or PEM): the outer SignedData (signer',
        'issuer and serial, signing time, digest and signature algorithms, signed',
        "attributes, the embedded certificates' subjects) and either the inner",
        "AuthEnvelopedData (recipients' issuer and serial, key agreement and key-wrap",
        'OIDs, content encryption with nonce/tag or IV lengths, ciphertext and MAC',
        'lengths) or, for a signed-only container, the content type and length.',
        '',
        'Nothing is verified or decrypted: use `smgw cms open` for that. Input that is',
        'not a DER ContentInfo(SignedData) is SMGW_CMS_MALFORMED, exit code 1.',
      ].join('\n'),
    )
    .argument('<file>', 'container file (DER or PEM), - for stdin')
    .addHelpText(
      'after',
      examples([
        'smgw cms print readings.cms',
        'smgw cms print readings.cms | jq ".authEnvelopedData.recipients[].recipientEncryptedKeys"',
        'smgw cms print export.sm_data.xml.cms | jq .signedData.signers',
      ]),
    )
    .action(
      run(async (file: string) => {
        const der = containerDer(await readBytes(file), file === '-' ? 'stdin' : file);
        process.stdout.write(`${JSON.stringify(outlineContainer(der), null, 2)}\n`);
      }),
    );
}

export function registerCms(program: Command): void {
  const cms = program
    .command('cms')
    .description('CMS containers (SignedData over AuthEnvelopedData, spec notes §3.7): seal, open, print');
  registerSeal(cms);
  registerOpen(cms);
  registerPrint(cms);
}
