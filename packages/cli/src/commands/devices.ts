/**
 * `smgw devices wmbus-meters|sml-meter|radio-send|example-config`: the device simulators of
 * @opensmgw/devices on the wire (docs/wire-protocols.md): wM-Bus meters on the simulated radio
 * (UDP, one frame per datagram), an SML meter pushing over LMN TLS, a raw frame sender (for
 * replay tests) and a generator of fleet configurations. This file maps options to calls and
 * prints one progress line per event; errors are one line `error: <code>: <message>`.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { join } from 'node:path';
import { systemClock } from '@opensmgw/core';
import {
  DevicesError,
  FileCounterStore,
  type FleetSent,
  JsonlSentLog,
  MEDIA,
  type Medium,
  parseFleetConfig,
  radioTarget,
  type SentValue,
  type SmlMeterConnectionEvent,
  SmlTlsMeter,
  UdpRadioSender,
  WmbusFleet,
} from '@opensmgw/devices';
import { openEntityModule } from '@opensmgw/security';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { positiveInteger } from './option-parsers.js';
import { examples, readInput } from './pki-command-io.js';
import { run } from './security-command-io.js';

function seedOption(v: string): number {
  const n = Number(v);
  if (!/^[0-9]+$/.test(v) || n > 0xffffffff)
    throw new InvalidArgumentError(`--seed: ${JSON.stringify(v)} is not in 0..2^32-1`);
  return n;
}

function radioOption(v: string) {
  try {
    return radioTarget(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
}

/** HOST:PORT of the gateway's LMN TLS port. */
function gatewayOption(v: string): { host: string; port: number } {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/.exec(v);
  const port = Number(m?.[2]);
  if (m === null || port < 1 || port > 65535) {
    throw new InvalidArgumentError(`--gateway: ${JSON.stringify(v)} is not HOST:PORT`);
  }
  return { host: (m[1] as string).replace(/^\[(.*)\]$/, '$1'), port };
}

const QUANTITY: Readonly<Record<string, string>> = {
  '0100010800ff': 'energy',
  '0100100700ff': 'power',
  '0700030000ff': 'volume',
  '0800010000ff': 'volume',
  '0600010000ff': 'energy',
  '0600020000ff': 'volume',
};

/** "energy 1234567 Wh", "volume 12345678e-3 m3": the integer as sent, its scaler, its unit. */
function valuesText(sent: readonly SentValue[]): string {
  return sent
    .map((s) => `${QUANTITY[s.obis] ?? s.obis} ${s.value}${s.scaler === 0 ? '' : `e${s.scaler}`} ${s.unit}`)
    .join(' ');
}

/**
 * Runs until `done` settles; SIGINT/SIGTERM call `stop`. The simulators' timers do not keep
 * Node alive (core's systemClock unrefs them), so a plain interval does while they run.
 */
async function runUntilDone(done: Promise<void>, stop: () => Promise<void>): Promise<void> {
  const keepAlive = setInterval(() => {}, 1 << 30);
  const onSignal = (): void => {
    void stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await done;
  } finally {
    clearInterval(keepAlive);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

// ---------------------------------------------------------------- wmbus-meters

interface WmbusFlags {
  config: string;
  radio: { host: string; port: number };
  sentLog?: string;
  state?: string;
  count?: number;
  seed: number;
}

function registerWmbusMeters(devices: Command): void {
  devices
    .command('wmbus-meters')
    .summary('run simulated OMS wM-Bus meters on the simulated radio (UDP)')
    .description(
      [
        'Run the wM-Bus meters of --config (JSON: {"meters": [{manufacturer, serial, medium,',
        'keyHex, intervalSeconds}]}, media electricity, gas, water, heat) and send their',
        'telegrams to --radio, one format-A frame per UDP datagram (docs/wire-protocols.md).',
        'Each telegram is OMS security mode 7 (KDF-A) with an AFL message counter and an',
        '8-byte CMAC; values follow seeded household consumption curves.',
        '',
        'Meters start within 2 s of each other and then send every intervalSeconds ± 10 %.',
        'With --state the message counter of each meter is stored (before the datagram',
        'leaves), so a restart never repeats a counter. With --sent-log each value sent is',
        'appended as one JSON line after its datagram went out. --count N sends N telegrams',
        'per meter and exits; otherwise it runs until SIGINT/SIGTERM.',
        '',
        'Prints one line per telegram: sent <meter> counter <C> <quantity> <value> <unit>.',
      ].join('\n'),
    )
    .requiredOption('--config <file>', 'fleet configuration (JSON); see example-config')
    .addOption(
      new Option('--radio <udp-url>', 'where the gateway listens for frames')
        .argParser(radioOption)
        .default(radioTarget('udp://127.0.0.1:9460'), 'udp://127.0.0.1:9460'),
    )
    .option('--sent-log <file>', 'append every value sent as a JSON line')
    .option('--state <file>', 'message counter state file (created if missing)')
    .option('--count <n>', 'telegrams per meter, then exit', positiveInteger('--count'))
    .option('--seed <n>', 'seed of consumption curves and jitter', seedOption, 1)
    .addHelpText(
      'after',
      examples([
        'smgw devices example-config --meters 3 > meters.json',
        'smgw devices wmbus-meters --config meters.json --radio udp://127.0.0.1:9460',
        'smgw devices wmbus-meters --config meters.json --state var/meter-counters.json \\',
        '  --sent-log var/sent.jsonl --count 2',
      ]),
    )
    .action(
      run(async (flags: WmbusFlags) => {
        const config = parseFleetConfig(readInput(flags.config));
        const radio = new UdpRadioSender(flags.radio);
        const fleet = new WmbusFleet({
          config,
          radio,
          clock: systemClock,
          seed: flags.seed,
          ...(flags.count === undefined ? {} : { rounds: flags.count }),
          ...(flags.state === undefined ? {} : { counterStore: new FileCounterStore(flags.state) }),
          ...(flags.sentLog === undefined ? {} : { sentLog: new JsonlSentLog(flags.sentLog) }),
          onSent: (s: FleetSent) => {
            process.stdout.write(`sent ${s.meterId} counter ${s.counter} ${valuesText(s.sent)}\n`);
          },
          onError: (meterId, e) => {
            process.stderr.write(`error: ${e.code}: ${meterId}: ${e.message}\n`);
            process.exitCode = 1;
          },
        });
        process.stdout.write(
          `${config.meters.length} meters sending to udp://${flags.radio.host}:${flags.radio.port}\n`,
        );
        fleet.start();
        try {
          await runUntilDone(fleet.done, () => fleet.stop());
        } finally {
          await radio.close();
        }
      }),
    );
}

// ---------------------------------------------------------------- sml-meter

interface SmlFlags {
  pki: string;
  entity: string;
  gatewayEntity: string;
  gatewayCert?: string;
  meterId: string;
  gateway: { host: string; port: number };
  interval: number;
  sentLog?: string;
  count?: number;
  seed: number;
}

function connectionText(e: SmlMeterConnectionEvent): string {
  if (e.kind === 'connected') return `connected (${e.resumed ? 'TLS session resumed' : 'full TLS handshake'})`;
  const why = e.error === undefined ? 'connection closed' : `${e.error.code}: ${e.error.message}`;
  return `disconnected: ${why}; next attempt in ${e.retryInMs / 1000} s`;
}

function registerSmlMeter(devices: Command): void {
  devices
    .command('sml-meter')
    .summary('run a simulated SML meter that pushes readings to the gateway over LMN TLS')
    .description(
      [
        "Run an electricity meter that connects to the gateway's LMN port (--gateway) as TLS",
        'client with the LMN client profile and pushes one SML file per --interval seconds:',
        'OpenResponse, GetListResponse (1-0:1.8.0 energy in Wh, scaler -1; 1-0:16.7.0 power',
        'in W), CloseResponse. Its key and self-signed LMN certificate come from the test PKI',
        "entity --entity (slot lmn-tls); the gateway's LMN certificate (pinned, nothing else",
        'is accepted) from --gateway-cert, or from the PKI entity --gateway-entity.',
        '',
        'A dropped connection is retried with backoff (1 s doubling to 60 s), resuming the TLS',
        'session while the LMN session policy allows (31 days, 5,000,000 bytes). With',
        '--sent-log every value sent is appended as one JSON line after the TLS write',
        'completed. --count N sends N files and exits; otherwise it runs until SIGINT/SIGTERM.',
        'The gateway knows the meter by its certificate; --meter-id names it in the log.',
      ].join('\n'),
    )
    .requiredOption('--pki <dir>', 'test PKI directory (smgw pki init)')
    .option('--entity <name>', 'PKI entity of the meter', 'meter-1')
    .option('--gateway-entity <name>', 'PKI entity of the gateway', 'gateway')
    .option('--gateway-cert <file>', "the gateway's LMN certificate (PEM), instead of --gateway-entity")
    .requiredOption('--meter-id <id>', 'meter ID for the sent log, e.g. EMH-0000000001')
    .addOption(
      new Option('--gateway <host:port>', "the gateway's LMN TLS port")
        .argParser(gatewayOption)
        .default(gatewayOption('127.0.0.1:9461'), '127.0.0.1:9461'),
    )
    .option('--interval <s>', 'seconds between readings', positiveInteger('--interval', 86_400), 5)
    .option('--sent-log <file>', 'append every value sent as a JSON line')
    .option('--count <n>', 'SML files to send, then exit', positiveInteger('--count'))
    .option('--seed <n>', 'seed of the consumption curve', seedOption, 1)
    .addHelpText(
      'after',
      examples([
        'smgw devices sml-meter --pki var/pki --entity meter-1 --meter-id EMH-0000000001',
        'smgw devices sml-meter --pki var/pki --meter-id EMH-0000000001 --gateway 127.0.0.1:9461 \\',
        '  --interval 5 --sent-log var/sml-sent.jsonl --count 3',
      ]),
    )
    .action(
      run(async (flags: SmlFlags) => {
        const module = await openEntityModule(flags.pki, flags.entity, { persist: 'manual' });
        let key: Awaited<ReturnType<typeof module.tlsKey>>;
        try {
          key = await module.tlsKey('lmn-tls');
        } finally {
          await module.close();
        }
        const certificatePem = readInput(join(flags.pki, flags.entity, 'lmn-tls.crt.pem')).toString('utf8');
        const gatewayCertificatePem = readInput(
          flags.gatewayCert ?? join(flags.pki, flags.gatewayEntity, 'lmn-tls.crt.pem'),
        ).toString('utf8');
        const meter = new SmlTlsMeter({
          meterId: flags.meterId,
          key,
          certificatePem,
          gatewayCertificatePem,
          host: flags.gateway.host,
          port: flags.gateway.port,
          intervalSeconds: flags.interval,
          clock: systemClock,
          seed: flags.seed,
          ...(flags.count === undefined ? {} : { count: flags.count }),
          ...(flags.sentLog === undefined ? {} : { sentLog: new JsonlSentLog(flags.sentLog) }),
          onSent: (s) => {
            process.stdout.write(`sent ${flags.meterId} file ${s.fileId} ${valuesText(s.sent)}\n`);
          },
          onConnection: (e) => {
            process.stdout.write(`${flags.meterId} ${connectionText(e)}\n`);
          },
          onError: (e) => {
            process.stderr.write(`error: ${e.code}: ${flags.meterId}: ${e.message}\n`);
            process.exitCode = 1;
          },
        });
        process.stdout.write(`${flags.meterId} connecting to ${flags.gateway.host}:${flags.gateway.port}\n`);
        meter.start();
        await runUntilDone(meter.done, () => meter.stop());
      }),
    );
}

// ---------------------------------------------------------------- radio-send

interface RadioSendFlags {
  radio: { host: string; port: number };
  hex: string;
}

/** Frames from hex text (one frame per line) or a file holding hex lines or one raw frame. */
function framesOf(arg: string): Uint8Array[] {
  const hexLines = (text: string): Uint8Array[] | undefined => {
    const lines = text
      .split(/\r?\n/)
      .map((l) => l.replace(/\s+/g, ''))
      .filter((l) => l !== '');
    if (lines.length === 0 || !lines.every((l) => /^([0-9a-fA-F]{2})+$/.test(l))) return undefined;
    return lines.map((l) => new Uint8Array(Buffer.from(l, 'hex')));
  };
  const direct = hexLines(arg);
  if (direct !== undefined) return direct;
  const bytes = readInput(arg);
  const fromText = hexLines(bytes.toString('latin1'));
  if (fromText !== undefined) return fromText;
  if (bytes.length === 0) throw new DevicesError('SMGW_DEV_BAD_ARGUMENT', `${arg} is empty`);
  return [new Uint8Array(bytes)];
}

function registerRadioSend(devices: Command): void {
  devices
    .command('radio-send')
    .summary('send raw wM-Bus frames to the simulated radio (e.g. to replay one)')
    .description(
      [
        'Send frames as they are, one UDP datagram each, to --radio. --hex is the frame as',
        'hex, or a file with one hex frame per line, or a file holding one raw frame. For',
        "tests of the gateway's receiver: replays, damaged frames, foreign meters.",
      ].join('\n'),
    )
    .addOption(
      new Option('--radio <udp-url>', 'where the gateway listens for frames')
        .argParser(radioOption)
        .default(radioTarget('udp://127.0.0.1:9460'), 'udp://127.0.0.1:9460'),
    )
    .requiredOption('--hex <hex|file>', 'frame hex, or a file of hex lines or raw bytes')
    .addHelpText(
      'after',
      examples([
        'smgw devices radio-send --radio udp://127.0.0.1:9460 --hex 2E44931578563412330333637A2A...',
        'smgw devices radio-send --hex captured-frames.hex',
      ]),
    )
    .action(
      run(async (flags: RadioSendFlags) => {
        const frames = framesOf(flags.hex);
        const radio = new UdpRadioSender(flags.radio);
        try {
          for (const f of frames) {
            await radio.send(f);
            process.stdout.write(`sent ${f.length} bytes to udp://${flags.radio.host}:${flags.radio.port}\n`);
          }
        } finally {
          await radio.close();
        }
      }),
    );
}

// ---------------------------------------------------------------- example-config

interface ExampleFlags {
  meters: number;
  interval: number;
}

const EXAMPLE_MANUFACTURER: Readonly<Record<Medium, string>> = {
  electricity: 'EMH',
  gas: 'ELS',
  water: 'DME',
  heat: 'KAM',
};

function registerExampleConfig(devices: Command): void {
  devices
    .command('example-config')
    .summary('print a wM-Bus fleet configuration with fresh random keys')
    .description(
      [
        'Print a configuration for wmbus-meters with --meters meters (media electricity,',
        'gas, water, heat in turn), random 8-digit serials and fresh random AES-128 master',
        "keys (node:crypto). The same keys go into the gateway's meter profiles.",
      ].join('\n'),
    )
    .option('--meters <n>', 'number of meters', positiveInteger('--meters', 100_000), 3)
    .option('--interval <s>', 'intervalSeconds of every meter', positiveInteger('--interval', 86_400), 60)
    .addHelpText('after', examples(['smgw devices example-config --meters 3 > meters.json']))
    .action(
      run(async (flags: ExampleFlags) => {
        const base = randomInt(10_000_000, 90_000_000 - flags.meters);
        const meters = Array.from({ length: flags.meters }, (_, i) => {
          const medium = MEDIA[i % MEDIA.length] as Medium;
          return {
            manufacturer: EXAMPLE_MANUFACTURER[medium],
            serial: String(base + i),
            medium,
            keyHex: randomBytes(16).toString('hex').toUpperCase(),
            intervalSeconds: flags.interval,
          };
        });
        process.stdout.write(`${JSON.stringify({ meters }, null, 2)}\n`);
      }),
    );
}

export function registerDevices(program: Command): void {
  const devices = program
    .command('devices')
    .description('device simulators on the wire: wM-Bus meters (UDP radio), SML-over-TLS meter');
  registerWmbusMeters(devices);
  registerSmlMeter(devices);
  registerRadioSend(devices);
  registerExampleConfig(devices);
}
