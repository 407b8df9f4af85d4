/**
 * The GWA's registry on SQLite (better-sqlite3, WAL) at `<dataDir>/gwa.db`: the gateways it
 * administers, the jobs it queued for them and their results, the profiles it set, and the
 * certificates it had issued for them.
 *
 * The server process and the operator commands (CLI, demo) open the same file: WAL lets them
 * read while the other writes, and `busy_timeout` makes a writer wait for the other's short
 * transaction instead of failing. better-sqlite3 is synchronous, so a transaction never
 * interleaves with another one of the same process.
 *
 * Every job is validated with the protocol's `parseAdminJob` before it is stored, so nothing the
 * gateway would refuse ever enters the queue.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { isSmgwError } from '@opensmgw/core';
import {
  type AdminJob,
  type AdminJobType,
  type CertificateUse,
  type JobResult,
  parseAdminJob,
} from '@opensmgw/protocol';
import { isGatewayId } from '@opensmgw/security';
import Database from 'better-sqlite3';
import { HeadendError } from './errors.js';

export const GWA_DB_FILE = 'gwa.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS gateways (
  id TEXT PRIMARY KEY,
  wakeup TEXT NOT NULL,
  registered_ms INTEGER NOT NULL,
  last_contact_ms INTEGER,
  tls_fingerprint TEXT,
  tls_kind TEXT CHECK (tls_kind IN ('factory', 'operational')),
  job_seq INTEGER NOT NULL DEFAULT 0,
  wakeup_seq INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS jobs (
  job_id TEXT PRIMARY KEY,
  gateway_id TEXT NOT NULL REFERENCES gateways (id),
  seq INTEGER NOT NULL,
  type TEXT NOT NULL,
  job TEXT NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'done', 'failed')),
  result TEXT,
  error TEXT,
  created_ms INTEGER NOT NULL,
  finished_ms INTEGER,
  UNIQUE (gateway_id, seq)
);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs (gateway_id, state, seq);
CREATE TABLE IF NOT EXISTS profiles (
  gateway_id TEXT NOT NULL REFERENCES gateways (id),
  kind TEXT NOT NULL CHECK (kind IN ('meter', 'communication', 'evaluation')),
  profile_id TEXT NOT NULL,
  profile TEXT NOT NULL,
  job_id TEXT NOT NULL,
  updated_ms INTEGER NOT NULL,
  PRIMARY KEY (gateway_id, kind, profile_id)
);
CREATE TABLE IF NOT EXISTS certificates (
  gateway_id TEXT NOT NULL REFERENCES gateways (id),
  use TEXT NOT NULL CHECK (use IN ('tls', 'sig', 'enc')),
  csr_job_id TEXT NOT NULL,
  serial TEXT NOT NULL,
  pem TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  issued_ms INTEGER NOT NULL,
  install_job_id TEXT,
  PRIMARY KEY (gateway_id, csr_job_id)
);
`;

export type JobState = 'pending' | 'done' | 'failed';
export type ProfileKind = 'meter' | 'communication' | 'evaluation';
export type TlsCertificateKind = 'factory' | 'operational';

export interface WakeupAddress {
  readonly host: string;
  readonly port: number;
}

export interface GatewayRecord {
  readonly id: string;
  /** `udp://host:port` */
  readonly wakeup: string;
  readonly registeredMs: number;
  readonly lastContactMs: number | undefined;
  /** SHA-256 (hex) of the TLS client certificate of the last contact. */
  readonly tlsFingerprint: string | undefined;
  /** Whether that certificate was one the GWA had issued (operational) or not (factory). */
  readonly tlsKind: TlsCertificateKind | undefined;
}

export interface StoredJob {
  readonly jobId: string;
  readonly gatewayId: string;
  readonly type: AdminJobType;
  readonly job: AdminJob;
  readonly state: JobState;
  readonly result: JobResult | undefined;
  /** The GWA's own error while handling the result (e.g. the certificate could not be issued). */
  readonly error: { readonly code: string; readonly message: string } | undefined;
  readonly createdMs: number;
  readonly finishedMs: number | undefined;
}

export interface StoredProfile {
  readonly gatewayId: string;
  readonly kind: ProfileKind;
  readonly id: string;
  readonly profile: unknown;
  readonly jobId: string;
  readonly jobState: JobState;
  readonly updatedMs: number;
}

export interface IssuedCertificate {
  readonly gatewayId: string;
  readonly use: CertificateUse;
  readonly csrJobId: string;
  readonly serial: string;
  readonly pem: string;
  readonly fingerprint: string;
  readonly issuedMs: number;
  readonly installJobId: string | undefined;
}

/** A job without its ID: the registry assigns `<gatewayId>-<seq>`. */
export type JobDraft = AdminJob extends infer J ? (J extends AdminJob ? Omit<J, 'jobId'> : never) : never;

interface GatewayRow {
  id: string;
  wakeup: string;
  registered_ms: number;
  last_contact_ms: number | null;
  tls_fingerprint: string | null;
  tls_kind: TlsCertificateKind | null;
}

interface JobRow {
  job_id: string;
  gateway_id: string;
  type: AdminJobType;
  job: string;
  state: JobState;
  result: string | null;
  error: string | null;
  created_ms: number;
  finished_ms: number | null;
}

interface CertificateRow {
  gateway_id: string;
  use: CertificateUse;
  csr_job_id: string;
  serial: string;
  pem: string;
  fingerprint: string;
  issued_ms: number;
  install_job_id: string | null;
}

const UDP_ADDRESS = /^udp:\/\/(\[[0-9A-Fa-f:.]{2,45}\]|[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})):(\d{1,5})$/;

/** `udp://host:port` -> host and port (SMGW_HEADEND_BAD_ARGUMENT for anything else). */
export function parseWakeupAddress(text: unknown): WakeupAddress {
  const m = typeof text === 'string' ? UDP_ADDRESS.exec(text) : null;
  const port = m ? Number(m[2]) : 0;
  if (!m?.[1] || port < 1 || port > 65535) {
    throw new HeadendError('SMGW_HEADEND_BAD_ARGUMENT', 'wake-up address must be udp://host:port (port 1..65535)');
  }
  const host = m[1].startsWith('[') ? m[1].slice(1, -1) : m[1];
  return { host, port };
}

export function checkGatewayIdArgument(id: unknown): string {
  if (typeof id !== 'string' || !isGatewayId(id)) {
    throw new HeadendError(
      'SMGW_HEADEND_BAD_ARGUMENT',
      'gateway ID must be E + 3 letters + 10 digits (DKE/FLAG), e.g. EOSM0100000001',
    );
  }
  return id;
}

export class GwaRegistry {
  readonly #db: Database.Database;

  private constructor(db: Database.Database) {
    this.#db = db;
  }

  /** Opens (creating if needed) `<dataDir>/gwa.db`. */
  static open(dataDir: string): GwaRegistry {
    try {
      mkdirSync(dataDir, { recursive: true });
      const db = new Database(join(dataDir, GWA_DB_FILE));
      db.pragma('journal_mode = WAL');
      db.pragma('busy_timeout = 5000');
      db.pragma('foreign_keys = ON');
      db.exec(SCHEMA);
      return new GwaRegistry(db);
    } catch (e) {
      throw storeError(`cannot open the GWA registry in ${dataDir}`, e);
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }

  /** Runs `fn` in one transaction (all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.#guard(() => this.#db.transaction(fn)());
  }

  registerGateway(id: string, wakeup: string, nowMs: number): GatewayRecord {
    checkGatewayIdArgument(id);
    parseWakeupAddress(wakeup);
    return this.#guard(() => {
      if (this.gateway(id) !== undefined) {
        throw new HeadendError('SMGW_HEADEND_GATEWAY_EXISTS', `gateway ${id} is registered already`);
      }
      this.#db.prepare('INSERT INTO gateways (id, wakeup, registered_ms) VALUES (?, ?, ?)').run(id, wakeup, nowMs);
      return this.requireGateway(id);
    });
  }

  gateway(id: string): GatewayRecord | undefined {
    const row = this.#guard(
      () => this.#db.prepare('SELECT * FROM gateways WHERE id = ?').get(id) as GatewayRow | undefined,
    );
    return row === undefined ? undefined : gatewayOf(row);
  }

  requireGateway(id: string): GatewayRecord {
    const g = this.gateway(id);
    if (g === undefined) throw new HeadendError('SMGW_HEADEND_UNKNOWN_GATEWAY', `gateway ${id} is not registered`);
    return g;
  }

  gateways(): GatewayRecord[] {
    const rows = this.#guard(() => this.#db.prepare('SELECT * FROM gateways ORDER BY id').all() as GatewayRow[]);
    return rows.map(gatewayOf);
  }

  /** Records a contact: time and the TLS client certificate the gateway used. */
  recordContact(id: string, nowMs: number, fingerprint: string): GatewayRecord {
    return this.#guard(() => {
      const issued = this.#db
        .prepare("SELECT 1 FROM certificates WHERE gateway_id = ? AND use = 'tls' AND fingerprint = ?")
        .get(id, fingerprint);
      const kind: TlsCertificateKind = issued === undefined ? 'factory' : 'operational';
      this.#db
        .prepare('UPDATE gateways SET last_contact_ms = ?, tls_fingerprint = ?, tls_kind = ? WHERE id = ?')
        .run(nowMs, fingerprint, kind, id);
      return this.requireGateway(id);
    });
  }

  /**
   * Queues a job for a registered gateway under the next ID `<gatewayId>-<seq>`; validated with
   * parseAdminJob first (SMGW_HEADEND_BAD_ARGUMENT when the gateway would refuse it).
   */
  enqueueJob(gatewayId: string, draft: JobDraft, nowMs: number): AdminJob {
    return this.transaction(() => {
      this.requireGateway(gatewayId);
      const seq =
        (this.#db.prepare('SELECT job_seq FROM gateways WHERE id = ?').get(gatewayId) as { job_seq: number }).job_seq +
        1;
      const jobId = `${gatewayId}-${seq}`;
      let job: AdminJob;
      try {
        job = parseAdminJob(JSON.parse(JSON.stringify({ ...draft, jobId })));
      } catch (e) {
        throw new HeadendError(
          'SMGW_HEADEND_BAD_ARGUMENT',
          `not a valid ${draft.type} job: ${e instanceof Error ? e.message : String(e)}`,
          {
            cause: e,
            ...(isSmgwError(e) ? { detail: { ...e.detail } } : {}),
          },
        );
      }
      this.#db.prepare('UPDATE gateways SET job_seq = ? WHERE id = ?').run(seq, gatewayId);
      this.#db
        .prepare(
          "INSERT INTO jobs (job_id, gateway_id, seq, type, job, state, created_ms) VALUES (?, ?, ?, ?, ?, 'pending', ?)",
        )
        .run(jobId, gatewayId, seq, job.type, JSON.stringify(job), nowMs);
      this.#recordProfile(gatewayId, job, nowMs);
      return job;
    });
  }

  /** Pending jobs of a gateway, oldest first. */
  pendingJobs(gatewayId: string): StoredJob[] {
    const rows = this.#guard(
      () =>
        this.#db
          .prepare("SELECT * FROM jobs WHERE gateway_id = ? AND state = 'pending' ORDER BY seq LIMIT 1000")
          .all(gatewayId) as JobRow[],
    );
    return rows.map(jobOf);
  }

  job(jobId: string): StoredJob | undefined {
    const row = this.#guard(
      () => this.#db.prepare('SELECT * FROM jobs WHERE job_id = ?').get(jobId) as JobRow | undefined,
    );
    return row === undefined ? undefined : jobOf(row);
  }

  /** Jobs, newest first, optionally of one gateway and/or in one state. */
  jobs(filter: { readonly gatewayId?: string; readonly state?: JobState; readonly limit?: number } = {}): StoredJob[] {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (filter.gatewayId !== undefined) {
      where.push('gateway_id = ?');
      args.push(filter.gatewayId);
    }
    if (filter.state !== undefined) {
      where.push('state = ?');
      args.push(filter.state);
    }
    const limit = Math.max(1, Math.min(filter.limit ?? 1000, 100_000));
    const sql = `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_ms DESC, gateway_id, seq DESC LIMIT ${limit}`;
    const rows = this.#guard(() => this.#db.prepare(sql).all(...args) as JobRow[]);
    return rows.map(jobOf);
  }

  /**
   * Stores a pending job's result (state done for ok, failed otherwise or with a GWA `error`;
   * no result: the GWA ended the job itself). Returns false when the job was finished already
   * (a repeated POST: nothing changes).
   */
  finishJob(
    jobId: string,
    result: JobResult | undefined,
    nowMs: number,
    error?: { readonly code: string; readonly message: string },
  ): boolean {
    return this.#guard(() => {
      const state: JobState = result?.ok === true && error === undefined ? 'done' : 'failed';
      const r = this.#db
        .prepare(
          "UPDATE jobs SET state = ?, result = ?, error = ?, finished_ms = ? WHERE job_id = ? AND state = 'pending'",
        )
        .run(
          state,
          result === undefined ? null : JSON.stringify(result),
          error === undefined ? null : JSON.stringify(error),
          nowMs,
          jobId,
        );
      return r.changes === 1;
    });
  }

  profiles(gatewayId: string): StoredProfile[] {
    const rows = this.#guard(
      () =>
        this.#db
          .prepare(
            `SELECT p.*, j.state AS job_state FROM profiles p JOIN jobs j ON j.job_id = p.job_id
             WHERE p.gateway_id = ? ORDER BY p.kind, p.profile_id`,
          )
          .all(gatewayId) as {
          gateway_id: string;
          kind: ProfileKind;
          profile_id: string;
          profile: string;
          job_id: string;
          job_state: JobState;
          updated_ms: number;
        }[],
    );
    return rows.map((r) => ({
      gatewayId: r.gateway_id,
      kind: r.kind,
      id: r.profile_id,
      profile: JSON.parse(r.profile) as unknown,
      jobId: r.job_id,
      jobState: r.job_state,
      updatedMs: r.updated_ms,
    }));
  }

  /** Next wake-up sequence number of a gateway (persisted, strictly increasing). */
  nextWakeupSequence(gatewayId: string): bigint {
    return this.transaction(() => {
      this.requireGateway(gatewayId);
      this.#db.prepare('UPDATE gateways SET wakeup_seq = wakeup_seq + 1 WHERE id = ?').run(gatewayId);
      const row = this.#db.prepare('SELECT wakeup_seq FROM gateways WHERE id = ?').get(gatewayId) as {
        wakeup_seq: number;
      };
      return BigInt(row.wakeup_seq);
    });
  }

  /**
   * Records a certificate issued for a create-csr job. An earlier issued certificate for the
   * same use that was not yet put into an install job is superseded (its key was replaced by the
   * newer request).
   */
  addIssuedCertificate(c: Omit<IssuedCertificate, 'installJobId'>): void {
    this.#guard(() => {
      this.#db
        .prepare('DELETE FROM certificates WHERE gateway_id = ? AND use = ? AND install_job_id IS NULL')
        .run(c.gatewayId, c.use);
      this.#db
        .prepare(
          'INSERT INTO certificates (gateway_id, use, csr_job_id, serial, pem, fingerprint, issued_ms) VALUES (?, ?, ?, ?, ?, ?, ?)',
        )
        .run(c.gatewayId, c.use, c.csrJobId, c.serial, c.pem, c.fingerprint, c.issuedMs);
    });
  }

  /** Issued certificates of a gateway not yet in an install job, by use. */
  uninstalledCertificates(gatewayId: string): Partial<Record<CertificateUse, IssuedCertificate>> {
    const rows = this.#guard(
      () =>
        this.#db
          .prepare('SELECT * FROM certificates WHERE gateway_id = ? AND install_job_id IS NULL')
          .all(gatewayId) as CertificateRow[],
    );
    const out: Partial<Record<CertificateUse, IssuedCertificate>> = {};
    for (const r of rows) out[r.use] = certificateOf(r);
    return out;
  }

  certificates(gatewayId: string): IssuedCertificate[] {
    const rows = this.#guard(
      () =>
        this.#db
          .prepare('SELECT * FROM certificates WHERE gateway_id = ? ORDER BY issued_ms, use')
          .all(gatewayId) as CertificateRow[],
    );
    return rows.map(certificateOf);
  }

  markCertificatesInstalling(gatewayId: string, csrJobIds: readonly string[], installJobId: string): void {
    this.#guard(() => {
      const stmt = this.#db.prepare(
        'UPDATE certificates SET install_job_id = ? WHERE gateway_id = ? AND csr_job_id = ? AND install_job_id IS NULL',
      );
      for (const id of csrJobIds) stmt.run(installJobId, gatewayId, id);
    });
  }

  #recordProfile(gatewayId: string, job: AdminJob, nowMs: number): void {
    const set = (kind: ProfileKind, id: string, profile: unknown): void => {
      this.#db
        .prepare(
          `INSERT INTO profiles (gateway_id, kind, profile_id, profile, job_id, updated_ms) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (gateway_id, kind, profile_id) DO UPDATE SET profile = excluded.profile, job_id = excluded.job_id, updated_ms = excluded.updated_ms`,
        )
        .run(gatewayId, kind, id, JSON.stringify(profile), job.jobId, nowMs);
    };
    const remove = (kind: ProfileKind, id: string): void => {
      this.#db
        .prepare('DELETE FROM profiles WHERE gateway_id = ? AND kind = ? AND profile_id = ?')
        .run(gatewayId, kind, id);
    };
    switch (job.type) {
      case 'set-meter-profile':
        set('meter', job.profile.meterId, job.profile);
        break;
      case 'set-communication-profile':
        set('communication', job.profile.id, job.profile);
        break;
      case 'set-evaluation-profile':
        set('evaluation', job.profile.id, job.profile);
        break;
      case 'delete-meter-profile':
        remove('meter', job.meterId);
        break;
      case 'delete-communication-profile':
        remove('communication', job.id);
        break;
      case 'delete-evaluation-profile':
        remove('evaluation', job.id);
        break;
      default:
        break;
    }
  }

  #guard<T>(fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (isSmgwError(e)) throw e;
      throw storeError('GWA registry operation failed', e);
    }
  }
}

function storeError(message: string, cause: unknown): HeadendError {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new HeadendError('SMGW_HEADEND_STORE', `${message}: ${why}`, { cause });
}

function gatewayOf(r: GatewayRow): GatewayRecord {
  return {
    id: r.id,
    wakeup: r.wakeup,
    registeredMs: r.registered_ms,
    lastContactMs: r.last_contact_ms ?? undefined,
    tlsFingerprint: r.tls_fingerprint ?? undefined,
    tlsKind: r.tls_kind ?? undefined,
  };
}

function jobOf(r: JobRow): StoredJob {
  return {
    jobId: r.job_id,
    gatewayId: r.gateway_id,
    type: r.type,
    job: JSON.parse(r.job) as AdminJob,
    state: r.state,
    result: r.result === null ? undefined : (JSON.parse(r.result) as JobResult),
    error: r.error === null ? undefined : (JSON.parse(r.error) as { code: string; message: string }),
    createdMs: r.created_ms,
    finishedMs: r.finished_ms ?? undefined,
  };
}

function certificateOf(r: CertificateRow): IssuedCertificate {
  return {
    gatewayId: r.gateway_id,
    use: r.use,
    csrJobId: r.csr_job_id,
    serial: r.serial,
    pem: r.pem,
    fingerprint: r.fingerprint,
    issuedMs: r.issued_ms,
    installJobId: r.install_job_id ?? undefined,
  };
}
