/**
 * The `--sent-log` file: JSONL, one SentValue per line, appended after the value went out (after
 * the datagram was sent, after the TLS write completed), so every line is a value a gateway may
 * have received.
 */
import { appendFileSync } from 'node:fs';
import { DevicesError } from './errors.js';
import type { SentValue } from './sent-value.js';

export interface SentLog {
  append(values: readonly SentValue[]): void;
}

export class JsonlSentLog implements SentLog {
  constructor(readonly file: string) {}

  append(values: readonly SentValue[]): void {
    if (values.length === 0) return;
    const text = values.map((v) => `${JSON.stringify(v)}\n`).join('');
    try {
      appendFileSync(this.file, text);
    } catch (e) {
      throw new DevicesError('SMGW_DEV_IO', `cannot append to ${this.file}: ${(e as Error).message}`, { cause: e });
    }
  }
}
