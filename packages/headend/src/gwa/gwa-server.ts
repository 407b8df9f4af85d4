/**
 * The GWA's HTTPS server (docs/wire-protocols.md "Administration"; protocol admin.ts): the
 * gateway is the client (WAN profile, mutual TLS with SM-PKI certificates, spec notes §5) and
 * asks for the time, its pending jobs, and posts one result per job.
 *
 * The caller is known only by its TLS client certificate: after the SM-PKI peer check (an SMGW
 * TLS certificate of our PKI, not revoked) its CN must be `<gatewayId>.SMGW` of a registered
 * gateway (factory or operational certificate alike); anything else is answered 403 and logged.
 * Jobs come from the registry database, which the operator commands write to as well.
 */

import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createJsonLogger, isSmgwError, type Logger, type TimerClock } from '@opensmgw/core';
import { type AdminJob, GWA_PATHS, MAX_ADMIN_BODY_BYTES, parseAdminJob, parseJobResult } from '@opensmgw/protocol';
import { DEFAULT_SESSION_POLICIES, openEntityModule, SessionLedger, type TlsServerProfile } from '@opensmgw/security';
import { entityWanServerProfile } from '../entity-tls.js';
import {
  HttpError,
  type HttpPeer,
  type HttpsServer,
  readBody,
  sendError,
  startHttpsServer,
  writeJson,
} from '../http-server.js';
import { certificateFingerprint, issueForCsrResult, readSubCaPem, recordIssued } from './csr-issuer.js';
import { HeadendError } from './errors.js';
import { GwaRegistry, type StoredJob } from './registry.js';

export interface GwaServerOptions {
  /** Holds gwa.db (created if missing). */
  readonly dataDir: string;
  /** The test SM-PKI (docs/pki.md): the GWA's TLS key and certificate, trust, and the CA issuing gateway certificates. */
  readonly pkiDir: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  /** GWA time (the time answer, certificate checks, session ages); systemClock in production. */
  readonly clock: TimerClock;
  /** Structured event log (default: JSON lines on stdout). */
  readonly logger?: Logger;
}

export interface GwaServer {
  readonly port: number;
  readonly registry: GwaRegistry;
  close(): Promise<void>;
}

const GATEWAY_CN = /^(.+)\.SMGW$/;
const RESULT_PATH = /^\/gwa\/v1\/jobs\/([^/]{1,200})\/result$/;

export async function startGwaServer(options: GwaServerOptions): Promise<GwaServer> {
  const logger = options.logger ?? createJsonLogger({ sink: (line) => process.stdout.write(`${line}\n`) });
  const clock = options.clock;
  const pem = (rel: string): Promise<string> => readFile(join(options.pkiDir, rel), 'utf8');

  const module = await openEntityModule(options.pkiDir, 'gwa', { clock });
  let profile: TlsServerProfile;
  try {
    profile = await entityWanServerProfile({ entity: 'gwa', module, readPem: pem, clock });
  } finally {
    await module.close();
  }
  // The Sub-CA certificate also goes with every certificate issued to a gateway (recordIssued).
  const subca = await readSubCaPem(options.pkiDir);

  const registry = GwaRegistry.open(options.dataDir);
  // Results are handled one at a time: certificate issuance is asynchronous and must not run
  // twice for a repeated POST, nor interleave two PKI updates.
  let resultChain: Promise<unknown> = Promise.resolve();

  // One 'gateway connected' line per TLS connection, not per request on it.
  const announced = new WeakSet<object>();
  const callerOf = (peer: HttpPeer, connection: object): string => {
    const id = GATEWAY_CN.exec(peer.commonName)?.[1];
    if (id === undefined || registry.gateway(id) === undefined) {
      logger.warn('caller refused', {
        event: 'caller-refused',
        commonName: peer.commonName,
        remote: peer.remoteAddress,
        reason: id === undefined ? 'not a gateway certificate' : 'gateway not registered',
      });
      throw new HttpError('SMGW_HEADEND_HTTP_FORBIDDEN', 'not a registered gateway');
    }
    const g = registry.recordContact(id, clock.now(), certificateFingerprint(peer.certificateDer));
    if (announced.has(connection)) return id;
    announced.add(connection);
    logger.info('gateway connected', {
      event: 'gateway-connected',
      gatewayId: id,
      certificate: g.tlsKind,
      remote: peer.remoteAddress,
    });
    return id;
  };

  const sendJobs = (res: ServerResponse, gatewayId: string): void => {
    const jobs: AdminJob[] = [];
    for (const stored of registry.pendingJobs(gatewayId)) {
      const job = validJob(stored);
      if (job === undefined) {
        // Cannot be stored so (enqueueJob validates), but never send what the gateway would refuse.
        registry.finishJob(stored.jobId, undefined, clock.now(), {
          code: 'SMGW_HEADEND_BAD_ARGUMENT',
          message: 'stored job is not valid; not sent',
        });
        logger.error('invalid job dropped', { event: 'job-dropped', gatewayId, jobId: stored.jobId });
        continue;
      }
      jobs.push(job);
    }
    writeJson(res, 200, { jobs });
    for (const job of jobs) logger.info('job sent', { event: 'job-sent', gatewayId, jobId: job.jobId, type: job.type });
  };

  const storeResult = async (req: IncomingMessage, res: ServerResponse, gatewayId: string, jobId: string) => {
    const body = await readBody(req, MAX_ADMIN_BODY_BYTES);
    let result: ReturnType<typeof parseJobResult>;
    try {
      result = parseJobResult(body);
    } catch (e) {
      throw new HttpError('SMGW_HEADEND_HTTP_BAD_REQUEST', isSmgwError(e) ? `${e.code}: ${e.message}` : 'bad result');
    }
    const job = registry.job(jobId);
    if (job === undefined || job.gatewayId !== gatewayId) {
      throw new HttpError('SMGW_HEADEND_HTTP_NOT_FOUND', 'no such job for this gateway');
    }
    if (job.state !== 'pending') {
      // A repeated POST (the gateway did not see our answer): nothing runs twice.
      writeJson(res, 200, { jobId, stored: false, state: job.state });
      return;
    }
    let installJob: AdminJob | undefined;
    let error: { code: string; message: string } | undefined;
    if (job.job.type === 'create-csr' && result.ok) {
      try {
        const issued = await issueForCsrResult(options.pkiDir, gatewayId, job.job, result.result, clock);
        installJob = registry.transaction(() => {
          const chainJob = recordIssued(registry, gatewayId, jobId, issued, subca, clock.now());
          registry.finishJob(jobId, result, clock.now());
          return chainJob;
        });
        logger.info('certificate issued', {
          event: 'certificate-issued',
          gatewayId,
          jobId,
          use: issued.use,
          serial: issued.serial,
        });
      } catch (e) {
        if (!(e instanceof HeadendError)) throw e;
        error = { code: e.code, message: e.message };
        registry.finishJob(jobId, result, clock.now(), error);
        logger.error('certificate not issued', {
          event: 'certificate-refused',
          gatewayId,
          jobId,
          code: e.code,
          reason: e.message,
        });
      }
    } else {
      registry.finishJob(jobId, result, clock.now());
    }
    logger.info('result received', {
      event: 'result-received',
      gatewayId,
      jobId,
      type: job.type,
      ok: result.ok,
      ...(result.ok ? {} : { code: result.error.code }),
    });
    if (installJob !== undefined) {
      logger.info('job queued', { event: 'job-queued', gatewayId, jobId: installJob.jobId, type: installJob.type });
    }
    writeJson(res, 200, { jobId, stored: true, ...(error === undefined ? {} : { error }) });
  };

  let server: HttpsServer;
  try {
    server = await startHttpsServer({
      profile,
      host: options.host,
      port: options.port,
      logger,
      // WAN sessions end after 48 h, resumptions included (spec notes §3.3).
      sessionPolicy: { ledger: new SessionLedger({ policy: DEFAULT_SESSION_POLICIES.wan, clock }), logger },
      onTlsError: (e, remote) => {
        logger.warn('tls handshake refused', {
          event: 'tls-refused',
          remote,
          code: isSmgwError(e) ? e.code : ((e as { code?: string }).code ?? 'TLS'),
          reason: e.message,
        });
      },
      handler: async (req, res, peer) => {
        const path = (req.url ?? '').split('?')[0] ?? '';
        const gatewayId = callerOf(peer, req.socket);
        if (path === GWA_PATHS.time) {
          if (req.method !== 'GET') throw methodNotAllowed();
          writeJson(res, 200, { epochMs: clock.now() });
          return;
        }
        if (path === GWA_PATHS.jobs) {
          if (req.method !== 'GET') throw methodNotAllowed();
          sendJobs(res, gatewayId);
          return;
        }
        const m = RESULT_PATH.exec(path);
        if (m?.[1] !== undefined) {
          if (req.method !== 'POST') throw methodNotAllowed();
          let jobId: string;
          try {
            jobId = decodeURIComponent(m[1]);
          } catch {
            throw new HttpError('SMGW_HEADEND_HTTP_NOT_FOUND', 'no such job');
          }
          const run = resultChain.then(() => storeResult(req, res, gatewayId, jobId));
          resultChain = run.catch(() => {});
          await run;
          return;
        }
        sendError(res, 404, 'SMGW_HEADEND_HTTP_NOT_FOUND', 'no such resource');
      },
    });
  } catch (e) {
    registry.close();
    throw e;
  }
  logger.info('gwa listening', { event: 'listening', host: options.host, port: server.port });

  return {
    port: server.port,
    registry,
    close: async () => {
      await server.close();
      await resultChain;
      registry.close();
    },
  };
}

function validJob(stored: StoredJob): AdminJob | undefined {
  try {
    return parseAdminJob(stored.job);
  } catch {
    return undefined;
  }
}

function methodNotAllowed(): HttpError {
  return new HttpError('SMGW_HEADEND_HTTP_METHOD', 'method not allowed');
}
