/**
 * `smgw wakeup sign|verify`: the wake-up packets of spec notes §5.2 (our layout, docs/wakeup.md)
 * from the command line: the GWA side signs a packet with its SIG key in a keystore, the gateway
 * side checks one as the gateway would (format, recipient, time window, replay, signature). The
 * work is @opensmgw/security's; this file maps options to calls, keeps the verifier's replay
 * state in a file between runs, and maps errors to one line `error: <code>: <message>` and an
 * exit code (0 accepted, 1 rejected, 2 usage, 3 a file could not be read or written).
 */
import { existsSync } from 'node:fs';
import { systemClock } from '@opensmgw/core';
import {
  DEFAULT_WAKEUP_WINDOW_MS,
  decodeWakeupPacket,
  signWakeupPacket,
  WakeupError,
  type WakeupPacket,
  WakeupVerifier,
  type WakeupVerifierState,
} from '@opensmgw/security';
import { type Command, InvalidArgumentError } from 'commander';
import { collect, examples, readInput } from './pki-command-io.js';
import {
  type KeystoreFlags,
  keystoreOpening,
  keystoreOptions,
  openKeystore,
  readBytes,
  readCertificates,
  run,
  writeWhole,
} from './security-command-io.js';

function isoMs(name: string) {
  return (v: string): number => {
    const t = new Date(v).getTime();
    if (Number.isNaN(t)) throw new InvalidArgumentError(`${name}: ${JSON.stringify(v)} is not an ISO date`);
    return t;
  };
}

function uint64(v: string): bigint {
  if (!/^\d{1,20}$/.test(v) || BigInt(v) >= 1n << 64n) {
    throw new InvalidArgumentError(`--sequence: ${JSON.stringify(v)} is not an integer in 0..2^64-1`);
  }
  return BigInt(v);
}

function nonNegativeInteger(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) {
      throw new InvalidArgumentError(`${name}: ${JSON.stringify(v)} is not a whole number of milliseconds`);
    }
    return n;
  };
}

/** The decoded fields as JSON (the sequence as a decimal string: it is a uint64). */
function fieldsJson(p: WakeupPacket, length: number): Record<string, unknown> {
  return {
    version: p.version,
    gatewayId: p.gatewayId,
    timestamp: new Date(p.timestampMs).toISOString(),
    timestampMs: p.timestampMs,
    sequence: p.sequence.toString(),
    curve: p.curve,
    hash: p.hash,
    length,
  };
}

// ---------------------------------------------------------------- sign

interface SignFlags extends KeystoreFlags {
  gatewayId: string;
  /** No commander default: its help prints defaults with JSON.stringify, which throws on a bigint. */
  sequence?: bigint;
  time?: number;
  out: string;
  hex?: boolean;
}

function registerSign(wakeup: Command): void {
  keystoreOptions(
    wakeup
      .command('sign')
      .summary('sign a wake-up packet for a gateway (the GWA side)')
      .description(
        [
          "Make a wake-up packet for the gateway --gateway-id, signed by the GWA's SIG key",
          'in SLOT of the keystore (the curve of that key fixes the algorithm byte:',
          'brainpoolP256r1 gives a 98-byte packet). The timestamp is --time (default now),',
          'the sequence --sequence (default 0; it only has to grow within one',
          'millisecond). The layout is ours (docs/wakeup.md): the normative one of',
          'TR-03109-1 was not available.',
          '',
          'Writes the raw packet to --out (a file, or - for stdout), or hex with --hex.',
          'The decoded fields are reported on stderr.',
        ].join('\n'),
      ),
    'wan-sig',
  )
    .requiredOption('--gateway-id <id>', 'recipient gateway: 14 letters/digits, e.g. EOSM0100000001')
    .option('--sequence <n>', 'uint64 sequence number (default 0)', uint64)
    .option('--time <iso-date>', 'timestamp (default now)', isoMs('--time'))
    .requiredOption('--out <file>', 'packet file, - for stdout')
    .option('--hex', 'write the packet as one line of hex instead of raw bytes')
    .addHelpText(
      'after',
      examples([
        'smgw wakeup sign --keystore pki/gwa/keys.smgwks --key-file pki/gwa/keystore.key \\',
        '  --slot wan-sig --gateway-id EOSM0100000001 --out wakeup.bin',
        'smgw wakeup sign --keystore pki/gwa/keys.smgwks --key-file pki/gwa/keystore.key \\',
        '  --slot wan-sig --gateway-id EOSM0100000001 --sequence 7 \\',
        '  --time 2026-03-01T12:00:00Z --hex --out -',
      ]),
    )
    .action(
      run(async (flags: SignFlags) => {
        const module = await openKeystore(keystoreOpening(flags));
        let packet: Uint8Array;
        try {
          packet = await signWakeupPacket(module, flags.slot, {
            gatewayId: flags.gatewayId,
            timestampMs: flags.time ?? systemClock.now(),
            sequence: flags.sequence ?? 0n,
          });
        } finally {
          await module.close();
        }
        await writeWhole(flags.out, flags.hex ? `${Buffer.from(packet).toString('hex')}\n` : packet);
        const p = decodeWakeupPacket(packet);
        process.stderr.write(
          `signed a ${packet.length}-byte wake-up packet for ${p.gatewayId}, ${new Date(p.timestampMs).toISOString()}, sequence ${p.sequence}, ${p.curve}/${p.hash}${flags.out === '-' ? '' : `: ${flags.out}`}\n`,
        );
      }),
    );
}

// ---------------------------------------------------------------- verify

interface VerifyFlags {
  gatewayId: string;
  gwaCert: string[];
  windowMs: number;
  state?: string;
  at?: number;
}

/**
 * A packet as raw bytes or as hex text (what `sign --hex` writes). A raw packet starts with the
 * magic "WU", which is no hex digit, so the two cannot be confused.
 */
function packetBytes(bytes: Uint8Array): Uint8Array {
  const text = Buffer.from(bytes).toString('latin1').trim();
  if (text.length > 0 && text.length % 2 === 0 && /^[0-9a-fA-F]+$/.test(text)) {
    return new Uint8Array(Buffer.from(text, 'hex'));
  }
  return bytes;
}

/** The replay state kept in --state between runs; a missing file means no packet accepted yet. */
function readState(file: string): WakeupVerifierState | undefined {
  if (!existsSync(file)) return undefined;
  const text = readInput(file).toString('utf8');
  try {
    return JSON.parse(text) as WakeupVerifierState;
  } catch (e) {
    throw new WakeupError('SMGW_WAKEUP_BAD_ARGUMENT', `state file ${file} is not JSON`, { cause: e });
  }
}

function registerVerify(wakeup: Command): void {
  wakeup
    .command('verify')
    .summary('check a wake-up packet as the gateway does')
    .description(
      [
        'Check a wake-up packet (raw bytes or hex, from FILE or - for stdin) the way the',
        'gateway --gateway-id does, in the order of spec notes §5.2: format, recipient',
        '(case-insensitive), timestamp within ±--window-ms of the clock (--at, default',
        'now), newer than the last accepted packet, ECDSA signature by one of the',
        '--gwa-cert keys. The first failed check is the error code:',
        'SMGW_WAKEUP_MALFORMED, _WRONG_RECIPIENT, _STALE, _REPLAY or _BAD_SIGNATURE.',
        '',
        'With --state FILE the last accepted (timestamp, sequence) is kept between runs:',
        'read before the check, replaced (atomically) only when the packet is accepted,',
        'so a replay is caught across invocations. One verifier per state file: runs',
        'that share a file at the same time are not coordinated.',
        '',
        'Prints the decoded fields as JSON and exits 0 when accepted; exit code 1 with',
        'the error code on stderr when rejected.',
      ].join('\n'),
    )
    .argument('<file>', 'packet file (raw or hex), - for stdin')
    .requiredOption('--gateway-id <id>', "this gateway's ID, e.g. EOSM0100000001")
    .requiredOption('--gwa-cert <file>', "the GWA's SIG certificate (PEM or DER), repeatable", collect)
    .option(
      '--window-ms <n>',
      `accepted clock difference in ms (default ${DEFAULT_WAKEUP_WINDOW_MS})`,
      nonNegativeInteger('--window-ms'),
      DEFAULT_WAKEUP_WINDOW_MS,
    )
    .option('--state <file>', 'replay state file (JSON), created on the first accepted packet')
    .option('--at <iso-date>', "the gateway's clock (default now)", isoMs('--at'))
    .addHelpText(
      'after',
      examples([
        'smgw wakeup verify wakeup.bin --gateway-id EOSM0100000001 --gwa-cert pki/gwa/sig.crt.pem',
        'smgw wakeup sign ... --hex --out - | smgw wakeup verify - --gateway-id EOSM0100000001 \\',
        '  --gwa-cert pki/gwa/sig.crt.pem --state /var/lib/smgw/wakeup-state.json',
      ]),
    )
    .action(
      run(async (file: string, flags: VerifyFlags) => {
        const certificates = flags.gwaCert.flatMap(readCertificates);
        const state = flags.state === undefined ? undefined : readState(flags.state);
        const packet = packetBytes(await readBytes(file));
        const at = flags.at;
        const verifier = new WakeupVerifier({
          gatewayId: flags.gatewayId,
          gwaCertificates: certificates,
          windowMs: flags.windowMs,
          clock: at === undefined ? systemClock : { now: () => at, monotonic: () => systemClock.monotonic() },
          ...(state === undefined ? {} : { state }),
        });
        const accepted = verifier.verify(packet);
        const next = verifier.exportState();
        if (flags.state !== undefined && next !== undefined) {
          await writeWhole(flags.state, `${JSON.stringify(next)}\n`);
        }
        process.stdout.write(
          `${JSON.stringify({ accepted: true, ...fieldsJson(accepted, packet.length) }, null, 2)}\n`,
        );
      }),
    );
}

export function registerWakeup(program: Command): void {
  const wakeup = program
    .command('wakeup')
    .description('wake-up packets (spec notes §5.2; our layout, docs/wakeup.md): sign, verify');
  registerSign(wakeup);
  registerVerify(wakeup);
}
