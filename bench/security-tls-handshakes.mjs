// Handshake measurements shared by bench/security.mjs and bench/security-tls-engine-child.mjs (a
// module, not a bench to run on its own). Both ends run in the calling process over 127.0.0.1,
// built from the TLS profiles (@opensmgw/security → packages/security/dist): the server through
// createProfileServer (session-ID cache, peer check on full handshakes), the client through
// connectWithProfile (peer check in checkServerIdentity).
//
//   measureHandshakes  sequential handshakes for `seconds`: one connection at a time, each counted
//                      when the client finished AND the server accepted it (its peer check done),
//                      so one handshake's wall time holds both ends' CPU work.
//   wireBytes          one handshake through a counting TCP proxy: the TLS records each way
//                      (record layer bytes = TCP payload, no TCP/IP headers), the handshake
//                      messages in them, the flights, then the overhead of one application-data
//                      record and the close_notify alerts.
import { connect as netConnect, createServer as netCreateServer } from 'node:net';
import { connectWithProfile, createProfileServer } from '@opensmgw/security';
import { measure } from './measure.mjs';

const HOST = '127.0.0.1';

/** A profile server on an ephemeral port; `accepted()` resolves with the next accepted socket. */
async function startServer(serverProfile, onSocket = (s) => s.end()) {
  const waiting = [];
  const early = [];
  const failures = [];
  const server = createProfileServer(serverProfile, {
    onConnection: (socket) => {
      socket.on('error', () => {});
      const w = waiting.shift();
      if (w) w(socket);
      else early.push(socket);
      onSocket(socket);
    },
  });
  server.on('tlsClientError', (e) => failures.push(e));
  await new Promise((resolve) => server.listen(0, HOST, resolve));
  return {
    server,
    port: server.address().port,
    failures,
    accepted: () => (early.length > 0 ? Promise.resolve(early.shift()) : new Promise((r) => waiting.push(r))),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Handshakes one after another for about `seconds`. `resumed`: each connection offers the session
 * of the connection before it (the first is a full handshake that is not counted); every counted
 * one must then be a resumption, else the run fails.
 */
export async function measureHandshakes({ serverProfile, clientProfile, seconds, resumed, servername }) {
  const srv = await startServer(serverProfile);
  const target = { host: HOST, port: srv.port, ...(servername ? { servername } : {}) };
  let session;
  const once = async () => {
    const accepted = srv.accepted();
    const socket = await connectWithProfile(clientProfile, session ? { ...target, session } : target);
    await accepted;
    const info = {
      reused: socket.isSessionReused(),
      cipher: socket.getCipher().name,
      protocol: socket.getProtocol(),
      group: socket.getEphemeralKeyInfo()?.name,
    };
    if (resumed) session = socket.getSession();
    socket.on('error', () => {});
    socket.end();
    return info;
  };
  try {
    // The warm-up (at least 5 handshakes) makes the session to resume.
    let first;
    let notAsAsked = 0;
    const { ops, ...timing } = await measure(
      async (counted) => {
        const info = await once();
        if (!counted) first = info;
        else if (info.reused !== resumed) notAsAsked++;
      },
      seconds,
      5,
    );
    if (notAsAsked > 0) throw new Error(`${notAsAsked} of ${ops} handshakes were not ${resumed ? 'resumed' : 'full'}`);
    if (srv.failures.length > 0) throw new Error(`server: ${srv.failures[0].message}`);
    return { handshakes: ops, ...timing, protocol: first.protocol, cipher: first.cipher, group: first.group };
  } finally {
    await srv.close();
  }
}

const CONTENT_TYPES = { 20: 'change_cipher_spec', 21: 'alert', 22: 'handshake', 23: 'application_data' };
const HANDSHAKE_TYPES = {
  0: 'HelloRequest',
  1: 'ClientHello',
  2: 'ServerHello',
  4: 'NewSessionTicket',
  11: 'Certificate',
  12: 'ServerKeyExchange',
  13: 'CertificateRequest',
  14: 'ServerHelloDone',
  15: 'CertificateVerify',
  16: 'ClientKeyExchange',
  20: 'Finished',
};

/** Splits one direction's byte stream into TLS records (5-byte header + fragment). */
function recordParser(direction, onRecord) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 5) {
      const length = buf.readUInt16BE(3);
      if (buf.length < 5 + length) break;
      onRecord({ direction, type: buf[0], version: buf.readUInt16BE(1), fragment: buf.subarray(5, 5 + length) });
      buf = buf.subarray(5 + length);
    }
  };
}

/**
 * A profile server that echoes, behind a counting TCP proxy. `connect` runs one connection: the
 * handshake, then the client sends `probeBytes` of application data, the server echoes them, and
 * both close. It resolves with every TLS record in the order the proxy forwarded it (the peers
 * take turns, so the order is causal).
 */
async function countingProxy({ serverProfile, clientProfile, servername, probeBytes }) {
  const srv = await startServer(serverProfile, (s) => s.pipe(s));
  const captures = [];
  const proxy = netCreateServer((down) => {
    const capture = captures.shift();
    const up = netConnect(srv.port, HOST);
    const c2s = recordParser('c2s', (r) => capture.records.push(r));
    const s2c = recordParser('s2c', (r) => capture.records.push(r));
    down.on('data', (d) => {
      c2s(d);
      up.write(d);
    });
    up.on('data', (d) => {
      s2c(d);
      down.write(d);
    });
    down.on('end', () => up.end());
    up.on('end', () => down.end());
    let closed = 0;
    for (const s of [down, up]) {
      s.on('error', () => {});
      s.on('close', () => {
        if (++closed === 2) capture.done();
      });
    }
  });
  await new Promise((resolve) => proxy.listen(0, HOST, resolve));
  const connect = async (session) => {
    const capture = { records: [] };
    const finished = new Promise((r) => {
      capture.done = r;
    });
    captures.push(capture);
    const socket = await connectWithProfile(clientProfile, {
      host: HOST,
      port: proxy.address().port,
      ...(servername ? { servername } : {}),
      ...(session ? { session } : {}),
    });
    const info = {
      reused: socket.isSessionReused(),
      cipher: socket.getCipher().name,
      group: socket.getEphemeralKeyInfo()?.name,
      session: socket.getSession(),
    };
    await new Promise((resolve, reject) => {
      let got = 0;
      socket.on('data', (d) => {
        got += d.length;
        if (got >= probeBytes) resolve();
      });
      socket.on('error', reject);
      socket.write(Buffer.alloc(probeBytes, 0x5a));
    });
    socket.end();
    await finished;
    return { ...info, records: capture.records };
  };
  const close = async () => {
    await new Promise((resolve) => proxy.close(() => resolve()));
    await srv.close();
  };
  return { connect, close };
}

/** What the records of one connection say about its handshake. */
function analyse(records, probeBytes) {
  const hs = records.filter((r) => r.type === 20 || r.type === 22);
  const sum = (list) => list.reduce((n, r) => n + 5 + r.fragment.length, 0);
  const c2s = hs.filter((r) => r.direction === 'c2s');
  const s2c = hs.filter((r) => r.direction === 's2c');
  // Flights: maximal runs of handshake records in one direction.
  const flights = [];
  for (const r of hs) {
    const last = flights.at(-1);
    if (last && last.direction === r.direction) last.records.push(r);
    else flights.push({ direction: r.direction, records: [r] });
  }
  // Handshake messages: plaintext ones parsed from the reassembled stream; after a side's
  // ChangeCipherSpec its handshake records are encrypted (in TLS 1.2 that is its Finished).
  const messages = [];
  for (const direction of ['c2s', 's2c']) {
    let stream = Buffer.alloc(0);
    let encrypted = false;
    for (const r of hs.filter((x) => x.direction === direction)) {
      if (r.type === 20) {
        messages.push({ direction, message: 'ChangeCipherSpec', bytes: r.fragment.length });
        encrypted = true;
      } else if (encrypted) {
        messages.push({ direction, message: 'Finished (encrypted)', bytes: r.fragment.length });
      } else {
        stream = Buffer.concat([stream, r.fragment]);
        while (stream.length >= 4) {
          const len = stream.readUIntBE(1, 3);
          if (stream.length < 4 + len) break;
          messages.push({ direction, message: HANDSHAKE_TYPES[stream[0]] ?? `type ${stream[0]}`, bytes: 4 + len });
          stream = stream.subarray(4 + len);
        }
      }
    }
  }
  const appData = records.filter((r) => r.type === 23);
  const alerts = records.filter((r) => r.type === 21);
  const firstApp = appData.find((r) => r.direction === 'c2s');
  return {
    clientToServer: sum(c2s),
    serverToClient: sum(s2c),
    total: sum(hs),
    records: { clientToServer: c2s.length, serverToClient: s2c.length },
    flights: flights.map((f) => `${f.direction === 'c2s' ? 'C→S' : 'S→C'} ${sum(f.records)}`),
    // The client opens; it may send data once it has the server's last flight and sent its own
    // Finished, i.e. after as many round trips as there are server flights (TCP set-up not counted).
    roundTripsBeforeClientData: flights.filter((f) => f.direction === 's2c').length,
    messages,
    applicationRecordOverhead: firstApp ? 5 + firstApp.fragment.length - probeBytes : null,
    closeNotifyBytes: sum(alerts),
    otherRecordTypes: [
      ...new Set(records.filter((r) => !CONTENT_TYPES[r.type]).map((r) => r.type)), // should stay empty
    ],
  };
}

/**
 * Bytes on the wire of full and resumed handshakes, `samples` of each (ECDSA signatures are DER,
 * 70-72 bytes for a 256-bit curve, so totals vary by a few bytes): the first sample in full, and
 * min/median/max of the totals.
 */
export async function wireBytes({ serverProfile, clientProfile, servername, samples = 10, probeBytes = 100 }) {
  const lab = await countingProxy({ serverProfile, clientProfile, servername, probeBytes });
  const out = {};
  try {
    for (const kind of ['full', 'resumed']) {
      const runs = [];
      for (let i = 0; i < samples; i++) {
        const session = kind === 'resumed' ? (await lab.connect()).session : undefined;
        const r = await lab.connect(session);
        if (r.reused !== (kind === 'resumed')) throw new Error(`${kind} handshake: isSessionReused() = ${r.reused}`);
        runs.push({ ...analyse(r.records, probeBytes), cipher: r.cipher, group: r.group });
      }
      const spread = (key) => {
        const v = runs.map((r) => r[key]).sort((a, b) => a - b);
        return { min: v[0], median: v[Math.floor(v.length / 2)], max: v.at(-1) };
      };
      out[kind] = {
        samples,
        ...runs[0],
        spread: {
          clientToServer: spread('clientToServer'),
          serverToClient: spread('serverToClient'),
          total: spread('total'),
        },
      };
    }
  } finally {
    await lab.close();
  }
  return out;
}
