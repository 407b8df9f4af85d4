/**
 * Line-oriented request/response over stdin/stdout for the `--jsonl` modes: one output line per
 * input line, in order. Output is written once per input chunk (not per line) so a batch pipes
 * through fast, yet an interactive caller that writes one line at a time gets its answer at once.
 * Back-pressure: stdin pauses while stdout is full.
 */
import type { Readable, Writable } from 'node:stream';

export async function mapLines(
  input: Readable,
  output: Writable,
  answer: (line: string) => string | null,
): Promise<void> {
  let pending = '';
  const flushLines = (text: string, final: boolean): string => {
    const parts = text.split('\n');
    const rest = final ? '' : (parts.pop() ?? '');
    let out = '';
    for (const raw of parts) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      const a = answer(line);
      if (a !== null) out += `${a}\n`;
    }
    if (final && rest !== '') {
      const a = answer(rest);
      if (a !== null) out += `${a}\n`;
    }
    if (out !== '' && !output.write(out)) {
      input.pause();
      output.once('drain', () => input.resume());
    }
    return rest;
  };
  input.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    input.on('data', (chunk: string) => {
      pending = flushLines(pending + chunk, false);
    });
    input.on('end', () => {
      flushLines(pending, true);
      pending = '';
      resolve();
    });
    input.on('error', reject);
  });
  await new Promise<void>((resolve) => {
    if (output.writableNeedDrain) output.once('drain', () => resolve());
    else resolve();
  });
}
