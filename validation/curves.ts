/**
 * Curves for charts: ROC, precision-recall and the reliability diagram. Points are those of
 * scikit-learn's roc_curve(drop_intermediate=False) and precision_recall_curve, ordered from the
 * strictest threshold to the loosest, then thinned to at most `maxPoints` for drawing.
 */

import { DEFAULT_THRESHOLD } from './metrics';
import { ECE_BINS, binOf, isPositive, prepareScores, thresholdCounts, type PreparedScores } from './scored';
import type { CurvePoint, Curves, ReliabilityBin } from './types';

export const DEFAULT_CURVE_POINTS = 200;

export interface CurveOptions {
  /** At most this many points (first and last always kept); default 200; Infinity keeps all. */
  maxPoints?: number;
}

/**
 * ROC points (x = FPR, y = TPR), starting at (0, 0). Empty when the curve is undefined: one class
 * present, no labelled rows, or any NaN score (as the metrics).
 */
export function rocCurve(labels: Float64Array, scores: Float64Array, options: CurveOptions = {}): CurvePoint[] {
  return rocOfPrepared(prepareScores(labels, scores, DEFAULT_THRESHOLD), options);
}

export function rocOfPrepared(prepared: PreparedScores, options: CurveOptions = {}): CurvePoint[] {
  const counts = curveCounts(prepared);
  if (!counts) return [];
  const { threshold, tp, fp, positives, negatives } = counts;
  // Point 0 is the start (0, 0); point i > 0 is threshold i - 1.
  return keptIndices(threshold.length + 1, options.maxPoints).map((i) =>
    i === 0 ? { x: 0, y: 0, threshold: null } : { x: fp[i - 1]! / negatives, y: tp[i - 1]! / positives, threshold: threshold[i - 1]! },
  );
}

/**
 * Precision-recall points (x = recall, y = precision), starting at (0, 1) as scikit-learn's
 * precision_recall_curve ends. Empty when undefined (see rocCurve).
 */
export function prCurve(labels: Float64Array, scores: Float64Array, options: CurveOptions = {}): CurvePoint[] {
  return prOfPrepared(prepareScores(labels, scores, DEFAULT_THRESHOLD), options);
}

export function prOfPrepared(prepared: PreparedScores, options: CurveOptions = {}): CurvePoint[] {
  const counts = curveCounts(prepared);
  if (!counts) return [];
  const { threshold, tp, fp, positives } = counts;
  return keptIndices(threshold.length + 1, options.maxPoints).map((i) =>
    i === 0 ? { x: 0, y: 1, threshold: null } : { x: tp[i - 1]! / positives, y: tp[i - 1]! / (tp[i - 1]! + fp[i - 1]!), threshold: threshold[i - 1]! },
  );
}

function curveCounts(prepared: PreparedScores) {
  const counts = thresholdCounts(prepared);
  const last = counts.tp.length - 1;
  const positives = last >= 0 ? counts.tp[last]! : 0;
  const negatives = last >= 0 ? counts.fp[last]! : 0;
  return positives === 0 || negatives === 0 ? null : { ...counts, positives, negatives };
}

/**
 * The reliability diagram: for each of the ECE bins ([0, 0.1), ..., [0.9, 1.0]), its rows, mean
 * score and observed positive rate (null when empty). ECE is sum(rows/n * |positive_rate −
 * mean_score|) over these bins. Empty when any labelled row has a NaN score.
 */
export function reliabilityBins(labels: Float64Array, scores: Float64Array): ReliabilityBin[] {
  return reliabilityOfPrepared(prepareScores(labels, scores, DEFAULT_THRESHOLD));
}

export function reliabilityOfPrepared(prepared: PreparedScores): ReliabilityBin[] {
  if (prepared.nanScores > 0) return [];
  const rows = new Float64Array(ECE_BINS);
  const scoreSum = new Float64Array(ECE_BINS);
  const positives = new Float64Array(ECE_BINS);
  for (let k = 0; k < prepared.score.length; k++) {
    const s = prepared.score[k]!;
    const b = binOf(s);
    rows[b]!++;
    scoreSum[b]! += s;
    if (isPositive(prepared, k)) positives[b]!++;
  }
  const bins: ReliabilityBin[] = [];
  for (let b = 0; b < ECE_BINS; b++) {
    const n = rows[b]!;
    bins.push({
      lower: b / ECE_BINS,
      upper: (b + 1) / ECE_BINS,
      rows: n,
      mean_score: n > 0 ? scoreSum[b]! / n : null,
      positive_rate: n > 0 ? positives[b]! / n : null,
    });
  }
  return bins;
}

/** All three, for a report (thresholds of the prepared rows do not matter to any curve). */
export function curvesOfPrepared(prepared: PreparedScores): Curves {
  return { roc: rocOfPrepared(prepared), pr: prOfPrepared(prepared), reliability: reliabilityOfPrepared(prepared) };
}

/**
 * Evenly spaced points by index, first and last included. Index spacing (not distance) keeps the
 * thinning cheap and deterministic; at 200 points a chart cannot tell the difference.
 */
export function thinPoints<T>(points: T[], maxPoints: number): T[] {
  return keptIndices(points.length, maxPoints).map((i) => points[i]!);
}

/** Indices thinPoints keeps out of `length` points (all of them when length <= maxPoints). */
function keptIndices(length: number, maxPoints: number = DEFAULT_CURVE_POINTS): number[] {
  if (!(maxPoints >= 2) || (!Number.isInteger(maxPoints) && maxPoints !== Infinity)) {
    throw new RangeError(`maxPoints must be an integer >= 2 (or Infinity), got ${maxPoints}`);
  }
  if (length <= maxPoints) return Array.from({ length }, (_, i) => i);
  return Array.from({ length: maxPoints }, (_, i) => Math.round((i * (length - 1)) / (maxPoints - 1)));
}
