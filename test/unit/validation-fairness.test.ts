import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fairnessReport, groupMetricGap } from '../../validation/fairness';
import { MISSING_VALUE_TOKEN } from '../../validation/slices';
import { DATASET_FIXTURES, assertClose, assertMetricsClose, labelsOf, loadFixture, scoresOf } from './validation-helpers';

describe('fairness agrees with Fairlearn 0.13 on every fixture', () => {
  for (const name of DATASET_FIXTURES) {
    const fx = loadFixture(name);
    for (const [column, cells] of Object.entries(fx.inputs.protected_columns)) {
      it(`${name}: ${column}`, () => {
        const expected = fx.expected.fairness[column]!;
        const report = fairnessReport(labelsOf(fx), scoresOf(fx), cells, column, fx.inputs.threshold);
        const where = `${name} ${column}`;
        assertClose(report.demographic_parity_difference, expected.demographic_parity_difference, `${where} dp difference`);
        assertClose(report.demographic_parity_ratio, expected.demographic_parity_ratio, `${where} dp ratio`);
        assertClose(report.disparate_impact_ratio, expected.demographic_parity_ratio, `${where} disparate impact`);
        assertClose(report.equalized_odds_difference, expected.equalized_odds_difference, `${where} eo difference`);
        assertClose(report.equalized_odds_ratio, expected.equalized_odds_ratio, `${where} eo ratio`);
        assert.deepEqual(
          report.groups.map((g) => g.value),
          expected.groups.map((g) => g.value),
          `${where}: same groups in the same order`,
        );
        report.groups.forEach((g, i) => {
          const e = expected.groups[i]!;
          assert.equal(g.rows, e.rows, `${where} ${g.value} rows`);
          assertClose(g.selection_rate, e.selection_rate, `${where} ${g.value} selection rate`);
          assertClose(g.tpr, e.tpr, `${where} ${g.value} tpr`);
          assertClose(g.fpr, e.fpr, `${where} ${g.value} fpr`);
          assertMetricsClose(g, e.metrics, `${where} ${g.value}`);
        });
      });
    }
  }
});

describe('fairness conventions', () => {
  it('a group with no positives has TPR 0, as Fairlearn, and says so', () => {
    // Group a: TPR 1/2, FPR 1/2. Group b: no positives (TPR 0 by convention), FPR 2/2.
    const labels = new Float64Array([0, 0, 1, 1, 0, 0]);
    const scores = new Float64Array([0.9, 0.1, 0.9, 0.1, 0.9, 0.9]);
    const report = fairnessReport(labels, scores, ['a', 'a', 'a', 'a', 'b', 'b'], 'g', 0.5);
    const b = report.groups.find((g) => g.value === 'b')!;
    assert.equal(b.tpr, 0);
    assert.match(b.reasons.tpr!, /no positives in group/);
    assert.equal(b.fpr, 1);
    // Fairlearn: max(|0.5 - 0|, |0.5 - 1|) = 0.5; ratio min(0 / 0.5, 0.5 / 1) = 0.
    assert.equal(report.equalized_odds_difference, 0.5);
    assert.equal(report.equalized_odds_ratio, 0);
  });

  it('null cells form the "(missing)" group, listed last', () => {
    const report = fairnessReport(new Float64Array([1, 0, 1]), new Float64Array([0.9, 0.2, 0.7]), [null, 'x', 'a'], 'g', 0.5);
    assert.deepEqual(report.groups.map((g) => g.value), ['a', 'x', MISSING_VALUE_TOKEN]);
  });

  it('a literal "(missing)" category is refused: it would merge with the null group', () => {
    assert.throws(() => fairnessReport(new Float64Array([1]), new Float64Array([0.9]), [MISSING_VALUE_TOKEN], 'g', 0.5), /rename that category/);
  });

  it('ratios of all-zero rates are null with a reason, not NaN', () => {
    const report = fairnessReport(new Float64Array([1, 0, 1, 0]), new Float64Array([0.1, 0.2, 0.3, 0.4]), ['a', 'a', 'b', 'b'], 'g', 0.5);
    assert.equal(report.demographic_parity_difference, 0);
    assert.equal(report.demographic_parity_ratio, null);
    assert.match(report.reasons.demographic_parity_ratio!, /0\/0/);
    assert.equal(report.equalized_odds_ratio, null);
    assert.doesNotThrow(() => JSON.stringify(report));
  });

  it('NaN scores null every measure', () => {
    const report = fairnessReport(new Float64Array([1, 0]), new Float64Array([NaN, 0.2]), ['a', 'b'], 'g', 0.5);
    assert.equal(report.demographic_parity_difference, null);
    assert.match(report.reasons.equalized_odds_difference!, /NaN score/);
  });

  it('group metric gap: max − min over groups where the metric is defined', () => {
    const fx = loadFixture('awkward');
    const report = fairnessReport(labelsOf(fx), scoresOf(fx), fx.inputs.protected_columns.site!, 'site', fx.inputs.threshold);
    const aucs = fx.expected.fairness.site!.groups.map((g) => g.metrics.auc).filter((v): v is number => v !== null);
    const gap = groupMetricGap(report, 'auc');
    assertClose(gap.value, Math.max(...aucs) - Math.min(...aucs), 'auc gap');
    assert.equal(report.metric_gaps!.auc, gap.value);
    assert.equal(groupMetricGap({ ...report, groups: report.groups.slice(0, 1) }, 'auc').value, null);
  });
});
