/**
 * Scores `smgw wmbus decode --jsonl` output against wmbusmeters' expected JSON, by the rules of the
 * project's scoring (header: ok + id + manufacturer flag next to that id; values: every numeric
 * expected field with a unit suffix reproduced by some record in contract units; decrypt: keyed
 * cases decrypted with at least one value). Our own implementation, for CI.
 */
import type { DataRecord } from '@opensmgw/wmbus';
import { reproduces, scored } from '../../wmbus/test/wmbusmeters-fields.js';

export interface Case {
  driver: string;
  telegram: string;
  telegrams?: string[];
  key: string | null;
  meter_id?: string;
  expected: Record<string, unknown>;
}

const clean = (hex: string): string => hex.replace(/[_|#\s]/g, '');
const flagOf = (m: number): string => String.fromCharCode(((m >> 10) & 31) + 64, ((m >> 5) & 31) + 64, (m & 31) + 64);
/** The manufacturer flag(s) next to the expected id: DLL address, or a long TPL header. */
function manufacturersAt(telegramHex: string, id: string): string[] {
  const b = Buffer.from(clean(telegramHex), 'hex');
  const idLE = Buffer.from(id, 'hex').reverse();
  const wired = b[0] === 0x68 && b[3] === 0x68;
  const found = new Set<string>();
  if (!wired && b.length >= 10 && b.subarray(4, 8).equals(idLE)) found.add(flagOf(b.readUInt16LE(2)));
  for (let p = wired ? 7 : 11; p + 6 <= b.length; p++) {
    if ([0x72, 0x73, 0x75, 0x53].includes(b[p - 1] as number) && b.subarray(p, p + 4).equals(idLE)) {
      found.add(flagOf(b.readUInt16LE(p + 4)));
      break;
    }
  }
  return [...found];
}

export interface Score {
  cases: number;
  header: number;
  values: number;
  valuesOk: number;
  keyed: number;
  decrypted: number;
  /** Keyed cases with an AES-128 key (modes 5/7); the rest use legacy DES keys. */
  keyedAes: number;
  decryptedAes: number;
  failures: string[];
}

export function requestsFor(cases: readonly Case[]): string[] {
  return cases.map((c) => {
    const tg = c.telegrams?.length ? c.telegrams : [c.telegram];
    return JSON.stringify(
      tg.length > 1 ? { telegram: tg.at(-1), telegrams: tg, key: c.key } : { telegram: tg[0], key: c.key },
    );
  });
}

export function score(cases: readonly Case[], lines: readonly string[]): Score {
  const s: Score = {
    cases: 0,
    header: 0,
    values: 0,
    valuesOk: 0,
    keyed: 0,
    decrypted: 0,
    keyedAes: 0,
    decryptedAes: 0,
    failures: [],
  };
  cases.forEach((c, i) => {
    s.cases++;
    let r: Record<string, unknown> | null = null;
    try {
      r = JSON.parse(lines[i] ?? 'null') as Record<string, unknown> | null;
    } catch {
      r = null;
    }
    const ok = r !== null && r['ok'] === true;
    const why: string[] = [];
    if (!ok) why.push(`not ok: ${JSON.stringify(r?.['error'] ?? lines[i] ?? 'missing line')}`);
    const expId = String(c.expected['id'] ?? c.meter_id ?? '');
    const anyId = !/^[0-9a-f]{8}$/i.test(expId);
    const idOk = ok && (anyId || String(r?.['id']).toLowerCase() === expId.toLowerCase());
    const mf = anyId ? [] : manufacturersAt((c.telegrams ?? [c.telegram]).at(-1) as string, expId);
    const mfOk = ok && (mf.length === 0 || mf.includes(String(r?.['manufacturer']).toUpperCase()));
    if (idOk && mfOk) s.header++;
    else if (ok)
      why.push(
        `header id=${String(r?.['id'])} want ${expId}, manufacturer=${String(r?.['manufacturer'])} want ${mf.join('|')}`,
      );
    const records = ok && Array.isArray(r?.['records']) ? (r?.['records'] as DataRecord[]) : [];
    let caseValues = 0;
    let caseOk = 0;
    for (const [field, want] of Object.entries(c.expected)) {
      if (typeof want !== 'number' || !Number.isFinite(want) || !scored(field)) continue;
      caseValues++;
      if (reproduces(records, field, want)) caseOk++;
      else if (ok) why.push(`missing ${field}=${want}`);
    }
    s.values += caseValues;
    s.valuesOk += caseOk;
    if (c.key) {
      const aes = /^[0-9a-f]{32}$/i.test(c.key);
      s.keyed++;
      if (aes) s.keyedAes++;
      const sec = r?.['security'] as { decrypted?: unknown } | undefined;
      if (ok && sec?.decrypted === true && (caseValues === 0 || caseOk > 0)) {
        s.decrypted++;
        if (aes) s.decryptedAes++;
      } else why.push('not decrypted');
    }
    if (why.length) s.failures.push(`#${i} ${c.driver} ${expId}: ${why.join('; ')}`);
  });
  return s;
}
