/**
 * Refusal codes of the LMN side (spec notes §8: "unknown meters, bad MACs, replays and floods
 * become system-log events (rate-limited)"). The codes are what the ingest reports per frame and
 * what the system log's events are named after (code minus "SMGW_").
 */
import { SmgwError } from '@opensmgw/core';

export type LmnErrorCode =
  /** No active meter profile for the sender (wM-Bus address or TLS certificate). */
  | 'SMGW_LMN_UNKNOWN_METER'
  /** Not security mode 7 with a verified AFL MAC and counter (mode 5 only where the profile allows it). */
  | 'SMGW_LMN_INSECURE'
  /** The AFL MAC did not verify with the meter's key. */
  | 'SMGW_LMN_BAD_MAC'
  /** Decryption with the meter's key gave no 2F2F check bytes. */
  | 'SMGW_LMN_DECRYPT'
  /** The frame or SML stream could not be decoded. */
  | 'SMGW_LMN_MALFORMED'
  /** The message counter did not increase (spec notes §3.6): a replayed or reordered telegram. */
  | 'SMGW_LMN_REPLAY'
  /** The store refused the batch (nothing of it was written). */
  | 'SMGW_LMN_STORE_FAILED'
  /** A TLS handshake or peer check on the LMN server failed. */
  | 'SMGW_LMN_TLS_REFUSED'
  /** A server/receiver was used in the wrong state (listen twice, after close). */
  | 'SMGW_LMN_STATE';

export class LmnError extends SmgwError<LmnErrorCode> {}
