/**
 * The gateway's HTTPS server on the HAN interface for consumers and service technicians
 * (IF_GW_CON, IF_GW_SRV; spec notes §3.4, §9.1, §10):
 *
 * - TLS with the HAN server profile and the gateway's self-signed HAN certificate (slot
 *   `han-tls`); session policy 48 h per session, 10 min idle per connection
 *   (DEFAULT_SESSION_POLICIES.han), session-ID resumption inside the lifetime.
 * - Authentication: a TLS client certificate whose SHA-256 is mapped to an account; otherwise
 *   HTTP Digest (digest-auth.ts). By default the client certificate is optional (Digest
 *   fallback, the product choice TR-03109-1 v1.1 permits, §9.1); `clientCertificate:
 *   'required'` makes it mutual TLS only, against pinned certificates.
 * - Authorization: the role x endpoint table of han-access.ts, deny by default.
 * - Limits: 31 days / 1,500 log entries per request (han-api.ts); token buckets per user and
 *   per source address answer `429` with `Retry-After` and a consumer-log entry, never a lockout;
 *   failed Digest logins are logged in the system log (FIA_AFL.1) and throttled per user name
 *   and source address, so a guesser is slowed while every other user keeps being served.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { isSmgwError, type Logger, silentLogger, type TimerClock } from '@opensmgw/core';
import type { HanAccount } from '@opensmgw/protocol';
import {
  applySessionPolicy,
  hanServerProfile,
  peerChainOf,
  SessionLedger,
  type SessionPolicy,
  sessionPolicy,
  type TlsKeyReference,
  TlsSessionCache,
} from '@opensmgw/security';
import type { EventLog, EventRecord } from '../core/event-log.js';
import type { GatewayStore } from '../store/types.js';
import { isEmhPath, serveEmh } from './compat-emh.js';
import { isM2mPath, serveM2m } from './compat-theben.js';
import { DigestAuthenticator, parseDigestAuthorization } from './digest-auth.js';
import { isHanEndpoint, mayUse } from './han-access.js';
import { HanAccounts } from './han-accounts.js';
import { HAN_HANDLERS, type HanStore } from './han-api.js';
import { HanError, type HanErrorCode } from './han-errors.js';
import { type BucketRule, RequestLimiter } from './request-limiter.js';

/** The Digest realm unless configured; HA1 values of the accounts are computed with it. */
export const DEFAULT_HAN_REALM = 'opensmgw-han';

export interface HanRateLimits {
  /** Requests per authenticated user (default 60 at once, 60 per minute: 1/s is never refused). */
  readonly perUser?: BucketRule;
  /** Requests per source address, before authentication (default 300 at once, 300 per minute). */
  readonly perAddress?: BucketRule;
  /** Failed logins per user name and source address (default 5 at once, 2 per minute). */
  readonly failedLoginsPerUser?: BucketRule;
  /** Failed logins per source address, any user name (default 30 at once, 10 per minute). */
  readonly failedLoginsPerAddress?: BucketRule;
}

export interface HanServerOptions {
  readonly store: HanStore & Pick<GatewayStore, 'getState' | 'setState' | 'lastAtOrBefore'>;
  /** System- and consumer-log entries (the gateway's RateLimitedEventLog). */
  readonly events: EventLog;
  /** Time for certificate validity, nonces, buckets and the session policy (FakeClock in tests). */
  readonly clock: TimerClock;
  /** The gateway's HAN TLS key (security module slot `han-tls`) and its self-signed certificate. */
  readonly key: TlsKeyReference;
  readonly certificatePem: string;
  readonly gatewayId: string;
  /** Default 127.0.0.1 and an ephemeral port; the HAN address in a deployment. */
  readonly host?: string;
  readonly port?: number;
  /** Digest realm (default DEFAULT_HAN_REALM). */
  readonly realm?: string;
  /**
   * 'optional' (default): certificate or Digest. 'required': mutual TLS only; the client's
   * certificate must be one of `pinnedClientCertificates` and mapped to an account.
   */
  readonly clientCertificate?: 'optional' | 'required';
  readonly pinnedClientCertificates?: readonly string[];
  /** Overrides of the HAN session policy (48 h, 10 min idle). */
  readonly sessionPolicy?: Partial<SessionPolicy>;
  readonly limits?: HanRateLimits;
  /** Digest nonce lifetime (default 5 min). */
  readonly nonceLifetimeMs?: number;
  /** System state for /han/v1/system (operating state, time validity, versions). */
  readonly systemState?: () => Readonly<Record<string, unknown>>;
  readonly logger?: Logger;
  /** Open connections at most (default 256). */
  readonly maxConnections?: number;
}

export interface HanServer {
  readonly host: string;
  readonly port: number;
  /** https://host:port */
  readonly url: string;
  readonly realm: string;
  readonly accounts: HanAccounts;
  close(): Promise<void>;
}

const STATUS: Readonly<Record<HanErrorCode, number>> = {
  SMGW_HAN_BAD_REQUEST: 400,
  SMGW_HAN_UNAUTHENTICATED: 401,
  SMGW_HAN_FORBIDDEN: 403,
  SMGW_HAN_NOT_FOUND: 404,
  SMGW_HAN_RATE_LIMITED: 429,
  SMGW_HAN_CONFIG: 500,
};

const MAX_URL_LENGTH = 2048;

interface Identity {
  readonly account: HanAccount;
  readonly by: 'certificate' | 'digest';
}

export async function startHanServer(o: HanServerOptions): Promise<HanServer> {
  const clock = o.clock;
  const log = o.logger ?? silentLogger;
  const realm = o.realm ?? DEFAULT_HAN_REALM;
  const mode = o.clientCertificate ?? 'optional';
  if (mode === 'required' && (o.pinnedClientCertificates ?? []).length === 0) {
    throw new HanError('SMGW_HAN_CONFIG', 'clientCertificate "required" needs pinnedClientCertificates');
  }
  const profile = hanServerProfile({
    key: o.key,
    certificates: o.certificatePem,
    trust: { kind: 'pinned', certificates: mode === 'required' ? [...(o.pinnedClientCertificates ?? [])] : [] },
    clock,
    clientCertificate: mode,
  });
  const accounts = new HanAccounts(o.store);
  const digest = new DigestAuthenticator({
    realm,
    clock,
    ...(o.nonceLifetimeMs === undefined ? {} : { nonceLifetimeMs: o.nonceLifetimeMs }),
  });
  const limits = o.limits ?? {};
  const perUser = new RequestLimiter(clock, limits.perUser ?? { burst: 60, perMinute: 60 });
  const perAddress = new RequestLimiter(clock, limits.perAddress ?? { burst: 300, perMinute: 300 });
  const failedPerUser = new RequestLimiter(clock, limits.failedLoginsPerUser ?? { burst: 5, perMinute: 2 });
  const failedPerAddress = new RequestLimiter(clock, limits.failedLoginsPerAddress ?? { burst: 30, perMinute: 10 });
  /** Users currently throttled: one consumer-log entry per episode, not one per refused request. */
  const throttled = new Set<string>();
  const ledger = new SessionLedger({ policy: sessionPolicy('han', o.sessionPolicy ?? {}), clock });
  const cache = new TlsSessionCache({ clock, maxAgeMs: ledger.policy.maxSessionAgeMs });
  const systemState = o.systemState ?? (() => ({}));

  const record = (logName: 'system' | 'consumer', e: EventRecord): void => {
    try {
      o.events.record(logName, e);
    } catch (err) {
      log.error('han: log entry refused', { event: e.event, error: String(err) });
    }
  };

  /** The account a client certificate is mapped to, if it is valid on our clock. */
  const certificateAccount = (socket: TLSSocket): HanAccount | undefined => {
    const raw = socket.getPeerCertificate()?.raw;
    if (raw === undefined || raw.length === 0) return undefined;
    const account = accounts.byCertificate(createHash('sha256').update(raw).digest('hex'));
    if (account === undefined) return undefined;
    try {
      const x = new X509Certificate(raw);
      const now = clock.now();
      if (now < Date.parse(x.validFrom) || now > Date.parse(x.validTo)) return undefined;
    } catch {
      return undefined;
    }
    return account;
  };

  // keepAliveTimeout 0: an idle connection is closed by the session policy after 10 minutes
  // on the gateway's clock (§3.4), not by Node's 5-second keep-alive default.
  const http = createHttpServer({ requestTimeout: 30_000, headersTimeout: 15_000, keepAliveTimeout: 0 }, (req, res) => {
    try {
      handle(req, res);
    } catch (e) {
      fail(res, e);
    }
  });
  http.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  const send = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'Content-Type': 'application/json; charset=utf-8',
      'Content-Length': String(Buffer.byteLength(text)),
      'Cache-Control': 'no-store',
      ...headers,
    });
    res.end(text);
  };

  const fail = (res: ServerResponse, e: unknown, headers: Record<string, string> = {}): void => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (e instanceof HanError) {
      send(res, STATUS[e.code], { error: { code: e.code, message: e.message } }, headers);
      return;
    }
    log.error('han: request failed', { error: isSmgwError(e) ? e.code : String(e) });
    send(res, 500, { error: { code: 'SMGW_HAN_INTERNAL', message: 'internal error' } });
  };

  const challenge = (res: ServerResponse, message: string, stale = false): void => {
    fail(res, new HanError('SMGW_HAN_UNAUTHENTICATED', message), { 'WWW-Authenticate': digest.challenge(stale) });
  };

  const tooMany = (res: ServerResponse, seconds: number, message: string): void => {
    fail(res, new HanError('SMGW_HAN_RATE_LIMITED', message), { 'Retry-After': String(seconds) });
  };

  /** Authenticates the request; answers it (and returns undefined) when it cannot. */
  const authenticate = (req: IncomingMessage, res: ServerResponse, address: string): Identity | undefined => {
    const byCert = certificateAccount(req.socket as TLSSocket);
    if (byCert !== undefined) return { account: byCert, by: 'certificate' };
    const header = req.headers.authorization;
    if (header === undefined) {
      challenge(res, 'authentication required');
      return undefined;
    }
    const credentials = parseDigestAuthorization(header);
    const userKey = `${credentials.username}\u0000${address}`;
    const wait = Math.max(failedPerUser.retryAfter(userKey), failedPerAddress.retryAfter(address));
    if (wait > 0) {
      record('system', {
        level: 2,
        outcome: 1,
        event: 'HAN_LOGIN_THROTTLED',
        message: `too many failed HAN logins from this address; answered 429, retry after ${wait} s`,
        subject: address,
      });
      tooMany(res, wait, 'too many failed logins');
      return undefined;
    }
    const verdict = digest.verify(credentials, req.method ?? 'GET', req.url ?? '', (user) => {
      const a = accounts.byUser(user);
      return a?.digestHa1;
    });
    if (verdict.ok) {
      const account = accounts.byUser(verdict.username);
      if (account !== undefined) return { account, by: 'digest' };
    } else if (verdict.reason === 'stale') {
      challenge(res, 'the nonce expired', true);
      return undefined;
    }
    failedPerUser.charge(userKey);
    failedPerAddress.charge(address);
    const reason = verdict.ok ? 'unknown-user' : verdict.reason;
    // FIA_AFL.1: every failed authentication is a system-log entry (the EventLog summarises a
    // flood). The subject is the source address; the tried user name is not logged, it may be
    // a consumer's identity (§10: no consumer data in the system log) or a mistyped password.
    record('system', {
      level: 2,
      outcome: 1,
      event: reason === 'replay' ? 'HAN_DIGEST_REPLAY' : 'HAN_LOGIN_FAILED',
      message: `HAN Digest authentication failed (${reason})`,
      subject: address,
    });
    challenge(res, reason === 'replay' ? 'the nonce count was used before' : 'authentication failed');
    return undefined;
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const address = req.socket.remoteAddress ?? 'unknown';
    const addressWait = perAddress.take(address);
    if (addressWait > 0) {
      record('system', {
        level: 2,
        outcome: 1,
        event: 'HAN_RATE_LIMITED',
        message: `too many HAN requests from this address; answered 429, retry after ${addressWait} s`,
        subject: address,
      });
      tooMany(res, addressWait, 'too many requests from this address');
      return;
    }
    const target = req.url ?? '';
    if (target.length > MAX_URL_LENGTH || !target.startsWith('/'))
      throw new HanError('SMGW_HAN_BAD_REQUEST', 'bad request target');
    const identity = authenticate(req, res, address);
    if (identity === undefined) return;
    const { account } = identity;

    const userWait = perUser.take(account.userId);
    if (userWait > 0) {
      if (!throttled.has(account.userId)) {
        throttled.add(account.userId);
        const entry = {
          level: 2 as const,
          outcome: 1 as const,
          event: 'HAN_RATE_LIMITED',
          message: `too many HAN requests; answered 429 with Retry-After ${userWait} s (no lockout)`,
        };
        if (account.role === 'consumer') record('consumer', { ...entry, user: account.userId });
        else record('system', { ...entry, subject: 'service technician' });
      }
      tooMany(res, userWait, 'too many requests');
      return;
    }
    throttled.delete(account.userId);

    const url = new URL(target, 'https://han.invalid');
    const path = url.pathname;
    // Compatibility paths (compat-theben.ts, compat-emh.ts): the same authentication and rate
    // limits as above; their role table is HAN_COMPAT_ACCESS in han-access.ts.
    const compat = isM2mPath(path) ? serveM2m : isEmhPath(path) ? serveEmh : undefined;
    if (compat !== undefined) {
      const context = { account, method: req.method ?? '', path, query: url.searchParams, store: o.store, clock };
      compat(req, { ...context, systemState, gatewayId: o.gatewayId, certificatePem: o.certificatePem }).then(
        (a) => send(res, a.status, a.body, a.headers ?? {}),
        (e: unknown) => fail(res, e),
      );
      return;
    }
    if (!isHanEndpoint(path)) throw new HanError('SMGW_HAN_NOT_FOUND', 'no such endpoint');
    const method = req.method ?? '';
    if (!mayUse(account.role, path, method)) {
      if (mayUse(account.role, path, 'GET')) {
        send(res, 405, { error: { code: 'SMGW_HAN_METHOD', message: 'only GET' } }, { Allow: 'GET' });
        return;
      }
      throw new HanError('SMGW_HAN_FORBIDDEN', `role ${account.role} may not use ${path}`);
    }
    const body = HAN_HANDLERS[path]({
      account,
      authenticatedBy: identity.by,
      query: url.searchParams,
      store: o.store,
      systemState,
      gatewayId: o.gatewayId,
    });
    send(res, 200, body);
  };

  const tlsServer = createTlsServer(profile.options);
  // A household has a few clients; this bounds what a flood of idle connections can hold.
  tlsServer.maxConnections = o.maxConnections ?? 256;
  cache.attach(tlsServer);
  tlsServer.on('secureConnection', (socket: TLSSocket) => {
    socket.on('error', () => {});
    if (mode === 'required' && !socket.isSessionReused()) {
      try {
        profile.verifyPeer(peerChainOf(socket));
      } catch (e) {
        record('system', {
          level: 2,
          outcome: 1,
          event: 'HAN_TLS_REFUSED',
          message: `HAN client certificate refused (${isSmgwError(e) ? e.code : 'error'})`,
          subject: socket.remoteAddress ?? 'unknown',
        });
        socket.destroy();
        return;
      }
    }
    applySessionPolicy(socket, ledger, { sessionCache: cache, logger: log });
    http.emit('connection', socket);
  });
  tlsServer.on('tlsClientError', (err: Error & { code?: string }) => {
    log.debug('han: TLS handshake failed', { code: err.code ?? 'unknown' });
  });

  const host = o.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    tlsServer.once('error', reject);
    tlsServer.listen(o.port ?? 0, host, () => {
      tlsServer.off('error', reject);
      resolve();
    });
  });
  const port = (tlsServer.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    host,
    port,
    url: `https://${shownHost}:${port}`,
    realm,
    accounts,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        tlsServer.close(() => resolve());
      }),
  };
}
