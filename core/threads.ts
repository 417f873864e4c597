/** Worker threads whose body is a TypeScript module. */
import { Worker } from 'node:worker_threads';

/**
 * Starts a worker thread running the TypeScript module at `entry` (e.g. new URL('./x.ts',
 * import.meta.url)); the module reads `data` as its workerData.
 */
export function startTsThread(entry: URL, data: object): Worker {
  return new Worker(new URL('./thread-entry.mjs', import.meta.url), {
    workerData: { ...data, entry: entry.href },
    // thread-entry registers tsx itself; inheriting the parent's flags would also inherit e.g. --test.
    execArgv: [],
  });
}
