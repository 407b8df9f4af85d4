/**
 * One running server per server profile (LMN, WAN head-end, HAN) on 127.0.0.1 with what an
 * external client needs to talk to it (helper for tls-external.test.ts and testssl-profiles.ts).
 */
import { join } from 'node:path';
import type { Clock } from '@opensmgw/core';
import {
  hanServerProfile,
  lmnServerProfile,
  TLS12_CIPHER_SUITE_NAMES,
  type TlsServerProfile,
  wanServerProfile,
} from '../src/index.js';
import {
  type ClientIdentityFiles,
  runTestssl,
  summarizeTestssl,
  type TestsslRun,
  type TestsslSummary,
  testsslViolations,
} from './tls-external.js';
import { type RunningServer, startServer } from './tls-harness.js';
import type { TestIdentity, TlsTestMaterial } from './tls-test-certs.js';

export interface ProfileUnderTest {
  readonly name: 'LMN server' | 'WAN head-end server' | 'HAN server';
  readonly profile: TlsServerProfile;
  readonly running: RunningServer;
  /** The legitimate client's files. */
  readonly client: ClientIdentityFiles;
  /** What the client trusts (pinned server certificate, or the SM-PKI roots). */
  readonly caFile: string;
  readonly servername: string;
  /** A client certificate OpenSSL already refuses (not pinned / another CA). */
  readonly foreign: ClientIdentityFiles;
  /** A certificate OpenSSL accepts but our peer check refuses (WAN: an EMT where a gateway is expected). */
  readonly wrongRole?: ClientIdentityFiles;
}

const files = (id: TestIdentity, chainPath?: string): ClientIdentityFiles => ({
  certPath: id.certPath,
  keyPath: id.keyPath,
  ...(chainPath === undefined ? {} : { chainPath }),
});

export async function startProfileServers(m: TlsTestMaterial, clock: Clock): Promise<ProfileUnderTest[]> {
  const subcaPath = join(m.pkiDir, 'subca/ca.crt.pem');
  const lmn = lmnServerProfile({
    key: m.gatewayLmn.key,
    certificates: m.gatewayLmn.cert,
    trust: { kind: 'pinned', certificates: [m.meterLmn.cert] },
    clock,
  });
  const wan = wanServerProfile({ key: m.gwa.key, certificates: m.gwa.chain, trust: m.smPkiTrust(), clock });
  const han = hanServerProfile({
    key: m.gatewayHan.key,
    certificates: m.gatewayHan.cert,
    trust: { kind: 'pinned', certificates: [m.consumerHan.cert] },
    clock,
  });
  return [
    {
      name: 'LMN server',
      profile: lmn,
      running: await startServer(lmn, { mode: 'hang-up' }),
      client: files(m.meterLmn),
      caFile: m.gatewayLmn.certPath,
      servername: 'lmn.opensmgw.test',
      foreign: files(m.stranger),
    },
    {
      name: 'WAN head-end server',
      profile: wan,
      running: await startServer(wan, { mode: 'hang-up' }),
      client: files(m.smgw, subcaPath),
      caFile: m.rootsPath,
      servername: 'gwa.opensmgw.test',
      foreign: files(m.foreignSmgw),
      wrongRole: files(m.emt, subcaPath),
    },
    {
      name: 'HAN server',
      profile: han,
      running: await startServer(han, { mode: 'hang-up' }),
      client: files(m.consumerHan),
      caFile: m.gatewayHan.certPath,
      servername: 'localhost',
      foreign: files(m.stranger),
    },
  ];
}

export interface ProfileScan {
  readonly run: TestsslRun;
  readonly summary: TestsslSummary;
  /** What TR-03116-3 forbids in the scan; a run that wrote no JSON is one, so a broken scan never passes. */
  readonly violations: string[];
}

/** testssl.sh against one profile server (with its legitimate client's certificate), summarized and judged. */
export async function testsslProfile(s: ProfileUnderTest, workDir: string, name: string): Promise<ProfileScan> {
  const run = await runTestssl({ host: '127.0.0.1', port: s.running.port, workDir, name, client: s.client });
  const summary = summarizeTestssl(run.findings);
  const violations =
    run.findings.length === 0
      ? ['testssl.sh wrote no JSON', run.text]
      : testsslViolations(summary, TLS12_CIPHER_SUITE_NAMES);
  return { run, summary, violations };
}
