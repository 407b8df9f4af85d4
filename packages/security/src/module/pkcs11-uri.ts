/**
 * PKCS#11 URIs (RFC 7512) naming a token object, as OpenSSL's pkcs11 engine (libp11) takes them
 * in `privateKeyIdentifier`. Sans-I/O.
 *
 * No PIN goes into a URI we build: the URI is what `tlsKey()` hands out and what ends up in TLS
 * configuration and logs. The engine gets the PIN from its own configuration (see
 * tls/openssl-engine.ts for why).
 */

export interface Pkcs11UriParts {
  /** CKA_LABEL of the token (its label without the blank padding). */
  readonly token: string;
  /** CKA_LABEL of the object. */
  readonly object: string;
  readonly type: 'private' | 'public' | 'cert';
}

/**
 * RFC 7512 §2.3: a path attribute value is pk11-pchar*, i.e. unreserved characters, a few
 * sub-delimiters and percent-encoded octets of the UTF-8 form. We keep only the unreserved
 * characters (ALPHA / DIGIT / "-" / "." / "_" / "~") as they are and percent-encode the rest:
 * always valid, and libp11 decodes it.
 */
export function pkcs11UriEscape(value: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(value)) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

export function pkcs11Uri(parts: Pkcs11UriParts): string {
  return `pkcs11:token=${pkcs11UriEscape(parts.token)};object=${pkcs11UriEscape(parts.object)};type=${parts.type}`;
}
