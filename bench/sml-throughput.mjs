#!/usr/bin/env node
// Throughput of the built SML codec (@opensmgw/sml → packages/sml/dist) on the public meter dumps
// in packages/sml/test/fixtures (real captures, garbage and damaged frames included).
//
//   node bench/sml-throughput.mjs [--seconds 2]
//
// Each stage decodes the whole corpus again and again for about `--seconds` and reports SML
// transport frames per second and MB/s of capture. The stages peel the codec like an onion, so
// each row is the reference for the one below it, measured in the same run:
//   transport   splitTransportFrames only (escape sequences, CRC, resync)
//   messages    + decodeSmlFile of every frame (TLV, messages, bodies, message CRCs)
//   report      decodeSmlStream (+ OBIS names, units, scaling, DZG quirk) — the CLI's decoder
//   report+json decodeSmlStream + JSON.stringify of every report (what `smgw sml decode` prints)
//   stream/64B  SmlStreamDecoder fed in 64-byte chunks (a serial port's view)
// and, where Debian's libsml-dev and a C compiler are installed, the reference:
//   libsml (C)  bench/reference/libsml-throughput.c: sml_file_parse() of every frame, i.e. the
//               "messages" stage in C (libsml checks no transport CRC there, and frames it
//               cannot parse are counted as passed over)
//
// Prints a table and writes bench/results/sml-throughput.json. Run `npm run build` first.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSmlFile, decodeSmlStream, SmlStreamDecoder, splitTransportFrames } from '@opensmgw/sml';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'packages/sml/test/fixtures');
const args = process.argv.slice(2);
const at = args.indexOf('--seconds');
const seconds = at >= 0 ? Number(args[at + 1]) : 2;
if (!(seconds > 0)) {
  console.error('usage: sml-throughput.mjs [--seconds S]');
  process.exit(2);
}

const dumps = readdirSync(fixtures)
  .filter((f) => f.endsWith('.bin'))
  .sort()
  .map((f) => new Uint8Array(readFileSync(join(fixtures, f))));
const corpusBytes = dumps.reduce((n, d) => n + d.length, 0);
const framesPerPass = dumps.reduce((n, d) => n + decodeSmlStream(d).length, 0);
const okPerPass = dumps.reduce((n, d) => n + decodeSmlStream(d).filter((r) => r.ok).length, 0);

let sink = 0; // keeps the work observable so nothing is optimised away
const stages = {
  transport: (d) => {
    sink += splitTransportFrames(d).length;
  },
  messages: (d) => {
    for (const e of splitTransportFrames(d)) if (e.kind === 'frame') sink += decodeSmlFile(e.file).messages.length;
  },
  report: (d) => {
    sink += decodeSmlStream(d).length;
  },
  'report+json': (d) => {
    for (const r of decodeSmlStream(d)) sink += JSON.stringify(r).length;
  },
  'stream/64B': (d) => {
    const s = new SmlStreamDecoder();
    for (let i = 0; i < d.length; i += 64) sink += s.push(d.subarray(i, i + 64)).length;
    sink += s.finish().length;
  },
};

function measure(fn) {
  for (let i = 0; i < 50; i++) for (const d of dumps) fn(d); // warm-up
  const budget = seconds * 1000;
  const t0 = performance.now();
  let passes = 0;
  let elapsed = 0;
  while (elapsed < budget) {
    for (const d of dumps) fn(d);
    passes++;
    if ((passes & 7) === 0) elapsed = performance.now() - t0;
  }
  elapsed = performance.now() - t0;
  const s = elapsed / 1000;
  return {
    passes,
    seconds: Number(s.toFixed(3)),
    framesPerSecond: Math.round((passes * framesPerPass) / s),
    megabytesPerSecond: Number(((passes * corpusBytes) / 1e6 / s).toFixed(2)),
  };
}

const results = {};
for (const [name, fn] of Object.entries(stages)) results[name] = measure(fn);

// The C reference, measured in the same run on the same dumps (skipped when libsml is absent).
function measureLibsml() {
  if (!existsSync('/usr/include/sml/sml_file.h')) return null;
  const exe = join(root, 'bench/results/libsml-throughput');
  mkdirSync(dirname(exe), { recursive: true });
  const cc = spawnSync('cc', ['-O2', '-o', exe, join(root, 'bench/reference/libsml-throughput.c'), '-lsml', '-luuid'], {
    encoding: 'utf8',
  });
  if (cc.status !== 0) return null;
  const files = readdirSync(fixtures)
    .filter((f) => f.endsWith('.bin'))
    .sort()
    .map((f) => join(fixtures, f));
  // libsml prints a warning per frame it cannot parse completely: discard its chatter.
  const run = spawnSync(exe, [String(seconds), ...files], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  const m = /^(\d+) (\d+) ([\d.]+) (\d+)$/.exec(last);
  if (run.status !== 0 || m === null) return null;
  const [frames, passes, secs] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return {
    passes,
    seconds: secs,
    framesPerSecond: Math.round((passes * frames) / secs),
    megabytesPerSecond: Number(((passes * corpusBytes) / 1e6 / secs).toFixed(2)),
  };
}
const libsml = measureLibsml();
if (libsml) results['libsml (C)'] = libsml;

const rows = [['stage', 'frames/s', 'MB/s', 'passes', 'seconds']];
for (const [name, r] of Object.entries(results)) {
  rows.push([
    name,
    r.framesPerSecond.toLocaleString('en-US'),
    r.megabytesPerSecond.toFixed(2),
    String(r.passes),
    r.seconds.toFixed(2),
  ]);
}
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
const line = (r) => r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
console.log(
  `SML throughput: ${dumps.length} dumps, ${corpusBytes} bytes, ${framesPerPass} frames per pass (${okPerPass} ok)`,
);
console.log(line(rows[0]));
for (const r of rows.slice(1)) console.log(line(r));

const out = {
  benchmark: 'sml-throughput',
  date: new Date().toISOString(),
  node: process.version,
  cpu: cpus()[0]?.model ?? 'unknown',
  corpus: { dumps: dumps.length, bytes: corpusBytes, framesPerPass, okFramesPerPass: okPerPass },
  secondsPerStage: seconds,
  stages: results,
  checksum: sink % 1_000_000_007,
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/sml-throughput.json'), `${JSON.stringify(out, null, 2)}\n`);
console.log('wrote bench/results/sml-throughput.json');
