// Entry of a bootstrap worker thread. Plain JavaScript because Node 20 does not start a worker from
// a .ts file even with tsx in its flags; like cli/bin.mjs, it registers tsx and then loads the
// TypeScript body.
import { register } from 'tsx/esm/api';

register();
await import('./bootstrap-thread.ts');
