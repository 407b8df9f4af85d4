import { readFileSync } from 'node:fs';
import { fromHex } from '@opensmgw/core';
import { decodeSmlStream } from '@opensmgw/sml';
import { DecoderState, decodeToReport, encodeRecords, encodeTelegram } from '@opensmgw/wmbus';

// Run from the repository root after `npm run build`: node examples/codecs.mjs

// A simulated OMS mode-7 water meter: records -> telegram with AFL MAC and encryption.
const key = fromHex('000102030405060708090A0B0C0D0E0F');
const apl = encodeRecords([{ dif: '0C', vif: '13', value: 12.345 }]); // 12.345 m3, BCD, litres resolution
const frame = encodeTelegram({
  format: 'A',
  address: { manufacturer: 'ELS', id: '12345678', version: 1, deviceType: 7 },
  afl: { counter: 42 },
  tpl: { ci: 0x7a, mode: 7, accessNumber: 1 },
  apl,
  key,
});
const state = new DecoderState(); // per-meter state: compact-frame formats, fragments
const report = decodeToReport(frame, { key, state });
console.log(report.ok, report.security, report.records[0].value, report.records[0].unit);

for (const f of decodeSmlStream(
  readFileSync(new URL('../packages/sml/test/fixtures/EMH_eHZ361L5R.bin', import.meta.url)),
)) {
  console.log(
    f.index,
    f.ok,
    f.values.find((v) => v.obis === '1-0:2.8.1*255'),
  );
}
