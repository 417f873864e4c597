/**
 * Confidence-based performance estimation (CBPE, as NannyML defines it): what a model's metrics
 * are expected to be on rows whose labels have not arrived yet, from its scores alone. Pure.
 *
 * If the scores are calibrated, a row scored p is a positive with probability p. Every count of
 * the confusion matrix is then a sum of probabilities: a predicted positive (p ≥ threshold) adds p
 * to the expected true positives and 1 − p to the expected false positives; a predicted negative
 * adds p to the expected false negatives and 1 − p to the expected true negatives. The expected
 * ROC curve follows the same way, cut by cut: TPR(t) = Σ_{s ≥ t} p / Σ p and FPR(t) =
 * Σ_{s ≥ t} (1 − p) / Σ (1 − p); the estimated AUC is the area under it (trapezoids, ties taken
 * together, as roc_auc_score does).
 *
 * Two assumptions, and when they break the estimate is wrong without saying so:
 * - the scores are calibrated on this population (check the holdout ECE before trusting it);
 * - P(label | features) has not changed since the model was fitted. Covariate shift is fine (that
 *   is what CBPE is for); concept drift is not. An estimate therefore never stands in for a
 *   realized metric once labels arrive, and the monitor does not act on it alone.
 */

export interface PerformanceEstimate {
  /** Always true: the numbers are expectations, not measurements. */
  estimated: true;
  rows: number;
  threshold: number;
  /** Expected confusion-matrix counts (fractional). */
  confusion: { tp: number; fp: number; tn: number; fn: number };
  auc: number | null;
  accuracy: number | null;
  precision: number | null;
  recall: number | null;
  f1: number | null;
  /** Share of rows predicted positive (observed, not estimated). */
  positive_rate: number | null;
  /** Expected share of actual positives: the mean score. */
  expected_prevalence: number | null;
  reasons: Partial<Record<'auc' | 'precision' | 'recall' | 'f1' | 'rows', string>>;
}

/**
 * The expected metrics of `scores` (probabilities of the positive class; NaN rows are ignored) at
 * the decision threshold `threshold` (score ≥ threshold predicts positive).
 */
export function estimatePerformance(scores: ArrayLike<number>, threshold: number): PerformanceEstimate {
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`estimatePerformance: threshold must be in (0, 1), got ${threshold}`);
  const p: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (Number.isNaN(s)) continue;
    if (s < 0 || s > 1) throw new RangeError(`estimatePerformance: score ${s} at row ${i} is not a probability`);
    p.push(s);
  }
  const rows = p.length;
  const reasons: PerformanceEstimate['reasons'] = {};
  const confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  let predictedPositive = 0;
  for (const s of p) {
    if (s >= threshold) {
      predictedPositive++;
      confusion.tp += s;
      confusion.fp += 1 - s;
    } else {
      confusion.fn += s;
      confusion.tn += 1 - s;
    }
  }
  if (rows === 0) {
    reasons.rows = 'no scored rows';
    return { estimated: true, rows, threshold, confusion, auc: null, accuracy: null, precision: null, recall: null, f1: null, positive_rate: null, expected_prevalence: null, reasons };
  }
  const positives = confusion.tp + confusion.fn;
  const precision = predictedPositive === 0 ? null : confusion.tp / (confusion.tp + confusion.fp);
  const recall = positives === 0 ? null : confusion.tp / positives;
  if (precision === null) reasons.precision = 'no predicted positives';
  if (recall === null) reasons.recall = 'every score is 0: no expected positives';
  const f1 = precision === null || recall === null || precision + recall === 0 ? null : (2 * precision * recall) / (precision + recall);
  if (f1 === null) reasons.f1 = reasons.precision ?? reasons.recall ?? 'precision and recall are both 0';
  const auc = expectedAuc(p);
  if (auc === null) reasons.auc = 'expected positives or negatives are zero (every score 0 or every score 1)';
  return {
    estimated: true,
    rows,
    threshold,
    confusion,
    auc,
    accuracy: (confusion.tp + confusion.tn) / rows,
    precision,
    recall,
    f1,
    positive_rate: predictedPositive / rows,
    expected_prevalence: positives / rows,
    reasons,
  };
}

/** Area under the expected ROC curve; null when either expected class mass is zero. */
function expectedAuc(p: number[]): number | null {
  const sorted = [...p].sort((a, b) => b - a);
  let totalPos = 0;
  for (const s of sorted) totalPos += s;
  const totalNeg = sorted.length - totalPos;
  if (totalPos <= 0 || totalNeg <= 0) return null;
  let area = 0;
  let tp = 0;
  let i = 0;
  while (i < sorted.length) {
    // All rows sharing a score cross the cut together: one diagonal step, as for tied scores.
    const score = sorted[i]!;
    let dPos = 0;
    let dNeg = 0;
    while (i < sorted.length && sorted[i] === score) {
      dPos += score;
      dNeg += 1 - score;
      i++;
    }
    area += (dNeg / totalNeg) * ((2 * tp + dPos) / (2 * totalPos));
    tp += dPos;
  }
  return area;
}
