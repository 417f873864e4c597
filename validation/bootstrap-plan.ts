/**
 * The bootstrap's compute core, shared by the calling thread and the worker threads: a plan (every
 * array the replicates read, in one shared WebAssembly memory that every thread reads instead of
 * copies) and the loop that runs a block of replicates from it on the WebAssembly kernel
 * (kernel.ts).
 *
 * Two tracks per plan, one per side (the model, and the baseline when there is one). A track lays
 * every target of its side end to end (the overall rows, then every slice), so that a replicate is
 * one resample and one scan per side, whatever the number of slices. The kernel scans four
 * replicates per pass; their four counts of a row sit side by side in one 32-bit word.
 *
 * Replicate r draws its resample from its own stream, seeded by four words that the report's seed
 * stream yields at position r. Any thread can therefore run any replicate, and the results do not
 * depend on how the replicates were split between threads.
 *
 * Weight spaces: the resample counts are indexed by the caller's row numbers. Reading them through
 * a model's score order would jump around memory (a million random reads per scan); instead, a
 * side whose first target covers every row in another order first gathers the counts into that
 * order (one pass), and its targets then read them nearly sequentially: the overall rows in order,
 * and each slice's rows, a subsequence of that order, in increasing positions.
 */

import { Arena, KERNEL_LANES, arenaCapacity, instantiateKernel, viewBytes, type Kernel } from './kernel';
import { maskFor, Rng } from './rng';
import { ACCUMULATORS, METRIC_COUNT, metricsFromAccumulators, type PreparedScores, type ScanTrack } from './scored';

/** One thing to bootstrap: a model's rows, optionally paired with the baseline on the same rows. */
export interface BootstrapTarget {
  model: PreparedScores;
  baseline?: PreparedScores;
}

/** One side's rows (the model's or the baseline's), all targets end to end. */
export interface PlanSide {
  /** weights[k] = counts[space[k]]; null when the side reads the resample counts directly. */
  space: Uint32Array | null;
  track: ScanTrack;
  /** Per segment: its target, and its rows with a NaN score (which make its metrics NaN). */
  target: Int32Array;
  nanScores: Int32Array;
}

/** One thread's working arrays, inside the plan's memory. */
export interface ReplicateScratch {
  /** One resample per lane, as bytes. */
  counts: Uint8Array[];
  /** The lanes' counts interleaved, one word per row: what the scan reads. */
  weights: Uint32Array;
  /** The same words gathered into a side's space. */
  gathered: Uint32Array;
  /** Per lane and segment, ACCUMULATORS slots. */
  acc: Float64Array;
}

export interface BootstrapPlan {
  rowCount: number;
  replicates: number;
  targets: number;
  /** The shared memory every array below lives in (the kernel's memory). */
  memory: WebAssembly.Memory;
  /** Four xoshiro128** state words per replicate. */
  seeds: Uint32Array;
  sides: PlanSide[];
  /** One per thread that may run replicates: the calling thread is 0, worker i is i. */
  scratch: ReplicateScratch[];
}

/** Where replicate r, target t, side s, metric m is written in a plan's output. */
export function outputOffset(plan: BootstrapPlan, replicate: number, target: number, side: number): number {
  return ((replicate * plan.targets + target) * 2 + side) * METRIC_COUNT;
}

export function outputLength(plan: BootstrapPlan): number {
  return plan.replicates * plan.targets * 2 * METRIC_COUNT;
}

/**
 * The stream seeds of every replicate: four words each, drawn from the report's seed in order.
 * The all-zero state is xoshiro's fixed point and cannot be drawn in practice (2^-128); it is
 * refused by Rng.fromState all the same.
 */
export function replicateSeeds(seed: number, replicates: number, into = new Uint32Array(4 * replicates)): Uint32Array {
  const rng = new Rng(seed);
  for (let i = 0; i < into.length; i++) into[i] = rng.nextU32();
  return into;
}

export function replicateRng(seeds: Uint32Array, replicate: number): Rng {
  const o = 4 * replicate;
  return Rng.fromState([seeds[o]!, seeds[o + 1]!, seeds[o + 2]!, seeds[o + 3]!]);
}

/**
 * One resample of n rows as multiplicities: counts[r] = times row r was drawn (counts is zeroed
 * first). The reference formulation, in TypeScript; the kernel's `resample` draws the same values.
 */
export function resampleCounts(rng: Rng, n: number, counts: Uint8Array): Uint8Array {
  counts.fill(0, 0, n);
  if (n === 0) return counts; // nothing to draw: every metric of the replicate is undefined
  checkMostDrawn(rng.countBelow(n, n, counts));
  return counts;
}

/**
 * Counts are bytes because the scans that read them are bound by memory traffic. A row drawn more
 * than 255 times out of n is impossible for n <= 255 and has probability below n / 256! otherwise;
 * were it ever to happen, refuse rather than wrap around silently.
 */
function checkMostDrawn(most: number): void {
  if (most > 255) throw new Error(`bootstrap resample drew one row ${most} times: counts overflow a byte`);
}

interface SideShape {
  segments: [target: number, rows: PreparedScores][];
  rows: number;
  space: Uint32Array | null;
}

export function planBootstrap(targets: BootstrapTarget[], rowCount: number, replicates: number, seed: number, threads = 1): BootstrapPlan {
  const shapes = [shapeSide(targets.map((t, i) => [i, t.model]), rowCount)];
  const paired = targets.flatMap((t, i): [number, PreparedScores][] => (t.baseline ? [[i, t.baseline]] : []));
  if (paired.length > 0) shapes.push(shapeSide(paired, rowCount));
  const maxSegments = Math.max(...shapes.map((s) => s.segments.length));

  const sideBytes = (s: SideShape) =>
    viewBytes(s.rows, 4) + viewBytes(s.rows, 8) * 2 + viewBytes(s.rows, 1) + viewBytes(s.segments.length + 1, 4) + (s.space ? viewBytes(rowCount, 4) : 0);
  const scratchBytes = KERNEL_LANES * viewBytes(rowCount, 1) + 2 * viewBytes(rowCount, 4) + viewBytes(KERNEL_LANES * maxSegments * ACCUMULATORS, 8);
  const sharedBytes = viewBytes(4 * replicates, 4) + shapes.reduce((sum, s) => sum + sideBytes(s), 0);
  // Every thread's scratch sits in the same 4 GiB as the plan: on a very large input, use fewer threads rather than fail.
  threads = threadsThatFit(sharedBytes, scratchBytes, threads, (t) => arenaCapacity(viewsFor(t)));
  const arena = new Arena(sharedBytes + threads * scratchBytes, viewsFor(threads));

  const seeds = replicateSeeds(seed, replicates, arena.alloc(Uint32Array, 4 * replicates));
  const sides = shapes.map((shape) => layOutSide(arena, shape, rowCount));
  const scratch = Array.from({ length: threads }, () => ({
    counts: Array.from({ length: KERNEL_LANES }, () => arena.alloc(Uint8Array, rowCount)),
    weights: arena.alloc(Uint32Array, rowCount),
    gathered: arena.alloc(Uint32Array, rowCount),
    acc: arena.alloc(Float64Array, KERNEL_LANES * maxSegments * ACCUMULATORS),
  }));
  return { rowCount, replicates, targets: targets.length, memory: arena.memory, seeds, sides, scratch };
}

/** Views an arena holds for `threads` threads: seeds and two sides (at most 14), and 7 per thread. */
function viewsFor(threads: number): number {
  return 16 + threads * 8;
}

/**
 * The most threads (at least 1, at most `wanted`) whose scratch fits beside the shared arrays within
 * `capacity(threads)` bytes. With one thread the arena may still not fit; Arena says so then.
 */
export function threadsThatFit(sharedBytes: number, perThreadBytes: number, wanted: number, capacity: (threads: number) => number): number {
  let threads = wanted;
  while (threads > 1 && sharedBytes + threads * perThreadBytes > capacity(threads)) threads--;
  return threads;
}

function shapeSide(segments: [target: number, rows: PreparedScores][], rowCount: number): SideShape {
  const first = segments[0]![1].order;
  const space = first.length === rowCount && !isIdentity(first) ? first : null;
  return { segments, rows: segments.reduce((sum, [, p]) => sum + p.order.length, 0), space };
}

function layOutSide(arena: Arena, { segments, rows, space }: SideShape, rowCount: number): PlanSide {
  let positionOf: Uint32Array | null = null;
  if (space) {
    positionOf = new Uint32Array(rowCount);
    for (let k = 0; k < rowCount; k++) positionOf[space[k]!] = k;
  }
  const track: ScanTrack = {
    index: arena.alloc(Uint32Array, rows),
    score: arena.alloc(Float64Array, rows),
    loss: arena.alloc(Float64Array, rows),
    flags: arena.alloc(Uint8Array, rows),
    starts: arena.alloc(Int32Array, segments.length + 1),
  };
  let at = 0;
  segments.forEach(([, p], s) => {
    track.starts[s] = at;
    if (positionOf) positionsOf(p.order, positionOf, track.index, at);
    else track.index.set(p.order, at);
    track.score.set(p.score, at);
    track.loss.set(p.loss, at);
    track.flags.set(p.flags, at);
    at += p.order.length;
  });
  track.starts[segments.length] = at;
  return {
    space: space ? arena.copy(space) : null,
    track,
    target: Int32Array.from(segments, ([t]) => t),
    nanScores: Int32Array.from(segments, ([, p]) => p.nanScores),
  };
}

/**
 * Runs replicates [from, to) with the working arrays of scratch slot `slot` and writes their
 * metrics into `out` (see outputOffset). Lanes past `to` in the last pass scan zero weights and
 * are not read.
 */
export function runReplicates(plan: BootstrapPlan, kernel: Kernel, from: number, to: number, out: Float64Array, slot: number): void {
  const { counts, weights, gathered, acc } = plan.scratch[slot]!;
  const n = plan.rowCount;
  const mask = maskFor(n);
  for (let first = from; first < to; first += KERNEL_LANES) {
    const lanes = Math.min(KERNEL_LANES, to - first);
    for (let lane = 0; lane < KERNEL_LANES; lane++) {
      if (lane < lanes) checkMostDrawn(kernel.resample(plan.seeds.byteOffset + 16 * (first + lane), n, mask, counts[lane]!.byteOffset));
      else counts[lane]!.fill(0);
    }
    kernel.interleave(counts[0]!.byteOffset, counts[1]!.byteOffset, counts[2]!.byteOffset, counts[3]!.byteOffset, n, weights.byteOffset);
    plan.sides.forEach((side, s) => {
      if (side.space) kernel.gather(weights.byteOffset, side.space.byteOffset, n, gathered.byteOffset);
      const { index, score, loss, flags, starts } = side.track;
      const segments = side.target.length;
      kernel.scan(index.byteOffset, score.byteOffset, loss.byteOffset, flags.byteOffset, starts.byteOffset, segments, (side.space ? gathered : weights).byteOffset, acc.byteOffset);
      for (let lane = 0; lane < lanes; lane++) {
        for (let g = 0; g < segments; g++) {
          metricsFromAccumulators(acc, (lane * segments + g) * ACCUMULATORS, side.nanScores[g]!, out, outputOffset(plan, first + lane, side.target[g]!, s));
        }
      }
    });
  }
}

/** A kernel for this thread, working in the plan's memory. */
export function planKernel(plan: BootstrapPlan): Kernel {
  return instantiateKernel(plan.memory);
}

/** into[at + k] = positionOf[rows[k]]; a function of its own so that V8 optimises the loop once. */
function positionsOf(rows: Uint32Array, positionOf: Uint32Array, into: Uint32Array, at: number): void {
  for (let k = 0; k < rows.length; k++) into[at + k] = positionOf[rows[k]!]!;
}

function isIdentity(order: Uint32Array): boolean {
  for (let k = 0; k < order.length; k++) if (order[k] !== k) return false;
  return true;
}
