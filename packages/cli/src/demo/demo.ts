/**
 * `smgw demo` (`npm start`): the whole architecture on one machine (issue 4, Fig. 2 of the
 * seed). Creates or reuses a test PKI and the demo's state under --var (default ./var), starts
 * EMT, GWA, gateway and the meters as separate `smgw` processes, lets the GWA install the
 * profiles (and replace the gateway's factory certificates), wakes the gateway, and prints what
 * happens until Ctrl-C (or --duration), then stops every process cleanly.
 *
 * The demo process itself only does what an operator does: `smgw pki init`, writing the
 * gateway's bootstrap file, GWA operator operations on the GWA's registry, and reading the EMT's
 * store to show progress. The parts meet only on the wire.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bootstrapForTestPki, DEFAULT_HAN_REALM, digestHa1 } from '@opensmgw/gateway';
import { type GwaAdmin, openEmtStore, openGwaAdmin } from '@opensmgw/headend';
import { initTestPki } from '@opensmgw/security';
import {
  DEMO_CONSUMERS,
  DEMO_GATEWAY_ID,
  DEMO_PORTS,
  DEMO_SML_METER,
  DEMO_WMBUS_METERS,
  type DemoPorts,
  type DemoWmbusMeter,
  demoEmtProfile,
  demoEvaluationProfiles,
  demoMeterProfiles,
} from './demo-plan.js';
import { type Part, ProcessGroup } from './process-group.js';

export interface DemoOptions {
  readonly varDir: string;
  /** Port of the GWA; the others keep their distance from it (docs/wire-protocols.md). */
  readonly portBase?: number;
  /** Stop after this many seconds (default: run until SIGINT/SIGTERM). */
  readonly durationSeconds?: number;
  /** Show every line of every part (default: the important ones). */
  readonly verbose?: boolean;
  readonly out?: (line: string) => void;
}

export function demoPorts(base: number = DEMO_PORTS.gwa): DemoPorts {
  const d = base - DEMO_PORTS.gwa;
  return {
    gwa: DEMO_PORTS.gwa + d,
    emt: DEMO_PORTS.emt + d,
    wakeup: DEMO_PORTS.wakeup + d,
    radio: DEMO_PORTS.radio + d,
    lmnTls: DEMO_PORTS.lmnTls + d,
    hanApi: DEMO_PORTS.hanApi + d,
    cls: DEMO_PORTS.cls + d,
  };
}

export interface DemoPaths {
  readonly var: string;
  readonly pki: string;
  readonly gwa: string;
  readonly emt: string;
  readonly gateway: string;
  readonly bootstrap: string;
  readonly demo: string;
  readonly meters: string;
  /** The first consumer's HAN login {url, user, password} (issue 5). */
  readonly consumer: string;
  readonly configured: string;
  readonly sentWmbus: string;
  readonly sentSml: string;
  readonly counters: string;
}

export function demoPaths(varDir: string): DemoPaths {
  const v = resolve(varDir);
  return {
    var: v,
    pki: join(v, 'pki'),
    gwa: join(v, 'gwa'),
    emt: join(v, 'emt'),
    gateway: join(v, 'gateway'),
    bootstrap: join(v, 'gateway', 'bootstrap.json'),
    demo: join(v, 'demo'),
    meters: join(v, 'demo', 'meters.json'),
    consumer: join(v, 'demo', 'consumer.json'),
    configured: join(v, 'demo', 'configured.json'),
    sentWmbus: join(v, 'demo', 'sent-wmbus.jsonl'),
    sentSml: join(v, 'demo', 'sent-sml.jsonl'),
    counters: join(v, 'demo', 'wmbus-counters.json'),
  };
}

/** Prepares PKI, meter keys and the gateway bootstrap file (idempotent). */
export async function prepareDemo(paths: DemoPaths, ports: DemoPorts, out: (l: string) => void): Promise<void> {
  mkdirSync(paths.demo, { recursive: true });
  if (!existsSync(join(paths.pki, 'pki.json'))) {
    const r = await initTestPki(paths.pki, { gatewayId: DEMO_GATEWAY_ID });
    out(`PKI       created a test SM-PKI in ${paths.pki} (${r.files.length} files, ${Math.round(r.elapsedMs)} ms)`);
  } else out(`PKI       reusing ${paths.pki}`);
  if (!existsSync(paths.meters)) {
    const meters: DemoWmbusMeter[] = DEMO_WMBUS_METERS.map((m) => ({ ...m, keyHex: randomBytes(16).toString('hex') }));
    writeFileSync(paths.meters, `${JSON.stringify({ meters }, null, 2)}\n`, { mode: 0o600 });
  }
  mkdirSync(paths.gateway, { recursive: true });
  const bootstrap = bootstrapForTestPki({
    pkiDir: paths.pki,
    gatewayId: DEMO_GATEWAY_ID,
    storePath: join(paths.gateway, 'gateway.db'),
    gwaUrl: `https://127.0.0.1:${ports.gwa}`,
    wakeup: { host: '127.0.0.1', port: ports.wakeup },
    radio: { host: '127.0.0.1', port: ports.radio },
    lmnTls: { host: '127.0.0.1', port: ports.lmnTls },
    hanApi: { host: '127.0.0.1', port: ports.hanApi },
    cls: { host: '127.0.0.1', port: ports.cls },
    pollIntervalSeconds: 10,
  });
  writeFileSync(paths.bootstrap, `${JSON.stringify(bootstrap, null, 2)}\n`);
}

/** The GWA operator's work, once: register the gateway, its EMT, meters, evaluation profiles, certificate renewal. */
export interface ConfigureOptions {
  /** TAF raster in seconds (default DEMO_REGISTRATION_SECONDS). */
  readonly registrationSeconds?: number;
  /** Create the consumers' HAN accounts (default true; false for a gateway without HAN). */
  readonly consumers?: boolean;
  /** More operator work on the open registry (tests add meters and market participants). */
  readonly extra?: (admin: GwaAdmin) => void;
}

export function configureGwa(
  paths: DemoPaths,
  ports: DemoPorts,
  nowMs: number,
  out: (l: string) => void,
  options: ConfigureOptions = {},
): void {
  if (existsSync(paths.configured)) {
    out('GWA       gateway already configured (delete var/demo/configured.json to redo)');
    return;
  }
  const admin = openGwaAdmin({ dataDir: paths.gwa, pkiDir: paths.pki });
  try {
    admin.registerGateway({ id: DEMO_GATEWAY_ID, wakeup: `udp://127.0.0.1:${ports.wakeup}` });
    const pem = (rel: string): string => readFileSync(join(paths.pki, rel), 'utf8');
    const emt = demoEmtProfile({ tlsPem: pem('emt-1/tls.crt.pem'), encPem: pem('emt-1/enc.crt.pem') }, ports.emt);
    admin.addEmt(DEMO_GATEWAY_ID, {
      id: emt.id,
      url: emt.url,
      servername: emt.servername,
      tlsCertPem: emt.tlsCertificatePem,
      encCertPem: emt.encryptionCertificatePem,
      retry: { initialDelayMs: 1000, maxDelayMs: 15_000 },
    });
    const { meters } = JSON.parse(readFileSync(paths.meters, 'utf8')) as { meters: DemoWmbusMeter[] };
    const meterProfiles = demoMeterProfiles(meters, pem(`${DEMO_SML_METER.entity}/lmn-tls.crt.pem`));
    for (const m of meterProfiles) admin.addMeter(DEMO_GATEWAY_ID, m);
    const evaluation = demoEvaluationProfiles(meterProfiles, nowMs, options.registrationSeconds);
    for (const e of evaluation) admin.setProfile(DEMO_GATEWAY_ID, e);
    for (const c of options.consumers === false ? [] : DEMO_CONSUMERS) {
      // A random password per consumer, handed over in var/demo (the operator's "confidential
      // channel", spec notes §9.1); the gateway only gets the Digest hash.
      const password = randomBytes(12).toString('base64url');
      admin.setHanAccount(DEMO_GATEWAY_ID, {
        userId: c.userId,
        role: 'consumer',
        usagePointIds: [c.usagePointId],
        meterIds: meterProfiles.filter((m) => m.consumerId === c.userId).map((m) => m.meterId),
        digestHa1: digestHa1(c.userId, DEFAULT_HAN_REALM, password),
      });
      const file = c.userId === 'consumer-1' ? paths.consumer : join(paths.demo, `${c.userId}.json`);
      writeFileSync(
        file,
        `${JSON.stringify({ url: `https://localhost:${ports.hanApi}`, user: c.userId, password }, null, 2)}\n`,
        { mode: 0o600 },
      );
    }
    admin.renewCertificates(DEMO_GATEWAY_ID);
    options.extra?.(admin);
    out(
      `GWA       queued: EMT emt-1, ${meterProfiles.length} meter profiles, ${evaluation.length} evaluation profiles, certificate renewal`,
    );
    writeFileSync(
      paths.configured,
      `${JSON.stringify({ gatewayId: DEMO_GATEWAY_ID, at: new Date(nowMs).toISOString() })}\n`,
    );
  } finally {
    admin.close();
  }
}

/** The `smgw` arguments of each part of the demo (also what a user types to start one alone). */
export function demoCommands(paths: DemoPaths, ports: DemoPorts) {
  return {
    emt: ['headend', 'emt', 'serve', '--data', paths.emt, '--pki', paths.pki, '--port', String(ports.emt)],
    gwa: ['headend', 'gwa', 'serve', '--data', paths.gwa, '--pki', paths.pki, '--port', String(ports.gwa)],
    gateway: ['gateway', 'run', '--bootstrap', paths.bootstrap],
    wmbusMeters: [
      'devices',
      'wmbus-meters',
      '--config',
      paths.meters,
      '--radio',
      `udp://127.0.0.1:${ports.radio}`,
      '--state',
      paths.counters,
      '--sent-log',
      paths.sentWmbus,
    ],
    smlMeter: (intervalSeconds: number): string[] => [
      'devices',
      'sml-meter',
      '--pki',
      paths.pki,
      '--entity',
      DEMO_SML_METER.entity,
      '--meter-id',
      DEMO_SML_METER.meterId,
      '--gateway',
      `127.0.0.1:${ports.lmnTls}`,
      '--interval',
      String(intervalSeconds),
      '--sent-log',
      paths.sentSml,
    ],
  };
}

/** A readable line from a part's JSON log line (or the line itself). */
function summarize(line: string): { msg: string; level: string } {
  try {
    const o = JSON.parse(line) as Record<string, unknown>;
    const { time: _t, level, msg, part: _p, ...rest } = o;
    const extra = Object.entries(rest)
      .filter(([, v]) => typeof v !== 'object')
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return { msg: `${String(msg ?? '')}${extra ? `  ${extra}` : ''}`, level: String(level ?? 'info') };
  } catch {
    return { msg: line, level: 'info' };
  }
}

const QUIET_PARTS = new Set(['wmbus-meters', 'sml-meter']);
/** Lines repeated for every request; shown with --verbose only. */
const NOISY = /"event":"(gateway-connected|job-sent|result-received)"/;

export async function runDemo(options: DemoOptions): Promise<number> {
  const out = options.out ?? ((l: string) => process.stdout.write(`${l}\n`));
  const paths = demoPaths(options.varDir);
  const ports = demoPorts(options.portBase);
  const started = Date.now();
  const at = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s`;
  const waiters: { part: string; re: RegExp; resolve: () => void }[] = [];
  const meterLines = new Map<string, number>();
  const group = new ProcessGroup((part, line, stream) => {
    for (const w of waiters.filter((x) => x.part === part && x.re.test(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    if (QUIET_PARTS.has(part) && !options.verbose) {
      const n = (meterLines.get(part) ?? 0) + 1;
      meterLines.set(part, n);
      if (n > 3 && stream === 'stdout') return;
    }
    if (!options.verbose && NOISY.test(line)) return;
    const { msg, level } = summarize(line);
    if (!options.verbose && level === 'debug') return;
    out(`${at()}  ${part.padEnd(12)} ${msg}`);
  });
  const waitLine = (part: Part, re: RegExp, timeoutMs: number): Promise<void> =>
    new Promise((res, rej) => {
      const timer = setTimeout(
        () => rej(new Error(`${part.name}: no "${re.source}" within ${timeoutMs} ms`)),
        timeoutMs,
      );
      waiters.push({
        part: part.name,
        re,
        resolve: () => {
          clearTimeout(timer);
          res();
        },
      });
      void part.exited.then(() => {
        clearTimeout(timer);
        rej(new Error(`${part.name} exited`));
      });
    });

  let stopping = false;
  let stopRequested: () => void = () => {};
  const stopSignal = new Promise<void>((res) => {
    stopRequested = res;
  });
  const onSignal = (): void => {
    if (!stopping) out(`${at()}  demo         stopping all parts ...`);
    stopping = true;
    stopRequested();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let progress: NodeJS.Timeout | undefined;
  try {
    out('OpenSMGW demo: meters -> gateway -> market participant, administered by a GWA (issue 4)');
    await prepareDemo(paths, ports, out);
    const commands = demoCommands(paths, ports);
    const emt = group.start('emt', commands.emt);
    const gwa = group.start('gwa', commands.gwa);
    await Promise.all([waitLine(emt, /listening/, 30_000), waitLine(gwa, /listening/, 30_000)]);
    configureGwa(paths, ports, Date.now(), (l) => out(`${at()}  ${l}`));
    const gw = group.start('gateway', commands.gateway);
    await waitLine(gw, /gateway started/, 30_000);
    await waitLine(gw, /GWA session done/, 30_000);
    const admin = openGwaAdmin({ dataDir: paths.gwa, pkiDir: paths.pki });
    try {
      const sent = await admin.wake(DEMO_GATEWAY_ID);
      out(
        `${at()}  demo         GWA sent a signed wake-up packet (${JSON.stringify(sent, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))})`,
      );
    } finally {
      admin.close();
    }
    group.start('wmbus-meters', commands.wmbusMeters);
    group.start('sml-meter', commands.smlMeter(DEMO_SML_METER.intervalSeconds));
    out('');
    out('Running. Where to look:');
    out(
      `  EMT        https://127.0.0.1:${ports.emt}  (mutual TLS)   readings: smgw headend emt readings --data ${paths.emt}`,
    );
    out(
      `  GWA        https://127.0.0.1:${ports.gwa}  (mutual TLS)   jobs:     smgw headend gwa jobs --data ${paths.gwa}`,
    );
    out(
      `  HAN        https://localhost:${ports.hanApi}/han/v1/me  (Digest login: ${paths.consumer}); CLS proxy port ${ports.cls}`,
    );
    out(
      `  gateway    wake-up udp://127.0.0.1:${ports.wakeup}, radio udp://127.0.0.1:${ports.radio}, LMN TLS 127.0.0.1:${ports.lmnTls}`,
    );
    out(`             logs: smgw gateway logs show --bootstrap ${paths.bootstrap}`);
    out('  Ctrl-C stops everything.');
    out('');

    let lastCount = -1;
    let firstAt: number | undefined;
    progress = setInterval(() => {
      void (async () => {
        try {
          const store = await openEmtStore({ dataDir: paths.emt, readonly: true });
          try {
            const rows = await store.readings({ limit: 100_000 });
            if (rows.length !== lastCount) {
              lastCount = rows.length;
              if (rows.length > 0 && firstAt === undefined) {
                firstAt = Date.now();
                out(
                  `${at()}  demo         first readings reached the EMT ${((firstAt - started) / 1000).toFixed(1)} s after start`,
                );
              }
              const meters = new Set(rows.map((r) => r.meterId));
              out(`${at()}  demo         EMT emt-1 holds ${rows.length} readings from ${meters.size} meters`);
            }
          } finally {
            await store.close();
          }
        } catch {
          // the EMT has not created its store yet
        }
      })();
    }, 3000);

    const timeout =
      options.durationSeconds === undefined
        ? new Promise<never>(() => {})
        : new Promise<void>((res) => setTimeout(res, (options.durationSeconds ?? 0) * 1000));
    const anyExit = Promise.race(
      group.parts.map((p) =>
        p.exited.then((code) => {
          if (!stopping) out(`${at()}  demo         ${p.name} exited unexpectedly (code ${code})`);
        }),
      ),
    );
    await Promise.race([stopSignal, timeout, anyExit]);
    stopping = true;
    return 0;
  } catch (e) {
    out(`demo failed: ${e instanceof Error ? e.message : String(e)}`);
    return 1;
  } finally {
    if (progress) clearInterval(progress);
    await group.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    out(`${at()}  demo         all parts stopped. State is kept in ${paths.var}.`);
  }
}
