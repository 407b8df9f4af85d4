/**
 * Small socket harness shared by the TLS profile tests (helper, not a test file): a profile
 * server on 127.0.0.1 that echoes, records accepted sockets and handshake errors, and a raw
 * client attempt that reports how it ended. No sleeps: everything waits on socket events.
 */
import { once } from 'node:events';
import type { AddressInfo, Socket } from 'node:net';
import { type ConnectionOptions, connect, type TLSSocket } from 'node:tls';
import {
  createProfileServer,
  type ProfileServer,
  type ProfileServerOptions,
  type TlsServerProfile,
} from '../src/index.js';

export interface RunningServer {
  readonly server: ProfileServer;
  readonly port: number;
  /** Sockets that passed the profile's peer check. */
  readonly accepted: TLSSocket[];
  /** Every 'tlsClientError' (OpenSSL handshake failures and peer-check rejections). */
  readonly errors: Error[];
  /**
   * Resolves with the 'tlsClientError' of the connection from client port `port` (Attempt.localPort):
   * errors are matched to connections, so stray errors of earlier attempts do not interfere.
   */
  errorFor(port: number): Promise<Error>;
  /**
   * Resolves with the first 'tlsClientError' at index `from` or later that `match` accepts (for
   * clients whose port we do not know, e.g. openssl s_client; stray errors are skipped).
   */
  waitForError(match: (e: Error) => boolean, from?: number): Promise<Error>;
  close(): Promise<void>;
}

export interface StartServerOptions extends Omit<ProfileServerOptions, 'onConnection'> {
  /**
   * `echo` (default) writes back what arrives; `hang-up` ends the connection on the first data
   * (an external scanner probing for an HTTP banner then gets EOF at once instead of waiting).
   */
  readonly mode?: 'echo' | 'hang-up';
}

export async function startServer(profile: TlsServerProfile, options: StartServerOptions = {}): Promise<RunningServer> {
  const accepted: TLSSocket[] = [];
  const errors: Error[] = [];
  const byPort = new Map<number, Error>();
  const waiters = new Map<number, (e: Error) => void>();
  const matchWaiters: { from: number; match: (e: Error) => boolean; resolve: (e: Error) => void }[] = [];
  const { mode: _mode, ...serverOptions } = options;
  const server = createProfileServer(profile, {
    ...serverOptions,
    onConnection: (socket) => {
      accepted.push(socket);
      socket.on('error', () => {});
      if (options.mode === 'hang-up') socket.on('data', () => socket.end());
      else socket.on('data', (d) => socket.write(d));
      socket.on('end', () => socket.end());
    },
  });
  // Node reports some rejections (e.g. OpenSSL's verify failure with rejectUnauthorized) only
  // after the socket closed, when it no longer knows its peer's port: remember the port of each
  // raw connection (the TLSSocket's internal `_parent`).
  const rawPorts = new WeakMap<object, number>();
  server.on('connection', (raw: Socket) => {
    if (raw.remotePort !== undefined) rawPorts.set(raw, raw.remotePort);
  });
  server.on('tlsClientError', (e: Error, socket: TLSSocket) => {
    errors.push(e);
    for (const w of matchWaiters.filter((x) => errors.length - 1 >= x.from && x.match(e))) {
      matchWaiters.splice(matchWaiters.indexOf(w), 1);
      w.resolve(e);
    }
    const parent = (socket as TLSSocket & { _parent?: object })._parent;
    const port = socket.remotePort ?? (parent === undefined ? undefined : rawPorts.get(parent));
    if (port === undefined) return;
    const w = waiters.get(port);
    if (w === undefined) byPort.set(port, e);
    else {
      waiters.delete(port);
      w(e);
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    accepted,
    errors,
    errorFor: (port) => {
      const e = byPort.get(port);
      if (e !== undefined) return Promise.resolve(e);
      return new Promise<Error>((resolve) => waiters.set(port, resolve));
    },
    waitForError: (match, from = 0) => {
      const e = errors.slice(from).find(match);
      if (e !== undefined) return Promise.resolve(e);
      return new Promise<Error>((resolve) => matchWaiters.push({ from, match, resolve }));
    },
    close: async () => {
      for (const s of accepted) s.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

export type Attempt = { readonly localPort: number } & (
  | { readonly ok: true; readonly socket: TLSSocket }
  | { readonly ok: false; readonly error: Error & { code?: string } }
);

/** A raw tls.connect; resolves on 'secureConnect' or the first error. */
export function attempt(options: ConnectionOptions): Promise<Attempt> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', ...options });
    let localPort = -1;
    socket.once('connect', () => {
      localPort = socket.localPort ?? -1;
    });
    socket.once('secureConnect', () => resolve({ ok: true, socket, localPort }));
    socket.once('error', (error) => resolve({ ok: false, error, localPort }));
  });
}

/** Sends `text` and resolves with the echo; rejects if the connection closes first. */
export function echo(socket: TLSSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = '';
    const onData = (d: Buffer): void => {
      got += d.toString('utf8');
      if (got.length >= text.length) {
        cleanup();
        resolve(got);
      }
    };
    const onClose = (): void => {
      cleanup();
      reject(new Error(`closed after ${JSON.stringify(got)}`));
    };
    const cleanup = (): void => {
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
    socket.on('error', () => {});
    socket.write(text);
  });
}

/** Resolves when the socket closed (no data expected). */
export async function closed(socket: TLSSocket): Promise<void> {
  socket.on('error', () => {});
  if (socket.destroyed) return;
  await once(socket, 'close');
}
