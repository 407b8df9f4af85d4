/**
 * The demo's child processes: each part of the architecture runs as its own `smgw` process
 * (exactly as an operator would start it alone), started with the same Node options as this one
 * (so a development run through tsx stays one). Output lines are prefixed with the part's name;
 * `stop()` sends SIGTERM in reverse start order and SIGKILL to whatever is left after a grace time.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface Part {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (null when killed by a signal). */
  readonly exited: Promise<number | null>;
}

/** argv prefix that runs this same `smgw` (node, its options, the entry script). */
export function smgwCommand(): { command: string; args: string[] } {
  const script = process.argv[1];
  if (script === undefined) throw new Error('cannot find the smgw entry script');
  return { command: process.execPath, args: [...process.execArgv, script] };
}

export class ProcessGroup {
  readonly #parts: Part[] = [];
  readonly #onLine: (part: string, line: string, stream: 'stdout' | 'stderr') => void;

  constructor(onLine: (part: string, line: string, stream: 'stdout' | 'stderr') => void) {
    this.#onLine = onLine;
  }

  get parts(): readonly Part[] {
    return this.#parts;
  }

  /** Starts `smgw <args>` as part `name`. */
  start(name: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Part {
    const { command, args: prefix } = smgwCommand();
    const child = spawn(command, [...prefix, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      const s = child[stream];
      if (s) createInterface({ input: s }).on('line', (line) => this.#onLine(name, line, stream));
    }
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => resolve(code));
      child.once('error', () => resolve(null));
    });
    const part = { name, child, exited };
    this.#parts.push(part);
    return part;
  }

  /** Runs `smgw <args>` to completion; resolves with its exit code and output. */
  static run(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const { command, args: prefix } = smgwCommand();
    return new Promise((resolve) => {
      const child = spawn(command, [...prefix, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
      });
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
      });
      child.once('exit', (code) => resolve({ code, stdout, stderr }));
      child.once('error', (e) => resolve({ code: null, stdout, stderr: `${stderr}${e.message}` }));
    });
  }

  /** SIGTERM in reverse order, then SIGKILL after `graceMs`. */
  async stop(graceMs = 5000): Promise<void> {
    const running = [...this.#parts].reverse().filter((p) => p.child.exitCode === null && p.child.signalCode === null);
    for (const p of running) p.child.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const p of running) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    }, graceMs);
    await Promise.all(running.map((p) => p.exited));
    clearTimeout(timer);
  }
}
