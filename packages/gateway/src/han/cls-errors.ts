import { SmgwError } from '@opensmgw/core';

export type ClsErrorCode =
  /** A CLS profile the GWA sent is malformed, or its certificate is pinned by another profile. */
  | 'SMGW_CLS_BAD_PROFILE'
  /** No CLS profile with that id (or none pins the device's certificate). */
  | 'SMGW_CLS_NO_PROFILE'
  /** The profile's partner is not a communication profile of this gateway. */
  | 'SMGW_CLS_NO_PARTNER'
  /** HKS4 needs the device's endpoint, and the profile has none. */
  | 'SMGW_CLS_NO_ENDPOINT'
  /** The device or the EMT could not be reached, or refused the handshake. */
  | 'SMGW_CLS_CONNECT_FAILED'
  /** The EMT did not present the certificate its communication profile pins. */
  | 'SMGW_CLS_PEER_MISMATCH'
  /** The proxy is closed, disabled (secure state) or at its channel limit. */
  | 'SMGW_CLS_UNAVAILABLE';

export class ClsError extends SmgwError<ClsErrorCode> {}
