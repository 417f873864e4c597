// Entry of every worker thread that runs TypeScript. Plain JavaScript because Node 20 does not
// start a worker from a .ts file even with tsx in its flags; like cli/bin.mjs, it registers tsx,
// then loads the TypeScript module named by workerData.entry (see threads.ts).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
