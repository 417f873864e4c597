/**
 * The bootstrap's compute core, shared by the calling thread and the worker threads: a plan (every
 * array the replicates read, in SharedArrayBuffers so that workers read the same memory instead of
 * copies) and the loop that runs a block of replicates from it.
 *
 * Two tracks per plan, one per side (the model, and the baseline when there is one). A track lays
 * every target of its side end to end (the overall rows, then every slice), so that a replicate is
 * one resample and one scan per side, whatever the number of slices.
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

import { Rng } from './rng';
import { ACCUMULATORS, METRIC_COUNT, copyShared, metricsFromAccumulators, scanTrack, shared, type PreparedScores, type ScanTrack } from './scored';

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

export interface BootstrapPlan {
  rowCount: number;
  replicates: number;
  targets: number;
  /** Four xoshiro128** state words per replicate. */
  seeds: Uint32Array;
  sides: PlanSide[];
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
export function replicateSeeds(seed: number, replicates: number): Uint32Array {
  const rng = new Rng(seed);
  const seeds = shared(Uint32Array, 4 * replicates);
  for (let i = 0; i < seeds.length; i++) seeds[i] = rng.nextU32();
  return seeds;
}

export function replicateRng(seeds: Uint32Array, replicate: number): Rng {
  const o = 4 * replicate;
  return Rng.fromState([seeds[o]!, seeds[o + 1]!, seeds[o + 2]!, seeds[o + 3]!]);
}

/**
 * One resample of n rows as multiplicities: counts[r] = times row r was drawn (counts is zeroed
 * first). Counts are bytes because the scans that read them are bound by memory traffic. A row
 * drawn more than 255 times out of n is impossible for n <= 255 and has probability below
 * n / 256! otherwise; were it ever to happen, refuse rather than wrap around silently.
 */
export function resampleCounts(rng: Rng, n: number, counts: Uint8Array): Uint8Array {
  counts.fill(0, 0, n);
  if (n === 0) return counts; // nothing to draw: every metric of the replicate is undefined
  const most = rng.countBelow(n, n, counts);
  if (most > 255) throw new Error(`bootstrap resample drew one row ${most} times: counts overflow a byte`);
  return counts;
}

export function planBootstrap(targets: BootstrapTarget[], rowCount: number, replicates: number, seed: number): BootstrapPlan {
  const sides = [planSide(targets.map((t, i) => [i, t.model]), rowCount)];
  const paired = targets.flatMap((t, i): [number, PreparedScores][] => (t.baseline ? [[i, t.baseline]] : []));
  if (paired.length > 0) sides.push(planSide(paired, rowCount));
  return { rowCount, replicates, targets: targets.length, seeds: replicateSeeds(seed, replicates), sides };
}

function planSide(segments: [target: number, rows: PreparedScores][], rowCount: number): PlanSide {
  const first = segments[0]![1].order;
  const space = first.length === rowCount && !isIdentity(first) ? first : null;
  let positionOf: Uint32Array | null = null;
  if (space) {
    positionOf = new Uint32Array(rowCount);
    for (let k = 0; k < rowCount; k++) positionOf[space[k]!] = k;
  }
  const total = segments.reduce((sum, [, p]) => sum + p.order.length, 0);
  const track: ScanTrack = {
    index: shared(Uint32Array, total),
    score: shared(Float64Array, total),
    loss: shared(Float64Array, total),
    flags: shared(Uint8Array, total),
    starts: shared(Int32Array, segments.length + 1),
  };
  let at = 0;
  segments.forEach(([, p], s) => {
    track.starts[s] = at;
    for (let k = 0; k < p.order.length; k++) track.index[at + k] = positionOf ? positionOf[p.order[k]!]! : p.order[k]!;
    track.score.set(p.score, at);
    track.loss.set(p.loss, at);
    track.flags.set(p.flags, at);
    at += p.order.length;
  });
  track.starts[segments.length] = at;
  return {
    space: space ? copyShared(space) : null,
    track,
    target: copyShared(Int32Array.from(segments, ([t]) => t)),
    nanScores: copyShared(Int32Array.from(segments, ([, p]) => p.nanScores)),
  };
}

/** Per-thread buffers for runReplicates: one allocation per thread, not per replicate. */
export interface ReplicateScratch {
  counts: Uint8Array;
  gathered: Uint8Array;
  acc: Float64Array;
}

export function replicateScratch(plan: BootstrapPlan): ReplicateScratch {
  const segments = Math.max(...plan.sides.map((s) => s.target.length));
  // Shared like every array the scan reads (see shared() in scored.ts), though only this thread uses them.
  return {
    counts: shared(Uint8Array, plan.rowCount),
    gathered: shared(Uint8Array, plan.rowCount),
    acc: new Float64Array(segments * ACCUMULATORS),
  };
}

/** Runs replicates [from, to) and writes their metrics into `out` (see outputOffset). */
export function runReplicates(plan: BootstrapPlan, from: number, to: number, out: Float64Array, scratch: ReplicateScratch): void {
  const { counts, gathered, acc } = scratch;
  for (let r = from; r < to; r++) {
    resampleCounts(replicateRng(plan.seeds, r), plan.rowCount, counts);
    plan.sides.forEach((side, s) => {
      const weights = side.space ? gather(counts, side.space, gathered) : counts;
      scanTrack(side.track, weights, acc);
      for (let g = 0; g < side.target.length; g++) {
        metricsFromAccumulators(acc, g * ACCUMULATORS, side.nanScores[g]!, out, outputOffset(plan, r, side.target[g]!, s));
      }
    });
  }
}

function gather(counts: Uint8Array, space: Uint32Array, into: Uint8Array): Uint8Array {
  for (let k = 0; k < space.length; k++) into[k] = counts[space[k]!]!;
  return into;
}

function isIdentity(order: Uint32Array): boolean {
  for (let k = 0; k < order.length; k++) if (order[k] !== k) return false;
  return true;
}
