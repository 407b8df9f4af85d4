/**
 * AES key wrap (RFC 3394) with the default initial value A6A6A6A6A6A6A6A6, on node:crypto's
 * `id-aesNNN-wrap` ciphers. Spec notes §3.7: CMS content keys are wrapped with id-aes128-wrap.
 * The integrity check of the unwrap is what detects a wrong KEK or an altered encrypted key.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';
import { CmsError } from '../errors.js';

const DEFAULT_IV = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

function cipherName(kek: Uint8Array): string {
  if (kek.length === 16) return 'id-aes128-wrap';
  if (kek.length === 24) return 'id-aes192-wrap';
  if (kek.length === 32) return 'id-aes256-wrap';
  throw new CmsError('SMGW_CMS_BAD_ARGUMENT', `AES key wrap: KEK of ${kek.length} bytes (16, 24 or 32)`);
}

function copyOut(parts: Buffer[]): Uint8Array {
  const out = new Uint8Array(Buffer.concat(parts));
  for (const p of parts) p.fill(0);
  return out;
}

/** Wraps `key` (a multiple of 8 bytes, at least 16) under `kek`. */
export function aesKeyWrap(kek: Uint8Array, key: Uint8Array): Uint8Array {
  const name = cipherName(kek);
  if (key.length < 16 || key.length % 8 !== 0) {
    throw new CmsError('SMGW_CMS_BAD_ARGUMENT', `AES key wrap: key of ${key.length} bytes (a multiple of 8, >= 16)`);
  }
  const c = createCipheriv(name, kek, DEFAULT_IV);
  return copyOut([c.update(key), c.final()]);
}

/** Unwraps `wrapped` under `kek`; a failed integrity check (or a bad length) is SMGW_CMS_DECRYPT. */
export function aesKeyUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const name = cipherName(kek);
  if (wrapped.length < 24 || wrapped.length % 8 !== 0) {
    throw new CmsError('SMGW_CMS_DECRYPT', `AES key unwrap: wrapped key of ${wrapped.length} bytes`);
  }
  try {
    const d = createDecipheriv(name, kek, DEFAULT_IV);
    return copyOut([d.update(wrapped), d.final()]);
  } catch (e) {
    throw new CmsError('SMGW_CMS_DECRYPT', 'AES key unwrap: integrity check failed (wrong key or altered data)', {
      cause: e,
    });
  }
}
