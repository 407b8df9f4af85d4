/**
 * Binding a TCP server the gateway's way: a bind error rejects (the gateway does not start with
 * an interface missing); an error after binding must not crash the gateway, so it goes to
 * `onLaterError` (a log entry). Resolves with the bound port (0 in the bootstrap: any free port).
 */
import type { Server } from 'node:net';

export function listenTcp(
  server: Server,
  port: number,
  host: string,
  onLaterError: (e: Error) => void,
): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      server.on('error', onLaterError);
      const a = server.address();
      resolve({ port: typeof a === 'object' && a !== null ? a.port : port });
    });
  });
}
