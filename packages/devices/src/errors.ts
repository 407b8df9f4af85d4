import { SmgwError } from '@opensmgw/core';

/** Codes of the device simulators (SMGW_DEV_*). */
export type DevicesErrorCode =
  /** A fleet configuration that is not JSON, has unknown fields or out-of-range values. */
  | 'SMGW_DEV_BAD_CONFIG'
  /** A counter state file that cannot be read, is damaged, or cannot be written. */
  | 'SMGW_DEV_BAD_STATE'
  /** A radio or gateway address that cannot be parsed. */
  | 'SMGW_DEV_BAD_TARGET'
  /** A bad argument to a simulator (seed, interval, key, medium). */
  | 'SMGW_DEV_BAD_ARGUMENT'
  /** The message counter would pass 2^32 - 1: a meter must never wrap it (spec notes §3.6). */
  | 'SMGW_DEV_COUNTER_EXHAUSTED'
  /** A connection to the gateway failed (refused, reset, or OpenSSL rejected the peer). */
  | 'SMGW_DEV_CONNECT'
  /** A sent-log line could not be written. */
  | 'SMGW_DEV_IO';

export class DevicesError extends SmgwError<DevicesErrorCode> {}
