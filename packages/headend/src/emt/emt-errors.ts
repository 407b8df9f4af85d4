import { SmgwError } from '@opensmgw/core';

/**
 * Errors of the EMT (external market participant) receiver. Codes are what the HTTP answer and
 * the log report; `httpStatus` maps each to the answer a delivering gateway sees (4xx: refused,
 * the gateway keeps the message queued and logs it; docs/wire-protocols.md "Deliveries").
 */
export type EmtErrorCode =
  /** Not a CMS container we can open: malformed, tampered, not for us, undecryptable. */
  | 'SMGW_EMT_BAD_CONTAINER'
  /** The container's signer is not a valid SM-PKI gateway SIG certificate. */
  | 'SMGW_EMT_UNTRUSTED_SENDER'
  /** Signer, TLS client and payload do not name the same gateway. */
  | 'SMGW_EMT_SENDER_MISMATCH'
  /** The decrypted payload is not a valid ReadingsMessage (or its header disagrees with it). */
  | 'SMGW_EMT_BAD_PAYLOAD'
  /** The request body exceeds MAX_CONTAINER_BYTES. */
  | 'SMGW_EMT_TOO_LARGE'
  /** A query or request that is not one of ours (bad parameter, method, path, media type). */
  | 'SMGW_EMT_BAD_REQUEST'
  /** The store could not be opened or written (a fault of ours: 5xx, the gateway retries). */
  | 'SMGW_EMT_STORE';

export class EmtError extends SmgwError<EmtErrorCode> {}

const STATUS: Readonly<Record<EmtErrorCode, number>> = {
  SMGW_EMT_BAD_CONTAINER: 400,
  SMGW_EMT_UNTRUSTED_SENDER: 403,
  SMGW_EMT_SENDER_MISMATCH: 403,
  SMGW_EMT_BAD_PAYLOAD: 400,
  SMGW_EMT_TOO_LARGE: 413,
  SMGW_EMT_BAD_REQUEST: 400,
  SMGW_EMT_STORE: 500,
};

/** The HTTP status an EmtError is answered with. */
export function emtHttpStatus(code: EmtErrorCode): number {
  return STATUS[code];
}
