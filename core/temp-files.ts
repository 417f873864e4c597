/**
 * Temp files of crash-safe writes (temp + fsync + rename) carry their writer's host and pid, so
 * that what a killed process left behind can be told apart from what a live one is still
 * writing, and removed by the next writer of the same folder.
 *
 *   data/files.ts            .tmp-<host>+<pid>+<hex>-<name>
 *   registry/atomic-file.ts  <name>.tmp-<host>+<pid>+<hex>
 *
 * Only temps of this host whose process is gone are removed: another machine's (on a shared
 * volume) cannot be judged from here and are left alone, as are names in any other format.
 */
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const HOST = os.hostname().replace(/[^A-Za-z0-9.-]/g, '_').slice(0, 64) || 'host';
/** The host and pid of this process, as temp names carry them. */
export const TEMP_OWNER = `${HOST}+${process.pid}`;

const OWNED_TEMP = /\.tmp-([A-Za-z0-9._-]{1,64})\+(\d{1,10})\+[0-9a-f]{12}(?:-|$)/;

/** The writer of a temp name, or null when the name is not one of ours. */
export function tempOwner(name: string): { host: string; pid: number } | null {
  const match = OWNED_TEMP.exec(name);
  return match ? { host: match[1], pid: Number(match[2]) } : null;
}

function processIsGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, someone else's
  }
}

/**
 * Removes the temp files (or folders) in `dir` left by writers on this host that no longer run.
 * Returns their names. A folder that does not exist has none.
 */
export async function removeOrphanedTemps(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await fs.readdir(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const removed: string[] = [];
  for (const name of names) {
    const owner = tempOwner(name);
    if (!owner || owner.host !== HOST || owner.pid === process.pid || !processIsGone(owner.pid)) continue;
    await fs.rm(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
