/**
 * `smgw headend emt ...`: the external market participant (EMT). `serve` runs its HTTPS server
 * (gateways deliver CMS containers to it: docs/wire-protocols.md "Deliveries"); `readings` and
 * `messages` show what it stored. They open the store read-only (SQLite in WAL mode, or
 * PostgreSQL), so they work while the server runs and after it stopped.
 *
 * The work is @opensmgw/headend's; this file maps options to calls and errors to one line
 * `error: <code>: <message>` and an exit code (0 ok, 1 failed, 2 usage).
 */
import { CoreError, systemClock } from '@opensmgw/core';
import {
  DEFAULT_QUERY_LIMIT,
  decimalText,
  type EmtStore,
  MAX_QUERY_LIMIT,
  openEmtStore,
  parseQueryGateway,
  parseQueryMeter,
  parseQueryTime,
  readingView,
  type StoredEmtMessage,
  type StoredEmtReading,
  startEmtServer,
} from '@opensmgw/headend';
import { type Command, InvalidArgumentError } from 'commander';
import { examples } from './pki-command-io.js';
import { run } from './security-command-io.js';
import { serveUntilSignal } from './serve-until-signal.js';

const DEFAULT_DATA = 'var/emt';
const DEFAULT_PKI = 'var/pki';
const DATABASE_ENV = 'SMGW_EMT_DATABASE';
const GATEWAY_EXAMPLE = 'EOSM0100000001';

/** A commander argument parser from one of the head-end's query parsers (their errors are usage errors). */
function arg<T>(parse: (text: string) => T) {
  return (v: string): T => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}

function port(v: string): number {
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n > 65535)
    throw new InvalidArgumentError(`${JSON.stringify(v)} is not a port (0..65535)`);
  return n;
}

function limit(v: string): number {
  const n = Number(v);
  if (!/^\d{1,7}$/.test(v) || n < 1 || n > MAX_QUERY_LIMIT) {
    throw new InvalidArgumentError(`${JSON.stringify(v)} is not 1..${MAX_QUERY_LIMIT}`);
  }
  return n;
}

interface StoreFlags {
  data?: string;
  database?: string;
}

function withStore(command: Command): Command {
  return command
    .option('--data <dir>', `EMT data directory holding emt.db (default ${DEFAULT_DATA})`)
    .option(
      '--database <url>',
      `PostgreSQL instead of SQLite: postgres://user@host/db (or set ${DATABASE_ENV}, which keeps a password out of the process list)`,
    );
}

/** The store the flags name: --database, else $SMGW_EMT_DATABASE, else SQLite in --data. */
function storeChoice(flags: StoreFlags): { dataDir: string; database?: string } {
  if (flags.data !== undefined && flags.database !== undefined) {
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', 'give --data or --database, not both');
  }
  const env = process.env[DATABASE_ENV];
  const database = flags.database ?? (flags.data === undefined && env !== undefined && env !== '' ? env : undefined);
  return { dataDir: flags.data ?? DEFAULT_DATA, ...(database === undefined ? {} : { database }) };
}

async function withReadonlyStore(flags: StoreFlags, body: (store: EmtStore) => Promise<void>): Promise<void> {
  const store = await openEmtStore({ ...storeChoice(flags), readonly: true });
  try {
    await body(store);
  } finally {
    await store.close();
  }
}

/** Columns padded to their widest cell; `right` columns (numbers) aligned right. */
function table(header: readonly string[], rows: readonly (readonly string[])[], right: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((c, i) => (right.has(i) ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(header), ...rows.map(line)].join('\n')}\n`;
}

/**
 * Prints a page of rows as one JSON array (--json) or an aligned table, then tells on stderr
 * when --limit may have cut the page.
 */
function printPage<T>(
  rows: readonly T[],
  flags: { json?: boolean; limit: number },
  what: string,
  json: (r: T) => unknown,
  columns: { header: string[]; row: (r: T) => string[]; rightAligned: Set<number> },
): void {
  if (flags.json) {
    process.stdout.write(`${JSON.stringify(rows.map(json), null, 2)}\n`);
  } else {
    process.stdout.write(table(columns.header, rows.map(columns.row), columns.rightAligned));
  }
  if (rows.length === flags.limit) {
    process.stderr.write(`showing the first ${flags.limit} ${what}; --limit shows more\n`);
  }
}

// ---------------------------------------------------------------- serve

interface ServeFlags extends StoreFlags {
  pki: string;
  entity: string;
  host: string;
  port: number;
}

function registerServe(emt: Command): void {
  withStore(emt.command('serve'))
    .summary('run the EMT HTTPS server the gateways deliver readings to')
    .description(
      [
        'Run an EMT (external market participant): HTTPS with mutual TLS 1.2 (WAN server',
        'profile), the TLS key and certificate of --entity in the test PKI (--pki), trusting',
        'the SM-PKI root and CRLs. Only gateway certificates (<gatewayId>.SMGW) get in.',
        '',
        'POST /emt/v1/containers takes a CMS container (application/cms): it is decrypted',
        "with the entity's ENC key; its signer must be a valid SM-PKI gateway SIG",
        'certificate of the gateway on the TLS connection, and the payload a readings',
        'message of that gateway. Answers: 201 {"stored": n} new, 200 {"duplicate": true}',
        'for a message ID stored before, 4xx {"error": {"code", "message"}} refused.',
        'GET /emt/v1/readings?gateway=&meter=&from=&to=&limit= answers a gateway its own',
        'readings.',
        '',
        'Storage: SQLite <data>/emt.db (WAL), or PostgreSQL with --database. Events are',
        'logged as JSON lines on stdout. Stops on SIGINT/SIGTERM.',
      ].join('\n'),
    )
    .option('--pki <dir>', 'test PKI directory (smgw pki init)', DEFAULT_PKI)
    .option('--entity <name>', 'the EMT entity in the PKI (slots wan-tls, wan-enc)', 'emt-1')
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', port, 9443)
    .addHelpText(
      'after',
      examples([
        'smgw headend emt serve',
        'smgw headend emt serve --data var/emt --pki var/pki --entity emt-1 --port 9443',
        `${DATABASE_ENV}=postgres://emt@db.example/emt smgw headend emt serve --entity emt-2 --port 9444`,
      ]),
    )
    .action(
      run((flags: ServeFlags) =>
        serveUntilSignal(() =>
          startEmtServer({
            ...storeChoice(flags),
            pkiDir: flags.pki,
            entity: flags.entity,
            host: flags.host,
            port: flags.port,
            clock: systemClock,
          }),
        ),
      ),
    );
}

// ---------------------------------------------------------------- readings

interface ReadingsFlags extends StoreFlags {
  gateway?: string;
  meter?: string;
  from?: number;
  to?: number;
  limit: number;
  json?: boolean;
}

function readingRow(r: StoredEmtReading): string[] {
  const v = readingView(r);
  return [
    v.gatewayId,
    v.meterId,
    v.obis,
    v.quantity ?? '-',
    decimalText(r.value, r.scaler),
    v.unit,
    v.captureTime,
    v.kind,
    v.evaluationProfileId,
    v.messageId,
  ];
}

function registerReadings(emt: Command): void {
  withStore(emt.command('readings'))
    .summary('show the readings the EMT stored')
    .description(
      [
        'Show stored readings, oldest capture time first: as an aligned table, or with',
        '--json as one JSON array of objects with exactly these fields:',
        '  gatewayId, meterId, obis ("1-0:1.8.0*255"), obisHex ("0100010800ff"),',
        '  quantity ("energy import", "power", "gas volume", "water volume",',
        '  "heat energy", "heat volume" or null), value (a number: register value',
        '  x 10^scaler), unit, captureTime (ISO), targetTime (ISO or null), kind',
        '  (original, derived, daily), evaluationProfileId, messageId.',
        'The table shows the value as exact decimal text.',
        '',
        'The store is opened read-only: this works while `serve` runs and after.',
      ].join('\n'),
    )
    .option('--gateway <id>', `only this gateway, e.g. ${GATEWAY_EXAMPLE}`, arg(parseQueryGateway))
    .option('--meter <id>', 'only this meter, e.g. ELS-12345678', arg(parseQueryMeter))
    .option(
      '--from <iso-time>',
      'capture time from (inclusive), e.g. 2026-11-28T00:00:00Z',
      arg((v) => parseQueryTime('--from', v)),
    )
    .option(
      '--to <iso-time>',
      'capture time to (inclusive)',
      arg((v) => parseQueryTime('--to', v)),
    )
    .option('--limit <n>', `at most this many (1..${MAX_QUERY_LIMIT})`, limit, DEFAULT_QUERY_LIMIT)
    .option('--json', 'one JSON array instead of the table')
    .addHelpText(
      'after',
      examples([
        'smgw headend emt readings',
        `smgw headend emt readings --data var/emt --gateway ${GATEWAY_EXAMPLE} --meter ELS-12345678`,
        'smgw headend emt readings --json | jq \'.[] | select(.quantity == "energy import") | .value\'',
        'smgw headend emt readings --database postgres://emt@localhost/emt --from 2026-11-28 --json',
      ]),
    )
    .action(
      run(async (flags: ReadingsFlags) => {
        await withReadonlyStore(flags, async (store) => {
          const rows = await store.readings({
            ...(flags.gateway === undefined ? {} : { gatewayId: flags.gateway }),
            ...(flags.meter === undefined ? {} : { meterId: flags.meter }),
            ...(flags.from === undefined ? {} : { fromMs: flags.from }),
            ...(flags.to === undefined ? {} : { toMs: flags.to }),
            limit: flags.limit,
          });
          printPage(rows, flags, 'readings', readingView, {
            header: [
              'GATEWAY',
              'METER',
              'OBIS',
              'QUANTITY',
              'VALUE',
              'UNIT',
              'CAPTURE TIME',
              'KIND',
              'PROFILE',
              'MESSAGE',
            ],
            row: readingRow,
            rightAligned: new Set([4]),
          });
        });
      }),
    );
}

// ---------------------------------------------------------------- messages

interface MessagesFlags extends StoreFlags {
  gateway?: string;
  limit: number;
  json?: boolean;
}

function messageJson(m: StoredEmtMessage): Record<string, unknown> {
  return {
    gatewayId: m.gatewayId,
    messageId: m.messageId,
    evaluationProfileId: m.evaluationProfileId,
    taf: m.taf,
    created: new Date(m.createdMs).toISOString(),
    received: new Date(m.receivedMs).toISOString(),
    readings: m.readingCount,
    readingsStored: m.readingsStored,
    usagePointId: m.usagePointId ?? null,
    tariffName: m.tariffName ?? null,
    senderCertSha256: m.senderCertSha256,
    containerSha256: m.containerSha256,
  };
}

function registerMessages(emt: Command): void {
  withStore(emt.command('messages'))
    .summary('show the messages (deliveries) the EMT accepted')
    .description(
      [
        'Show accepted messages, oldest first: gateway, message ID, evaluation profile,',
        'TAF, when it was created and received, how many readings it carried and how many',
        'of them were new (a replayed reading is stored once), and the SHA-256 of the',
        "sender's SIG certificate and of the container. --json prints a JSON array.",
        '',
        'The store is opened read-only: this works while `serve` runs and after.',
      ].join('\n'),
    )
    .option('--gateway <id>', `only this gateway, e.g. ${GATEWAY_EXAMPLE}`, arg(parseQueryGateway))
    .option('--limit <n>', `at most this many (1..${MAX_QUERY_LIMIT})`, limit, DEFAULT_QUERY_LIMIT)
    .option('--json', 'one JSON array instead of the table')
    .addHelpText(
      'after',
      examples(['smgw headend emt messages', `smgw headend emt messages --gateway ${GATEWAY_EXAMPLE} --json`]),
    )
    .action(
      run(async (flags: MessagesFlags) => {
        await withReadonlyStore(flags, async (store) => {
          const rows = await store.messages({
            ...(flags.gateway === undefined ? {} : { gatewayId: flags.gateway }),
            limit: flags.limit,
          });
          printPage(rows, flags, 'messages', messageJson, {
            header: ['GATEWAY', 'MESSAGE', 'PROFILE', 'TAF', 'RECEIVED', 'READINGS', 'NEW'],
            row: (m) => [
              m.gatewayId,
              m.messageId,
              m.evaluationProfileId,
              String(m.taf),
              new Date(m.receivedMs).toISOString(),
              String(m.readingCount),
              String(m.readingsStored),
            ],
            rightAligned: new Set([3, 5, 6]),
          });
        });
      }),
    );
}

export function registerHeadendEmt(headend: Command): void {
  const emt = headend
    .command('emt')
    .summary('external market participant (EMT): receive and show readings')
    .description(
      [
        'The EMT side of the WAN: a server the gateways deliver CMS containers of readings',
        'to (serve), and the operator commands that show what it stored (readings,',
        'messages). docs/wire-protocols.md "Deliveries" describes the protocol.',
      ].join('\n'),
    );
  registerServe(emt);
  registerReadings(emt);
  registerMessages(emt);
}
