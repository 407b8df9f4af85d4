/**
 * Replacing a file so that a crash or a failed write never leaves it half-written (DESIGN.md,
 * "Conventions": nothing stored is lost or half-written). Used where the security package writes
 * state: the sealed keystore (module/keystore.ts) and the test PKI's manifest and CRLs
 * (pki/test-pki.ts). I/O at the edge; callers turn the file system's errors into their own codes.
 */
import { randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let tempCounter = 0;

/**
 * Replaces the file at `path` atomically: writes a temporary file in the same directory (created
 * exclusively with `mode`), fsyncs it, renames it over `path`, fsyncs the directory. If anything
 * fails the temporary file is removed, the existing file is untouched (rename is the only step
 * that changes it, and it is atomic on POSIX file systems), and the file system's error is thrown.
 */
export async function replaceFileAtomically(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  const dir = dirname(path);
  const temp = join(dir, `.${basename(path)}.${process.pid}.${++tempCounter}.${randomBytes(4).toString('hex')}.tmp`);
  let created = false;
  try {
    const handle = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, mode);
    created = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
    created = false;
  } catch (e) {
    if (created) await unlink(temp).catch(() => undefined);
    throw e;
  }
  // Make the rename itself durable. Some file systems refuse fsync on a directory: the file is in
  // place already, so that is not a failure of the write.
  try {
    const d = await open(dir, fsConstants.O_RDONLY);
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch {
    // best effort
  }
}
