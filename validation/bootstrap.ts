/**
 * Seeded, paired, percentile bootstrap of every metric.
 *
 * A replicate resamples the n rows with replacement, which is the same as giving row r the weight
 * "how many times r was drawn" (an exact multinomial resample, not the Poisson approximation).
 * Each model's rows are sorted once (scored.ts); a replicate is then one linear weighted scan per
 * model instead of a re-sort, which is what makes 1,000 replicates over a million rows feasible.
 * The scans run on a WebAssembly kernel, four replicates per pass, bit for bit the arithmetic of
 * scored.ts's TypeScript scan (kernel.ts, bootstrap-plan.ts).
 * Paired: the candidate and the baseline are scanned with the SAME counts in every replicate, so
 * the delta's interval reflects the models' difference rather than two independent sampling noises.
 *
 * Slices and groups share the replicates too: their scans read the global counts of their own
 * rows, so a slice's resample size varies from replicate to replicate, exactly as when the naive
 * bootstrap resamples the whole table and then filters. All targets of a side (overall and every
 * slice) are laid end to end and scanned in one call per replicate (bootstrap-plan.ts).
 *
 * Replicate r draws from its own stream (seeded by the r-th four words of the seed's stream), so
 * the replicates can run on several threads (bootstrap-pool.ts) and give the same values on one
 * thread or many.
 */

import type { Rng } from './rng';
import { outputOffset, planBootstrap, type BootstrapTarget } from './bootstrap-plan';
import { defaultThreads, runPlan } from './bootstrap-pool';
import { METRIC_COUNT, METRIC_INDEX } from './scored';
import { METRIC_NAMES, type Interval, type IntervalSet, type MetricName } from './types';

export { replicateRng, replicateSeeds, resampleCounts, type BootstrapTarget } from './bootstrap-plan';

export interface BootstrapOptions {
  replicates: number;
  seed: number;
  /** Two-sided confidence level; default 0.95. */
  confidence?: number;
  /**
   * Threads to run the replicates on (this one included). Default: every core when the work is
   * large enough to repay starting workers, else 1. The values do not depend on it.
   */
  threads?: number;
}

/** Replicate values per metric, undefined replicates already dropped (and counted). */
export interface ReplicateSeries {
  values: Record<MetricName, Float64Array>;
  skipped: Record<MetricName, number>;
}

export interface TargetReplicates {
  model: ReplicateSeries;
  baseline?: ReplicateSeries;
  /** model − baseline per replicate, kept only where both are defined. */
  delta?: ReplicateSeries;
}

export const DEFAULT_CONFIDENCE = 0.95;

/**
 * The naive formulation of one resample, for tests: the row indices drawn, each row repeated as
 * often as it was drawn (the same generator and draws as resampleCounts).
 */
export function resampleIndices(rng: Rng, n: number): Uint32Array {
  const counts = new Uint32Array(n);
  if (n > 0) rng.countBelow(n, n, counts);
  const indices = new Uint32Array(n);
  let j = 0;
  for (let r = 0; r < n; r++) for (let c = 0; c < counts[r]!; c++) indices[j++] = r;
  return indices;
}

export function checkBootstrapOptions(options: BootstrapOptions): void {
  const { replicates, confidence = DEFAULT_CONFIDENCE, threads } = options;
  if (!Number.isInteger(replicates) || replicates < 1) {
    throw new RangeError(`bootstrap.replicates must be a positive integer, got ${replicates}: 1000 is a sound default`);
  }
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be strictly between 0 and 1, got ${confidence}: e.g. 0.95`);
  }
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
    throw new RangeError(`bootstrap threads must be a positive integer, got ${threads}`);
  }
  // The seed is checked by Rng itself.
}

/**
 * Runs the replicates over `rowCount` rows (the index space of every target's `order`) and
 * returns, per target, the replicate values of every metric for the model, the baseline and the
 * paired delta.
 */
export function bootstrapReplicates(
  targets: BootstrapTarget[],
  rowCount: number,
  options: BootstrapOptions,
): TargetReplicates[] {
  checkBootstrapOptions(options);
  const { replicates } = options;
  if (targets.length === 0) return [];
  const rowsPerReplicate = targets.reduce((sum, t) => sum + t.model.order.length + (t.baseline?.order.length ?? 0), 0);
  const threads = options.threads ?? defaultThreads(rowsPerReplicate, replicates);
  const plan = planBootstrap(targets, rowCount, replicates, options.seed, threads);
  const out = runPlan(plan);
  return targets.map((target, t) => {
    const model = new SeriesCollector(replicates);
    const baseline = target.baseline ? new SeriesCollector(replicates) : undefined;
    const delta = target.baseline ? new SeriesCollector(replicates) : undefined;
    const deltaOut = new Float64Array(METRIC_COUNT);
    for (let r = 0; r < replicates; r++) {
      const m = outputOffset(plan, r, t, 0);
      model.add(out, m);
      if (baseline && delta) {
        const b = outputOffset(plan, r, t, 1);
        baseline.add(out, b);
        for (let i = 0; i < METRIC_COUNT; i++) deltaOut[i] = out[m + i]! - out[b + i]!;
        delta.add(deltaOut, 0);
      }
    }
    return { model: model.finish(), ...(baseline && delta ? { baseline: baseline.finish(), delta: delta.finish() } : {}) };
  });
}

class SeriesCollector {
  private readonly values: Float64Array[];
  private readonly lengths = new Int32Array(METRIC_COUNT);

  constructor(replicates: number) {
    this.values = METRIC_NAMES.map(() => new Float64Array(replicates));
  }

  /** Adds the METRIC_COUNT values at out[o..]; NaN (undefined in this replicate) is skipped. */
  add(out: Float64Array, o: number): void {
    for (let m = 0; m < METRIC_COUNT; m++) {
      const v = out[o + m]!;
      if (!Number.isNaN(v)) this.values[m]![this.lengths[m]!++] = v;
    }
  }

  finish(): ReplicateSeries {
    const values = {} as Record<MetricName, Float64Array>;
    const skipped = {} as Record<MetricName, number>;
    for (const name of METRIC_NAMES) {
      const m = METRIC_INDEX[name];
      values[name] = this.values[m]!.subarray(0, this.lengths[m]!);
      skipped[name] = this.values[m]!.length - this.lengths[m]!;
    }
    return { values, skipped };
  }
}

/**
 * Quantile with linear interpolation between order statistics (numpy's default, "type 7").
 * `sorted` must be ascending and non-empty.
 */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (h - lo) * (sorted[hi]! - sorted[lo]!);
}

/**
 * Percentile interval of replicate values. Null when more than half of the replicates were
 * undefined: an interval conditioned on the minority of resamples where the metric happens to
 * exist (e.g. a tiny slice that rarely draws both classes) would look precise and mean nothing.
 */
export function percentileInterval(
  values: Float64Array,
  skipped: number,
  confidence: number = DEFAULT_CONFIDENCE,
): Interval | null {
  if (values.length === 0 || skipped > values.length) return null;
  const sorted = Float64Array.from(values).sort();
  const tail = (1 - confidence) / 2;
  return [quantileSorted(sorted, tail), quantileSorted(sorted, 1 - tail)];
}

export function intervalSet(series: ReplicateSeries, confidence: number = DEFAULT_CONFIDENCE): IntervalSet {
  const set = {} as IntervalSet;
  for (const name of METRIC_NAMES) set[name] = percentileInterval(series.values[name], series.skipped[name], confidence);
  return set;
}

/** Skip counts with the zeros left out, for a compact report. */
export function nonZeroSkips(series: ReplicateSeries): Partial<Record<MetricName, number>> {
  const out: Partial<Record<MetricName, number>> = {};
  for (const name of METRIC_NAMES) if (series.skipped[name] > 0) out[name] = series.skipped[name];
  return out;
}
