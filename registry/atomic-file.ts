/**
 * Crash-safe file writes. A reader sees either the old file or the new one, never half of one:
 * write a temp file beside the target, fsync it, rename over the target, fsync the directory
 * (without the last step the rename itself may not survive a power cut).
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { TEMP_OWNER } from '../core/temp-files';

/** Temp files carry this marker so listings can skip what a crash left behind. */
export const TEMP_MARKER = '.tmp-';

export function isTempFile(name: string): boolean {
  return name.includes(TEMP_MARKER);
}

export async function writeFileAtomic(target: string, data: Uint8Array | string): Promise<void> {
  const dir = path.dirname(target);
  const temp = path.join(dir, `${path.basename(target)}${TEMP_MARKER}${TEMP_OWNER}+${randomBytes(6).toString('hex')}`);
  const handle = await fs.open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await fs.rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  try {
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
  await fsyncDir(dir);
}

export async function fsyncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Appends one line and fsyncs. If a crash tore the previous append (no trailing newline), a
 * newline is written first so the torn fragment stays on a line of its own and readers can
 * skip it. Callers serialise appends (the model lock), so the tail check is not racy.
 */
export async function appendLineDurable(file: string, line: string): Promise<void> {
  const handle = await fs.open(file, 'a+');
  let created = false;
  try {
    const { size } = await handle.stat();
    created = size === 0;
    let prefix = '';
    if (size > 0) {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      if (last[0] !== 0x0a) prefix = '\n';
    }
    await handle.appendFile(`${prefix}${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The first append creates the file: its directory entry must be durable too.
  if (created) await fsyncDir(path.dirname(file));
}

/** mkdir -p whose new entries survive a crash: each parent of a created directory is fsynced. */
export async function ensureDirDurable(dir: string): Promise<void> {
  const firstCreated = await fs.mkdir(dir, { recursive: true });
  if (firstCreated === undefined) return;
  let current = path.resolve(dir);
  const stop = path.dirname(path.resolve(firstCreated));
  while (current !== stop) {
    const parent = path.dirname(current);
    await fsyncDir(parent);
    current = parent;
  }
}

export async function readJsonIfExists<T>(file: string): Promise<T | null> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
  return JSON.parse(text) as T;
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}
