/**
 * The I/O half of the session policy: watches one node:tls socket and closes it when its
 * session reaches a limit of its `SessionLedger` (spec notes §3.3-3.5, §17 items 1-2):
 *
 * - On the handshake: a full handshake records the session's birth; a resumed connection
 *   continues only if the ledger knows the session and it is inside its age and byte limits,
 *   otherwise it is destroyed with SMGW_TLS_SESSION_LIMIT (`unknown-session`, `max-age`,
 *   `max-bytes`). Only a new full handshake continues.
 * - Application bytes: counted as the plaintext crosses the socket's stream interface, before
 *   TLS framing, so handshake, record headers, MACs, padding and alerts are not counted
 *   ("Gesamtvolumen der ausgetauschten Nachrichten (ohne … TLS-Handshake)", spec notes §3.5).
 *   Both directions count against the session's one budget. Reads are counted when they arrive
 *   (the readable side's `push`), writes when the stream hands them to TLS (`_write`/`_writev`),
 *   so no 'data' listener changes how the application reads. A received chunk is passed on only
 *   up to the budget; a write that does not fit is not sent. Reaching the budget exactly closes.
 * - Timers on the ledger's Clock: the maximum age (session-wide deadline) and the idle timeout
 *   (per connection, reset by application data in either direction). Every byte event also
 *   re-checks the age, in case a timer was late.
 * - At `max-age` or `max-bytes` the session is invalidated in the ledger and dropped from the
 *   server's session cache (`sessionCache.delete(sessionId)`), so a later resumption gets a
 *   full handshake. Other live connections of the same session close with it. An idle close
 *   leaves the session resumable: idleness ends a connection, not a session.
 * - Renegotiation: `socket.disableRenegotiation()`; a renegotiation attempt (Node reports it on
 *   servers) destroys the socket with SMGW_TLS_RENEGOTIATION. The profiles also set
 *   SSL_OP_NO_RENEGOTIATION, which makes OpenSSL refuse it first.
 *
 * The guard adds an 'error' listener that logs, so a session limit (or a peer's reset) never
 * crashes a process that forgot one; the application's own 'error' listeners still run.
 */

import type { TLSSocket } from 'node:tls';
import type { Logger, TimerHandle } from '@opensmgw/core';
import { silentLogger } from '@opensmgw/core';
import { TlsError } from '../errors.js';
import { tlsSessionIdentity } from './session-key.js';
import type { SessionLedger, SessionLimit } from './session-policy.js';

export interface SessionLimitEvent {
  readonly limit: SessionLimit;
  /** Ledger key of the session (undefined if the session could not be identified). */
  readonly sessionKey: string | undefined;
  readonly error: TlsError;
}

export interface SessionGuardOptions {
  /**
   * Called when the guard closes the connection. A client drops its stored session here for
   * `max-age`, `max-bytes` and `unknown-session` (see `mayResumeSession`).
   */
  readonly onLimit?: (event: SessionLimitEvent) => void;
  readonly logger?: Logger;
  /** The server's session-ID cache (e.g. TlsSessionCache): invalidated sessions are deleted from it. */
  readonly sessionCache?: { delete(sessionId: Uint8Array): unknown };
}

export interface SessionGuard {
  /** Ledger key of the session, once the handshake is done. */
  readonly sessionKey: string | undefined;
  /** Whether the guard closed the connection, and why. */
  readonly closedBy: SessionLimit | undefined;
}

type PushFn = (chunk: unknown, encoding?: BufferEncoding) => boolean;
type WriteFn = (chunk: unknown, encoding: BufferEncoding, cb: (err?: Error | null) => void) => void;
type WritevFn = (chunks: { chunk: unknown; encoding: BufferEncoding }[], cb: (err?: Error | null) => void) => void;
/** The stream internals the guard wraps (public Readable/Writable extension points). */
interface StreamHooks {
  push: PushFn;
  _write: WriteFn;
  _writev?: WritevFn;
}

const LIMIT_TEXT: Readonly<Record<SessionLimit, string>> = {
  'max-age': 'the TLS session reached its maximum age',
  'max-bytes': 'the TLS session reached its application-data budget',
  idle: 'the TLS connection was idle for the idle timeout',
  'unknown-session': 'the resumed TLS session is unknown, expired or was closed at a limit',
};

function byteLength(chunk: unknown, encoding: BufferEncoding): number {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk, encoding);
  if (chunk instanceof Uint8Array) return chunk.length;
  return 0;
}

/**
 * True if a client may offer `sessionData` (from the 'session' event) for resumption: the ledger
 * knows the session and it is inside its limits. Otherwise the client should connect without it.
 */
export function mayResumeSession(ledger: SessionLedger, sessionData: Uint8Array | undefined): boolean {
  if (sessionData === undefined) return false;
  try {
    return ledger.checkResumption(tlsSessionIdentity(sessionData).key) === undefined;
  } catch {
    return false;
  }
}

/**
 * Enforces `ledger`'s policy on `socket`. Call it before the handshake completes (right after
 * `tls.connect`) or in the server's 'secureConnection' handler; both work.
 */
export function applySessionPolicy(
  socket: TLSSocket,
  ledger: SessionLedger,
  options: SessionGuardOptions = {},
): SessionGuard {
  const log = options.logger ?? silentLogger;
  const clock = ledger.clock;
  const policy = ledger.policy;
  let key: string | undefined;
  let sessionId: Uint8Array | undefined;
  let closedBy: SessionLimit | undefined;
  let lastActivity = clock.monotonic();
  let ageTimer: TimerHandle | undefined;
  let idleTimer: TimerHandle | undefined;

  let unsubscribe: (() => void) | undefined;

  const cancelTimers = (): void => {
    ageTimer?.cancel();
    idleTimer?.cancel();
    ageTimer = undefined;
    idleTimer = undefined;
    unsubscribe?.();
    unsubscribe = undefined;
  };

  let closeError: TlsError | undefined;
  /** The error of a write refused after the guard closed (or a socket destroyed otherwise). */
  const refusal = (): TlsError =>
    closeError ?? new TlsError('SMGW_TLS_SESSION_LIMIT', 'the TLS connection is closed', { detail: {} });

  const close = (limit: SessionLimit): void => {
    if (closedBy !== undefined || socket.destroyed) return;
    closedBy = limit;
    cancelTimers();
    const record = key === undefined ? undefined : ledger.get(key);
    if (key !== undefined && limit !== 'idle') {
      ledger.invalidate(key, limit);
      if (sessionId !== undefined && sessionId.length > 0) options.sessionCache?.delete(sessionId);
    }
    const detail: Record<string, unknown> = { limit };
    if (record !== undefined) {
      detail.ageMs = clock.monotonic() - record.bornAt;
      detail.bytes = record.bytes;
    }
    const error = new TlsError('SMGW_TLS_SESSION_LIMIT', LIMIT_TEXT[limit], { detail });
    closeError = error;
    log.info('tls session limit: closing connection', { code: error.code, ...detail });
    options.onLimit?.({ limit, sessionKey: key, error });
    socket.destroy(error);
  };

  /** Closes if a session-wide limit (or idle, when asked) is reached; true if it closed. */
  const check = (withIdle: boolean): boolean => {
    if (key === undefined || closedBy !== undefined) return closedBy !== undefined;
    const limit = ledger.limitReached(key, withIdle ? lastActivity : undefined);
    if (limit !== undefined) close(limit);
    return limit !== undefined;
  };

  const armIdle = (): void => {
    const idle = policy.idleTimeoutMs;
    if (idle === undefined || idle === Number.POSITIVE_INFINITY) return;
    idleTimer = clock.setTimer(Math.max(0, lastActivity + idle - clock.monotonic()), () => {
      idleTimer = undefined;
      if (!check(true)) armIdle();
    });
  };

  const activity = (): void => {
    lastActivity = clock.monotonic();
  };

  const hookStream = (): void => {
    const hooks = socket as unknown as StreamHooks;
    const push = hooks.push;
    hooks.push = function guardedPush(this: unknown, chunk: unknown, encoding?: BufferEncoding): boolean {
      if (chunk === null || chunk === undefined || key === undefined) return push.call(this, chunk, encoding);
      // Nothing more reaches the application once the guard has closed the connection.
      if (closedBy !== undefined) return false;
      const n = byteLength(chunk, encoding ?? 'utf8');
      if (check(false)) return false;
      activity();
      const fit = ledger.spend(key, n);
      if (fit < n) {
        // Deliver what the budget allows, drop the rest, close.
        if (fit > 0 && chunk instanceof Uint8Array) push.call(this, chunk.subarray(0, fit));
        close('max-bytes');
        return false;
      }
      const more = push.call(this, chunk, encoding);
      check(false);
      return more;
    };

    const admit = (n: number, cb: (err?: Error | null) => void): ((err?: Error | null) => void) | undefined => {
      if (key === undefined) return cb;
      if (check(false)) {
        cb(refusal());
        return undefined;
      }
      activity();
      if (ledger.remainingBytes(key) < n) {
        close('max-bytes');
        cb(refusal());
        return undefined;
      }
      ledger.spend(key, n);
      return (err) => {
        cb(err);
        check(false);
      };
    };

    const write = hooks._write;
    hooks._write = function guardedWrite(this: unknown, chunk, encoding, cb) {
      const done = admit(byteLength(chunk, encoding), cb);
      if (done !== undefined) write.call(this, chunk, encoding, done);
    };
    const writev = hooks._writev;
    if (writev !== undefined) {
      hooks._writev = function guardedWritev(this: unknown, chunks, cb) {
        const n = chunks.reduce((sum, c) => sum + byteLength(c.chunk, c.encoding), 0);
        const done = admit(n, cb);
        if (done !== undefined) writev.call(this, chunks, done);
      };
    }
  };

  const start = (): void => {
    if (socket.destroyed) return;
    const data = socket.getSession();
    try {
      if (data === undefined) throw new TlsError('SMGW_TLS_BAD_CONFIG', 'no TLS session after the handshake');
      const identity = tlsSessionIdentity(data);
      key = identity.key;
      sessionId = identity.sessionId;
    } catch (e) {
      log.warn('tls session policy: cannot identify the session', { error: String(e) });
      key = undefined;
      close('unknown-session');
      return;
    }
    if (socket.isSessionReused()) {
      const refused = ledger.checkResumption(key);
      if (refused !== undefined) {
        // Nothing to invalidate for an unknown session; an expired one is invalidated in close().
        close(refused);
        return;
      }
    } else {
      ledger.recordFullHandshake(key);
    }
    // Application data that crossed before the guard saw the handshake (normally none).
    const before = socket.bytesRead + socket.bytesWritten;
    if (before > 0) ledger.spend(key, before);
    activity();
    hookStream();
    if (check(false)) return;
    // A limit reached on another connection of the same session ends this one too.
    unsubscribe = ledger.onInvalidate((invalidated, reason) => {
      if (invalidated === key) close(reason);
    });
    const expiresAt = ledger.expiresAt(key);
    if (expiresAt !== undefined && expiresAt !== Number.POSITIVE_INFINITY) {
      ageTimer = clock.setTimer(Math.max(0, expiresAt - clock.monotonic()), () => {
        ageTimer = undefined;
        if (!check(true)) close('max-age');
      });
    }
    armIdle();
  };

  socket.on('error', (err: Error & { code?: string }) => {
    if (err.code === 'ERR_TLS_RENEGOTIATION_DISABLED' || err.code === 'ERR_TLS_SESSION_ATTACK') {
      cancelTimers();
      log.warn('tls: renegotiation attempt refused', { code: 'SMGW_TLS_RENEGOTIATION' });
      socket.destroy(new TlsError('SMGW_TLS_RENEGOTIATION', 'the peer tried to renegotiate', { cause: err }));
      return;
    }
    log.debug('tls connection error', { code: err.code ?? 'unknown', message: err.message });
  });
  socket.once('close', cancelTimers);
  socket.disableRenegotiation();

  // getFinished() is defined once this side has sent its Finished message: the handshake is done.
  if (socket.getFinished() !== undefined) start();
  else socket.once('secure', start);

  return {
    get sessionKey() {
      return key;
    },
    get closedBy() {
      return closedBy;
    },
  };
}
