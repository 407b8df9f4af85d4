/**
 * Runs the openssl CLI for the PKI interop tests (an independent parser and path validator) and
 * makes the self-signed EC certificates that tests need from outside our own PKI code.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OpensslRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function openssl(args: readonly string[], input?: string | Uint8Array): OpensslRun {
  const r = spawnSync('openssl', args, { input: input ?? '', encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `openssl x509 -text` of a certificate file; asserts that openssl parsed it. */
export function x509Text(path: string): string {
  const r = openssl(['x509', '-in', path, '-noout', '-text']);
  assert.equal(r.status, 0, `openssl x509 -in ${path}: ${r.stderr}`);
  return r.stdout;
}

/** `openssl req -x509 -newkey ec`: a fresh key on `curve` and a certificate it signs itself (SHA-256). */
export interface SelfSignedRequest {
  /** OpenSSL's curve name: `brainpoolP256r1`, `prime256v1`, … */
  readonly curve: string;
  /** In `-subj` form: `/CN=meter-1.LMN/O=Test/C=DE`. */
  readonly subject: string;
  readonly days: number;
  /** `-addext` values, e.g. `keyUsage=critical,digitalSignature`. */
  readonly extensions?: readonly string[];
}

export interface SelfSignedFiles {
  readonly keyPath: string;
  readonly certPath: string;
  /** The private key (PKCS#8 PEM) as written. */
  readonly key: Buffer;
  /** The certificate as written (PEM, or DER with `der: true`). */
  readonly cert: Buffer;
}

function selfSignedArgs(r: SelfSignedRequest, keyOut: string): string[] {
  return [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    `ec_paramgen_curve:${r.curve}`,
    '-nodes',
    '-keyout',
    keyOut,
    '-subj',
    r.subject,
    '-days',
    String(r.days),
    '-sha256',
    ...(r.extensions ?? []).flatMap((e) => ['-addext', e]),
  ];
}

/**
 * Writes `<name>.key.pem` and `<name>.crt.pem` (`<name>.crt.der` with `der`) into `dir` and reads
 * them back. Throws when openssl fails or is missing (its stderr is in the message), so callers
 * can fall back.
 */
export function opensslSelfSigned(
  r: SelfSignedRequest & { readonly dir: string; readonly name?: string; readonly der?: boolean },
): SelfSignedFiles {
  const name = r.name ?? 'self-signed';
  const keyPath = join(r.dir, `${name}.key.pem`);
  const certPath = join(r.dir, `${name}.crt.${r.der === true ? 'der' : 'pem'}`);
  execFileSync(
    'openssl',
    [...selfSignedArgs(r, keyPath), ...(r.der === true ? ['-outform', 'DER'] : []), '-out', certPath],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return { keyPath, certPath, key: readFileSync(keyPath), cert: readFileSync(certPath) };
}

/** Only the DER certificate, the key thrown away: for tests that store certificates as bytes. Throws like `opensslSelfSigned`. */
export function opensslSelfSignedDer(r: SelfSignedRequest): Uint8Array {
  return new Uint8Array(
    execFileSync('openssl', [...selfSignedArgs(r, '/dev/null'), '-outform', 'DER'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    }),
  );
}
