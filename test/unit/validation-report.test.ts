import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildEvaluationReport } from '../../validation/report';
import { computeSlices } from '../../validation/slices';
import type { EvaluationReport } from '../../validation/types';
import { METRIC_NAMES } from '../../validation/types';
import {
  DATASET_FIXTURES,
  assertClose,
  assertMetricsClose,
  baselineOf,
  labelsOf,
  loadFixture,
  scoresOf,
  type DatasetFixture,
} from './validation-helpers';

function reportOf(fx: DatasetFixture, replicates = 40, seed = 11): EvaluationReport {
  return buildEvaluationReport({
    labels: labelsOf(fx),
    scores: scoresOf(fx),
    ...(fx.inputs.baseline_scores ? { baselineScores: baselineOf(fx) } : {}),
    sliceColumns: fx.inputs.slice_columns,
    protectedColumns: fx.inputs.protected_columns,
    threshold: fx.inputs.threshold,
    bootstrap: { replicates, seed },
    minSliceRows: 10,
  });
}

/** Every number in a JSON value is finite, and there are no typed arrays. */
function assertJsonSafe(value: unknown, path = 'report'): void {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${path} is ${value}`);
  else if (ArrayBuffer.isView(value)) assert.fail(`${path} is a typed array`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertJsonSafe(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertJsonSafe(v, `${path}.${k}`);
}

describe('the evaluation report agrees with the references on every fixture', () => {
  for (const name of DATASET_FIXTURES) {
    const fx = loadFixture(name);
    it(`${name}: rows, overall, baseline, churn, slices, fairness`, () => {
      const report = reportOf(fx);
      assert.equal(report.rows, fx.expected.rows);
      assert.equal(report.unlabelledRows, fx.expected.unlabelled_rows);
      assertMetricsClose(report.overall, fx.expected.overall, `${name} overall`);
      if (fx.expected.baseline_overall) {
        assertMetricsClose(report.baseline!.overall, fx.expected.baseline_overall, `${name} baseline`);
        for (const m of METRIC_NAMES) {
          const b = fx.expected.baseline_overall[m];
          const c = fx.expected.overall[m];
          assertClose(report.delta![m].value, b === null || c === null ? null : c - b, `${name} delta ${m}`);
        }
        assertClose(report.churn!.value, fx.expected.churn, `${name} churn`);
        assert.deepEqual(Object.keys(report.baseline!.fairness!), Object.keys(fx.expected.fairness));
      } else {
        assert.equal(report.baseline, undefined);
        assert.equal(report.delta, undefined);
      }
      assert.deepEqual(
        report.slices.map((s) => `${s.column}=${s.value}:${s.rows}`),
        fx.expected.slices.map((s) => `${s.column}=${s.value}:${s.rows}`),
      );
      report.slices.forEach((slice, i) => {
        const e = fx.expected.slices[i]!;
        assertMetricsClose(slice, e.metrics, `${name} slice ${slice.column}=${slice.value}`);
        if (e.baseline_metrics) assertMetricsClose(slice.baseline!, e.baseline_metrics, `${name} slice baseline ${slice.value}`);
        assert.equal(slice.status, slice.rows >= 10 ? 'ok' : 'insufficient_data');
      });
      for (const [column, expected] of Object.entries(fx.expected.fairness)) {
        const f = report.fairness[column]!;
        assertClose(f.demographic_parity_difference, expected.demographic_parity_difference, `${name} ${column} dpd`);
        assertClose(f.equalized_odds_difference, expected.equalized_odds_difference, `${name} ${column} eod`);
        assertClose(f.equalized_odds_ratio, expected.equalized_odds_ratio, `${name} ${column} eor`);
      }
      assertJsonSafe(report);
      assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
    });
  }
});

describe('report behaviour', () => {
  const fx = loadFixture('basic');

  it('is deterministic for a seed, and the seed matters', () => {
    const a = reportOf(fx, 60, 5);
    const b = reportOf(fx, 60, 5);
    const c = reportOf(fx, 60, 6);
    assert.deepEqual(a, b);
    assert.notDeepEqual(a.ci.auc, c.ci.auc);
  });

  it('intervals contain the point estimate and deltas carry paired intervals', () => {
    const report = reportOf(fx, 200, 3);
    for (const m of METRIC_NAMES) {
      const [lo, hi] = report.ci[m]!;
      assert.ok(lo <= report.overall[m]! + 1e-12 && report.overall[m]! <= hi + 1e-12, `${m}: ${lo} <= ${report.overall[m]} <= ${hi}`);
      const d = report.delta![m];
      assert.ok(d.ci && d.ci[0] <= d.value! + 1e-12 && d.value! <= d.ci[1] + 1e-12, `delta ${m}`);
    }
    const judged = report.slices.filter((s) => s.status === 'ok');
    assert.ok(judged.length > 0 && judged.every((s) => s.ci !== undefined && s.delta!.auc.ci !== null));
    assert.ok(report.slices.filter((s) => s.status === 'insufficient_data').every((s) => s.ci === undefined));
  });

  it('bootstrap.slices = false leaves slices with point deltas only, and says so', () => {
    const report = buildEvaluationReport({
      labels: labelsOf(fx),
      scores: scoresOf(fx),
      baselineScores: baselineOf(fx),
      sliceColumns: fx.inputs.slice_columns,
      protectedColumns: {},
      threshold: 0.5,
      bootstrap: { replicates: 20, seed: 1, slices: false },
      minSliceRows: 10,
    });
    assert.ok(report.slices.every((s) => s.ci === undefined && s.delta!.auc.ci === null && s.delta!.auc.value !== null));
    assert.ok(report.notes.some((n) => /slice intervals: not computed/.test(n)));
  });

  it('the row layout does not change any figure', () => {
    // Reversing the input rows must give the same report: the compact, score-ordered layout is an
    // implementation detail. (Intervals differ: the resample indices refer to other rows.)
    const reverse = <T>(xs: ArrayLike<T>): T[] => Array.from(xs).reverse();
    const a = reportOf(fx, 5, 1);
    const b = buildEvaluationReport({
      labels: Float64Array.from(reverse(labelsOf(fx))),
      scores: Float64Array.from(reverse(scoresOf(fx))),
      baselineScores: Float64Array.from(reverse(baselineOf(fx)!)),
      sliceColumns: Object.fromEntries(Object.entries(fx.inputs.slice_columns).map(([k, v]) => [k, reverse(v)])),
      protectedColumns: Object.fromEntries(Object.entries(fx.inputs.protected_columns).map(([k, v]) => [k, reverse(v)])),
      threshold: 0.5,
      bootstrap: { replicates: 5, seed: 1 },
      minSliceRows: 10,
    });
    for (const m of METRIC_NAMES) assertClose(b.overall[m], a.overall[m], `overall ${m}`, 1e-12);
    b.slices.forEach((s, i) => assertClose(s.auc, a.slices[i]!.auc, `slice ${s.value}`, 1e-12));
    assert.deepEqual(b.fairness, a.fairness);
  });

  it('computeSlices gives the same slice figures without intervals', () => {
    const slices = computeSlices({
      labels: labelsOf(fx),
      scores: scoresOf(fx),
      columns: fx.inputs.slice_columns,
      threshold: 0.5,
      minRows: 10,
    });
    slices.forEach((s, i) => assertMetricsClose(s, fx.expected.slices[i]!.metrics, `slice ${s.value}`));
  });

  it('a value seen only on unlabelled rows is not a slice (report and computeSlices alike)', () => {
    const labels = Float64Array.of(1, 0, 1, 0, NaN, NaN);
    const scores = Float64Array.of(0.9, 0.2, 0.7, 0.4, 0.5, 0.6);
    const columns = { segment: ['a', 'a', 'b', 'b', 'ghost', 'ghost'] };
    const report = buildEvaluationReport({
      labels,
      scores,
      sliceColumns: columns,
      protectedColumns: columns,
      threshold: 0.5,
      bootstrap: { replicates: 8, seed: 1 },
      minSliceRows: 0,
    });
    assert.deepEqual(report.slices.map((s) => s.value), ['a', 'b']);
    assert.deepEqual(report.fairness.segment!.groups.map((g) => g.value), ['a', 'b']);
    assert.deepEqual(computeSlices({ labels, scores, columns, threshold: 0.5, minRows: 0 }).map((s) => s.value), ['a', 'b']);
  });

  it('NaN candidate scores: every candidate metric null, noted', () => {
    const scores = scoresOf(fx);
    scores[3] = NaN;
    const report = buildEvaluationReport({
      labels: labelsOf(fx),
      scores,
      baselineScores: baselineOf(fx),
      sliceColumns: {},
      protectedColumns: {},
      threshold: 0.5,
      bootstrap: { replicates: 10, seed: 1 },
      minSliceRows: 10,
    });
    assert.equal(report.nanScoreRows, 1);
    assert.equal(report.overall.auc, null);
    assert.equal(report.ci.auc, null);
    assert.equal(report.delta!.auc.value, null);
    assert.ok(report.baseline!.overall.auc !== null);
    assert.ok(report.notes.some((n) => /NaN candidate score/.test(n)));
    assertJsonSafe(report);
  });

  it('bad input names the field', () => {
    const base = {
      labels: new Float64Array([1, 0]),
      scores: new Float64Array([0.5, 0.5]),
      sliceColumns: {},
      protectedColumns: {},
      threshold: 0.5,
      bootstrap: { replicates: 10, seed: 1 },
      minSliceRows: 1,
    };
    assert.throws(() => buildEvaluationReport({ ...base, baselineScores: new Float64Array([0.5, 2]) }), /baselineScores\[1\] is 2/);
    assert.throws(() => buildEvaluationReport({ ...base, sliceColumns: { region: ['a'] } }), /slice column region has 1 rows/);
    assert.throws(() => buildEvaluationReport({ ...base, bootstrap: { replicates: 0, seed: 1 } }), /replicates must be a positive integer/);
    assert.throws(() => buildEvaluationReport({ ...base, bootstrap: { replicates: 5, seed: -1 } }), /seed must be a non-negative safe integer/);
    assert.throws(() => buildEvaluationReport({ ...base, confidence: 1 }), /confidence must be strictly between 0 and 1/);
  });
});
