/**
 * An exclusive lock between processes on one machine: a lock file created with O_EXCL.
 *
 * Calls in the same process queue on a promise chain first, so only one of them at a time
 * competes for the file and concurrent async calls do not spin against each other.
 *
 * A lock is stale when its owner process is gone (same host, pid not alive) or when its mtime is
 * older than `staleMs` (a hung or foreign-host owner): holders refresh the mtime while they hold
 * it. Ages come from the file's mtime against the wall clock, the only clock every competing
 * process shares.
 */
import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isNotFound } from './atomic-file';
import { RegistryError } from './store';

export class LockTimeoutError extends RegistryError {}

export interface FileLockOptions {
  /** A lock older than this is taken over even if its owner looks alive. Default 30 s. */
  staleMs?: number;
  /** Give up waiting after this long. Default 15 s. */
  timeoutMs?: number;
}

interface LockOwner {
  pid: number;
  host: string;
  token: string;
  at: string; // for people reading the file; staleness uses the file's mtime
}

const DEFAULT_STALE_MS = 30_000;
const queues = new Map<string, Promise<unknown>>();

export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions = {}): Promise<T> {
  const key = path.resolve(lockPath);
  const previous = queues.get(key) ?? Promise.resolve();
  const run = previous.catch(() => undefined).then(() => holdFileLock(key, fn, options));
  const settled = run.catch(() => undefined);
  queues.set(key, settled);
  settled.then(() => {
    if (queues.get(key) === settled) queues.delete(key);
  });
  return run;
}

async function holdFileLock<T>(lockPath: string, fn: () => Promise<T>, options: FileLockOptions): Promise<T> {
  const token = await acquire(lockPath, options);
  // While held, the lock's mtime is kept fresh, so only an owner that stopped (hung, or on a
  // machine that died) ever looks stale, however long a legitimate hold takes.
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockPath, now, now).catch(() => undefined);
  }, Math.max(10, Math.floor(staleMs / 3)));
  heartbeat.unref();
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await release(lockPath, token);
  }
}

async function acquire(lockPath: string, options: FileLockOptions): Promise<string> {
  const now = Date.now;
  const staleMs = options.staleMs ?? DEFAULT_STALE_MS;
  const timeoutMs = options.timeoutMs ?? 15_000;
  const token = randomBytes(8).toString('hex');
  const owner: LockOwner = { pid: process.pid, host: os.hostname(), token, at: new Date().toISOString() };
  const deadline = now() + timeoutMs;

  for (;;) {
    try {
      await fs.writeFile(lockPath, JSON.stringify(owner), { flag: 'wx' });
      return token;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        await fs.mkdir(path.dirname(lockPath), { recursive: true });
        continue;
      }
      if (code !== 'EEXIST') throw error;
    }
    const holder = await readOwner(lockPath);
    if (holder && isStale(holder, now(), staleMs)) {
      await breakStaleLock(lockPath, holder.token);
      continue;
    }
    if (now() > deadline) {
      throw new LockTimeoutError(
        `timed out after ${timeoutMs} ms waiting for lock ${lockPath}` +
          (holder?.owner ? ` held by pid ${holder.owner.pid} on ${holder.owner.host}` : '') +
          `: if no Ratchet process is running, delete the file`,
      );
    }
    await sleep(5 + Math.random() * 20);
  }
}

async function release(lockPath: string, token: string): Promise<void> {
  const holder = await readOwner(lockPath);
  // If our lock was judged stale and taken over, the file now belongs to someone else.
  if (holder?.owner?.token === token) await fs.rm(lockPath, { force: true });
}

interface Holder {
  owner: LockOwner | null; // null when the file is empty or torn (its writer crashed mid-write)
  token: string | null;
  mtimeMs: number;
}

async function readOwner(lockPath: string): Promise<Holder | null> {
  try {
    const [text, stat] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    let owner: LockOwner | null = null;
    try {
      owner = JSON.parse(text) as LockOwner;
    } catch {
      owner = null;
    }
    return { owner, token: owner?.token ?? null, mtimeMs: stat.mtimeMs };
  } catch (error) {
    if (isNotFound(error)) return null;
    throw error;
  }
}

function isStale(holder: Holder, nowMs: number, staleMs: number): boolean {
  if (holder.owner && holder.owner.host === os.hostname() && !processAlive(holder.owner.pid)) return true;
  return nowMs - holder.mtimeMs > staleMs;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive, owned by another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Moves the stale file aside (rename is atomic, so of two breakers only one gets it), then checks
 * it really was the stale one: if a new owner slipped in between our read and the rename, its
 * lock is put back.
 */
async function breakStaleLock(lockPath: string, staleToken: string | null): Promise<void> {
  const aside = `${lockPath}.stale-${randomBytes(6).toString('hex')}`;
  try {
    await fs.rename(lockPath, aside);
  } catch (error) {
    if (isNotFound(error)) return;
    throw error;
  }
  const moved = await readOwner(aside);
  if (moved && moved.token !== staleToken) {
    await fs.link(aside, lockPath).catch(() => undefined);
  }
  await fs.rm(aside, { force: true });
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
