/** `smgw sml decode FILE|-`: every SML transport frame in a capture, one JSON object per frame. */
import { readFileSync } from 'node:fs';
import { decodeSmlStream } from '@opensmgw/sml';
import type { Command } from 'commander';
import { EXIT } from '../exit-codes.js';

export function registerSmlDecode(sml: Command): void {
  sml
    .command('decode')
    .summary('decode SML 1.04 transport frames from a capture file or stdin')
    .description(
      [
        'Decode every SML transport frame in FILE (or stdin with "-"),',
        're-synchronising after garbage. Prints one JSON object per frame, in order:',
        '',
        '  ok, index, error {code, message} (when not ok),',
        '  values [{obis: "1-0:1.8.0*255", value: raw × 10^scaler, unit: "Wh" | null}]',
        '',
        'Octet-string values are printed as strings. Extra fields (name, raw, scaler,',
        'messages, serverId, offset, length) help reading; scripts should rely on the',
        'ones above.',
      ].join('\n'),
    )
    .argument('<file>', 'capture file, or - for stdin')
    .action((file: string) => {
      let bytes: Uint8Array;
      try {
        bytes = readFileSync(file === '-' ? 0 : file);
      } catch (e) {
        process.stderr.write(`error: cannot read ${file}: ${(e as Error).message}\n`);
        process.exitCode = EXIT.io;
        return;
      }
      let out = '';
      for (const frame of decodeSmlStream(bytes)) out += `${JSON.stringify(frame)}\n`;
      process.stdout.write(out);
      process.exitCode = EXIT.ok;
    });
}
