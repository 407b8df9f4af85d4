/**
 * The last line of defence of every function that reads a container: an exception that is not an
 * SmgwError (a library throwing on hostile input, or a bug of ours) becomes SMGW_CMS_MALFORMED,
 * so callers only ever see typed errors (DESIGN.md, "Conventions"). Property tests assert the
 * typed paths are taken before this one.
 */
import { isSmgwError } from '@opensmgw/core';
import { CmsError } from '../errors.js';

export async function readingHostileInput<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    if (isSmgwError(e)) throw e;
    throw new CmsError('SMGW_CMS_MALFORMED', 'the container could not be read', { cause: e });
  }
}

export function requireBytes(value: unknown, what: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new CmsError('SMGW_CMS_BAD_ARGUMENT', `${what} must be bytes`);
  return value;
}
