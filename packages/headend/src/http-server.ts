/**
 * HTTPS over a TLS profile: the one server shape both head-end servers (GWA and EMT) use.
 *
 * The TLS side is `createProfileServer` of @opensmgw/security, so every accepted socket has
 * passed OpenSSL's chain check and the SM-PKI peer check (role, EKU, validity on our Clock,
 * CRLs). Only then is the socket handed to a plain node:http server (`emit('connection')`), so
 * no HTTP byte of an unauthenticated peer is ever parsed. The handler gets the authenticated
 * client certificate as `peer`.
 *
 * Every byte from the peer is hostile (DESIGN.md): header and body sizes, request time and the
 * number of connections are bounded, and a handler that throws answers 500 with a JSON error,
 * never a crashed process.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { isSmgwError, type Logger, SmgwError, silentLogger } from '@opensmgw/core';
import { createProfileServer, type EndpointSessionPolicy, type TlsServerProfile } from '@opensmgw/security';

export type HttpErrorCode =
  | 'SMGW_HEADEND_HTTP_BODY_TOO_LARGE'
  | 'SMGW_HEADEND_HTTP_BAD_JSON'
  | 'SMGW_HEADEND_HTTP_BAD_CONTENT_TYPE'
  | 'SMGW_HEADEND_HTTP_NOT_FOUND'
  | 'SMGW_HEADEND_HTTP_METHOD'
  | 'SMGW_HEADEND_HTTP_FORBIDDEN'
  | 'SMGW_HEADEND_HTTP_BAD_REQUEST'
  | 'SMGW_HEADEND_HTTP_INTERNAL';

const STATUS_OF: Readonly<Record<HttpErrorCode, number>> = {
  SMGW_HEADEND_HTTP_BODY_TOO_LARGE: 413,
  SMGW_HEADEND_HTTP_BAD_JSON: 400,
  SMGW_HEADEND_HTTP_BAD_CONTENT_TYPE: 415,
  SMGW_HEADEND_HTTP_NOT_FOUND: 404,
  SMGW_HEADEND_HTTP_METHOD: 405,
  SMGW_HEADEND_HTTP_FORBIDDEN: 403,
  SMGW_HEADEND_HTTP_BAD_REQUEST: 400,
  SMGW_HEADEND_HTTP_INTERNAL: 500,
};

/** An error with an HTTP status: what a handler throws to answer 4xx with a JSON body. */
export class HttpError extends SmgwError<HttpErrorCode> {
  get status(): number {
    return STATUS_OF[this.code];
  }
}

/** The authenticated TLS client, as the profile's peer check accepted it. */
export interface HttpPeer {
  /** The client's leaf certificate, DER. */
  readonly certificateDer: Uint8Array;
  /** Subject common name of that certificate ('' when it has none). */
  readonly commonName: string;
  readonly remoteAddress: string | undefined;
}

export type HttpHandler = (req: IncomingMessage, res: ServerResponse, peer: HttpPeer) => void | Promise<void>;

export interface HttpLimits {
  /** Maximum size of the request head (node:http `maxHeaderSize`). */
  readonly maxHeaderBytes: number;
  /** Maximum time to receive the request head, ms. */
  readonly headersTimeoutMs: number;
  /** Maximum time to receive a whole request, ms. */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive connections are closed after this, ms. */
  readonly keepAliveTimeoutMs: number;
  /** Concurrent TLS connections; more are refused by the TLS server. */
  readonly maxConnections: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  maxHeaderBytes: 16 * 1024,
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
};

export interface HttpsServerOptions {
  readonly profile: TlsServerProfile;
  readonly host: string;
  /** 0 picks a free port (see the result's `port`). */
  readonly port: number;
  readonly handler: HttpHandler;
  /** Session policy (maximum age, byte budget, idle time) enforced on each accepted connection. */
  readonly sessionPolicy?: EndpointSessionPolicy;
  /** Failed handshakes and rejected peers (TlsError SMGW_TLS_PEER_REJECTED among them). */
  readonly onTlsError?: (error: Error, remoteAddress: string | undefined) => void;
  readonly limits?: Partial<HttpLimits>;
  /** Where handler crashes are reported (default: silent). */
  readonly logger?: Logger;
}

export interface HttpsServer {
  readonly port: number;
  /** Stops listening and ends every open connection. */
  close(): Promise<void>;
}

export async function startHttpsServer(options: HttpsServerOptions): Promise<HttpsServer> {
  const limits: HttpLimits = { ...DEFAULT_HTTP_LIMITS, ...(options.limits ?? {}) };
  const logger = options.logger ?? silentLogger;
  const peers = new WeakMap<Socket, HttpPeer>();
  const open = new Set<TLSSocket>();

  const http = createHttpServer(
    {
      maxHeaderSize: limits.maxHeaderBytes,
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(limits.headersTimeoutMs / 4))),
    },
    (req, res) => {
      const peer = peers.get(req.socket);
      if (peer === undefined) {
        // Cannot happen (only accepted sockets reach http), but never serve an unknown peer.
        req.socket.destroy();
        return;
      }
      void dispatch(options.handler, req, res, peer, logger);
    },
  );
  http.on('clientError', (err: Error & { code?: string }, socket) => {
    // Malformed request, oversized head, too slow: answer if the socket can still take it.
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    // A peer that does not read the answer does not keep the socket.
    (socket as Socket).setTimeout(1000, () => socket.destroy());
  });
  // node:http enforces headersTimeout/requestTimeout from a timer it starts on 'listening'. This
  // server never listens itself (the TLS server hands it sockets), so start that timer here;
  // without it a slow peer could hold a connection forever.
  http.emit('listening');

  const tls = createProfileServer(options.profile, {
    ...(options.sessionPolicy === undefined ? {} : { sessionPolicy: options.sessionPolicy }),
    onConnection: (socket) => {
      const peer = peerOf(socket);
      if (peer === undefined) {
        socket.destroy();
        return;
      }
      peers.set(socket, peer);
      open.add(socket);
      socket.once('close', () => open.delete(socket));
      http.emit('connection', socket);
    },
  });
  tls.maxConnections = limits.maxConnections;
  tls.on('tlsClientError', (err: Error, socket: TLSSocket) => {
    options.onTlsError?.(err, socket?.remoteAddress);
  });

  try {
    await new Promise<void>((resolve, reject) => {
      tls.once('error', reject);
      tls.listen(options.port, options.host, () => {
        tls.removeListener('error', reject);
        resolve();
      });
    });
  } catch (e) {
    http.close(() => {});
    throw e;
  }
  tls.on('error', (err) => logger.error('https server error', { error: err.message }));
  const port = (tls.address() as AddressInfo).port;

  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        tls.close(() => resolve());
        for (const s of open) s.destroy();
        http.closeAllConnections();
        // Stops the timeout timer (the callback reports that http itself never listened).
        http.close(() => {});
      }),
  };
}

function peerOf(socket: TLSSocket): HttpPeer | undefined {
  const cert = socket.getPeerCertificate(false);
  if (cert === null || typeof cert !== 'object' || !Buffer.isBuffer(cert.raw)) return undefined;
  const cn = cert.subject?.CN as string | string[] | undefined;
  return {
    certificateDer: new Uint8Array(cert.raw),
    commonName: typeof cn === 'string' ? cn : '',
    remoteAddress: socket.remoteAddress,
  };
}

async function dispatch(
  handler: HttpHandler,
  req: IncomingMessage,
  res: ServerResponse,
  peer: HttpPeer,
  logger: Logger,
): Promise<void> {
  try {
    await handler(req, res, peer);
  } catch (e) {
    if (e instanceof HttpError) {
      sendError(res, e.status, e.code, e.message);
      return;
    }
    logger.error('request handler failed', {
      method: req.method,
      url: req.url,
      error: isSmgwError(e) ? e.code : e instanceof Error ? e.message : String(e),
    });
    sendError(res, 500, 'SMGW_HEADEND_HTTP_INTERNAL', 'internal error');
  }
}

/** Answers `{"error": {"code", "message"}}` with `status`, or ends the connection if a response was already started. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  // An unread request body would be drained after the answer: close the connection instead.
  if (res.req?.complete === false) res.setHeader('connection', 'close');
  writeJson(res, status, { error: { code, message } });
}

/** Writes `body` as a JSON response. */
export function writeJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * Reads the request body, at most `maxBytes` (HttpError 413 beyond; a declared larger
 * Content-Length is refused before reading). The rest of an oversized body is not read: the
 * connection is closed after the answer.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    req.pause();
    throw tooLarge(maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes) {
      req.pause();
      throw tooLarge(maxBytes);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, total);
}

/** Reads and parses a JSON body of at most `maxBytes` (413 beyond, 415 for another type, 400 for bad JSON). */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const type = req.headers['content-type'];
  if (type !== undefined && !/^application\/json\s*(;|$)/i.test(type)) {
    req.pause();
    throw new HttpError('SMGW_HEADEND_HTTP_BAD_CONTENT_TYPE', 'expected application/json');
  }
  const body = await readBody(req, maxBytes);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    throw new HttpError('SMGW_HEADEND_HTTP_BAD_JSON', 'body is not valid UTF-8 JSON');
  }
}

function tooLarge(maxBytes: number): HttpError {
  return new HttpError('SMGW_HEADEND_HTTP_BODY_TOO_LARGE', `body larger than ${maxBytes} bytes`, {
    detail: { maxBytes },
  });
}
