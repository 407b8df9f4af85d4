/** Runs the `smgw` CLI from its sources (as the tests see the packages) and collects its output. */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const main = join(dirname(fileURLToPath(import.meta.url)), '../src/main.ts');

/** The node arguments that run `smgw <args>` from its sources (for tests that spawn it themselves). */
export function cliArgv(args: readonly string[]): string[] {
  return ['--conditions=development', '--import', 'tsx', main, ...args];
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  lines: string[];
}

export function runCli(
  args: readonly string[],
  input?: string,
  options: { closeStdoutAfterFirstChunk?: boolean } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, cliArgv(args), {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (options.closeStdoutAfterFirstChunk) child.stdout.destroy();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr, lines: stdout.split('\n').filter((l) => l !== '') });
    });
    child.stdin.on('error', () => {}); // EPIPE when the child is gone before reading all input
    child.stdin.end(input ?? '');
  });
}
