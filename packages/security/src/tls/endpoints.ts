/**
 * The I/O edge of the TLS profiles: a server and a client connection that run the profile's
 * peer check before the application sees the socket.
 *
 * Server: Node has no hook between OpenSSL's verification and 'secureConnection', so the check
 * runs in the first 'secureConnection' listener (registered here, before any other) and only an
 * accepted socket reaches `onConnection`. A rejected one is destroyed with TlsError
 * SMGW_TLS_PEER_REJECTED and reported through the server's standard 'tlsClientError' event,
 * like every other failed handshake. Use `onConnection`, not your own 'secureConnection'
 * listener (that one would also see rejected sockets, already destroyed).
 *
 * Client: the check runs inside `checkServerIdentity` (profiles.ts), so `connectWithProfile`
 * resolves only for an accepted server.
 *
 * Both take an optional `SessionLedger`: the session policy (maximum age, byte budget, idle
 * timeout; session-policy.ts) is then enforced on every accepted connection, and a client offers
 * a stored session only while the ledger allows its resumption.
 */
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { isSmgwError } from '@opensmgw/core';
import { TlsError } from '../errors.js';
import { peerChainOf } from './peer-check.js';
import type { TlsClientProfile, TlsServerProfile } from './profiles.js';
import { TlsSessionCache } from './session-cache.js';
import { applySessionPolicy, mayResumeSession, type SessionGuard, type SessionGuardOptions } from './session-guard.js';
import type { SessionLedger } from './session-policy.js';

/** The session policy for connections of an endpoint (see session-guard.ts). */
export interface EndpointSessionPolicy {
  readonly ledger: SessionLedger;
  readonly onLimit?: SessionGuardOptions['onLimit'];
  readonly logger?: SessionGuardOptions['logger'];
}

export interface ProfileServerOptions {
  /** Called for each connection whose peer passed the profile's check. */
  readonly onConnection?: (socket: TLSSocket) => void;
  /**
   * Session-ID resumption store. Default: a new TlsSessionCache bounded by the profile's
   * session maximum age on its clock. `false`: no resumption at all.
   */
  readonly sessionCache?: TlsSessionCache | false;
  /** Enforce this session policy on every accepted connection (and delete limited sessions from the cache). */
  readonly sessionPolicy?: EndpointSessionPolicy;
}

export interface ProfileServer extends Server {
  /** The resumption store in use (undefined when disabled), for the session policy to invalidate. */
  readonly sessionCache: TlsSessionCache | undefined;
}

export function createProfileServer(profile: TlsServerProfile, options: ProfileServerOptions = {}): ProfileServer {
  if (profile?.role !== 'server')
    throw new TlsError('SMGW_TLS_BAD_CONFIG', 'createProfileServer needs a server profile');
  const server = createServer(profile.options) as Server & { sessionCache?: TlsSessionCache | undefined };
  const cache =
    options.sessionCache === false
      ? undefined
      : (options.sessionCache ?? new TlsSessionCache({ clock: profile.clock, maxAgeMs: profile.sessionMaxAgeMs }));
  cache?.attach(server);
  server.sessionCache = cache;

  server.on('secureConnection', (socket: TLSSocket) => {
    if (!socket.isSessionReused()) {
      try {
        profile.verifyPeer(peerChainOf(socket));
      } catch (e) {
        const err = isSmgwError(e)
          ? e
          : new TlsError('SMGW_TLS_PEER_REJECTED', 'peer check failed', { cause: e, detail: { reason: 'internal' } });
        // Reported once, through 'tlsClientError' (while the socket still knows its peer address);
        // the destroyed socket must not throw it again as an unhandled 'error'.
        server.emit('tlsClientError', err, socket);
        socket.on('error', () => {});
        socket.destroy(err);
        return;
      }
    }
    if (options.sessionPolicy) guard(socket, options.sessionPolicy, cache);
    options.onConnection?.(socket);
  });
  return server as ProfileServer;
}

export interface ConnectTarget {
  readonly host: string;
  readonly port: number;
  /** SNI and the name checked against an SM-PKI server certificate (e.g. `gwa.opensmgw.test`). */
  readonly servername?: string;
  /** A session from an earlier connection's 'session' event, to resume (only inside its lifetime). */
  readonly session?: Buffer;
  readonly signal?: AbortSignal;
  /**
   * Enforce this session policy on the connection; `session` is then offered only while the
   * ledger allows its resumption (else a full handshake runs).
   */
  readonly sessionPolicy?: EndpointSessionPolicy;
}

function guard(socket: TLSSocket, policy: EndpointSessionPolicy, sessionCache?: TlsSessionCache): SessionGuard {
  return applySessionPolicy(socket, policy.ledger, {
    ...(policy.onLimit ? { onLimit: policy.onLimit } : {}),
    ...(policy.logger ? { logger: policy.logger } : {}),
    ...(sessionCache ? { sessionCache } : {}),
  });
}

/**
 * Connects with a client profile and resolves once the handshake and the peer check passed.
 * Rejects with the handshake error or TlsError SMGW_TLS_PEER_REJECTED.
 */
export function connectWithProfile(profile: TlsClientProfile, target: ConnectTarget): Promise<TLSSocket> {
  if (profile?.role !== 'client') {
    return Promise.reject(new TlsError('SMGW_TLS_BAD_CONFIG', 'connectWithProfile needs a client profile'));
  }
  const offer =
    target.session !== undefined &&
    (target.sessionPolicy === undefined || mayResumeSession(target.sessionPolicy.ledger, target.session));
  return new Promise((resolve, reject) => {
    const socket = connect({
      ...profile.options,
      host: target.host,
      port: target.port,
      ...(target.servername === undefined ? {} : { servername: target.servername }),
      ...(offer ? { session: target.session } : {}),
    });
    if (target.sessionPolicy) guard(socket, target.sessionPolicy);
    const onAbort = (): void => {
      socket.destroy(new TlsError('SMGW_TLS_PEER_REJECTED', 'connection aborted', { detail: { reason: 'aborted' } }));
    };
    const onError = (e: Error): void => {
      target.signal?.removeEventListener('abort', onAbort);
      reject(e);
    };
    socket.once('error', onError);
    target.signal?.addEventListener('abort', onAbort, { once: true });
    socket.once('secureConnect', () => {
      socket.removeListener('error', onError);
      target.signal?.removeEventListener('abort', onAbort);
      resolve(socket);
    });
  });
}
