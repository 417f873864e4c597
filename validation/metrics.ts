/**
 * Binary-classification metrics, each exactly as scikit-learn 1.7 defines it (roc_auc_score,
 * average_precision_score, log_loss, brier_score_loss, accuracy_score, precision/recall/f1 with
 * zero_division=0), plus positive rate and expected calibration error. The arithmetic lives in
 * scored.ts; this module turns a scan into a MetricSet with reasons, and knows each metric's
 * direction.
 *
 * Conventions, all deliberate:
 * - a NaN label marks an unlabelled row: excluded (and counted by the report);
 * - a NaN score on a labelled row makes EVERY metric null, rather than excluding the row: a model
 *   that emits NaN for some inputs is broken, and judging it on the rows it could score would let
 *   a gate pass it;
 * - AUC and average precision with one class present are null ("only one class present"). Here
 *   this module departs from scikit-learn on purpose: sklearn returns NaN for AUC but 0.0 or 1.0
 *   for average precision, values a gate would happily compare against a floor;
 * - log loss and Brier score stay defined with one class (sklearn's log_loss with labels=[0, 1]);
 * - precision/recall/F1 follow zero_division=0: the value is 0 and `reasons` says why, so the 0 is
 *   never silent.
 */

import { METRIC_NAMES, type ChurnResult, type MetricName, type MetricSet } from './types';
import {
  METRIC_COUNT,
  METRIC_INDEX,
  checkSameLength,
  checkThreshold,
  prepareScores,
  scanMetrics,
  type PreparedScores,
  type ScanTotals,
} from './scored';

export { ValidationInputError } from './scored';

export const DEFAULT_THRESHOLD = 0.5;

export interface MetricOptions {
  /** A row is predicted positive when score >= threshold. Default 0.5. */
  threshold?: number;
}

/** All ten metrics of `scores` against `labels` (row-aligned; see the module comment for NaN). */
export function computeMetrics(labels: Float64Array, scores: Float64Array, options: MetricOptions = {}): MetricSet {
  const prepared = prepareScores(labels, scores, options.threshold ?? DEFAULT_THRESHOLD);
  return metricsOfPrepared(prepared);
}

/** The point estimate on already-prepared rows (every row weight 1). */
export function metricsOfPrepared(prepared: PreparedScores): MetricSet {
  const out = new Float64Array(METRIC_COUNT);
  const totals = scanMetrics(prepared, null, out);
  return metricSetFromScan(prepared, out, totals);
}

/** Converts a scan's raw values (NaN = undefined) into a MetricSet with reasons. */
export function metricSetFromScan(prepared: PreparedScores, out: Float64Array, totals: ScanTotals): MetricSet {
  if (prepared.nanScores > 0) {
    return nullMetricSet(
      `${prepared.nanScores} labelled row(s) have a NaN score: a model that cannot score every row is not judged on the rows it can`,
    );
  }
  if (totals.weight === 0) return nullMetricSet('no labelled rows');
  const set = {} as MetricSet;
  set.reasons = {};
  for (const name of METRIC_NAMES) {
    const v = out[METRIC_INDEX[name]]!;
    set[name] = Number.isNaN(v) ? null : v;
  }
  if (totals.positives === 0 || totals.negatives === 0) {
    set.reasons.auc = 'only one class present';
    set.reasons.average_precision = 'only one class present';
  }
  if (totals.predictedPositive === 0) set.reasons.precision = 'no predicted positives: 0 by zero_division=0';
  if (totals.positives === 0) set.reasons.recall = 'no positive labels: 0 by zero_division=0';
  if (totals.positives === 0 && totals.predictedPositive === 0) {
    set.reasons.f1 = 'no positive labels and no predicted positives: 0 by zero_division=0';
  }
  return set;
}

/** Every metric null, for the same reason. */
export function nullMetricSet(reason: string): MetricSet {
  const set = {} as MetricSet;
  set.reasons = {};
  for (const name of METRIC_NAMES) {
    set[name] = null;
    set.reasons[name] = reason;
  }
  return set;
}

export type MetricDirection = 'higher_is_better' | 'lower_is_better';

const LOWER_IS_BETTER: ReadonlySet<MetricName> = new Set<MetricName>(['log_loss', 'brier', 'ece']);

/**
 * Which way is better. positive_rate is a share rather than a quality; it is treated as
 * higher-is-better so that a gate on it still has a defined meaning (a fall is a "drop").
 */
export function metricDirection(metric: MetricName): MetricDirection {
  return LOWER_IS_BETTER.has(metric) ? 'lower_is_better' : 'higher_is_better';
}

/**
 * `to` relative to `from` in the metric's good direction: positive = improvement, negative = a
 * drop in quality. For lower-is-better metrics an increase is a drop. The single place that knows
 * direction, so gates never carry mirrored copies of a comparison.
 */
export function improvement(metric: MetricName, from: number, to: number): number {
  return metricDirection(metric) === 'lower_is_better' ? from - to : to - from;
}

/**
 * An interval of raw deltas (model − baseline) read in the good direction: [worst, best] as
 * improvements. For lower-is-better metrics the upper delta bound is the pessimistic one.
 */
export function improvementInterval(metric: MetricName, delta: [number, number]): [number, number] {
  return metricDirection(metric) === 'lower_is_better' ? [-delta[1], -delta[0]] : [delta[0], delta[1]];
}

/**
 * Churn: among the labelled rows the baseline classifies correctly, the share the model gets
 * wrong. The denominator is the baseline-correct rows (not all rows) because churn measures the
 * cases that users of the champion saw handled correctly and would now see broken.
 */
export function computeChurn(
  labels: Float64Array,
  scores: Float64Array,
  baselineScores: Float64Array,
  threshold: number = DEFAULT_THRESHOLD,
): ChurnResult {
  checkSameLength('scores', scores, labels.length);
  checkSameLength('baselineScores', baselineScores, labels.length);
  checkThreshold(threshold);
  let baselineCorrect = 0;
  let flipped = 0;
  let nanScores = 0;
  for (let i = 0; i < labels.length; i++) {
    const y = labels[i]!;
    if (Number.isNaN(y)) continue;
    const s = scores[i]!;
    const b = baselineScores[i]!;
    if (Number.isNaN(s) || Number.isNaN(b)) {
      nanScores++;
      continue;
    }
    const baselineRight = (b >= threshold ? 1 : 0) === y;
    if (!baselineRight) continue;
    baselineCorrect++;
    if ((s >= threshold ? 1 : 0) !== y) flipped++;
  }
  if (nanScores > 0) {
    return {
      value: null,
      baseline_correct: baselineCorrect,
      flipped_to_wrong: flipped,
      reason: `${nanScores} labelled row(s) have a NaN score from the model or the baseline`,
    };
  }
  if (baselineCorrect === 0) {
    return { value: null, baseline_correct: 0, flipped_to_wrong: 0, reason: 'the baseline classifies no labelled row correctly' };
  }
  return { value: flipped / baselineCorrect, baseline_correct: baselineCorrect, flipped_to_wrong: flipped };
}
