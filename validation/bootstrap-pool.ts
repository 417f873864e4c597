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
import { startTsThread } from '../core/threads';
import { outputLength, planKernel, runReplicates, type BootstrapPlan } from './bootstrap-plan';
import { KERNEL_LANES, type Kernel } from './kernel';
import { shared } from './scored';

/** Replicates per block: one kernel pass (small enough to balance two threads). */
const BLOCK = KERNEL_LANES;
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

/**
 * Threads to use when the caller does not say: every core, if the work (rows scanned per replicate,
 * every target of both sides, times replicates) is worth starting workers for.
 */
export function defaultThreads(rowsPerReplicate: number, replicates: number): number {
  return rowsPerReplicate * replicates >= PARALLEL_MIN_WORK ? Math.max(1, Math.min(availableParallelism(), 16)) : 1;
}

/**
 * Runs every replicate of `plan` on as many threads as it has scratch slots (planBootstrap's
 * `threads`); returns the output (see outputOffset).
 * `callerTakesBlocks: false` leaves the blocks to the workers (tests use it to make sure the workers
 * ran); the calling thread then only waits, and would still take over blocks that no worker ran.
 */
export function runPlan(plan: BootstrapPlan, { callerTakesBlocks = true } = {}): Float64Array {
  const out = shared(Float64Array, outputLength(plan));
  const threads = plan.scratch.length;
  if (threads <= 1) {
    runReplicates(plan, planKernel(plan), 0, plan.replicates, out, 0);
    return out;
  }
  const blocks = Math.ceil(plan.replicates / BLOCK);
  const work: BlockControl = { control: shared(Int32Array, HEADER + blocks), blocks };
  for (let i = 1; i < threads; i++) {
    const worker = startTsThread(new URL('./bootstrap-thread.ts', import.meta.url), { plan, out, control: work.control, blocks, slot: i });
    worker.unref(); // a worker stuck on a dead block must not keep the process alive
    worker.on('error', () => {}); // its block is released or taken over (see the file comment)
  }
  if (callerTakesBlocks) runBlocks(plan, out, work, 0);
  waitForBlocks(plan, out, work, callerTakesBlocks ? 0 : STALL_MS);
  return out;
}

/**
 * Takes free blocks until none is left; used by the calling thread (slot 0) and by every worker
 * (its own slot of the plan's scratch).
 */
export function runBlocks(plan: BootstrapPlan, out: Float64Array, { control, blocks }: BlockControl, slot: number): void {
  const kernel = planKernel(plan);
  for (;;) {
    const b = Atomics.add(control, 0, 1);
    if (b >= blocks) return;
    if (Atomics.compareExchange(control, HEADER + b, FREE, CLAIMED) !== FREE) continue;
    try {
      runBlock(plan, kernel, out, slot, b);
    } catch (err) {
      Atomics.store(control, HEADER + b, FREE);
      throw err;
    }
    finish(control, b);
  }
}

function runBlock(plan: BootstrapPlan, kernel: Kernel, out: Float64Array, slot: number, b: number): void {
  runReplicates(plan, kernel, b * BLOCK, Math.min(plan.replicates, (b + 1) * BLOCK), out, slot);
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
  // The calling thread's slot: its own runBlocks has returned by now.
  let kernel: Kernel | null = null;
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
      kernel ??= planKernel(plan);
      runBlock(plan, kernel, out, 0, b);
      // A stalled worker that wakes up writes the same values: identical streams, identical bits.
      if (Atomics.compareExchange(control, HEADER + b, CLAIMED, DONE) === CLAIMED) {
        Atomics.add(control, 1, 1);
      }
      lastChange = Date.now();
    }
    Atomics.wait(control, 1, done, 200);
  }
}
