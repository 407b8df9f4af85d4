/**
 * Refusal codes of the HAN consumer/service API (spec notes §9.1). The HTTP status each maps to
 * is in han-server.ts; the code is what the JSON error body and the logs carry.
 */
import { SmgwError } from '@opensmgw/core';

export type HanErrorCode =
  /** A malformed request (bad query, bad Authorization header, a range over 31 days, count over 1,500). */
  | 'SMGW_HAN_BAD_REQUEST'
  /** No or failed authentication (wrong password, unknown user, stale or replayed nonce). */
  | 'SMGW_HAN_UNAUTHENTICATED'
  /** Authenticated, but the role may not use this endpoint or see this object (deny by default). */
  | 'SMGW_HAN_FORBIDDEN'
  /** No such endpoint, or a meter/usage point the user does not have. */
  | 'SMGW_HAN_NOT_FOUND'
  /** Too many requests (per user or per source address); answered with Retry-After. */
  | 'SMGW_HAN_RATE_LIMITED'
  /** A server used in the wrong state, or a bad configuration. */
  | 'SMGW_HAN_CONFIG';

export class HanError extends SmgwError<HanErrorCode> {}
