import { SmgwError } from '@opensmgw/core';

/**
 * Errors of the wire contracts. A message from a peer (a job from the GWA, a container payload
 * at the EMT, a profile) that does not match its schema is refused with SMGW_PROTO_INVALID and a
 * `detail.path` naming the offending field (never its value: it may be a key).
 */
export type ProtocolErrorCode = 'SMGW_PROTO_INVALID' | 'SMGW_PROTO_TOO_LARGE';

export class ProtocolError extends SmgwError<ProtocolErrorCode> {}
