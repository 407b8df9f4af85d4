/**
 * HTTP Digest authentication (RFC 2617, RFC 7616 §3.4 with algorithm MD5 and qop=auth) for the
 * HAN interface: the fallback when no TLS client certificate matches a user (spec notes §9.1;
 * existing clients such as evcc and the EMH/Theben integrations speak it).
 *
 * The gateway stores only HA1 = MD5(user:realm:password) per user (protocol HanAccount).
 * Nonces are ours, random, remembered server-side with their birth on the Clock's monotonic
 * time: a nonce older than `nonceLifetimeMs` is answered with a new challenge marked
 * `stale=true`; each (nonce, nc) pair is accepted once, so a captured request cannot be
 * replayed. MD5 is what RFC 2617 and the clients in the field use; it runs only inside TLS.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Clock } from '@opensmgw/core';
import { HanError } from './han-errors.js';

export interface DigestCredentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly qop: string;
  readonly nc: string;
  readonly cnonce: string;
  readonly algorithm?: string;
  readonly opaque?: string;
}

/** Longest Authorization header we parse; real ones are ~300 bytes. */
export const MAX_AUTHORIZATION_LENGTH = 4096;

const TOKEN = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;

function bad(message: string): HanError {
  return new HanError('SMGW_HAN_BAD_REQUEST', `Authorization: ${message}`);
}

/**
 * Parses `Digest k=v, k="v", …`. Throws HanError SMGW_HAN_BAD_REQUEST for anything that is not a
 * complete RFC 2617 qop=auth response (RFC 2069 responses without qop are refused: they have
 * no nc, so no replay protection).
 */
export function parseDigestAuthorization(header: string): DigestCredentials {
  if (typeof header !== 'string') throw bad('missing');
  if (header.length > MAX_AUTHORIZATION_LENGTH) throw bad('too long');
  const m = /^Digest\s+/i.exec(header);
  if (m === null) throw bad('not a Digest response');
  const params = new Map<string, string>();
  let i = m[0].length;
  const s = header;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq < 0) throw bad('parameter without value');
    const name = s.slice(i, eq).trim().toLowerCase();
    if (!TOKEN.test(name)) throw bad('bad parameter name');
    i = eq + 1;
    while (i < s.length && (s[i] === ' ' || s[i] === '\t')) i++;
    let value = '';
    if (s[i] === '"') {
      i++;
      let closed = false;
      while (i < s.length) {
        const c = s[i] as string;
        if (c === '\\' && i + 1 < s.length) {
          value += s[i + 1];
          i += 2;
        } else if (c === '"') {
          closed = true;
          i++;
          break;
        } else {
          value += c;
          i++;
        }
      }
      if (!closed) throw bad('unterminated quoted string');
    } else {
      const start = i;
      while (i < s.length && s[i] !== ',' && s[i] !== ' ' && s[i] !== '\t') i++;
      value = s.slice(start, i);
      if (!TOKEN.test(value)) throw bad(`bad token value of ${name}`);
    }
    if (params.has(name)) throw bad(`${name} given twice`);
    params.set(name, value);
  }
  const need = (k: string): string => {
    const v = params.get(k);
    if (v === undefined || v.length === 0) throw bad(`${k} missing`);
    return v;
  };
  const qop = need('qop');
  if (qop !== 'auth') throw bad('only qop=auth is supported');
  const nc = need('nc');
  if (!/^[0-9a-fA-F]{8}$/.test(nc)) throw bad('nc must be 8 hex digits');
  const response = need('response').toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(response)) throw bad('response must be 32 hex digits');
  const algorithm = params.get('algorithm');
  if (algorithm !== undefined && algorithm.toUpperCase() !== 'MD5') throw bad('only algorithm MD5 is supported');
  const opaque = params.get('opaque');
  return {
    username: need('username'),
    realm: need('realm'),
    nonce: need('nonce'),
    uri: need('uri'),
    response,
    qop,
    nc: nc.toLowerCase(),
    cnonce: need('cnonce'),
    ...(algorithm === undefined ? {} : { algorithm }),
    ...(opaque === undefined ? {} : { opaque }),
  };
}

export function md5Hex(text: string): string {
  return createHash('md5').update(text, 'utf8').digest('hex');
}

/** HA1 = MD5(user:realm:password), what the GWA puts into a HanAccount (the password stays outside). */
export function digestHa1(userId: string, realm: string, password: string): string {
  return md5Hex(`${userId}:${realm}:${password}`);
}

/** The response a client computes (RFC 2617 §3.2.2.1 with qop=auth). Exported for tests and clients. */
export function digestResponse(
  ha1: string,
  method: string,
  c: Omit<DigestCredentials, 'response' | 'username' | 'realm'>,
): string {
  const ha2 = md5Hex(`${method}:${c.uri}`);
  return md5Hex(`${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}`);
}

export type DigestVerdict =
  | { readonly ok: true; readonly username: string }
  /** `stale`: the nonce is unknown or expired, the client should retry with the new one (RFC 2617 §3.2.1). */
  | {
      readonly ok: false;
      readonly reason: 'stale' | 'replay' | 'bad-response' | 'unknown-user' | 'wrong-realm' | 'wrong-uri';
    };

interface NonceState {
  readonly bornAt: number;
  readonly seenNc: Set<string>;
}

export interface DigestAuthOptions {
  readonly realm: string;
  readonly clock: Clock;
  /** How long a nonce may be used (default 5 minutes). */
  readonly nonceLifetimeMs?: number;
  /** Outstanding nonces kept (default 4096); the oldest is forgotten first. */
  readonly maxNonces?: number;
  /** Requests per nonce (distinct nc values) before it must be renewed (default 10,000). */
  readonly maxUsesPerNonce?: number;
}

export class DigestAuthenticator {
  readonly realm: string;
  readonly #clock: Clock;
  readonly #lifetime: number;
  readonly #maxNonces: number;
  readonly #maxUses: number;
  readonly #opaque = randomBytes(16).toString('hex');
  /** Insertion order = birth order. */
  readonly #nonces = new Map<string, NonceState>();

  constructor(o: DigestAuthOptions) {
    if (!/^[\x20-\x21\x23-\x5b\x5d-\x7e]{1,128}$/.test(o.realm)) {
      throw new HanError('SMGW_HAN_CONFIG', 'the Digest realm must be 1 to 128 printable characters without " and \\');
    }
    this.realm = o.realm;
    this.#clock = o.clock;
    this.#lifetime = o.nonceLifetimeMs ?? 5 * 60_000;
    this.#maxNonces = o.maxNonces ?? 4096;
    this.#maxUses = o.maxUsesPerNonce ?? 10_000;
  }

  /** A WWW-Authenticate header value with a fresh nonce. */
  challenge(stale = false): string {
    const now = this.#clock.monotonic();
    for (const [n, st] of this.#nonces) {
      if (now - st.bornAt < this.#lifetime && this.#nonces.size < this.#maxNonces) break;
      this.#nonces.delete(n);
    }
    const nonce = randomBytes(24).toString('base64url');
    this.#nonces.set(nonce, { bornAt: now, seenNc: new Set() });
    return `Digest realm="${this.realm}", qop="auth", algorithm=MD5, nonce="${nonce}", opaque="${this.#opaque}"${stale ? ', stale=true' : ''}`;
  }

  /**
   * Checks a parsed response for `method` and the request target `uri` against the user's HA1
   * (`ha1Of` returns undefined for an unknown user). A replayed (nonce, nc) is refused; a
   * correct response marks its nc as used.
   */
  verify(
    c: DigestCredentials,
    method: string,
    uri: string,
    ha1Of: (user: string) => string | undefined,
  ): DigestVerdict {
    if (c.realm !== this.realm) return { ok: false, reason: 'wrong-realm' };
    // The response covers `c.uri`; it must be this request's target, or a captured response
    // could be used for another path (RFC 7616 §3.4.6).
    if (c.uri !== uri) return { ok: false, reason: 'wrong-uri' };
    const state = this.#nonces.get(c.nonce);
    if (state === undefined || this.#clock.monotonic() - state.bornAt >= this.#lifetime) {
      this.#nonces.delete(c.nonce);
      return { ok: false, reason: 'stale' };
    }
    const ha1 = ha1Of(c.username);
    if (ha1 === undefined) return { ok: false, reason: 'unknown-user' };
    const expected = Buffer.from(digestResponse(ha1, method, c), 'hex');
    const given = Buffer.from(c.response, 'hex');
    if (expected.length !== given.length || !timingSafeEqual(expected, given))
      return { ok: false, reason: 'bad-response' };
    if (state.seenNc.has(c.nc)) return { ok: false, reason: 'replay' };
    if (state.seenNc.size >= this.#maxUses) {
      this.#nonces.delete(c.nonce);
      return { ok: false, reason: 'stale' };
    }
    state.seenNc.add(c.nc);
    return { ok: true, username: c.username };
  }
}
