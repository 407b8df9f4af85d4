import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { SmgwError } from '@opensmgw/core';
import { connectWithProfile, type TlsClientProfile } from '@opensmgw/security';
import {
  HttpError,
  type HttpLimits,
  type HttpPeer,
  type HttpsServer,
  readJsonBody,
  startHttpsServer,
  writeJson,
} from '../src/http-server.js';
import { GATEWAY_ID, httpsRequest, makeTestPki, type TestPki } from './gwa-harness.js';

describe('startHttpsServer (HTTPS over the WAN server profile)', () => {
  let pki: TestPki;
  let server: HttpsServer;
  const peers: HttpPeer[] = [];
  const tlsErrors: Error[] = [];

  before(async () => {
    pki = await makeTestPki();
    server = await startHttpsServer({
      profile: await pki.serverProfile('gwa'),
      host: '127.0.0.1',
      port: 0,
      onTlsError: (e) => tlsErrors.push(e),
      handler: async (req, res, peer) => {
        peers.push(peer);
        if (req.url === '/echo') return writeJson(res, 200, { got: await readJsonBody(req, 64) });
        if (req.url === '/throw') throw new Error('boom');
        if (req.url === '/typed') throw new SmgwError('SMGW_X_Y', 'typed');
        if (req.url === '/forbidden') throw new HttpError('SMGW_HEADEND_HTTP_FORBIDDEN', 'no');
        writeJson(res, 200, { cn: peer.commonName });
      },
    });
  });
  after(async () => {
    await server.close();
    pki.cleanup();
  });

  it('hands the authenticated client certificate to the handler', async () => {
    const client = await pki.clientProfile('gateway', 'wan-tls-factory', 'gateway/factory-tls.crt.pem');
    const r = await httpsRequest(client, server.port, 'GET', '/who');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { cn: `${GATEWAY_ID}.SMGW` });
    const peer = peers.at(-1);
    assert.ok(peer);
    assert.ok(peer.certificateDer.length > 100);
    assert.equal(peer.remoteAddress, '127.0.0.1');
  });

  it('reads a JSON body within the limit, answers 413 beyond it and 400 for bad JSON', async () => {
    const client = await pki.clientProfile('gateway', 'wan-tls', 'gateway/tls.crt.pem');
    const ok = await httpsRequest(client, server.port, 'POST', '/echo', { a: 1 });
    assert.deepEqual(ok.json(), { got: { a: 1 } });
    const big = await httpsRequest(client, server.port, 'POST', '/echo', { a: 'x'.repeat(100) });
    assert.equal(big.status, 413);
    assert.equal((big.json() as { error: { code: string } }).error.code, 'SMGW_HEADEND_HTTP_BODY_TOO_LARGE');
    const bad = await httpsRequest(client, server.port, 'POST', '/echo', undefined, {
      rawBody: Buffer.from('{"a":'),
      headers: { 'content-type': 'application/json', 'content-length': '5' },
    });
    assert.equal(bad.status, 400);
    assert.equal((bad.json() as { error: { code: string } }).error.code, 'SMGW_HEADEND_HTTP_BAD_JSON');
  });

  it('turns handler errors into JSON answers and keeps serving', async () => {
    const client = await pki.clientProfile('gateway', 'wan-tls', 'gateway/tls.crt.pem');
    for (const path of ['/throw', '/typed']) {
      const r = await httpsRequest(client, server.port, 'GET', path);
      assert.equal(r.status, 500);
      assert.deepEqual(r.json(), { error: { code: 'SMGW_HEADEND_HTTP_INTERNAL', message: 'internal error' } });
    }
    const f = await httpsRequest(client, server.port, 'GET', '/forbidden');
    assert.equal(f.status, 403);
    const r = await httpsRequest(client, server.port, 'GET', '/who');
    assert.equal(r.status, 200);
  });

  it('refuses a client the WAN profile does not accept (an EMT certificate is no SMGW) before any HTTP', async () => {
    const before = peers.length;
    const emt = await pki.clientProfile('emt-1', 'wan-tls', 'emt-1/tls.crt.pem');
    await assert.rejects(httpsRequest(emt, server.port, 'GET', '/who'));
    assert.equal(peers.length, before);
    assert.ok(tlsErrors.some((e) => (e as { code?: string }).code === 'SMGW_TLS_PEER_REJECTED'));
  });
});

describe('startHttpsServer limits', () => {
  let pki: TestPki;
  before(async () => {
    pki = await makeTestPki();
  });
  after(() => pki.cleanup());

  const start = async (limits: Partial<HttpLimits>) =>
    startHttpsServer({
      profile: await pki.serverProfile('gwa'),
      host: '127.0.0.1',
      port: 0,
      limits,
      handler: (_req, res) => writeJson(res, 200, { ok: true }),
    });

  it('answers 431 to an oversized request head and 408 to a request that does not arrive in time', async () => {
    const server = await start({ maxHeaderBytes: 1024, headersTimeoutMs: 200, requestTimeoutMs: 400 });
    try {
      const client = await pki.clientProfile('gateway', 'wan-tls', 'gateway/tls.crt.pem');
      const big = await rawExchange(
        client,
        server.port,
        `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(4000)}\r\n\r\n`,
      );
      assert.match(big, /^HTTP\/1\.1 431 /);
      // Half a request head, then nothing: the server answers 408 and closes (not a sleep: we wait for its close).
      const slow = await rawExchange(client, server.port, 'GET / HTTP/1.1\r\nHost: x\r\n');
      assert.match(slow, /^HTTP\/1\.1 408 /);
      const ok = await rawExchange(client, server.port, 'GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
      assert.match(ok, /^HTTP\/1\.1 200 /);
    } finally {
      await server.close();
    }
  });

  it('refuses connections beyond maxConnections', async () => {
    const server = await start({ maxConnections: 1 });
    try {
      const client = await pki.clientProfile('gateway', 'wan-tls', 'gateway/tls.crt.pem');
      const first = await connectWithProfile(client, {
        host: '127.0.0.1',
        port: server.port,
        servername: 'gwa.opensmgw.test',
      });
      try {
        await assert.rejects(
          connectWithProfile(client, { host: '127.0.0.1', port: server.port, servername: 'gwa.opensmgw.test' }),
        );
      } finally {
        first.destroy();
      }
    } finally {
      await server.close();
    }
  });
});

/** Writes `text` on a fresh profile connection and collects everything until the server closes it. */
async function rawExchange(profile: TlsClientProfile, port: number, text: string): Promise<string> {
  const socket = await connectWithProfile(profile, { host: '127.0.0.1', port, servername: 'gwa.opensmgw.test' });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  socket.on('error', () => {});
  socket.write(text);
  await once(socket, 'close');
  return Buffer.concat(chunks).toString('latin1');
}
