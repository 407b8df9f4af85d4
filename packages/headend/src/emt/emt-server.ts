/**
 * The EMT's HTTPS server (docs/wire-protocols.md "Deliveries"): a market participant receiving
 * the gateways' CMS containers over mutual TLS (WAN server profile, SM-PKI; spec notes §3.3, §5).
 *
 *   POST /emt/v1/containers   body: CMS container (application/cms), header x-opensmgw-message-id
 *        201 {"stored": n, "messageId"}      new message (n readings newly recorded)
 *        200 {"duplicate": true, "messageId"} message ID already stored: the gateway marks it delivered
 *        4xx {"error": {"code", "message"}}  refused (bad container, sender, payload)
 *        5xx                                 our fault (store): the gateway retries
 *   GET  /emt/v1/readings?gateway=&meter=&from=&to=&limit=   {"readings": [...]}
 *
 * Only gateways get in (the profile's peer check: role SMGW, clientAuth, not revoked); a gateway
 * reads back only its own readings (operators use `smgw headend emt readings`). One JSON log
 * line per event on stdout.
 */

import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { type Clock, createJsonLogger, isSmgwError, type Logger } from '@opensmgw/core';
import { CMS_MEDIA_TYPE, EMT_PATHS, MAX_CONTAINER_BYTES, MESSAGE_ID_HEADER } from '@opensmgw/protocol';
import { openEntityModule, parseCertificates, parseCrl, readDerObjects, type SecurityModule } from '@opensmgw/security';
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
import { ContainerIntake, gatewayIdOfCommonName, type SenderTrustAnchors } from './container-intake.js';
import { EmtError, emtHttpStatus } from './emt-errors.js';
import type { EmtStore } from './emt-store.js';
import { openEmtStore } from './open-store.js';
import { parseReadingQuery } from './reading-query.js';
import { readingView } from './reading-view.js';

export interface EmtServerOptions {
  /** SQLite data directory (emt.db), used unless `database` is given. */
  readonly dataDir: string;
  /** postgres:// URL: store in PostgreSQL instead. */
  readonly database?: string;
  /** The test SM-PKI (docs/pki.md): the EMT's keys and certificates, the trust anchors and CRLs. */
  readonly pkiDir: string;
  /** The EMT entity in the PKI, e.g. 'emt-1' (its slots wan-tls and wan-enc). */
  readonly entity: string;
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly clock: Clock;
  /** Event log (default: JSON lines on stdout). */
  readonly logger?: Logger;
}

export interface EmtServer {
  readonly port: number;
  readonly store: EmtStore;
  close(): Promise<void>;
}

async function pemFile(pkiDir: string, rel: string): Promise<string> {
  try {
    return await readFile(join(pkiDir, rel), 'utf8');
  } catch (e) {
    throw new EmtError('SMGW_EMT_BAD_REQUEST', `cannot read ${join(pkiDir, rel)}: ${(e as Error).message}`, {
      cause: e,
    });
  }
}

/** The SM-PKI trust anchors for senders, parsed once: roots, Sub-CA chain, CRLs. */
export async function loadSenderTrust(pkiDir: string): Promise<SenderTrustAnchors> {
  const roots = await pemFile(pkiDir, 'trust/roots.pem');
  const chain = await pemFile(pkiDir, 'subca/chain.pem');
  const crls = await pemFile(pkiDir, 'trust/crls.pem');
  return {
    roots: parseCertificates(roots),
    intermediates: parseCertificates(chain),
    crls: readDerObjects(crls, 'X509 CRL').map(parseCrl),
  };
}

export async function startEmtServer(options: EmtServerOptions): Promise<EmtServer> {
  const logger = options.logger ?? createJsonLogger({ sink: (line) => process.stdout.write(`${line}\n`) });
  const { clock, pkiDir, entity } = options;

  const encPem = await pemFile(pkiDir, `${entity}/enc.crt.pem`);
  const trust = await loadSenderTrust(pkiDir);
  const encCert = readDerObjects(encPem, 'CERTIFICATE')[0];
  if (encCert === undefined) throw new EmtError('SMGW_EMT_BAD_REQUEST', `${entity}/enc.crt.pem holds no certificate`);

  // The module stays open while the server runs: the ENC key agrees keys for every container.
  const module: SecurityModule = await openEntityModule(pkiDir, entity, { clock });
  let store: EmtStore | undefined;
  let server: HttpsServer;
  try {
    const profile = await entityWanServerProfile({
      entity,
      module,
      readPem: (rel) => pemFile(pkiDir, rel),
      clock,
    });
    store = await openEmtStore({
      dataDir: options.dataDir,
      ...(options.database === undefined ? {} : { database: options.database }),
    });
    const intake = new ContainerIntake({
      store,
      recipient: { module, slot: 'wan-enc', certificate: encCert },
      trust,
      clock,
    });
    const handler = emtHandler(intake, store, logger);
    server = await startHttpsServer({
      profile,
      host: options.host,
      port: options.port,
      logger,
      onTlsError: (e, remote) => {
        logger.warn('tls handshake refused', {
          event: 'tls-refused',
          remote,
          code: isSmgwError(e) ? e.code : ((e as { code?: string }).code ?? 'TLS'),
          reason: e.message,
        });
      },
      handler,
    });
  } catch (e) {
    await store?.close();
    await module.close();
    throw e;
  }
  logger.info(`emt listening on ${options.host}:${server.port}`, {
    event: 'listening',
    entity,
    host: options.host,
    port: server.port,
    store: options.database === undefined ? 'sqlite' : 'postgres',
  });
  const s = store;
  return {
    port: server.port,
    store: s,
    close: async () => {
      await server.close();
      await s.close();
      await module.close();
    },
  };
}

function emtHandler(
  intake: ContainerIntake,
  store: EmtStore,
  logger: Logger,
): (req: IncomingMessage, res: ServerResponse, peer: HttpPeer) => Promise<void> {
  return async (req, res, peer) => {
    const url = new URL(req.url ?? '/', 'https://emt.invalid');
    const tlsGatewayId = gatewayIdOfCommonName(peer.commonName);
    if (tlsGatewayId === undefined) {
      // The profile admits only SMGW certificates; a CN without a gateway ID is still refused.
      logger.warn('caller refused', {
        event: 'caller-refused',
        commonName: peer.commonName,
        remote: peer.remoteAddress,
      });
      throw new HttpError('SMGW_HEADEND_HTTP_FORBIDDEN', 'not a gateway certificate');
    }
    try {
      if (url.pathname === EMT_PATHS.containers) {
        if (req.method !== 'POST') throw new HttpError('SMGW_HEADEND_HTTP_METHOD', 'method not allowed');
        await receiveContainer(req, res, intake, tlsGatewayId, logger);
        return;
      }
      if (url.pathname === EMT_PATHS.readings) {
        if (req.method !== 'GET') throw new HttpError('SMGW_HEADEND_HTTP_METHOD', 'method not allowed');
        const filter = parseReadingQuery(url.searchParams);
        if (filter.gatewayId !== undefined && filter.gatewayId !== tlsGatewayId) {
          throw new HttpError('SMGW_HEADEND_HTTP_FORBIDDEN', 'a gateway reads only its own readings');
        }
        const rows = await store.readings({ ...filter, gatewayId: tlsGatewayId });
        writeJson(res, 200, {
          readings: rows.map((r) => ({
            ...readingView(r),
            rawValue: r.value,
            scaler: r.scaler,
            smgwStatus: r.smgwStatus,
            ...(r.meterStatus === undefined ? {} : { meterStatus: r.meterStatus }),
          })),
        });
        return;
      }
      throw new HttpError('SMGW_HEADEND_HTTP_NOT_FOUND', 'no such resource');
    } catch (e) {
      if (!(e instanceof EmtError)) throw e;
      sendError(res, emtHttpStatus(e.code), e.code, e.message);
    }
  };
}

async function receiveContainer(
  req: IncomingMessage,
  res: ServerResponse,
  intake: ContainerIntake,
  tlsGatewayId: string,
  logger: Logger,
): Promise<void> {
  const type = req.headers['content-type'];
  if (type !== undefined && !new RegExp(`^${CMS_MEDIA_TYPE}\\s*(;|$)`, 'i').test(type)) {
    req.pause();
    throw new HttpError('SMGW_HEADEND_HTTP_BAD_CONTENT_TYPE', `expected ${CMS_MEDIA_TYPE}`);
  }
  const header = req.headers[MESSAGE_ID_HEADER];
  if (Array.isArray(header)) throw new EmtError('SMGW_EMT_BAD_REQUEST', `${MESSAGE_ID_HEADER} given more than once`);
  const body = await readBody(req, MAX_CONTAINER_BYTES);
  try {
    const r = await intake.receive({
      body,
      tlsGatewayId,
      ...(header === undefined ? {} : { messageIdHeader: header }),
    });
    logger.info(`container received gateway=${r.gatewayId} readings=${r.readingsStored}`, {
      event: r.outcome === 'stored' ? 'container-received' : 'container-duplicate',
      gatewayId: r.gatewayId,
      messageId: r.messageId,
      evaluationProfileId: r.evaluationProfileId,
      readings: r.readings,
      readingsStored: r.readingsStored,
      bytes: body.length,
    });
    if (r.outcome === 'stored') writeJson(res, 201, { stored: r.readingsStored, messageId: r.messageId });
    else writeJson(res, 200, { duplicate: true, messageId: r.messageId });
  } catch (e) {
    if (e instanceof EmtError) {
      logger.warn(`container refused gateway=${tlsGatewayId} code=${e.code}`, {
        event: 'container-refused',
        gatewayId: tlsGatewayId,
        code: e.code,
        reason: e.message,
        bytes: body.length,
      });
    }
    throw e;
  }
}
