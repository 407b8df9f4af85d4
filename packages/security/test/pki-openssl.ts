/** Runs the openssl CLI for the PKI interop tests (an independent parser and path validator). */
import { spawnSync } from 'node:child_process';

export interface OpensslRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export function openssl(args: readonly string[], input?: string | Uint8Array): OpensslRun {
  const r = spawnSync('openssl', args, { input: input ?? '', encoding: 'utf8', timeout: 20_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
