/**
 * Errors of the SML codec. Every decoder in this package throws only `SmlError`; the stream
 * decoder (`report.ts`) never throws at all and turns each error into a frame report.
 */
import { SmgwError } from '@opensmgw/core';

export type SmlErrorCode =
  /** A transport-frame or message CRC does not match (neither CRC-16/X.25 nor the KERMIT variant). */
  | 'SMGW_SML_CRC'
  /** Fewer bytes than a TL field, a list or a frame needs; or the stream ended inside a frame. */
  | 'SMGW_SML_TRUNCATED'
  /** Structurally invalid: bad TL field, wrong list length, wrong type, bad escape or padding. */
  | 'SMGW_SML_MALFORMED'
  /** Well-formed but not implemented here (unknown message tag, transport version 2 escapes). */
  | 'SMGW_SML_UNSUPPORTED'
  /** A size or nesting bound was exceeded (frame size, list depth); protects against hostile input. */
  | 'SMGW_SML_LIMIT'
  /** The encoder was given values it cannot represent. */
  | 'SMGW_SML_ENCODE';

export class SmlError extends SmgwError<SmlErrorCode> {}

/** Truncation at `offset`: `need` bytes wanted, `available` left. */
export function truncated(what: string, need: number, offset: number, available: number): SmlError {
  return new SmlError(
    'SMGW_SML_TRUNCATED',
    `${what}: truncated, need ${need} byte(s) at offset ${offset}, ${available} left`,
    {
      detail: { what, need, offset, available },
    },
  );
}

export function malformed(message: string, detail: Record<string, unknown> = {}): SmlError {
  return new SmlError('SMGW_SML_MALFORMED', message, { detail });
}

export function encodeError(message: string, detail: Record<string, unknown> = {}): SmlError {
  return new SmlError('SMGW_SML_ENCODE', message, { detail });
}
