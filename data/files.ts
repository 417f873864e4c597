/**
 * Crash-safe file publication. A reader must see either no file or the whole file: we write under a
 * temporary name in the same directory, fsync it, rename it into place (atomic on POSIX), and
 * fsync the directory so the rename itself survives a power loss.
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { access, open, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { TEMP_OWNER } from '../core/temp-files';

/**
 * A fresh name next to `finalPath`, recognisable as ours (`.tmp-`) if a crash leaves it behind,
 * with the writer's host and pid so the next writer can remove it (removeOrphanedTemps).
 */
export function temporaryPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `.tmp-${TEMP_OWNER}+${randomBytes(6).toString('hex')}-${path.basename(finalPath)}`);
}

export async function fsyncPath(target: string): Promise<void> {
  const handle = await open(target, constants.O_RDONLY);
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

export async function exists(target: string): Promise<boolean> {
  try {
    await access(target);
    return true;
  } catch {
    return false;
  }
}

/**
 * Move a fully written temporary file to `finalPath`: fsync, rename, fsync the directory.
 * Replaces an existing file (rename semantics); callers that must not overwrite check first.
 */
export async function publishFile(temporaryPath: string, finalPath: string): Promise<void> {
  try {
    await fsyncPath(temporaryPath);
    await rename(temporaryPath, finalPath);
  } catch (error) {
    await rm(temporaryPath, { force: true });
    throw error;
  }
  await fsyncPath(path.dirname(finalPath));
}

/** Write a whole file atomically (see publishFile). */
export async function writeFileAtomic(finalPath: string, content: string | Uint8Array): Promise<void> {
  const temporaryPath = temporaryPathFor(finalPath);
  await writeFile(temporaryPath, content);
  await publishFile(temporaryPath, finalPath);
}
