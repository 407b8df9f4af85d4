/**
 * Test material for the head-end tests (helper, not a test file): a test SM-PKI in a temp dir,
 * WAN TLS profiles from its entities, and an HTTPS request over a profile connection.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakeClock } from '@opensmgw/core';
import {
  connectWithProfile,
  initTestPki,
  openEntityModule,
  type TlsClientProfile,
  type TlsServerProfile,
  type TlsTrust,
  wanClientProfile,
  wanServerProfile,
} from '@opensmgw/security';

export const GATEWAY_ID = 'EOSM0100000001';

/** A wM-Bus electricity meter profile as an operator gives it (add-meter). */
export const METER = {
  meterId: 'ELS-12345678',
  medium: 'electricity',
  active: true,
  access: {
    type: 'wmbus',
    manufacturer: 'ELS',
    serial: '12345678',
    keyHex: '000102030405060708090a0b0c0d0e0f',
    allowMode5: false,
  },
  channels: ['0100010800ff'],
};

export interface TestPki {
  readonly dir: string;
  readonly pkiDir: string;
  readonly clock: FakeClock;
  trust(): TlsTrust;
  read(rel: string): string;
  /** A WAN server profile with `entity`'s TLS key (slot wan-tls) and certificate. */
  serverProfile(entity: string, certFile?: string): Promise<TlsServerProfile>;
  /** A WAN client profile with `entity`'s key in `slot` and `certFile` (e.g. the gateway's factory triplet). */
  clientProfile(entity: string, slot: string, certFile: string): Promise<TlsClientProfile>;
  cleanup(): void;
}

export async function makeTestPki(prefix = 'smgw-headend-'): Promise<TestPki> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const pkiDir = join(dir, 'pki');
  const clock = new FakeClock(Date.now());
  await initTestPki(pkiDir, { clock });
  const read = (rel: string): string => readFileSync(join(pkiDir, rel), 'utf8');
  const trust = (): TlsTrust => ({
    kind: 'sm-pki',
    roots: [read('trust/roots.pem')],
    intermediates: [read('subca/ca.crt.pem')],
    crls: [read('trust/crls.pem')],
  });
  const keyOf = async (entity: string, slot: string) => {
    const m = await openEntityModule(pkiDir, entity);
    try {
      return await m.tlsKey(slot);
    } finally {
      await m.close();
    }
  };
  return {
    dir,
    pkiDir,
    clock,
    trust,
    read,
    serverProfile: async (entity, certFile = `${entity}/tls.crt.pem`) =>
      wanServerProfile({
        key: await keyOf(entity, 'wan-tls'),
        certificates: [read(certFile), read('subca/ca.crt.pem')],
        trust: trust(),
        clock,
      }),
    clientProfile: async (entity, slot, certFile) =>
      wanClientProfile({
        key: await keyOf(entity, slot),
        certificates: [read(certFile), read('subca/ca.crt.pem')],
        trust: trust(),
        clock,
      }),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface HttpAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly text: string;
  json(): unknown;
}

/** One HTTPS request over a fresh profile connection (the connection is closed afterwards). */
export async function httpsRequest(
  profile: TlsClientProfile,
  port: number,
  method: string,
  path: string,
  body?: unknown,
  options: { servername?: string; rawBody?: Buffer; headers?: Record<string, string> } = {},
): Promise<HttpAnswer> {
  const socket = await connectWithProfile(profile, {
    host: '127.0.0.1',
    port,
    servername: options.servername ?? 'gwa.opensmgw.test',
  });
  try {
    const payload = options.rawBody ?? (body === undefined ? undefined : Buffer.from(JSON.stringify(body), 'utf8'));
    return await new Promise<HttpAnswer>((resolve, reject) => {
      const req = request(
        {
          method,
          path,
          createConnection: () => socket,
          headers: {
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': String(payload.length) }),
            ...(options.headers ?? {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
          });
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  } finally {
    socket.destroy();
  }
}
