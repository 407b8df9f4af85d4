/**
 * The gateway's only way out on the WAN: HTTPS requests to the GWA and to market participants
 * over mutual TLS 1.2 with the WAN client profile (spec notes §3.3; the gateway is TLS client
 * only). On top of the profile's SM-PKI check of the server (roots, CRLs, role GWA/EMT, name),
 * a communication profile pins the one certificate its server must present (§7.1).
 *
 * Sessions are resumed by session ID while the WAN session policy allows (48 h from the full
 * handshake, SessionLedger); a new WAN identity (installed certificates) starts over with full
 * handshakes. One request per connection ("Connection: close"): correctness first.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { bytesEqual, type Clock, isSmgwError, type TimerClock } from '@opensmgw/core';
import {
  connectWithProfile,
  readDerObjects,
  SessionLedger,
  sessionPolicy,
  type TlsClientProfile,
  TlsError,
  type TlsTrust,
  wanClientProfile,
} from '@opensmgw/security';
import { WanError } from './errors.js';
import type { WanIdentity } from './wan-identity.js';

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_RESPONSE_BYTES = 4 * 1024 * 1024;

export interface WanHttpsClientOptions {
  readonly identity: Pick<WanIdentity, 'tls' | 'generation'>;
  /** SM-PKI roots, Sub-CAs and CRLs the servers are checked against. */
  readonly trust: TlsTrust;
  /** Session ages (ledger, monotonic) and, unless `validityClock` is given, certificate validity. */
  readonly clock: TimerClock;
  /** The gateway's legal time (GatewayTime) for certificate validity and CRL freshness. */
  readonly validityClock?: Clock;
  /** Information-flow control (firewall table): throws to refuse a destination. */
  readonly flow?: (url: string) => void;
  /** WAN session lifetime, GWA-configurable up to 48 h (spec notes §3.3). */
  readonly sessionMaxAgeMs?: number;
}

export interface WanRequest {
  /** Base URL "https://host[:port]" (communication profile or bootstrap). */
  readonly url: string;
  /** SNI and the name the server certificate must carry. */
  readonly servername: string;
  /** The server must present exactly this certificate (PEM) besides passing SM-PKI validation. */
  readonly pinnedCertificatePem?: string;
  readonly method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  readonly path: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: Uint8Array | string;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
}

export interface WanResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/** Node's codes for OpenSSL's X.509 verification failures (as opposed to network errors). */
const OPENSSL_VERIFY_FAILURE =
  /^(UNABLE_TO_|CERT_|SELF_SIGNED_|DEPTH_ZERO_|INVALID_CA|PATH_LENGTH_EXCEEDED|INVALID_PURPOSE|CRL_|ERR_TLS_CERT_)/;
const URL_FORM = /^https:\/\/([A-Za-z0-9.-]+)(?::(\d{1,5}))?\/?$/;
const PATH_FORM = /^\/[\x21-\x7e]*$/;
const HEADER_NAME = /^[A-Za-z0-9-]{1,64}$/;
const HEADER_VALUE = /^[\x20-\x7e]{0,1024}$/;

export class WanHttpsClient {
  readonly #o: WanHttpsClientOptions;
  readonly #ledger: SessionLedger;
  /**
   * Resumable TLS sessions per identity generation and destination (memory only, §3.1), with the
   * server certificate seen at their full handshake: a resumed connection does not show it again.
   */
  readonly #sessions = new Map<string, { readonly session: Buffer; readonly peer: Uint8Array | undefined }>();
  #profile: { generation: number; profile: TlsClientProfile } | undefined;

  constructor(o: WanHttpsClientOptions) {
    this.#o = o;
    this.#ledger = new SessionLedger({
      policy: sessionPolicy('wan', o.sessionMaxAgeMs === undefined ? {} : { maxSessionAgeMs: o.sessionMaxAgeMs }),
      clock: o.clock,
      maxSessions: 256,
    });
  }

  async request(r: WanRequest): Promise<WanResponse> {
    const { host, port } = parseUrl(r.url);
    if (!PATH_FORM.test(r.path))
      throw new WanError('SMGW_WAN_BAD_REQUEST', 'request path is not a plain absolute path');
    for (const [k, v] of Object.entries(r.headers ?? {})) {
      if (!HEADER_NAME.test(k) || !HEADER_VALUE.test(v)) {
        throw new WanError('SMGW_WAN_BAD_REQUEST', 'bad request header', { detail: { header: k } });
      }
    }
    const pinned = r.pinnedCertificatePem === undefined ? undefined : pinnedDer(r.pinnedCertificatePem);
    this.#o.flow?.(r.url);
    const timeoutMs = r.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const maxBytes = r.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

    const profile = this.#clientProfile();
    const sessionKey = `${this.#o.identity.generation}|${host}|${port}|${r.servername.toLowerCase()}`;
    const known = this.#sessions.get(sessionKey);
    let socket: TLSSocket;
    try {
      socket = await connectWithProfile(profile, {
        host,
        port,
        servername: r.servername,
        signal: AbortSignal.timeout(timeoutMs),
        ...(known === undefined ? {} : { session: known.session }),
        sessionPolicy: { ledger: this.#ledger, onLimit: () => this.#sessions.delete(sessionKey) },
      });
    } catch (e) {
      this.#sessions.delete(sessionKey);
      if (isSmgwError(e) && (e.detail as { reason?: unknown }).reason === 'aborted') {
        throw new WanError('SMGW_WAN_TIMEOUT', `no TLS connection to ${r.url} within ${timeoutMs} ms`, { cause: e });
      }
      if (isSmgwError(e)) throw e;
      const errno = (e as { code?: unknown }).code;
      if (typeof errno === 'string' && OPENSSL_VERIFY_FAILURE.test(errno)) {
        // OpenSSL refused the server's chain before our own check ran (e.g. another PKI's root).
        throw new TlsError('SMGW_TLS_PEER_REJECTED', `the server at ${r.url} is not trusted (${errno})`, {
          cause: e,
          detail: { reason: 'untrusted', url: r.url, openssl: errno },
        });
      }
      // ECONNRESET during the handshake is usually the server refusing our certificate.
      throw new WanError('SMGW_WAN_UNREACHABLE', `cannot connect to ${r.url} (${String(errno ?? 'error')})`, {
        cause: e,
        detail: { url: r.url, errno: (e as { code?: unknown }).code },
      });
    }

    const resumed = socket.isSessionReused();
    const raw = socket.getPeerCertificate()?.raw;
    const peer = resumed ? known?.peer : raw === undefined ? undefined : new Uint8Array(raw);
    if (pinned !== undefined) {
      if (peer === undefined || !bytesEqual(peer, pinned)) {
        this.#sessions.delete(sessionKey);
        socket.destroy();
        throw new WanError(
          'SMGW_WAN_PEER_MISMATCH',
          `the server at ${r.url} is not the one of the communication profile (pinned certificate)`,
          { detail: { url: r.url } },
        );
      }
    }
    const fresh = socket.getSession();
    if (fresh !== undefined) this.#sessions.set(sessionKey, { session: fresh, peer });
    if (this.#sessions.size > 256) {
      const oldest = this.#sessions.keys().next().value;
      if (oldest !== undefined) this.#sessions.delete(oldest);
    }
    return exchange(socket, r, host, port, timeoutMs, maxBytes);
  }

  #clientProfile(): TlsClientProfile {
    const generation = this.#o.identity.generation;
    if (this.#profile?.generation === generation) return this.#profile.profile;
    const own = this.#o.identity.tls();
    const profile = wanClientProfile({
      key: own.key,
      certificates: own.certificatesPem,
      trust: this.#o.trust,
      clock: this.#o.validityClock ?? this.#o.clock,
      ...(this.#o.sessionMaxAgeMs === undefined ? {} : { sessionMaxAgeMs: this.#o.sessionMaxAgeMs }),
    });
    this.#profile = { generation, profile };
    return profile;
  }
}

function parseUrl(url: string): { host: string; port: number } {
  const m = typeof url === 'string' ? URL_FORM.exec(url) : null;
  const port = m?.[2] === undefined ? 443 : Number(m[2]);
  if (m === null || m[1] === undefined || port < 1 || port > 65535) {
    throw new WanError('SMGW_WAN_BAD_REQUEST', 'URL is not https://host[:port]');
  }
  return { host: m[1], port };
}

function pinnedDer(pem: string): Uint8Array {
  try {
    const [der] = readDerObjects(pem, 'CERTIFICATE');
    if (der !== undefined) return der;
  } catch {
    // fall through
  }
  throw new WanError('SMGW_WAN_BAD_REQUEST', 'the pinned server certificate is not a PEM certificate');
}

/** One HTTP/1.1 exchange on an established, checked TLS connection, then the connection closes. */
function exchange(
  socket: TLSSocket,
  r: WanRequest,
  host: string,
  port: number,
  timeoutMs: number,
  maxBytes: number,
): Promise<WanResponse> {
  const body =
    r.body === undefined ? undefined : typeof r.body === 'string' ? Buffer.from(r.body) : Buffer.from(r.body);
  return new Promise<WanResponse>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, value?: WanResponse): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      if (err) reject(err);
      else resolve(value as WanResponse);
    };
    const req = httpRequest({
      method: r.method,
      path: r.path,
      host: r.servername,
      port,
      headers: {
        ...r.headers,
        host: port === 443 ? r.servername : `${r.servername}:${port}`,
        connection: 'close',
        ...(body === undefined ? {} : { 'content-length': String(body.length) }),
      },
      createConnection: () => socket,
    });
    req.setTimeout(timeoutMs, () =>
      finish(new WanError('SMGW_WAN_TIMEOUT', `no answer from ${host}:${port} within ${timeoutMs} ms`)),
    );
    req.on('error', (e) =>
      finish(
        isSmgwError(e)
          ? e
          : new WanError('SMGW_WAN_UNREACHABLE', `the connection to ${host}:${port} failed`, {
              cause: e,
              detail: { errno: (e as { code?: unknown }).code },
            }),
      ),
    );
    req.on('response', (res) => {
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        finish(tooLarge(maxBytes));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > maxBytes) {
          finish(tooLarge(maxBytes));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', (e) => finish(new WanError('SMGW_WAN_UNREACHABLE', 'the answer broke off', { cause: e })));
      res.on('aborted', () => finish(new WanError('SMGW_WAN_UNREACHABLE', 'the answer broke off')));
      res.on('end', () =>
        finish(undefined, {
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: new Uint8Array(Buffer.concat(chunks)),
        }),
      );
    });
    req.end(body);
  });
}

function tooLarge(maxBytes: number): WanError {
  return new WanError('SMGW_WAN_RESPONSE_TOO_LARGE', `the answer exceeds ${maxBytes} bytes`, { detail: { maxBytes } });
}
