import { SmgwError } from '@opensmgw/core';

/**
 * Errors of the gateway administrator (GWA): its registry, operations and server. Codes are what
 * the CLI prints and the server logs; messages never carry keys or key files.
 */
export type HeadendErrorCode =
  /** Operator input that is not valid (gateway ID, address, profile, log name...). */
  | 'SMGW_HEADEND_BAD_ARGUMENT'
  /** No gateway with this ID is registered. */
  | 'SMGW_HEADEND_UNKNOWN_GATEWAY'
  /** A gateway with this ID is registered already. */
  | 'SMGW_HEADEND_GATEWAY_EXISTS'
  /** No job with this ID (for this gateway). */
  | 'SMGW_HEADEND_UNKNOWN_JOB'
  /** The gateway answered a job with an error. */
  | 'SMGW_HEADEND_JOB_FAILED'
  /** A create-csr result whose request the test PKI refused (wrong name, key, signature). */
  | 'SMGW_HEADEND_ISSUE_FAILED'
  /** The wake-up datagram could not be sent. */
  | 'SMGW_HEADEND_WAKEUP_FAILED'
  /** Waiting for a job result took longer than allowed. */
  | 'SMGW_HEADEND_TIMEOUT'
  /** The registry database could not be opened, read or written. */
  | 'SMGW_HEADEND_STORE';

export class HeadendError extends SmgwError<HeadendErrorCode> {}
