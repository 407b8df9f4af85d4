/**
 * `smgw wmbus decode`: one telegram from the argument, or a JSONL stream of decode requests.
 * The output object is the stable CLI contract (issue 2, §4); `decodeToReport` builds it.
 */
import { availableParallelism } from 'node:os';
import { fromHex } from '@opensmgw/core';
import { DecoderState, decodeToReport } from '@opensmgw/wmbus';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { mapLineBatches } from '../line-stream.js';
import { DecoderPool } from '../wmbus-decoder-pool.js';
import { answerRequest, parseKey, type RequestOptions } from '../wmbus-requests.js';

interface DecodeFlags {
  key?: string;
  explain?: boolean;
  jsonl?: boolean;
  simulatedPlaintext?: boolean;
  workers?: string;
}

export function registerWmbusDecode(wmbus: Command): void {
  wmbus
    .command('decode')
    .summary('decode wireless/wired M-Bus telegrams (OMS security modes 5/7, ELL, AFL)')
    .description(
      [
        'Decode one telegram given as hex, or with --jsonl a stream of requests',
        'on stdin. Prints one JSON object per telegram:',
        '',
        '  ok, error {code, message} (when not ok), manufacturer, id, version,',
        '  deviceType, medium, accessNumber, security {mode, decrypted, mac},',
        '  records [{dif, vif, storage, tariff, subunit, function, quantity,',
        '            unit, value}]',
        '',
        'Values are in base units with the VIF scale applied (Wh, m3, W, °C, ...).',
        '',
        'JSONL requests, one per line:',
        '  {"telegram":"HEX","key":"HEX"|null}',
        '  {"telegrams":["HEX",...],"key":...}  (decoded in order, answer for the last)',
        'One process keeps per-meter state (compact-frame formats, fragments).',
        'Hex may contain spaces, "_", "|" and "#". In --jsonl mode the exit code',
        'is 0 even when telegrams fail.',
      ].join('\n'),
    )
    .argument('[hex]', 'the telegram (with or without link-layer CRCs)')
    .option('-k, --key <hex>', 'AES-128 key of the meter (32 hex digits)')
    .option('--explain', 'add a byte-by-byte account of every layer ("explain")')
    .option('--jsonl', 'read JSON requests from stdin, one per line; write one JSON result per line')
    .option(
      '--workers <n>',
      'with --jsonl: decode in N worker threads, each meter always in the same one (0: in the main thread; default: auto)',
      'auto',
    )
    .option(
      '--simulated-plaintext',
      'test-data convention: take a telegram that claims mode 5/7 (or ELL encryption) but carries plaintext and has no key as plaintext; never used by the gateway',
    )
    .addHelpText(
      'after',
      [
        '',
        'Examples:',
        '  smgw wmbus decode --key 0102030405060708090A0B0C0D0E0F11 \\',
        '    2E4493157856341233037A2A0020255923C95AAA26D1B2E7493B013EC4A6F6D3529B520EDFF0EA6DEFC99D6D69EBF3',
        '  echo \'{"telegram":"2E44...","key":null}\' | smgw wmbus decode --jsonl',
      ].join('\n'),
    )
    .action(async (hex: string | undefined, flags: DecodeFlags, cmd: Command) => {
      if (flags.jsonl) {
        if (hex !== undefined)
          cmd.error('error: give either a telegram argument or --jsonl, not both', { exitCode: EXIT.usage });
        const workers = workerCount(flags.workers);
        if (workers === null) cmd.error('error: --workers takes auto or a number 0-64', { exitCode: EXIT.usage });
        process.exitCode = await decodeJsonl(flags, workers);
        return;
      }
      if (hex === undefined) cmd.error('error: missing telegram hex (or use --jsonl)', { exitCode: EXIT.usage });
      let frame: Uint8Array;
      let key: Uint8Array | null;
      try {
        frame = fromHex(hex);
        key = parseKey(flags.key);
      } catch (e) {
        cmd.error(`error: ${(e as Error).message}`, { exitCode: EXIT.usage });
      }
      const report = decodeToReport(frame, {
        key,
        explain: flags.explain === true,
        simulatedPlaintext: flags.simulatedPlaintext === true,
      });
      process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      process.exitCode = report.ok ? EXIT.ok : EXIT.failed;
    });
}

/**
 * `--workers auto`: two decode workers where there are two cores or more (measured on 2 cores:
 * about 20 % more telegrams/s than decoding in the main thread), none on one core.
 */
function workerCount(flag: string | undefined): number | null {
  if (flag === undefined || flag === 'auto') return availableParallelism() >= 2 ? 2 : 0;
  const n = Number(flag);
  return Number.isInteger(n) && n >= 0 && n <= 64 ? n : null;
}

async function decodeJsonl(flags: DecodeFlags, workers: number): Promise<number> {
  const options: RequestOptions = {
    explain: flags.explain === true,
    simulatedPlaintext: flags.simulatedPlaintext === true,
  };
  if (workers === 0) {
    const state = new DecoderState();
    await mapLineBatches(process.stdin, process.stdout, (lines) =>
      lines.map((line) => answerRequest(line, state, options)),
    );
    return EXIT.ok;
  }
  const pool = new DecoderPool(workers, options);
  try {
    await mapLineBatches(process.stdin, process.stdout, (lines) => pool.answer(lines));
  } finally {
    await pool.close();
  }
  return EXIT.ok;
}
