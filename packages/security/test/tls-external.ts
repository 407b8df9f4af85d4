/**
 * External TLS checkers for the profile servers (helper, not a test file): the system's
 * `openssl s_client` and `testssl.sh` (Debian package, 3.0.x). Both run as child processes
 * with async spawn, so the server under test keeps answering in the same process.
 *
 * testssl.sh 3.0 has no option for a client certificate (the `--mtls` option came in 3.1), and
 * its OpenSSL-based checks would offer no brainpool groups (OpenSSL does not by default), so
 * against our servers (mutual authentication, brainpool certificates) they would all fail. We
 * hand testssl.sh an `--openssl` wrapper script that adds our client certificate to every
 * `s_client` call and an OPENSSL_CONF whose system default offers the five TR-03116-3 groups.
 * testssl.sh's own socket-based checks (protocols, cipher lists, ServerHello details) need no
 * client certificate: they stop at the ServerHello.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessResult {
  readonly code: number | null;
  /** stdout and stderr interleaved as they came. */
  readonly output: string;
}

export interface SClientOptions {
  /** Lines to send once the handshake is printed (e.g. 'R' for renegotiation); stdin closes after `until`. */
  readonly send?: string;
  /** Close stdin when the output matches this (default: right after sending). */
  readonly until?: RegExp;
  readonly timeoutMs?: number;
}

/** Runs `openssl s_client <args>`; stdin is closed at once unless `send` is given. */
export function sClient(args: readonly string[], options: SClientOptions = {}): Promise<ProcessResult> {
  return new Promise((resolve) => {
    const child = spawn('openssl', ['s_client', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    let sent = false;
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 15_000);
    const onData = (d: Buffer): void => {
      output += d.toString('latin1');
      if (
        options.send !== undefined &&
        !sent &&
        /Verify return code|SSL-Session:/.test(output) &&
        /\n---\n/.test(output)
      ) {
        sent = true;
        child.stdin.write(`${options.send}\n`);
        if (options.until === undefined) child.stdin.end();
      }
      if (sent && options.until?.test(output) === true) child.stdin.end();
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.stdin.on('error', () => {});
    if (options.send === undefined) child.stdin.end();
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

/** The system OpenSSL's version line, e.g. "OpenSSL 3.0.19 27 Jan 2026". */
export function opensslVersion(): string {
  return spawnSync('openssl', ['version'], { encoding: 'utf8' }).stdout.trim();
}

/** testssl.sh's version ("3.0.8"), or undefined when it is not installed. */
export function testsslVersion(): string | undefined {
  const r = spawnSync('testssl', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) return undefined;
  return /testssl\s+(?:\S*\s+)?(\d+\.\d+\.\d+[.\w-]*)/.exec(r.stdout)?.[1];
}

/** The five TR-03116-3 groups, so OpenSSL offers brainpool (and a TLS 1.3 group so 1.3 hellos stay valid). */
const GROUPS = 'brainpoolP256r1:brainpoolP384r1:brainpoolP512r1:P-256:P-384';

export interface ClientIdentityFiles {
  readonly certPath: string;
  readonly keyPath: string;
  /** Intermediates to send after the leaf (SM-PKI: the Sub-CA). */
  readonly chainPath?: string;
}

/** Writes the wrapper described in the header into `dir` and returns its path. */
export function writeOpensslWrapper(dir: string, client: ClientIdentityFiles): string {
  const opensslPath = spawnSync('sh', ['-c', 'command -v openssl'], { encoding: 'utf8' }).stdout.trim();
  const conf = join(dir, 'openssl-brainpool.cnf');
  writeFileSync(
    conf,
    [
      'openssl_conf = openssl_init',
      '[openssl_init]',
      'ssl_conf = ssl_sect',
      '[ssl_sect]',
      'system_default = system_default_sect',
      '[system_default_sect]',
      `Groups = ${GROUPS}`,
      '',
    ].join('\n'),
  );
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const clientArgs = [
    '-cert',
    q(client.certPath),
    '-key',
    q(client.keyPath),
    ...(client.chainPath === undefined ? [] : ['-cert_chain', q(client.chainPath)]),
  ].join(' ');
  const wrapper = join(dir, 'openssl-mtls');
  writeFileSync(
    wrapper,
    [
      '#!/bin/sh',
      '# openssl for testssl.sh 3.0: our client certificate on every s_client call, brainpool groups',
      `export OPENSSL_CONF=${q(conf)}`,
      `if [ "$1" = s_client ]; then shift; exec ${q(opensslPath)} s_client ${clientArgs} "$@"; fi`,
      `exec ${q(opensslPath)} "$@"`,
      '',
    ].join('\n'),
  );
  chmodSync(wrapper, 0o755);
  return wrapper;
}

export interface TestsslFinding {
  readonly id: string;
  readonly severity: string;
  readonly finding: string;
}

export interface TestsslRun {
  readonly findings: readonly TestsslFinding[];
  readonly code: number | null;
  readonly seconds: number;
  /** The plain-text report. */
  readonly text: string;
}

/**
 * The checks we run: protocols (-p), ciphers per protocol (-E), server defaults (-S: extensions,
 * session resumption, gmt_unix_time), CRIME/compression (-C), renegotiation (-R). Not -f: its
 * curve probe drops the certificate's own curve from the offer, which fails any brainpool
 * certificate server (OpenSSL #24207), so it would list one curve only; s_client checks the groups.
 */
export const TESTSSL_CHECKS = ['-p', '-E', '-S', '-C', '-R'] as const;

export function runTestssl(options: {
  readonly host: string;
  readonly port: number;
  readonly workDir: string;
  readonly name: string;
  readonly client: ClientIdentityFiles;
  readonly timeoutMs?: number;
}): Promise<TestsslRun> {
  const wrapper = writeOpensslWrapper(options.workDir, options.client);
  const json = join(options.workDir, `testssl-${options.name}.json`);
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn(
      'testssl',
      [
        '--quiet',
        '--color',
        '0',
        '--warnings',
        'off',
        '--nodns',
        'none',
        '--openssl',
        wrapper,
        ...TESTSSL_CHECKS,
        '--jsonfile',
        json,
        `${options.host}:${options.port}`,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let text = '';
    child.stdout.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      text += d.toString('utf8');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 240_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      let findings: TestsslFinding[] = [];
      try {
        findings = JSON.parse(readFileSync(json, 'utf8')) as TestsslFinding[];
      } catch {
        // no JSON: the caller sees an empty list and the text
      }
      resolve({ findings, code, seconds: (performance.now() - started) / 1000, text });
    });
  });
}

export interface TestsslSummary {
  /** SSLv2 … TLS1_3 → testssl's finding ("offered", "not offered", …). */
  readonly protocols: Readonly<Record<string, string>>;
  /** OpenSSL names of every cipher found, with its protocol, e.g. "TLS 1.2 ECDHE-ECDSA-AES128-GCM-SHA256". */
  readonly ciphers: readonly string[];
  readonly extensions: string;
  readonly sessionTicket: string;
  readonly sessionId: string;
  readonly timestamp: string;
  readonly secureRenegotiation: string;
  readonly clientRenegotiation: string;
  readonly crime: string;
}

export function summarizeTestssl(findings: readonly TestsslFinding[]): TestsslSummary {
  const get = (id: string): string => findings.find((f) => f.id === id)?.finding ?? '(missing)';
  const protocols: Record<string, string> = {};
  for (const p of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1', 'TLS1_2', 'TLS1_3']) protocols[p] = get(p);
  const ciphers = findings
    .filter((f) => f.id.startsWith('cipher-'))
    .map((f) => {
      const cols = f.finding.trim().split(/\s+/);
      // "TLS 1.2   xc02c   ECDHE-ECDSA-AES256-GCM-SHA384 ..." / "SSLv3 x..."
      const [a, b, , name] = cols;
      return a === 'TLS' ? `TLS ${b} ${name}` : `${a} ${cols[2]}`;
    });
  return {
    protocols,
    ciphers,
    extensions: get('TLS_extensions'),
    sessionTicket: get('sessionresumption_ticket'),
    sessionId: get('sessionresumption_ID'),
    timestamp: get('TLS_timestamp'),
    secureRenegotiation: get('secure_renego'),
    clientRenegotiation: get('secure_client_renego'),
    crime: get('CRIME_TLS'),
  };
}

/**
 * What the TR forbids that testssl.sh saw, as readable lines (empty: all good). TLS 1.3 is
 * judged "not offered" by prefix: testssl adds "connection failed rather than downgrading"
 * because its TLS 1.3 ClientHello lists no brainpool group, so a server with a brainpool
 * certificate cannot answer it at all (docs/tls.md); a client that lists brainpool is
 * downgraded to TLS 1.2 (tls-external.test.ts checks that with s_client).
 */
const TLS13_BRAINPOOL_ARTEFACT = 'connection failed rather than downgrading to TLSv1.2';

export function testsslViolations(summary: TestsslSummary, allowedCiphers: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1', 'TLS1_3']) {
    const f = summary.protocols[p] ?? '';
    const notOffered = f.startsWith('not offered') || (p === 'TLS1_3' && f === TLS13_BRAINPOOL_ARTEFACT);
    if (!notOffered) out.push(`${p}: ${f}`);
  }
  if (summary.protocols['TLS1_2'] !== 'offered') out.push(`TLS1_2: ${summary.protocols['TLS1_2']}`);
  const allowed = new Set(allowedCiphers.map((c) => `TLS 1.2 ${c}`));
  for (const c of summary.ciphers) if (!allowed.has(c)) out.push(`cipher not allowed: ${c}`);
  for (const c of allowed) if (!summary.ciphers.includes(c)) out.push(`cipher missing: ${c}`);
  if (!summary.crime.startsWith('not vulnerable')) out.push(`compression (CRIME): ${summary.crime}`);
  if (!summary.clientRenegotiation.startsWith('not vulnerable')) {
    out.push(`client-initiated renegotiation: ${summary.clientRenegotiation}`);
  }
  if (!summary.extensions.includes('encrypt-then-mac')) out.push(`no encrypt-then-mac: ${summary.extensions}`);
  if (!summary.extensions.includes('extended master secret'))
    out.push(`no extended master secret: ${summary.extensions}`);
  if (summary.sessionTicket !== 'not supported') out.push(`session tickets: ${summary.sessionTicket}`);
  if (summary.timestamp !== 'random') out.push(`gmt_unix_time: ${summary.timestamp}`);
  return out;
}

/** Markdown lines for docs/tls.md. */
export function formatTestsslSummary(name: string, run: TestsslRun, summary: TestsslSummary): string {
  const p = summary.protocols;
  return [
    `#### ${name} (testssl.sh ${TESTSSL_CHECKS.join(' ')}, ${run.seconds.toFixed(0)} s)`,
    '',
    '```',
    `SSLv2 ${p['SSLv2']} | SSLv3 ${p['SSLv3']} | TLS 1.0 ${p['TLS1']} | TLS 1.1 ${p['TLS1_1']}`,
    `TLS 1.2 ${p['TLS1_2']} | TLS 1.3 ${p['TLS1_3']}`,
    `Ciphers: ${summary.ciphers.join(', ')}`,
    `TLS extensions: ${summary.extensions}`,
    `Session resumption: tickets ${summary.sessionTicket}, session ID ${summary.sessionId}`,
    `gmt_unix_time: ${summary.timestamp}`,
    `Secure renegotiation (RFC 5746): ${summary.secureRenegotiation}`,
    `Client-initiated renegotiation: ${summary.clientRenegotiation}`,
    `CRIME (TLS compression): ${summary.crime}`,
    '```',
    '',
  ].join('\n');
}
