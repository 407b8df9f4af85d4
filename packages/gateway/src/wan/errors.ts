import { SmgwError } from '@opensmgw/core';

/**
 * Errors of the gateway's WAN side (spec notes §5): the HTTPS client towards GWA/EMT, the WAN
 * identity (certificate installation) and the administration session. Codes are stable; messages
 * never carry key material or payloads.
 */
export type WanErrorCode =
  /** The server's TLS certificate is not the one pinned in the communication profile (§7.1). */
  | 'SMGW_WAN_PEER_MISMATCH'
  /** A URL that is not https://host[:port] or a request the client refuses to make. */
  | 'SMGW_WAN_BAD_REQUEST'
  /** No connection, reset, or the server closed before a complete answer. */
  | 'SMGW_WAN_UNREACHABLE'
  /** No answer within the request's timeout. */
  | 'SMGW_WAN_TIMEOUT'
  /** The answer exceeded the response size limit; it was cut off and dropped. */
  | 'SMGW_WAN_RESPONSE_TOO_LARGE'
  /** The peer answered with an unexpected HTTP status or body. */
  | 'SMGW_WAN_BAD_RESPONSE'
  /** install-certificates without a pending key for every certificate (create-csr first). */
  | 'SMGW_WAN_NO_PENDING_KEY'
  /** A certificate to install does not certify the pending key of its use. */
  | 'SMGW_WAN_CERT_KEY_MISMATCH'
  /** A certificate to install does not validate against the SM-PKI trust (detail.pkiCode). */
  | 'SMGW_WAN_CERT_INVALID'
  /** A certificate to install names another gateway. */
  | 'SMGW_WAN_CERT_WRONG_GATEWAY'
  /** The WAN identity could not be loaded (missing key or certificate in the security module). */
  | 'SMGW_WAN_IDENTITY_UNAVAILABLE'
  /** A wake-up datagram larger than any wake-up packet (dropped unread). */
  | 'SMGW_WAN_WAKEUP_OVERSIZED'
  /** A valid wake-up whose replay state could not be persisted (not acted on). */
  | 'SMGW_WAN_WAKEUP_UNSAVED'
  /** An admin job the gateway cannot carry out (e.g. deleting an unknown profile). */
  | 'SMGW_WAN_JOB_FAILED';

export class WanError extends SmgwError<WanErrorCode> {}
