/**
 * Decode workers for `smgw wmbus decode --jsonl`: the main thread reads and writes, the workers
 * decode. Each meter's requests go to one worker (shardOf), which keeps that meter's state, and
 * the answers of a chunk are put back in input order.
 */
import { Worker } from 'node:worker_threads';
import { type RequestOptions, shardOf } from './wmbus-requests.js';

type Answers = Array<string | null>;

export class DecoderPool {
  readonly #workers: Worker[];
  readonly #pending: Array<Map<number, (answers: Answers) => void>>;
  #nextId = 0;
  #failure: Error | null = null;

  constructor(size: number, options: RequestOptions) {
    // Built: the compiled worker beside this file. Sources run through tsx (tests, development):
    // tsx's loader does not reach worker threads by itself, so a bootstrap registers it first.
    const fromSources = import.meta.url.endsWith('.ts');
    const url = new URL(`./wmbus-decode-worker.${fromSources ? 'ts' : 'js'}`, import.meta.url);
    const entry = fromSources
      ? `import { register } from 'tsx/esm/api'; register(); await import(${JSON.stringify(url.href)});`
      : url;
    this.#workers = [];
    this.#pending = [];
    for (let i = 0; i < size; i++) {
      const pending = new Map<number, (answers: Answers) => void>();
      const w = new Worker(entry, { workerData: options, eval: fromSources });
      w.on('message', (msg: { id: number; answers: Answers }) => {
        const resolve = pending.get(msg.id);
        pending.delete(msg.id);
        resolve?.(msg.answers);
      });
      w.on('error', (e) => {
        this.#failure = e;
        for (const r of pending.values()) r([]);
        pending.clear();
      });
      this.#workers.push(w);
      this.#pending.push(pending);
    }
  }

  /** Answers for `lines`, in their order. */
  async answer(lines: string[]): Promise<Answers> {
    const n = this.#workers.length;
    const groups: string[][] = Array.from({ length: n }, () => []);
    const where: number[] = new Array(lines.length);
    for (let i = 0; i < lines.length; i++) {
      const s = shardOf(lines[i] as string, n);
      where[i] = s;
      (groups[s] as string[]).push(lines[i] as string);
    }
    const id = this.#nextId++;
    const parts = await Promise.all(
      groups.map((g, s) =>
        g.length === 0
          ? Promise.resolve([] as Answers)
          : new Promise<Answers>((resolve) => {
              (this.#pending[s] as Map<number, (a: Answers) => void>).set(id, resolve);
              (this.#workers[s] as Worker).postMessage({ id, lines: g });
            }),
      ),
    );
    if (this.#failure) throw this.#failure;
    const next = new Array<number>(n).fill(0);
    return where.map((s) => (parts[s] as Answers)[(next[s] as number)++] ?? null);
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
