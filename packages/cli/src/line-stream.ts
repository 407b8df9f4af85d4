/**
 * Line-oriented request/response over stdin/stdout for the `--jsonl` modes: one output line per
 * request line, in order. Lines are handled a chunk at a time and the answers written once per
 * chunk, so a batch pipes through fast, yet an interactive caller that writes one line at a time
 * gets its answer at once. Answers may come back asynchronously (worker threads): they are
 * written in input order, at most `maxInFlight` chunks are pending, and stdin pauses while
 * stdout is full or too much is pending.
 */
import type { Readable, Writable } from 'node:stream';

/**
 * Stands in for a line longer than `maxLineLength`: its bytes are dropped as they arrive (input is
 * hostile; memory stays bounded) and the answer function gets this instead, to answer with an
 * error in the line's place. No request line can equal it (it starts with NUL).
 */
export const OVERLONG_LINE = '\u0000(line too long)';

/** Answers for a chunk of lines: one entry per line, null for "no answer" (a blank line). */
export type BatchAnswer = (lines: string[]) => Array<string | null> | Promise<Array<string | null>>;

export async function mapLineBatches(
  input: Readable,
  output: Writable,
  answer: BatchAnswer,
  options: { maxInFlight?: number; maxLineLength?: number } = {},
): Promise<void> {
  const maxInFlight = options.maxInFlight ?? 8;
  const maxLineLength = options.maxLineLength ?? 1 << 20;
  let rest = '';
  /** Inside an overlong line: dropping input up to its newline. */
  let skipping = false;
  const queue: Array<Promise<Array<string | null>> | Array<string | null>> = [];
  let writing = false;
  let ended = false;
  let done: () => void = () => {};
  let fail: (e: unknown) => void = () => {};
  const finished = new Promise<void>((resolve, reject) => {
    done = resolve;
    fail = reject;
  });

  const pump = async (): Promise<void> => {
    if (writing) return;
    writing = true;
    try {
      while (queue.length > 0) {
        const answers = await queue[0];
        queue.shift();
        const out = text(answers as Array<string | null>);
        if (out !== '' && !output.write(out)) await new Promise((r) => output.once('drain', r));
        if (queue.length < maxInFlight && input.isPaused() && !ended) input.resume();
      }
    } catch (e) {
      fail(e);
      return;
    } finally {
      writing = false;
    }
    if (ended && queue.length === 0) done();
  };

  const text = (answers: Array<string | null>): string => {
    let out = '';
    for (const a of answers) if (a !== null) out += `${a}\n`;
    return out;
  };

  const submit = (lines: string[]): void => {
    if (lines.length === 0) return;
    const answers = answer(lines);
    if (!(answers instanceof Promise) && queue.length === 0 && !writing) {
      // Answered synchronously with nothing pending: write now, no queue round trip.
      const out = text(answers);
      if (out !== '' && !output.write(out)) {
        input.pause();
        output.once('drain', () => {
          if (!ended) input.resume();
        });
      }
      return;
    }
    queue.push(answers);
    if (queue.length >= maxInFlight) input.pause();
    void pump();
  };

  const split = (text: string, final: boolean): void => {
    const parts = text.split('\n');
    rest = final ? '' : (parts.pop() ?? '');
    if (final && parts.at(-1) === '') parts.pop();
    const lines = parts.map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
    if (rest.length > maxLineLength) {
      // The unfinished line is already too long: answer for it now, drop the rest of it.
      lines.push(OVERLONG_LINE);
      rest = '';
      skipping = true;
    }
    submit(lines.map((l) => (l.length > maxLineLength ? OVERLONG_LINE : l)));
  };

  input.setEncoding('utf8');
  input.on('data', (chunk: string) => {
    if (skipping) {
      const nl = chunk.indexOf('\n');
      if (nl < 0) return;
      skipping = false;
      chunk = chunk.slice(nl + 1);
    }
    split(rest + chunk, false);
  });
  input.on('end', () => {
    split(rest, true);
    ended = true;
    void pump();
  });
  input.on('error', fail);
  return finished;
}
