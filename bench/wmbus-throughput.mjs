#!/usr/bin/env node
// Throughput of `smgw wmbus decode --jsonl` (the built CLI) on the mix the project is scored with:
// requests alternate a really encrypted template (mode 5 or 7 with key) and a plaintext one (mode 0
// or CI 78), taken from the public test data in packages/wmbus/test/fixtures. Templates whose meter
// id was already used by another address are left out (per-meter state would be measured instead).
//
//   node bench/wmbus-throughput.mjs [N=100000] [--runs 3]
//
// Prints a table (steady-state = first to last answer; wall = spawn to exit) and writes
// bench/results/wmbus-throughput.json. Run `npm run build` first.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const fixtures = join(root, 'packages/wmbus/test/fixtures');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 3;
const N = Number(args[0] ?? 100000);

const readJsonl = (f) =>
  readFileSync(f, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l));
const clean = (hex) => String(hex).replace(/[_|#\s]/g, '');

// Address and TPL security mode of a telegram, enough to classify templates.
function classify(hex) {
  const b = Buffer.from(clean(hex), 'hex');
  let p = b[0] === 0x68 && b[3] === 0x68 ? 6 : 10;
  const ellLength = { 140: 3, 141: 9, 142: 11, 143: 17 };
  for (let i = 0; i < 4 && p < b.length; i++) {
    if (ellLength[b[p]]) p += ellLength[b[p]];
    else if (b[p] === 0x90) p += 2 + b[p + 1];
    else break;
  }
  const ci = b[p];
  const addr = (
    ci === 0x72 ? b.subarray(p + 1, p + 9) : Buffer.concat([b.subarray(4, 8), b.subarray(2, 4), b.subarray(8, 10)])
  ).toString('hex');
  const cfg = ci === 0x7a ? p + 3 : ci === 0x72 ? p + 11 : -1;
  if (cfg < 0 || cfg + 2 > b.length) return { id: addr.slice(0, 8), addr, ci, mode: null, plain: false };
  const mode = b[cfg + 1] & 0x1f;
  const pay = cfg + 2 + (mode === 7 ? 1 : 0);
  return { id: addr.slice(0, 8), addr, ci, mode, plain: b[pay] === 0x2f && b[pay + 1] === 0x2f };
}

const cases = readJsonl(join(fixtures, 'wmbusmeters-cases.jsonl'));
const vectors = readJsonl(join(fixtures, 'oms_security_vectors.jsonl'));
const single = cases
  .filter((c) => (c.telegrams ?? [c.telegram]).length === 1)
  .map((c) => ({ telegram: (c.telegrams ?? [c.telegram])[0], key: c.key ?? null }));
const isEncrypted = (t) => {
  const k = classify(t.telegram);
  return /^[0-9a-f]{32}$/i.test(t.key ?? '') && (k.mode === 5 || k.mode === 7) && !k.plain;
};
const seen = new Map();
const firstPerId = (t) => {
  const { id, addr } = classify(t.telegram);
  if (!seen.has(id)) seen.set(id, addr);
  return seen.get(id) === addr;
};
const encrypted = [
  ...single.filter(isEncrypted),
  ...vectors
    .filter((v) => v.telegram && !/crc/i.test(JSON.stringify(v.expected ?? {})))
    .map((v) => ({ telegram: v.telegram, key: v.key ?? null }))
    .filter(isEncrypted),
].filter(firstPerId);
const plaintext = single
  .filter((t) => !t.key && ((k) => k.mode === 0 || k.ci === 0x78)(classify(t.telegram)))
  .filter(firstPerId);

const lines = [];
for (let i = 0; i < N; i++) {
  const t = i % 2 === 0 ? encrypted[(i / 2) % encrypted.length] : plaintext[((i - 1) / 2) % plaintext.length];
  lines.push(JSON.stringify(t));
}
const input = `${lines.join('\n')}\n`;

function once() {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [join(root, 'packages/cli/bin/smgw.js'), 'wmbus', 'decode', '--jsonl', '--simulated-plaintext'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    let first = null;
    let last = null;
    let count = 0;
    let ok = 0;
    let tail = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk) => {
      const now = performance.now();
      const parts = (tail + chunk).split('\n');
      tail = parts.pop();
      for (const p of parts) {
        if (first === null) first = now;
        last = now;
        count++;
        if (p.startsWith('{"ok":true')) ok++;
      }
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const wall = performance.now() - t0;
      if (code !== 0 || count !== N) reject(new Error(`decoder exited ${code} after ${count}/${N} lines`));
      else
        resolve({
          steady: ((count - 1) * 1000) / (last - first),
          wall: (count * 1000) / wall,
          wallMs: wall,
          firstMs: first - t0,
          ok,
        });
    });
    child.stdin.end(input);
  });
}

const results = [];
for (let r = 0; r < runs; r++) results.push(await once());
const best = results.reduce((a, b) => (b.steady > a.steady ? b : a));
const rows = [
  ['run', 'telegrams/s steady', 'telegrams/s wall', 'first answer (ms)', 'ok'],
  ...results.map((x, i) => [
    String(i + 1),
    x.steady.toFixed(0),
    x.wall.toFixed(0),
    x.firstMs.toFixed(0),
    `${x.ok}/${N}`,
  ]),
];
const widths = rows[0].map((_, c) => Math.max(...rows.map((row) => row[c].length)));
for (const row of rows) console.log(row.map((v, c) => v.padStart(widths[c])).join('  '));
const report = {
  benchmark: 'wmbus decode --jsonl --simulated-plaintext',
  date: new Date().toISOString(),
  machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version },
  requests: N,
  templates: {
    encrypted: encrypted.length,
    encryptedMode7: encrypted.filter((t) => classify(t.telegram).mode === 7).length,
    plaintext: plaintext.length,
  },
  runs: results,
  best: { steady: Math.round(best.steady), wall: Math.round(best.wall) },
  reference: {
    wmbusmeters:
      '≈7,400 telegrams/s on the same mix (issue 2; not measured here: wmbusmeters is not packaged for Debian)',
  },
};
mkdirSync(join(root, 'bench/results'), { recursive: true });
writeFileSync(join(root, 'bench/results/wmbus-throughput.json'), `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `wmbus-throughput: ${report.best.steady} telegrams/s steady, ${report.best.wall} wall (best of ${runs}, ${N} requests: ` +
    `${encrypted.length} encrypted templates, ${plaintext.length} plaintext)`,
);
