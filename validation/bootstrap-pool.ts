/**
 * Runs a bootstrap plan on several threads: the calling thread and `threads - 1` worker threads
 * take blocks of replicates from a shared counter until none are left, so a slow or late thread
 * (a worker needs a few hundred milliseconds to start) simply takes fewer blocks. Every replicate
 * has its own stream (bootstrap-plan.ts), so the values do not depend on who ran what.
 *
 * The call blocks until every replicate is done (Atomics.wait), which keeps buildEvaluationReport
 * synchronous. Nothing here can hang or change a result if a worker fails: a worker that cannot
 * start never takes a block; one that fails releases its block; one that dies mid-block leaves it
 * claimed, and the calling thread runs it itself once no block has completed for STALL_MS.
 *
 * This file and the worker are validation/'s only contact with the runtime, and only for compute:
 * no I/O, no messages beyond the shared arrays.
 */

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { outputLength, replicateScratch, runReplicates, type BootstrapPlan } from './bootstrap-plan';
import { shared } from './scored';

/** Replicates per block: small enough to balance two threads, large enough to make claiming free. */
const BLOCK = 4;
/** Below this many row scans (rows of every target × replicates) one thread finishes before a worker starts. */
export const PARALLEL_MIN_WORK = 50_000_000;
const STALL_MS = 20_000;

const FREE = 0;
const CLAIMED = 1;
const DONE = 2;
/** control[0]: next block to look at; control[1]: blocks done; control[2 + b]: block b's state. */
const HEADER = 2;

export interface BlockControl {
  control: Int32Array;
  blocks: number;
}

/** Threads to use when the caller does not say: every core, if the work is worth starting workers for. */
export function defaultThreads(plan: BootstrapPlan): number {
  const rows = plan.sides.reduce((sum, s) => sum + s.track.index.length, 0);
  return rows * plan.replicates >= PARALLEL_MIN_WORK ? Math.max(1, Math.min(availableParallelism(), 16)) : 1;
}

/**
 * Runs every replicate of `plan` on `threads` threads; returns the output (see outputOffset).
 * `callerTakesBlocks: false` leaves the blocks to the workers (tests use it to make sure the workers
 * ran); the calling thread then only waits, and would still take over blocks that no worker ran.
 */
export function runPlan(plan: BootstrapPlan, threads: number, { callerTakesBlocks = true } = {}): Float64Array {
  const out = shared(Float64Array, outputLength(plan));
  if (threads <= 1) {
    runReplicates(plan, 0, plan.replicates, out, replicateScratch(plan));
    return out;
  }
  const blocks = Math.ceil(plan.replicates / BLOCK);
  const work: BlockControl = { control: shared(Int32Array, HEADER + blocks), blocks };
  for (let i = 1; i < threads; i++) {
    const worker = new Worker(new URL('./bootstrap-worker.mjs', import.meta.url), {
      workerData: { plan, out, control: work.control, blocks },
      // The entry registers tsx itself; inheriting the parent's flags would also inherit e.g. --test.
      execArgv: [],
    });
    worker.unref(); // a worker stuck on a dead block must not keep the process alive
    worker.on('error', () => {}); // its block is released or taken over (see the file comment)
  }
  if (callerTakesBlocks) runBlocks(plan, out, work);
  waitForBlocks(plan, out, work, callerTakesBlocks ? 0 : STALL_MS);
  return out;
}

/** Takes free blocks until none is left; used by the calling thread and by every worker. */
export function runBlocks(plan: BootstrapPlan, out: Float64Array, { control, blocks }: BlockControl): void {
  const scratch = replicateScratch(plan);
  for (;;) {
    const b = Atomics.add(control, 0, 1);
    if (b >= blocks) return;
    if (Atomics.compareExchange(control, HEADER + b, FREE, CLAIMED) !== FREE) continue;
    try {
      runBlock(plan, out, scratch, b);
    } catch (err) {
      Atomics.store(control, HEADER + b, FREE);
      throw err;
    }
    finish(control, b);
  }
}

function runBlock(plan: BootstrapPlan, out: Float64Array, scratch: ReturnType<typeof replicateScratch>, b: number): void {
  runReplicates(plan, b * BLOCK, Math.min(plan.replicates, (b + 1) * BLOCK), out, scratch);
}

function finish(control: Int32Array, b: number): void {
  Atomics.store(control, HEADER + b, DONE);
  Atomics.add(control, 1, 1);
  Atomics.notify(control, 1);
}

/**
 * Waits until every block is done. Blocks released by a failed worker are run here; blocks still
 * claimed when nothing has completed for STALL_MS (a worker died mid-block) are run here too.
 */
function waitForBlocks(plan: BootstrapPlan, out: Float64Array, { control, blocks }: BlockControl, patienceMs: number): void {
  let scratch: ReturnType<typeof replicateScratch> | null = null;
  let lastDone = -1;
  let lastChange = Date.now();
  const started = Date.now();
  for (;;) {
    const done = Atomics.load(control, 1);
    if (done >= blocks) return;
    if (done !== lastDone) {
      lastDone = done;
      lastChange = Date.now();
    }
    const stalled = Date.now() - lastChange > STALL_MS;
    for (let b = 0; b < blocks; b++) {
      const state = Atomics.load(control, HEADER + b);
      const free = state === FREE && Date.now() - started >= patienceMs;
      const mine = free ? Atomics.compareExchange(control, HEADER + b, FREE, CLAIMED) === FREE : state === CLAIMED && stalled;
      if (!mine) continue;
      scratch ??= replicateScratch(plan);
      runBlock(plan, out, scratch, b);
      // A stalled worker that wakes up writes the same values: identical streams, identical bits.
      if (Atomics.compareExchange(control, HEADER + b, CLAIMED, DONE) === CLAIMED) {
        Atomics.add(control, 1, 1);
      }
      lastChange = Date.now();
    }
    Atomics.wait(control, 1, done, 200);
  }
}
