/**
 * Errors of the wM-Bus codec. Each code names something a user can act on; the messages say
 * what to try (issue 2, "Errors users can act on").
 */
import { SmgwError } from '@opensmgw/core';

export type WmbusErrorCode =
  /** Fewer bytes than a length field or a layer header needs. */
  | 'SMGW_WMBUS_TRUNCATED'
  /** A link-layer block CRC or the ELL payload CRC does not match. */
  | 'SMGW_WMBUS_CRC'
  /** Structurally invalid: L field, wired frame start/stop/checksum, DIF/VIF chain, AFL fields. */
  | 'SMGW_WMBUS_MALFORMED'
  /** The AFL MAC does not match: wrong key, or counter/ID mismatch. */
  | 'SMGW_WMBUS_MAC'
  /** Decrypted, but the plaintext does not start with 2F2F: wrong key. */
  | 'SMGW_WMBUS_DECRYPT'
  /** The telegram is encrypted and no key is known for this meter. */
  | 'SMGW_WMBUS_NO_KEY'
  /** An AFL fragment arrived out of order or a fragmented message is incomplete. */
  | 'SMGW_WMBUS_FRAGMENT'
  /** A compact frame whose format signature is neither learned nor built in. */
  | 'SMGW_WMBUS_UNKNOWN_FORMAT'
  /** A CI field, security mode, data type or feature this codec does not implement. */
  | 'SMGW_WMBUS_UNSUPPORTED'
  /** The encoder was given values it cannot represent. */
  | 'SMGW_WMBUS_ENCODE';

export class WmbusError extends SmgwError<WmbusErrorCode> {}

/** Shorthand used by every layer for truncation, with the layer and offset as detail. */
export function truncated(layer: string, need: number, offset: number, available: number): WmbusError {
  return new WmbusError(
    'SMGW_WMBUS_TRUNCATED',
    `${layer}: truncated, need ${need} byte(s) at offset ${offset}, ${available} left`,
    {
      detail: { layer, need, offset, available },
    },
  );
}
