/**
 * PEM (RFC 7468) armour for certificates, CRLs, CSRs and keys. Sans-I/O. Parsing is strict about
 * labels and base64 so a hostile file yields SMGW_PKI_MALFORMED, never a half-read object.
 */
import { PkiError } from '../errors.js';

export type PemLabel = 'CERTIFICATE' | 'X509 CRL' | 'CERTIFICATE REQUEST' | 'PUBLIC KEY' | 'CMS' | 'PKCS7';

export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

export function toPem(label: PemLabel, der: Uint8Array): string {
  const b64 = Buffer.from(der).toString('base64');
  const lines = b64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]{1,40})-----\r?\n([A-Za-z0-9+/=\r\n\t ]*?)-----END \1-----/g;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Every PEM block in `text`, in order. Text outside blocks (comments) is ignored. */
export function parsePemBlocks(text: string): PemBlock[] {
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const body = (m[2] ?? '').replace(/[\r\n\t ]/g, '');
    if (body.length % 4 !== 0 || !BASE64.test(body)) {
      throw new PkiError('SMGW_PKI_MALFORMED', `PEM block "${m[1]}" is not valid base64`);
    }
    out.push({ label: m[1] ?? '', der: new Uint8Array(Buffer.from(body, 'base64')) });
  }
  return out;
}

/**
 * The DER objects with `label` in a file's content: PEM text with one or more blocks, or a
 * single raw DER object (first byte 0x30, SEQUENCE). SMGW_PKI_MALFORMED if there is none.
 */
export function readDerObjects(content: Uint8Array | string, label: PemLabel): Uint8Array[] {
  if (typeof content !== 'string' && content.length > 0 && content[0] === 0x30) return [new Uint8Array(content)];
  const text = typeof content === 'string' ? content : Buffer.from(content).toString('latin1');
  const blocks = parsePemBlocks(text).filter((b) => b.label === label);
  if (blocks.length === 0) throw new PkiError('SMGW_PKI_MALFORMED', `no "${label}" PEM block and not DER`);
  return blocks.map((b) => b.der);
}
