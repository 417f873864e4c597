/**
 * CBPE: the expected confusion matrix and AUC from scores alone. Checked against a brute-force
 * pairwise definition, against realized metrics when labels really are drawn from the scores, and
 * shown to be wrong (as documented) when they are not.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeMetrics, Rng } from '../../validation';
import { estimatePerformance } from '../../validation/performance-estimate';

/** Expected AUC by its definition over all pairs (a row is positive with probability p, negative with 1 − p). */
function pairwiseExpectedAuc(p: number[]): number {
  let num = 0;
  let pos = 0;
  let neg = 0;
  for (const a of p) {
    pos += a;
    neg += 1 - a;
  }
  for (const a of p) for (const b of p) num += a * (1 - b) * (a > b ? 1 : a === b ? 0.5 : 0);
  return num / (pos * neg);
}

test('the expected confusion matrix and metrics of four scores, by hand', () => {
  const e = estimatePerformance(Float64Array.from([0.9, 0.8, 0.3, 0.1]), 0.5);
  const close = (a: number | null, b: number) => assert.ok(a !== null && Math.abs(a - b) < 1e-12, `${a} vs ${b}`);
  close(e.confusion.tp, 1.7);
  close(e.confusion.fp, 0.3);
  close(e.confusion.fn, 0.4);
  close(e.confusion.tn, 1.6);
  close(e.accuracy, 3.3 / 4);
  close(e.precision, 0.85);
  close(e.recall, 1.7 / 2.1);
  close(e.positive_rate, 0.5);
  close(e.expected_prevalence, 2.1 / 4);
  close(e.auc, pairwiseExpectedAuc([0.9, 0.8, 0.3, 0.1]));
  assert.equal(e.estimated, true);
});

test('the expected AUC equals the pairwise definition, ties and NaN included', () => {
  const rng = new Rng(5);
  const scores = Array.from({ length: 300 }, () => Math.round(rng.nextFloat() * 20) / 20); // many ties
  const e = estimatePerformance(Float64Array.from([...scores, Number.NaN]), 0.4);
  assert.equal(e.rows, 300);
  assert.ok(Math.abs(e.auc! - pairwiseExpectedAuc(scores)) < 1e-12);
});

test('with calibrated scores the estimate matches the realized metrics', () => {
  const rng = new Rng(11);
  const n = 40_000;
  const scores = new Float64Array(n);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    scores[i] = rng.nextFloat() ** 2; // skewed towards low risk, like a default model
    labels[i] = rng.nextFloat() < scores[i]! ? 1 : 0;
  }
  const e = estimatePerformance(scores, 0.5);
  const realized = computeMetrics(labels, scores, { threshold: 0.5 });
  for (const m of ['auc', 'accuracy', 'precision', 'recall', 'f1'] as const) {
    assert.ok(Math.abs(e[m]! - realized[m]!) < 0.01, `${m}: estimated ${e[m]} vs realized ${realized[m]}`);
  }
});

test('with miscalibrated scores the estimate is off: it is only as good as the calibration', () => {
  const rng = new Rng(12);
  const n = 40_000;
  const scores = new Float64Array(n);
  const labels = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    scores[i] = rng.nextFloat();
    labels[i] = rng.nextFloat() < scores[i]! ** 3 ? 1 : 0; // the model over-predicts
  }
  const e = estimatePerformance(scores, 0.5);
  const realized = computeMetrics(labels, scores, { threshold: 0.5 });
  assert.ok(e.precision! - realized.precision! > 0.1, `estimated precision ${e.precision} vs realized ${realized.precision}`);
});

test('undefined metrics are null with a reason; bad input is refused', () => {
  const zeros = estimatePerformance(Float64Array.from([0, 0, 0]), 0.5);
  assert.equal(zeros.auc, null);
  assert.equal(zeros.precision, null);
  assert.match(zeros.reasons.auc!, /expected positives or negatives are zero/);
  assert.equal(estimatePerformance(new Float64Array(0), 0.5).accuracy, null);
  assert.throws(() => estimatePerformance(Float64Array.from([1.2]), 0.5), /not a probability/);
  assert.throws(() => estimatePerformance(Float64Array.from([0.2]), 1), /threshold/);
});
