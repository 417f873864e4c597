import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { computeChurn, computeMetrics, improvement, metricDirection, ValidationInputError } from '../../validation/metrics';
import { prCurve, reliabilityBins, rocCurve, thinPoints } from '../../validation/curves';
import { binOf, METRIC_COUNT, prepareScores, scanMetrics } from '../../validation/scored';
import { metricSetFromScan } from '../../validation/metrics';
import { METRIC_NAMES } from '../../validation/types';
import {
  DATASET_FIXTURES,
  assertClose,
  assertMetricsClose,
  baselineOf,
  labelsOf,
  loadFixture,
  scoresOf,
} from './validation-helpers';

describe('metrics agree with scikit-learn on every fixture', () => {
  for (const name of DATASET_FIXTURES) {
    const fx = loadFixture(name);
    const labels = labelsOf(fx);
    const threshold = fx.inputs.threshold;

    it(`${name}: overall`, () => {
      assertMetricsClose(computeMetrics(labels, scoresOf(fx), { threshold }), fx.expected.overall, name);
    });

    if (fx.expected.baseline_overall) {
      it(`${name}: baseline`, () => {
        assertMetricsClose(computeMetrics(labels, baselineOf(fx)!, { threshold }), fx.expected.baseline_overall!, `${name} baseline`);
      });
    }

    it(`${name}: weighted scan equals sklearn with sample_weight = resample counts`, () => {
      // The bootstrap engine: one scan with multiplicity weights must equal sklearn's weighted metrics.
      const prepared = prepareScores(labels, scoresOf(fx), threshold);
      const out = new Float64Array(METRIC_COUNT);
      const totals = scanMetrics(prepared, Uint8Array.from(fx.inputs.weights), out);
      assertMetricsClose(metricSetFromScan(prepared, out, totals), fx.expected.weighted, `${name} weighted`);
    });

    if (fx.expected.churn !== undefined) {
      it(`${name}: churn`, () => {
        assertClose(computeChurn(labels, scoresOf(fx), baselineOf(fx)!, threshold).value, fx.expected.churn, `${name} churn`);
      });
    }

    if (fx.expected.curves) {
      it(`${name}: ROC and PR curves are sklearn's points`, () => {
        const curves = fx.expected.curves!;
        const roc = rocCurve(labels, scoresOf(fx), { maxPoints: Infinity });
        assert.equal(roc.length, curves.roc.fpr.length);
        roc.forEach((p, i) => {
          assertClose(p.x, curves.roc.fpr[i], `${name} roc fpr[${i}]`);
          assertClose(p.y, curves.roc.tpr[i], `${name} roc tpr[${i}]`);
          assertClose(p.threshold, curves.roc.thresholds[i], `${name} roc threshold[${i}]`);
        });
        // sklearn lists PR points from the loosest threshold and appends (recall 0, precision 1).
        const pr = prCurve(labels, scoresOf(fx), { maxPoints: Infinity });
        const precision = [...curves.pr.precision].reverse();
        const recall = [...curves.pr.recall].reverse();
        const thresholds = [null, ...[...curves.pr.thresholds].reverse()];
        assert.equal(pr.length, precision.length);
        pr.forEach((p, i) => {
          assertClose(p.x, recall[i], `${name} pr recall[${i}]`);
          assertClose(p.y, precision[i], `${name} pr precision[${i}]`);
          assertClose(p.threshold, thresholds[i], `${name} pr threshold[${i}]`);
        });
      });
    }
  }
});

describe('undefined metrics are null with a reason, never NaN or a silent 0', () => {
  it('one class: AUC and AP null, the rest defined', () => {
    const m = computeMetrics(new Float64Array([0, 0, 0]), new Float64Array([0.2, 0.6, 0.9]));
    assert.equal(m.auc, null);
    assert.equal(m.average_precision, null);
    assert.equal(m.reasons.auc, 'only one class present');
    assert.equal(m.reasons.average_precision, 'only one class present');
    assert.ok(m.log_loss !== null && m.brier !== null && m.accuracy !== null);
    assert.equal(m.recall, 0);
    assert.match(m.reasons.recall!, /zero_division/);
  });

  it('zero rows: every metric null', () => {
    const m = computeMetrics(new Float64Array(0), new Float64Array(0));
    for (const name of METRIC_NAMES) {
      assert.equal(m[name], null);
      assert.equal(m.reasons[name], 'no labelled rows');
    }
  });

  it('NaN labels are excluded: same metrics as without those rows', () => {
    const withNaN = computeMetrics(new Float64Array([1, NaN, 0, 1, 0]), new Float64Array([0.9, 0.1, 0.3, 0.4, 0.6]));
    const without = computeMetrics(new Float64Array([1, 0, 1, 0]), new Float64Array([0.9, 0.3, 0.4, 0.6]));
    assert.deepEqual(withNaN, without);
  });

  it('a NaN score on a labelled row makes every metric null (the model is not judged on the rows it could score)', () => {
    const m = computeMetrics(new Float64Array([1, 0, 1, 0]), new Float64Array([0.9, NaN, 0.4, 0.6]));
    for (const name of METRIC_NAMES) {
      assert.equal(m[name], null);
      assert.match(m.reasons[name]!, /1 labelled row\(s\) have a NaN score/);
    }
  });

  it('a NaN score on an unlabelled row is harmless', () => {
    const m = computeMetrics(new Float64Array([1, NaN, 0]), new Float64Array([0.9, NaN, 0.2]));
    assert.equal(m.auc, 1);
  });

  it('no predicted positives: precision 0 by zero_division, with the reason', () => {
    const m = computeMetrics(new Float64Array([1, 0, 1]), new Float64Array([0.1, 0.2, 0.3]));
    assert.equal(m.precision, 0);
    assert.match(m.reasons.precision!, /no predicted positives/);
    assert.equal(m.f1, 0);
  });

  it('results are JSON-safe', () => {
    const m = computeMetrics(new Float64Array([0, 0]), new Float64Array([0, 1]));
    assert.deepEqual(JSON.parse(JSON.stringify(m)), m);
  });
});

describe('definitions at the edges', () => {
  it('a score exactly at the threshold is predicted positive', () => {
    const m = computeMetrics(new Float64Array([1, 0]), new Float64Array([0.5, 0.49]), { threshold: 0.5 });
    assert.equal(m.positive_rate, 0.5);
    assert.equal(m.recall, 1);
  });

  it('ECE bins are closed on the left; a score of 1 is in the last bin', () => {
    assert.equal(binOf(0), 0);
    assert.equal(binOf(0.1), 1);
    assert.equal(binOf(0.3), 3);
    assert.equal(binOf(0.7), 7);
    assert.equal(binOf(0.9999), 9);
    assert.equal(binOf(1), 9);
    // Two rows in [0.9, 1.0], one of each label: mean label 0.5, mean score 0.95.
    const m = computeMetrics(new Float64Array([1, 0]), new Float64Array([1, 0.9]));
    assertClose(m.ece, 0.45, 'ece');
  });

  it('log loss clips 0 and 1 to float64 epsilon, as sklearn 1.7', () => {
    const m = computeMetrics(new Float64Array([1, 0]), new Float64Array([0, 1]));
    assertClose(m.log_loss, -Math.log(2.220446049250313e-16), 'log_loss', 1e-12);
  });

  it('reliability bins reproduce the ECE', () => {
    const fx = loadFixture('ties');
    const labels = labelsOf(fx);
    const bins = reliabilityBins(labels, scoresOf(fx));
    assert.equal(bins.length, 10);
    const n = bins.reduce((a, b) => a + b.rows, 0);
    assert.equal(n, fx.expected.rows);
    const ece = bins.reduce((a, b) => a + (b.rows === 0 ? 0 : (b.rows / n) * Math.abs(b.positive_rate! - b.mean_score!)), 0);
    assertClose(ece, fx.expected.overall.ece, 'ece from bins');
  });

  it('curves are thinned to at most maxPoints, keeping both ends', () => {
    const fx = loadFixture('basic');
    const roc = rocCurve(labelsOf(fx), scoresOf(fx));
    assert.ok(roc.length <= 200 && roc.length > 100);
    assert.deepEqual([roc[0]!.x, roc[0]!.y], [0, 0]);
    assert.deepEqual([roc.at(-1)!.x, roc.at(-1)!.y], [1, 1]);
    assert.deepEqual(thinPoints([1, 2, 3, 4, 5], 3), [1, 3, 5]);
  });

  it('curves are empty when undefined', () => {
    assert.deepEqual(rocCurve(new Float64Array([0, 0]), new Float64Array([0.1, 0.2])), []);
    assert.deepEqual(prCurve(new Float64Array([1, 0]), new Float64Array([0.1, NaN])), []);
  });

  it('direction: log_loss, brier, ece are lower-is-better; a rise is a drop in quality', () => {
    assert.equal(metricDirection('log_loss'), 'lower_is_better');
    assert.equal(metricDirection('ece'), 'lower_is_better');
    assert.equal(metricDirection('auc'), 'higher_is_better');
    assert.equal(improvement('auc', 0.8, 0.85) > 0, true);
    assert.equal(improvement('log_loss', 0.3, 0.35) < 0, true);
  });

  it('churn: denominator is the rows the baseline got right', () => {
    // baseline right on rows 0, 1, 2 (not 3); model wrong on row 1 and row 3.
    const labels = new Float64Array([1, 0, 1, 1]);
    const baseline = new Float64Array([0.9, 0.1, 0.8, 0.2]);
    const model = new Float64Array([0.9, 0.7, 0.8, 0.1]);
    const c = computeChurn(labels, model, baseline);
    assert.equal(c.baseline_correct, 3);
    assert.equal(c.flipped_to_wrong, 1);
    assert.equal(c.value, 1 / 3);
  });
});

describe('bad input is refused with the field named', () => {
  it('labels other than 0/1/NaN', () => {
    assert.throws(() => computeMetrics(new Float64Array([2]), new Float64Array([0.5])), (e: Error) => e instanceof ValidationInputError && /labels\[0\] is 2/.test(e.message));
  });
  it('scores outside [0, 1]', () => {
    assert.throws(() => computeMetrics(new Float64Array([1]), new Float64Array([1.5])), /scores\[0\] is 1.5.*\[0, 1\]/);
  });
  it('length mismatch', () => {
    assert.throws(() => computeMetrics(new Float64Array([1, 0]), new Float64Array([0.5])), /scores has 1 rows but labels has 2/);
  });
  it('threshold outside [0, 1]', () => {
    assert.throws(() => computeMetrics(new Float64Array([1]), new Float64Array([0.5]), { threshold: 2 }), /threshold must be a number in \[0, 1\]/);
  });
});
