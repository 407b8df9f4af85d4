/**
 * Names a TLS 1.2 session so the session policy can follow it across resumptions (spec notes
 * §3.3-3.5: lifetime and LMN byte budget count "including resumptions").
 *
 * Input is OpenSSL's serialized SSL_SESSION as node:tls hands it out (`socket.getSession()`, the
 * client's 'session' event, the server's 'newSession' event), DER:
 *
 *   SEQUENCE { version INTEGER, sslVersion INTEGER, cipher OCTET STRING,
 *              sessionId OCTET STRING, masterKey OCTET STRING, ... }
 *
 * The session key is a hash of the master secret, not the session ID: a TLS 1.2 session keeps
 * its master secret through every abbreviated handshake, on both sides, with session IDs and
 * with RFC 5077 tickets alike (with tickets the session ID changes on each resumption and is
 * empty on the server after the full handshake). The master secret itself is never stored or
 * logged: only SHA-256 over a label and the secret, cut to 128 bits. Under TLS 1.3 the secret
 * changes per resumption, so a resumed 1.3 connection would count as an unknown session and be
 * closed (fail-safe); our profiles are TLS 1.2 only.
 */
import { createHash } from 'node:crypto';
import { TlsError } from '../errors.js';

export interface TlsSessionIdentity {
  /** Stable across resumptions: hex of SHA-256("OpenSMGW TLS session" ‖ master secret)[0..16]. */
  readonly key: string;
  /** The TLS session ID (may be empty, e.g. a server's ticket session). */
  readonly sessionId: Uint8Array;
}

const LABEL = Buffer.from('OpenSMGW TLS session\0');

function notSession(what: string): TlsError {
  return new TlsError('SMGW_TLS_BAD_CONFIG', `not an OpenSSL TLS session: ${what}`);
}

/** Reads one DER TLV at `pos`; returns [tag, contentStart, contentEnd]. */
function tlv(der: Uint8Array, pos: number, end: number): [number, number, number] {
  if (pos + 2 > end) throw notSession('truncated');
  const tag = der[pos] as number;
  let len = der[pos + 1] as number;
  let start = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || start + n > end) throw notSession('bad length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + (der[start + i] as number);
    start += n;
  }
  if (start + len > end) throw notSession('truncated');
  return [tag, start, start + len];
}

/** The session key and ID of a serialized OpenSSL session. SMGW_TLS_BAD_CONFIG if it is none. */
export function tlsSessionIdentity(sessionData: Uint8Array): TlsSessionIdentity {
  if (!(sessionData instanceof Uint8Array)) throw notSession('not bytes');
  const [tag, start, end] = tlv(sessionData, 0, sessionData.length);
  if (tag !== 0x30) throw notSession('not a SEQUENCE');
  const fields: Uint8Array[] = [];
  const expected = [0x02, 0x02, 0x04, 0x04, 0x04];
  let pos = start;
  for (const want of expected) {
    const [t, s, e] = tlv(sessionData, pos, end);
    if (t !== want) throw notSession('unexpected field');
    fields.push(sessionData.subarray(s, e));
    pos = e;
  }
  const sessionId = fields[3] as Uint8Array;
  const masterKey = fields[4] as Uint8Array;
  if (masterKey.length === 0) throw notSession('no master secret');
  const key = createHash('sha256').update(LABEL).update(masterKey).digest().subarray(0, 16).toString('hex');
  return { key, sessionId: new Uint8Array(sessionId) };
}
