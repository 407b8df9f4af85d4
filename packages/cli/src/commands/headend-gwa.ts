/**
 * `smgw headend gwa ...`: the gateway administrator (GWA). `serve` runs its HTTPS server (the
 * gateways call it: docs/wire-protocols.md "Administration"); the other commands are the
 * operator's: register gateways, queue jobs (profiles, certificate renewal, log reads), send
 * wake-ups, look at jobs. They write the GWA's registry database (<data>/gwa.db) directly, so
 * they work whether or not the server runs; a running server hands new jobs to the gateway at
 * its next contact (`wake` makes that now).
 *
 * The work is @opensmgw/headend's; this file maps options to calls and errors to one line
 * `error: <code>: <message>` and an exit code (0 ok, 1 failed, 2 usage, 3 a file could not be read).
 */
import { join } from 'node:path';
import { systemClock } from '@opensmgw/core';
import {
  type GwaAdmin,
  HeadendError,
  logEntriesOf,
  openGwaAdmin,
  type StoredJob,
  startGwaServer,
} from '@opensmgw/headend';
import type { AdminJob, LogEntry } from '@opensmgw/protocol';
import { type Command, InvalidArgumentError } from 'commander';
import { positiveInteger } from './option-parsers.js';
import { examples, readInput } from './pki-command-io.js';
import { run } from './security-command-io.js';
import { serveUntilSignal } from './serve-until-signal.js';

const DEFAULT_DATA = 'var/gwa';
const DEFAULT_PKI = 'var/pki';
const GATEWAY_EXAMPLE = 'EOSM0100000001';

interface DataFlags {
  data: string;
}

function withData(command: Command): Command {
  return command.option('--data <dir>', 'GWA data directory (holds gwa.db)', DEFAULT_DATA);
}

function withGateway(command: Command): Command {
  return command.requiredOption('--gateway <id>', `gateway ID (E + 3 letters + 10 digits), e.g. ${GATEWAY_EXAMPLE}`);
}

function port(v: string): number {
  const n = Number(v);
  if (!/^\d{1,5}$/.test(v) || n > 65535)
    throw new InvalidArgumentError(`${JSON.stringify(v)} is not a port (0..65535)`);
  return n;
}

/** Opens the registry, runs `body`, closes it. */
async function withAdmin<T>(
  flags: DataFlags & { pki?: string },
  body: (admin: GwaAdmin) => Promise<T> | T,
): Promise<T> {
  const admin = openGwaAdmin({
    dataDir: flags.data,
    ...(flags.pki === undefined ? {} : { pkiDir: flags.pki }),
    clock: systemClock,
  });
  try {
    return await body(admin);
  } finally {
    admin.close();
  }
}

function readJsonFile(file: string): unknown {
  const text = readInput(file).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', `${file} is not JSON: ${(e as Error).message}`);
  }
}

function queued(jobs: readonly AdminJob[]): void {
  for (const j of jobs) process.stdout.write(`queued ${j.jobId} ${j.type}\n`);
}

function iso(ms: number | undefined): string {
  return ms === undefined ? '-' : new Date(ms).toISOString();
}

// ---------------------------------------------------------------- serve

interface ServeFlags extends DataFlags {
  pki: string;
  host: string;
  port: number;
}

function registerServe(gwa: Command): void {
  withData(gwa.command('serve'))
    .summary('run the GWA HTTPS server the gateways call')
    .description(
      [
        'Run the GWA server: HTTPS with mutual TLS 1.2 (WAN server profile), the GWA TLS key',
        'and certificate of the test PKI (--pki, entity gwa), trusting the SM-PKI root and',
        'CRLs. A caller must be a registered gateway (its TLS client certificate CN is',
        '<gatewayId>.SMGW, factory or operational); others get 403.',
        '',
        'Routes (docs/wire-protocols.md): GET /gwa/v1/time, GET /gwa/v1/jobs,',
        'POST /gwa/v1/jobs/<jobId>/result. create-csr results are issued by the test PKI;',
        'when TLS, SIG and ENC are issued, an install-certificates job follows.',
        '',
        'Events are logged as JSON lines on stdout. Stops on SIGINT/SIGTERM.',
      ].join('\n'),
    )
    .option('--pki <dir>', 'test PKI directory (smgw pki init)', DEFAULT_PKI)
    .option('--host <address>', 'address to listen on', '127.0.0.1')
    .option('--port <n>', 'TCP port (0: any free port)', port, 9440)
    .addHelpText(
      'after',
      examples(['smgw headend gwa serve', 'smgw headend gwa serve --data var/gwa --pki var/pki --port 9440']),
    )
    .action(
      run((flags: ServeFlags) =>
        serveUntilSignal(() =>
          startGwaServer({
            dataDir: flags.data,
            pkiDir: flags.pki,
            host: flags.host,
            port: flags.port,
            clock: systemClock,
          }),
        ),
      ),
    );
}

// ---------------------------------------------------------------- register

function registerRegister(gwa: Command): void {
  withGateway(withData(gwa.command('register')))
    .summary('register a gateway the GWA administers')
    .description(
      [
        'Register a gateway by its ID and its wake-up address (where wake-up packets go:',
        'UDP, docs/wire-protocols.md). Only registered gateways are served.',
      ].join('\n'),
    )
    .requiredOption('--wakeup <udp-url>', 'wake-up address udp://host:port')
    .addHelpText(
      'after',
      examples([`smgw headend gwa register --gateway ${GATEWAY_EXAMPLE} --wakeup udp://127.0.0.1:9450`]),
    )
    .action(
      run(async (flags: DataFlags & { gateway: string; wakeup: string }) => {
        const g = await withAdmin(flags, (a) => a.registerGateway({ id: flags.gateway, wakeup: flags.wakeup }));
        process.stdout.write(`registered ${g.id}, wake-up ${g.wakeup}\n`);
      }),
    );
}

// ---------------------------------------------------------------- profiles

function registerProfiles(gwa: Command): void {
  withGateway(withData(gwa.command('add-meter')))
    .summary('queue a meter profile for a gateway')
    .description(
      [
        'Queue a set-meter-profile job with the meter profile in --profile (JSON,',
        'packages/protocol profiles.ts MeterProfile). It is validated as the gateway will',
        'validate it; nothing is queued if it is not valid.',
      ].join('\n'),
    )
    .requiredOption('--profile <file>', 'meter profile JSON file')
    .addHelpText('after', examples([`smgw headend gwa add-meter --gateway ${GATEWAY_EXAMPLE} --profile meter-1.json`]))
    .action(
      run(async (flags: DataFlags & { gateway: string; profile: string }) => {
        const profile = readJsonFile(flags.profile);
        queued([await withAdmin(flags, (a) => a.addMeter(flags.gateway, profile))]);
      }),
    );

  withGateway(withData(gwa.command('set-profile')))
    .summary('queue any profile (meter, communication, evaluation) for a gateway')
    .description(
      [
        'Queue the set job for the profile in --file: a meter profile (has meterId and',
        'access), a communication profile (url and servername) or an evaluation profile',
        '(taf). It is validated first; nothing is queued if it is not valid.',
      ].join('\n'),
    )
    .requiredOption('--file <file>', 'profile JSON file')
    .addHelpText(
      'after',
      examples([
        `smgw headend gwa set-profile --gateway ${GATEWAY_EXAMPLE} --file taf7-meter-1.json`,
        `smgw headend gwa set-profile --gateway ${GATEWAY_EXAMPLE} --file emt-1-communication.json`,
      ]),
    )
    .action(
      run(async (flags: DataFlags & { gateway: string; file: string }) => {
        const profile = readJsonFile(flags.file);
        queued([await withAdmin(flags, (a) => a.setProfile(flags.gateway, profile))]);
      }),
    );

  withGateway(withData(gwa.command('add-emt')))
    .summary("queue an EMT's communication profile for a gateway")
    .description(
      [
        'Queue a set-communication-profile job: where the gateway delivers readings for the',
        'EMT --id (--url, --servername) and the EMT certificates it pins and encrypts for,',
        'read from the test PKI (--pki DIR, entity --entity: tls.crt.pem, enc.crt.pem).',
      ].join('\n'),
    )
    .requiredOption('--id <id>', 'communication profile ID, e.g. emt-1')
    .requiredOption('--url <url>', 'EMT base URL https://host:port')
    .requiredOption('--servername <name>', 'TLS server name of the EMT, e.g. emt-1.opensmgw.test')
    .option('--pki <dir>', 'test PKI directory', DEFAULT_PKI)
    .requiredOption('--entity <name>', 'the EMT entity in the test PKI, e.g. emt-1')
    .addHelpText(
      'after',
      examples([
        `smgw headend gwa add-emt --gateway ${GATEWAY_EXAMPLE} --id emt-1 --url https://127.0.0.1:9443 \\`,
        '  --servername emt-1.opensmgw.test --pki var/pki --entity emt-1',
      ]),
    )
    .action(
      run(
        async (
          flags: DataFlags & {
            gateway: string;
            id: string;
            url: string;
            servername: string;
            pki: string;
            entity: string;
          },
        ) => {
          if (!/^[a-z][a-z0-9-]{0,31}$/.test(flags.entity)) {
            throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', '--entity must be a test PKI entity name like emt-1');
          }
          const tlsCertPem = readInput(join(flags.pki, flags.entity, 'tls.crt.pem')).toString('utf8');
          const encCertPem = readInput(join(flags.pki, flags.entity, 'enc.crt.pem')).toString('utf8');
          const { pki: _pki, ...dataOnly } = flags;
          queued([
            await withAdmin(dataOnly, (a) =>
              a.addEmt(flags.gateway, {
                id: flags.id,
                url: flags.url,
                servername: flags.servername,
                tlsCertPem,
                encCertPem,
              }),
            ),
          ]);
        },
      ),
    );

  withGateway(withData(gwa.command('renew-certificates')))
    .summary("queue the renewal of a gateway's TLS, SIG and ENC certificates")
    .description(
      [
        'Queue create-csr jobs for TLS, SIG and ENC. The gateway makes new keys and answers',
        'PKCS#10 requests; the GWA server has them issued by the test PKI and then queues',
        'install-certificates, after which the gateway uses its operational certificates.',
      ].join('\n'),
    )
    .addHelpText('after', examples([`smgw headend gwa renew-certificates --gateway ${GATEWAY_EXAMPLE}`]))
    .action(
      run(async (flags: DataFlags & { gateway: string }) => {
        queued(await withAdmin(flags, (a) => a.renewCertificates(flags.gateway)));
      }),
    );
}

// ---------------------------------------------------------------- wake

function registerWake(gwa: Command): void {
  withGateway(withData(gwa.command('wake')))
    .summary('send a signed wake-up packet to a gateway')
    .description(
      [
        "Sign a wake-up packet with the GWA's SIG key (test PKI --pki, entity gwa, slot",
        "wan-sig) and send it as one UDP datagram to the gateway's registered wake-up",
        'address. The gateway then calls the GWA and fetches its pending jobs.',
      ].join('\n'),
    )
    .option('--pki <dir>', 'test PKI directory', DEFAULT_PKI)
    .addHelpText('after', examples([`smgw headend gwa wake --gateway ${GATEWAY_EXAMPLE} --pki var/pki`]))
    .action(
      run(async (flags: DataFlags & { gateway: string; pki: string }) => {
        const sent = await withAdmin(flags, (a) => a.wake(flags.gateway));
        process.stdout.write(
          `sent a ${sent.bytes}-byte wake-up to ${sent.gatewayId} at udp://${sent.host}:${sent.port}, sequence ${sent.sequence}\n`,
        );
      }),
    );
}

// ---------------------------------------------------------------- jobs, logs, status

function jobJson(j: StoredJob): Record<string, unknown> {
  return {
    jobId: j.jobId,
    gatewayId: j.gatewayId,
    type: j.type,
    state: j.state,
    created: iso(j.createdMs),
    ...(j.finishedMs === undefined ? {} : { finished: iso(j.finishedMs) }),
    ...(j.result === undefined ? {} : { result: j.result }),
    ...(j.error === undefined ? {} : { error: j.error }),
  };
}

function jobLine(j: StoredJob): string {
  const why = j.error ?? (j.result?.ok === false ? j.result.error : undefined);
  return [j.jobId, j.type, j.state, iso(j.createdMs), iso(j.finishedMs), why === undefined ? '' : `${why.code}`]
    .join('  ')
    .trimEnd();
}

function registerJobs(gwa: Command): void {
  withData(gwa.command('jobs'))
    .summary('list jobs (newest first)')
    .description('List the jobs queued for gateways: ID, type, state, created, finished, error code.')
    .option('--gateway <id>', 'only jobs of this gateway')
    .option('--state <state>', 'only pending, done or failed jobs')
    .option('--limit <n>', 'at most this many jobs', positiveInteger('--limit', 100_000), 100)
    .option('--json', 'one JSON array with results')
    .addHelpText(
      'after',
      examples(['smgw headend gwa jobs', `smgw headend gwa jobs --gateway ${GATEWAY_EXAMPLE} --state pending --json`]),
    )
    .action(
      run(async (flags: DataFlags & { gateway?: string; state?: string; limit: number; json?: boolean }) => {
        const state = flags.state;
        if (state !== undefined && state !== 'pending' && state !== 'done' && state !== 'failed') {
          throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', '--state must be pending, done or failed');
        }
        const jobs = await withAdmin(flags, (a) =>
          a.listJobs({
            ...(flags.gateway === undefined ? {} : { gatewayId: flags.gateway }),
            ...(state === undefined ? {} : { state }),
            limit: flags.limit,
          }),
        );
        if (flags.json) process.stdout.write(`${JSON.stringify(jobs.map(jobJson), null, 2)}\n`);
        else for (const j of jobs) process.stdout.write(`${jobLine(j)}\n`);
      }),
    );

  withGateway(withData(gwa.command('logs')))
    .summary("queue a read of a gateway's system or calibration log")
    .description(
      [
        'Queue a read-log job (at most 1,500 entries from --from). With --wait, wait for the',
        "gateway's answer (it comes at its next contact: send `wake` from another shell) and",
        'print the entries, one per line: index, time, level, outcome, event, subject, message.',
      ].join('\n'),
    )
    .requiredOption('--log <name>', 'system or calibration')
    .option('--from <index>', 'first entry index', positiveInteger('--from', Number.MAX_SAFE_INTEGER), 1)
    .option('--count <n>', 'number of entries (1..1500)', positiveInteger('--count', 1500), 1500)
    .option('--wait', 'wait for the result and print the entries')
    .option('--timeout <seconds>', 'with --wait: give up after this long', positiveInteger('--timeout', 86_400), 300)
    .option('--json', 'with --wait: print the entries as a JSON array')
    .addHelpText(
      'after',
      examples([
        `smgw headend gwa logs --gateway ${GATEWAY_EXAMPLE} --log system`,
        `smgw headend gwa logs --gateway ${GATEWAY_EXAMPLE} --log calibration --wait --timeout 60`,
      ]),
    )
    .action(
      run(
        async (
          flags: DataFlags & {
            gateway: string;
            log: string;
            from: number;
            count: number;
            wait?: boolean;
            timeout: number;
            json?: boolean;
          },
        ) => {
          await withAdmin(flags, async (a) => {
            const job = a.readLog(flags.gateway, flags.log, { fromIndex: flags.from, count: flags.count });
            if (!flags.wait) {
              queued([job]);
              return;
            }
            process.stderr.write(`queued ${job.jobId}; waiting for the gateway's answer\n`);
            const done = await a.waitForJob(job.jobId, { timeoutMs: flags.timeout * 1000 });
            if (done.result?.ok === false) {
              throw new HeadendError(
                'SMGW_HEADEND_JOB_FAILED',
                `the gateway refused ${job.jobId}: ${done.result.error.code}: ${done.result.error.message}`,
              );
            }
            const entries = logEntriesOf(done);
            if (flags.json) process.stdout.write(`${JSON.stringify(entries, null, 2)}\n`);
            else for (const e of entries) process.stdout.write(`${entryLine(e)}\n`);
          });
        },
      ),
    );

  withGateway(withData(gwa.command('status')))
    .summary('show what the GWA knows of a gateway')
    .description(
      'Registration, last contact and its certificate (factory/operational), job counts, profiles set, certificates issued.',
    )
    .option('--json', 'as JSON')
    .addHelpText('after', examples([`smgw headend gwa status --gateway ${GATEWAY_EXAMPLE}`]))
    .action(
      run(async (flags: DataFlags & { gateway: string; json?: boolean }) => {
        const s = await withAdmin(flags, (a) => a.status(flags.gateway));
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
          return;
        }
        const g = s.gateway;
        const lines = [
          `gateway       ${g.id}`,
          `wake-up       ${g.wakeup}`,
          `registered    ${iso(g.registeredMs)}`,
          `last contact  ${iso(g.lastContactMs)}${g.tlsKind === undefined ? '' : ` (${g.tlsKind} certificate)`}`,
          `jobs          ${s.jobs.pending} pending, ${s.jobs.done} done, ${s.jobs.failed} failed`,
          ...s.profiles.map((p) => `profile       ${p.kind} ${p.id} (${p.jobId}, ${p.jobState})`),
          ...s.certificates.map(
            (c) =>
              `certificate   ${c.use} serial ${c.serial} issued ${iso(c.issuedMs)}${c.installJobId ? ` -> ${c.installJobId}` : ''}`,
          ),
        ];
        process.stdout.write(`${lines.join('\n')}\n`);
      }),
    );
}

function entryLine(e: LogEntry): string {
  return [e.index, e.time, `L${e.level}`, `O${e.outcome}`, e.event, e.subject ?? '-', e.message].join('  ');
}

export function registerHeadendGwa(headend: Command): void {
  const gwa = headend
    .command('gwa')
    .summary('the gateway administrator: server and operator commands')
    .description(
      [
        'The gateway administrator (GWA): `serve` runs the HTTPS server gateways call; the',
        'other commands register gateways and queue administration jobs in the GWA data',
        'directory (--data, default var/gwa), which a running server hands out.',
      ].join('\n'),
    )
    .addHelpText(
      'after',
      examples([
        'smgw headend gwa serve --pki var/pki',
        `smgw headend gwa register --gateway ${GATEWAY_EXAMPLE} --wakeup udp://127.0.0.1:9450`,
        `smgw headend gwa add-meter --gateway ${GATEWAY_EXAMPLE} --profile meter-1.json`,
        `smgw headend gwa wake --gateway ${GATEWAY_EXAMPLE}`,
        `smgw headend gwa jobs --gateway ${GATEWAY_EXAMPLE}`,
      ]),
    );
  registerServe(gwa);
  registerRegister(gwa);
  registerProfiles(gwa);
  registerWake(gwa);
  registerJobs(gwa);
}
