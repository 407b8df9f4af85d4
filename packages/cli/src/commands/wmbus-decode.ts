/**
 * `smgw wmbus decode`: one telegram from the argument, or a JSONL stream of decode requests.
 * The output object is the stable CLI contract (issue 2, §4); `decodeToReport` builds it.
 */
import { CoreError, fromHex, isSmgwError, type SmgwError } from '@opensmgw/core';
import { DecoderState, decodeToReport, stringifyReport } from '@opensmgw/wmbus';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';
import { mapLines } from '../line-stream.js';

interface DecodeFlags {
  key?: string;
  explain?: boolean;
  jsonl?: boolean;
  simulatedPlaintext?: boolean;
}

/** One JSONL request: `{"telegram":"HEX","key":"HEX"|null}` or with `"telegrams":[...]`. */
interface Request {
  telegrams: string[];
  key: string | null;
}

function failure(e: SmgwError): string {
  return JSON.stringify({ ok: false, error: { code: e.code, message: e.message } });
}

function parseRequest(line: string): Request {
  let obj: unknown;
  try {
    obj = JSON.parse(line);
  } catch {
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', 'request is not JSON: expected {"telegram":"HEX","key":"HEX"|null}');
  }
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', 'request is not a JSON object');
  }
  const o = obj as Record<string, unknown>;
  const key = o['key'] ?? null;
  if (key !== null && typeof key !== 'string')
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', '"key" must be a hex string or null');
  const list = o['telegrams'];
  if (Array.isArray(list) && list.length > 0) {
    if (!list.every((t): t is string => typeof t === 'string')) {
      throw new CoreError('SMGW_CORE_BAD_ARGUMENT', '"telegrams" must be an array of hex strings');
    }
    return { telegrams: list, key };
  }
  if (typeof o['telegram'] !== 'string')
    throw new CoreError('SMGW_CORE_BAD_ARGUMENT', 'request has no "telegram" hex string');
  return { telegrams: [o['telegram']], key };
}

function parseKey(key: string | null | undefined): Uint8Array | null {
  if (key === null || key === undefined || key === '') return null;
  return fromHex(key);
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
        process.exitCode = await decodeJsonl(flags);
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

async function decodeJsonl(flags: DecodeFlags): Promise<number> {
  const state = new DecoderState();
  const explain = flags.explain === true;
  const simulatedPlaintext = flags.simulatedPlaintext === true;
  await mapLines(process.stdin, process.stdout, (line) => {
    if (line.trim() === '') return null;
    try {
      const req = parseRequest(line);
      const key = parseKey(req.key);
      let out = '';
      for (const t of req.telegrams) {
        out = stringifyReport(decodeToReport(fromHex(t), { key, state, explain, simulatedPlaintext }));
      }
      return out;
    } catch (e) {
      if (isSmgwError(e)) return failure(e);
      throw e;
    }
  });
  return EXIT.ok;
}
