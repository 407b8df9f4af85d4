/**
 * `smgw gateway ...`: run the Smart Meter Gateway, write its bootstrap file for a test PKI, and
 * read its store (the three logs and their hash chains, status). The gateway's work is
 * @opensmgw/gateway's; this file maps options to calls and errors to `error: <code>: <message>`
 * and the exit codes of exit-codes.ts (0 ok, 1 a check failed, 2 usage, 3 a file).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { CoreError, createJsonLogger } from '@opensmgw/core';
import {
  bootstrapForTestPki,
  type Endpoint,
  Gateway,
  type GatewayStore,
  openGatewayStore,
  readBootstrap,
} from '@opensmgw/gateway';
import { LOG_NAMES, type LogName } from '@opensmgw/protocol';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { EXIT } from '../exit-codes.js';
import { positiveInteger } from './option-parsers.js';
import { examples, writeOutput } from './pki-command-io.js';
import { run } from './security-command-io.js';

function hostPort(name: string) {
  return (v: string): Endpoint => {
    const m = /^(.+):(\d{1,5})$/.exec(v);
    const port = Number(m?.[2]);
    if (!m?.[1] || port > 65535)
      throw new InvalidArgumentError(`${name}: expected host:port, got ${JSON.stringify(v)}`);
    return { host: m[1], port };
  };
}

/** A usage error found in an action (exit code 2, like commander's own). */
function usage(message: string): CoreError {
  return new CoreError('SMGW_CORE_BAD_ARGUMENT', message);
}

/** The store named by --store, or the one of --bootstrap. */
function storePathOf(flags: { store?: string; bootstrap?: string }): string {
  if ((flags.store === undefined) === (flags.bootstrap === undefined)) {
    throw usage('give exactly one of --store and --bootstrap');
  }
  if (flags.store !== undefined) return flags.store;
  return readBootstrap(flags.bootstrap ?? '').storePath;
}

function openExisting(path: string): GatewayStore {
  if (!existsSync(path)) throw usage(`no gateway store at ${path}`);
  return openGatewayStore(path);
}

function registerRun(gateway: Command): void {
  gateway
    .command('run')
    .summary('run the gateway')
    .description(
      [
        'Run the Smart Meter Gateway described by a bootstrap file (`smgw gateway init`',
        'writes one for a test PKI): it opens its security module and store, listens on',
        'the LMN (simulated radio, SML-over-TLS meter server) and for wake-up packets on',
        'its one WAN UDP port (no TCP listener on the WAN side), calls its GWA at start,',
        'on schedule and after each valid wake-up, runs the tariff use cases and delivers',
        'CMS containers to market participants.',
        '',
        'Operator log lines (JSON) go to stdout; the TR logs (system, consumer,',
        'calibration) are in the store: `smgw gateway logs`. SIGINT/SIGTERM stop it cleanly.',
      ].join('\n'),
    )
    .requiredOption('--bootstrap <file>', 'bootstrap file (JSON)')
    .addOption(
      new Option('--log-level <level>', 'operator log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .default('info'),
    )
    .addHelpText('after', examples(['smgw gateway run --bootstrap var/gateway/bootstrap.json']))
    .action(
      run(async (flags: { bootstrap: string; logLevel: 'debug' | 'info' | 'warn' | 'error' }) => {
        const bootstrap = readBootstrap(flags.bootstrap);
        mkdirSync(dirname(bootstrap.storePath), { recursive: true });
        const logger = createJsonLogger({
          level: flags.logLevel,
          sink: (line) => process.stdout.write(`${line}\n`),
          bindings: { part: 'gateway' },
        });
        const gw = await Gateway.start({ bootstrap, logger });
        await new Promise<void>((resolveStop) => {
          const stop = (): void => {
            process.off('SIGINT', stop);
            process.off('SIGTERM', stop);
            logger.info('stopping');
            gw.stop().then(resolveStop, resolveStop);
          };
          process.on('SIGINT', stop);
          process.on('SIGTERM', stop);
        });
      }),
    );
}

interface InitFlags {
  pki: string;
  out: string;
  gatewayId: string;
  store: string;
  gwaUrl: string;
  wakeup: Endpoint;
  radio: Endpoint;
  lmnTls: Endpoint;
  noRadio?: boolean;
  noLmnTls?: boolean;
  poll: number;
  force?: boolean;
}

function registerInit(gateway: Command): void {
  gateway
    .command('init')
    .summary('write a bootstrap file for a gateway of a test PKI')
    .description(
      [
        'Write the bootstrap file of the gateway entity of a test PKI (`smgw pki init`):',
        'its software keystore, factory certificates, the SM-PKI trust files, the GWA to',
        'call with its certificates, the ports to bind and the store path. Everything',
        'else (meters, profiles, operational certificates, time) comes from the GWA.',
        'Relative paths are made absolute. Refuses to overwrite without --force.',
      ].join('\n'),
    )
    .requiredOption('--pki <dir>', 'test PKI directory')
    .requiredOption('--out <file>', 'bootstrap file to write')
    .option('--gateway-id <id>', 'gateway ID (must match the PKI)', 'EOSM0100000001')
    .option('--store <file>', 'SQLite store', 'var/gateway/gateway.db')
    .option('--gwa-url <url>', 'GWA base URL', 'https://127.0.0.1:9440')
    .addOption(
      new Option('--wakeup <host:port>', 'UDP endpoint for wake-up packets')
        .argParser(hostPort('--wakeup'))
        .default({ host: '127.0.0.1', port: 9450 }, '127.0.0.1:9450'),
    )
    .addOption(
      new Option('--radio <host:port>', 'UDP endpoint of the simulated radio')
        .argParser(hostPort('--radio'))
        .default({ host: '127.0.0.1', port: 9460 }, '127.0.0.1:9460'),
    )
    .addOption(
      new Option('--lmn-tls <host:port>', 'TLS endpoint for SML meters')
        .argParser(hostPort('--lmn-tls'))
        .default({ host: '127.0.0.1', port: 9461 }, '127.0.0.1:9461'),
    )
    .option('--no-radio', 'no simulated radio')
    .option('--no-lmn-tls', 'no SML-over-TLS meter server')
    .option('--poll <seconds>', 'scheduled GWA contact until the GWA sets one', positiveInteger('--poll'), 300)
    .option('--force', 'overwrite an existing file')
    .addHelpText(
      'after',
      examples([
        'smgw pki init var/pki',
        'smgw gateway init --pki var/pki --out var/gateway/bootstrap.json',
        'smgw gateway run --bootstrap var/gateway/bootstrap.json',
      ]),
    )
    .action(
      run(async (flags: InitFlags & { radio: Endpoint | false; lmnTls: Endpoint | false }) => {
        if (existsSync(flags.out) && !flags.force) {
          throw usage(`${flags.out} exists (use --force to overwrite)`);
        }
        const content = bootstrapForTestPki({
          pkiDir: resolve(flags.pki),
          gatewayId: flags.gatewayId,
          storePath: resolve(flags.store),
          gwaUrl: flags.gwaUrl,
          wakeup: flags.wakeup,
          radio: flags.radio === false ? null : flags.radio,
          lmnTls: flags.lmnTls === false ? null : flags.lmnTls,
          pollIntervalSeconds: flags.poll,
        });
        mkdirSync(dirname(resolve(flags.out)), { recursive: true });
        writeOutput(flags.out, `${JSON.stringify(content, null, 2)}\n`);
        readBootstrap(flags.out);
        process.stderr.write(`wrote ${flags.out}\n`);
      }),
    );
}

function registerLogs(gateway: Command): void {
  const logs = gateway.command('logs').description('the three TR logs in the store: show and verify their hash chains');
  logs
    .command('verify')
    .summary('verify the hash chains of the system, consumer and calibration logs')
    .description(
      [
        'Walk the hash chain of each log (hash = SHA-256 over the previous hash and the',
        "entry's canonical JSON, docs/gateway.md) and report entries and head hash, or the",
        'first broken index. Exit code 0 when all chains hold, 1 otherwise. A cut-off tail',
        'cannot show in a chain: compare the head hash with one recorded earlier.',
      ].join('\n'),
    )
    .option('--store <file>', 'gateway store (SQLite)')
    .option('--bootstrap <file>', 'or: the bootstrap file naming the store')
    .option('--json', 'print the results as JSON')
    .addHelpText('after', examples(['smgw gateway logs verify --store var/gateway/gateway.db']))
    .action(
      run(async (flags: { store?: string; bootstrap?: string; json?: boolean }) => {
        const store = openExisting(storePathOf(flags));
        try {
          const results = LOG_NAMES.map((l) => store.verifyLog(l));
          if (flags.json) process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
          else {
            for (const r of results) {
              process.stdout.write(
                r.ok
                  ? `${r.log.padEnd(11)} ok      ${String(r.entries).padStart(7)} entries  head ${r.head}\n`
                  : `${r.log.padEnd(11)} BROKEN  at entry ${r.brokenAt}: ${r.reason}\n`,
              );
            }
          }
          if (results.some((r) => !r.ok)) process.exitCode = EXIT.failed;
        } finally {
          store.close();
        }
      }),
    );
  logs
    .command('show')
    .summary('print entries of one log')
    .description(
      'Print entries of the system, consumer or calibration log from --from (index), at most --count (≤ 1500).',
    )
    .option('--store <file>', 'gateway store (SQLite)')
    .option('--bootstrap <file>', 'or: the bootstrap file naming the store')
    .addOption(new Option('--log <name>', 'which log').choices([...LOG_NAMES]).default('system'))
    .option('--from <index>', 'first index', positiveInteger('--from'), 1)
    .option('--count <n>', 'most entries (≤ 1500)', positiveInteger('--count'), 100)
    .option('--json', 'print JSON lines')
    .addHelpText('after', examples(['smgw gateway logs show --store var/gateway/gateway.db --log calibration']))
    .action(
      run(
        async (flags: {
          store?: string;
          bootstrap?: string;
          log: LogName;
          from: number;
          count: number;
          json?: boolean;
        }) => {
          const store = openExisting(storePathOf(flags));
          try {
            for (const e of store.readLog(flags.log, flags.from, Math.min(flags.count, 1500))) {
              process.stdout.write(
                flags.json
                  ? `${JSON.stringify(e)}\n`
                  : `${String(e.index).padStart(6)} ${e.time} L${e.level} ${e.event.padEnd(24)} ${e.subject ?? ''} ${e.message}\n`,
              );
            }
          } finally {
            store.close();
          }
        },
      ),
    );
}

function registerStatus(gateway: Command): void {
  gateway
    .command('status')
    .summary('counts from the store: profiles, readings, queued deliveries, log heads')
    .description('Read the gateway store (also while the gateway runs) and print what it holds, as JSON.')
    .option('--store <file>', 'gateway store (SQLite)')
    .option('--bootstrap <file>', 'or: the bootstrap file naming the store')
    .addHelpText('after', examples(['smgw gateway status --bootstrap var/gateway/bootstrap.json']))
    .action(
      run(async (flags: { store?: string; bootstrap?: string }) => {
        const store = openExisting(storePathOf(flags));
        try {
          const status = {
            meters: store.meterProfiles().map((m) => m.meterId),
            communicationProfiles: store.communicationProfiles().map((c) => c.id),
            evaluationProfiles: store.evaluationProfiles().map((e) => `${e.id} (TAF ${e.taf})`),
            readings: store.countReadings(),
            queuedDeliveries: store.queueLength(),
            logs: Object.fromEntries(LOG_NAMES.map((l) => [l, store.logHead(l) ?? null])),
          };
          process.stdout.write(`${JSON.stringify(status, null, 2)}\n`);
        } finally {
          store.close();
        }
      }),
    );
}

export function registerGateway(program: Command): void {
  const gateway = program
    .command('gateway')
    .description('the Smart Meter Gateway: run it, write its bootstrap file, read its logs');
  registerRun(gateway);
  registerInit(gateway);
  registerLogs(gateway);
  registerStatus(gateway);
}
