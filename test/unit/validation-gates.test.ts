import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyOverride, blockingFailures, GateOverrideError, runGates } from '../../validation/gates';
import { buildEvaluationReport } from '../../validation/report';
import {
  METRIC_NAMES,
  type DeltaSet,
  type EvaluationReport,
  type FairnessReport,
  type GateConfig,
  type GateContext,
  type IntervalSet,
  type MetricName,
  type MetricSet,
  type SliceReport,
} from '../../validation/types';
import { baselineOf, labelsOf, loadFixture, scoresOf } from './validation-helpers';

type Values = Partial<Record<MetricName, number | null>>;

function metricSet(values: Values = {}): MetricSet {
  const set = { reasons: {} } as MetricSet;
  for (const m of METRIC_NAMES) {
    set[m] = values[m] === undefined ? 0.5 : values[m]!;
    if (set[m] === null) set.reasons[m] = 'only one class present';
  }
  return set;
}

function intervals(values: Partial<Record<MetricName, [number, number] | null>> = {}): IntervalSet {
  return Object.fromEntries(METRIC_NAMES.map((m) => [m, values[m] === undefined ? [0.4, 0.6] : values[m]])) as IntervalSet;
}

function deltas(values: Partial<Record<MetricName, { value: number | null; ci: [number, number] | null }>> = {}): DeltaSet {
  return Object.fromEntries(METRIC_NAMES.map((m) => [m, values[m] ?? { value: 0, ci: [-0.001, 0.001] }])) as DeltaSet;
}

interface Fake {
  overall?: Values;
  ci?: Partial<Record<MetricName, [number, number] | null>>;
  champion?: { overall?: Values; ci?: Partial<Record<MetricName, [number, number] | null>> };
  delta?: Partial<Record<MetricName, { value: number | null; ci: [number, number] | null }>>;
  slices?: SliceReport[];
  fairness?: Record<string, FairnessReport>;
  championFairness?: Record<string, FairnessReport>;
  churn?: number | null;
}

/** A hand-made report: every figure the gate under test reads is set explicitly. */
function fakeReport(f: Fake = {}): EvaluationReport {
  const report: EvaluationReport = {
    rows: 1000,
    unlabelledRows: 0,
    nanScoreRows: 0,
    threshold: 0.5,
    overall: metricSet(f.overall),
    ci: intervals(f.ci),
    bootstrap: { method: 'percentile', replicates: 1000, seed: 1, confidence: 0.95, skipped: {}, slices: true },
    slices: f.slices ?? [],
    fairness: f.fairness ?? {},
    curves: { roc: [], pr: [], reliability: [] },
    notes: [],
  };
  if (f.champion) {
    report.baseline = { overall: metricSet(f.champion.overall), ci: intervals(f.champion.ci), nanScoreRows: 0, curves: report.curves, fairness: f.championFairness ?? {} };
    report.delta = deltas(f.delta);
    if (f.churn !== undefined) {
      report.churn = f.churn === null
        ? { value: null, baseline_correct: 0, flipped_to_wrong: 0, reason: 'the baseline classifies no labelled row correctly' }
        : { value: f.churn, baseline_correct: 800, flipped_to_wrong: Math.round(f.churn * 800) };
    }
  }
  return report;
}

const CHAMPION: GateContext = { hasChampion: true };
const FIRST_RUN: GateContext = { hasChampion: false };

function only(report: EvaluationReport, config: GateConfig, context: GateContext = CHAMPION) {
  const results = runGates(report, config, context);
  assert.equal(results.length, 1, `expected one result, got ${results.map((r) => r.gate).join(', ')}`);
  return results[0]!;
}

describe('runGates', () => {
  it('an absent section yields no gate; an empty config yields nothing', () => {
    assert.deepEqual(runGates(fakeReport(), {}, CHAMPION), []);
  });

  it('a present section without thresholds is skipped, saying so', () => {
    for (const config of [
      { golden: {} },
      { fairness: {} },
      { operational: {} },
      { min_performance: { metric: 'auc' } } as unknown as GateConfig,
    ] as GateConfig[]) {
      const r = only(fakeReport(), config);
      assert.equal(r.verdict, 'skipped');
      assert.match(r.evidence, /without a threshold/);
    }
  });

  it('a misspelt metric is a configuration error naming the field', () => {
    assert.throws(
      () => runGates(fakeReport(), { min_performance: { metric: 'AUC' as MetricName, min: 0.7 } }, CHAMPION),
      /min_performance.metric is "AUC": use one of auc, average_precision/,
    );
  });

  it('blocking defaults to true and follows the config', () => {
    assert.equal(only(fakeReport({ overall: { auc: 0.7 } }), { min_performance: { metric: 'auc', min: 0.75 } }).blocking, true);
    assert.equal(only(fakeReport({ overall: { auc: 0.7 } }), { min_performance: { metric: 'auc', min: 0.75, blocking: false } }).blocking, false);
  });
});

describe('min_performance', () => {
  it('passes at or above the floor, fails below, with value and threshold', () => {
    const pass = only(fakeReport({ overall: { auc: 0.8 } }), { min_performance: { metric: 'auc', min: 0.75 } });
    assert.deepEqual([pass.verdict, pass.value, pass.threshold], ['pass', 0.8, 0.75]);
    assert.equal(only(fakeReport({ overall: { auc: 0.75 } }), { min_performance: { metric: 'auc', min: 0.75 } }).verdict, 'pass');
    const fail = only(fakeReport({ overall: { auc: 0.7 } }), { min_performance: { metric: 'auc', min: 0.75 } });
    assert.equal(fail.verdict, 'fail');
    assert.match(fail.evidence, /candidate auc 0\.7 .*is not at least the floor 0\.75/);
  });

  it('ratchet: the floor rises to the champion\'s lower bound minus the margin', () => {
    const report = fakeReport({ overall: { auc: 0.8 }, champion: { overall: { auc: 0.84 }, ci: { auc: [0.82, 0.86] } } });
    const r = only(report, { min_performance: { metric: 'auc', min: 0.75, ratchet: true, margin: 0.01 } });
    assert.equal(r.verdict, 'fail');
    assert.ok(Math.abs(r.threshold! - 0.81) < 1e-12);
    assert.match(r.evidence, /ratchet: champion's lower 95% bound 0\.82 - margin 0\.01 = 0\.81/);
    assert.match(r.evidence, /champion 0\.84/);
  });

  it('ratchet: the floor never falls below the configured min or the previous floor', () => {
    const weak = fakeReport({ overall: { auc: 0.77 }, champion: { overall: { auc: 0.65 }, ci: { auc: [0.6, 0.7] } } });
    const config: GateConfig = { min_performance: { metric: 'auc', min: 0.75, ratchet: true, margin: 0.01 } };
    assert.equal(only(weak, config).threshold, 0.75);
    assert.equal(only(weak, config).verdict, 'pass');
    const held = only(weak, config, { hasChampion: true, previousFloor: 0.79 });
    assert.equal(held.threshold, 0.79);
    assert.equal(held.verdict, 'fail');
    assert.match(held.evidence, /previous floor 0\.79/);
  });

  it('ratchet without a champion uses the configured floor', () => {
    const r = only(fakeReport({ overall: { auc: 0.76 } }), { min_performance: { metric: 'auc', min: 0.75, ratchet: true } }, FIRST_RUN);
    assert.deepEqual([r.verdict, r.threshold], ['pass', 0.75]);
    assert.match(r.evidence, /no champion interval yet/);
  });

  it('lower-is-better: min is a ceiling, and the ratchet lowers it', () => {
    const config: GateConfig = { min_performance: { metric: 'log_loss', min: 0.5, ratchet: true, margin: 0.01 } };
    assert.equal(only(fakeReport({ overall: { log_loss: 0.45 } }), config, FIRST_RUN).verdict, 'pass');
    assert.equal(only(fakeReport({ overall: { log_loss: 0.55 } }), config, FIRST_RUN).verdict, 'fail');
    const strong = fakeReport({ overall: { log_loss: 0.46 }, champion: { overall: { log_loss: 0.42 }, ci: { log_loss: [0.4, 0.44] } } });
    const r = only(strong, config);
    assert.ok(Math.abs(r.threshold! - 0.45) < 1e-12);
    assert.equal(r.verdict, 'fail');
    assert.match(r.evidence, /at most the ceiling 0\.45/);
    assert.match(r.evidence, /upper 95% bound 0\.44 \+ margin 0\.01/);
  });

  it('an undefined candidate metric fails: unmeasurable is not proven good', () => {
    const r = only(fakeReport({ overall: { auc: null } }), { min_performance: { metric: 'auc', min: 0.75 } });
    assert.equal(r.verdict, 'fail');
    assert.equal(r.value, null);
    assert.match(r.evidence, /undefined \(only one class present\)/);
  });
});

describe('non_regression', () => {
  const config: GateConfig = { non_regression: { metric: 'auc', max_drop: 0.01 } };

  it('first run: skipped, absolute gates only', () => {
    const r = only(fakeReport(), config, FIRST_RUN);
    assert.equal(r.verdict, 'skipped');
    assert.equal(r.evidence, 'no champion yet: absolute gates only');
  });

  it('judges the lower bound of the paired delta', () => {
    const at = (value: number, ci: [number, number]) =>
      only(fakeReport({ overall: { auc: 0.8 }, champion: { overall: { auc: 0.8 - value } }, delta: { auc: { value, ci } } }), config);
    const pass = at(0.01, [-0.005, 0.02]);
    assert.deepEqual([pass.verdict, pass.value, pass.threshold], ['pass', -0.005, -0.01]);
    const fail = at(0.0, [-0.02, 0.01]);
    assert.equal(fail.verdict, 'fail');
    assert.match(fail.evidence, /the lower 95% paired-bootstrap bound of candidate - champion is -0\.02, below the limit -0\.01 \(max drop 0\.01\)/);
    const warn = at(-0.002, [-0.008, 0.004]);
    assert.equal(warn.verdict, 'warn');
    assert.match(warn.evidence, /point estimate is worse/);
  });

  it('lower-is-better: judges the upper bound; a rise is the drop', () => {
    const cfg: GateConfig = { non_regression: { metric: 'log_loss', max_drop: 0.02 } };
    const at = (value: number, ci: [number, number]) =>
      only(fakeReport({ overall: { log_loss: 0.4 }, champion: { overall: { log_loss: 0.4 - value } }, delta: { log_loss: { value, ci } } }), cfg);
    const fail = at(0.01, [-0.01, 0.03]);
    assert.deepEqual([fail.verdict, fail.value, fail.threshold], ['fail', 0.03, 0.02]);
    assert.match(fail.evidence, /upper 95% paired-bootstrap bound of candidate - champion is \+0\.03, above the limit \+0\.02 \(max rise 0\.02\)/);
    assert.equal(at(-0.01, [-0.03, 0.01]).verdict, 'pass'); // lower log loss is better
    assert.equal(at(0.005, [-0.01, 0.015]).verdict, 'warn');
  });

  it('an undefined champion figure is insufficient_data; an undefined candidate fails', () => {
    const noChampion = fakeReport({ overall: { auc: 0.8 }, champion: { overall: { auc: null } }, delta: { auc: { value: null, ci: null } } });
    assert.equal(only(noChampion, config).verdict, 'insufficient_data');
    const noCandidate = fakeReport({ overall: { auc: null }, champion: {}, delta: { auc: { value: null, ci: null } } });
    assert.equal(only(noCandidate, config).verdict, 'fail');
  });
});

function slice(column: string, value: string, rows: number, candidate: number, champion: number, ci: [number, number] | null): SliceReport {
  return {
    column,
    value,
    rows,
    status: rows >= 50 ? 'ok' : 'insufficient_data',
    ...metricSet({ auc: candidate }),
    baseline: metricSet({ auc: champion }),
    delta: deltas({ auc: { value: candidate - champion, ci } }),
  };
}

describe('slice_non_regression', () => {
  const config: GateConfig = { slice_non_regression: { metric: 'auc', max_drop: 0.02, min_rows: 100 } };

  it('one result per slice, named column=value; small slices are insufficient_data', () => {
    const report = fakeReport({
      champion: {},
      slices: [
        slice('region', 'north', 500, 0.8, 0.79, [-0.01, 0.03]),
        slice('region', 'south', 400, 0.7, 0.75, [-0.08, -0.02]),
        slice('region', 'tiny', 40, 0.5, 0.9, [-0.6, -0.2]),
        slice('region', 'mid', 150, 0.74, 0.75, null),
      ],
    });
    const results = runGates(report, config, CHAMPION);
    assert.deepEqual(results.map((r) => [r.gate, r.verdict]), [
      ['slice_non_regression:region=north', 'pass'],
      ['slice_non_regression:region=south', 'fail'],
      ['slice_non_regression:region=tiny', 'insufficient_data'],
      ['slice_non_regression:region=mid', 'warn'],
    ]);
    assert.match(results[1]!.evidence, /slice region=south \(400 rows\).*paired-bootstrap bound/);
    assert.match(results[2]!.evidence, /40 rows, fewer than min_rows 100/);
    assert.match(results[3]!.evidence, /point delta candidate - champion is -0\.01 \(no interval/);
  });

  it('a slice where the metric is undefined (one class) is insufficient_data', () => {
    const s = slice('region', 'one_class', 500, 0.5, 0.5, null);
    s.auc = null;
    s.reasons.auc = 'only one class present';
    const r = only(fakeReport({ champion: {}, slices: [s] }), config);
    assert.equal(r.verdict, 'insufficient_data');
    assert.match(r.evidence, /only one class present/);
  });

  it('first run: skipped', () => {
    assert.equal(only(fakeReport(), config, FIRST_RUN).verdict, 'skipped');
  });
});

function fairness(column: string, f: Partial<FairnessReport>, groupAucs: (number | null)[] = [0.8, 0.7]): FairnessReport {
  return {
    column,
    demographic_parity_difference: 0.05,
    demographic_parity_ratio: 0.9,
    equalized_odds_difference: 0.05,
    equalized_odds_ratio: 0.9,
    disparate_impact_ratio: 0.9,
    groups: groupAucs.map((auc, i) => ({
      value: `g${i}`,
      rows: 100,
      positives: 30,
      negatives: 70,
      selection_rate: 0.3,
      tpr: 0.5,
      fpr: 0.1,
      ...metricSet({ auc }),
    })),
    metric_gaps: Object.fromEntries(METRIC_NAMES.map((m) => [m, null])) as FairnessReport['metric_gaps'],
    reasons: {},
    ...f,
  };
}

describe('fairness', () => {
  const config: GateConfig = {
    fairness: {
      max_demographic_parity_difference: 0.1,
      max_equalized_odds_difference: 0.1,
      min_disparate_impact_ratio: 0.8,
      max_group_metric_gap: { metric: 'auc', max: 0.05 },
    },
  };

  it('one result per protected column and measure', () => {
    const report = fakeReport({
      fairness: {
        sex: fairness('sex', {}),
        age: fairness('age', { demographic_parity_difference: 0.2, disparate_impact_ratio: 0.7, equalized_odds_difference: null, reasons: { equalized_odds_difference: 'no labelled rows' } }, [0.8, 0.78]),
      },
    });
    const results = runGates(report, config, CHAMPION);
    assert.deepEqual(results.map((r) => [r.gate, r.verdict]), [
      ['fairness:sex:demographic_parity_difference', 'pass'],
      ['fairness:sex:equalized_odds_difference', 'pass'],
      ['fairness:sex:disparate_impact_ratio', 'pass'],
      ['fairness:sex:auc_gap', 'fail'],
      ['fairness:age:demographic_parity_difference', 'fail'],
      ['fairness:age:equalized_odds_difference', 'insufficient_data'],
      ['fairness:age:disparate_impact_ratio', 'fail'],
      ['fairness:age:auc_gap', 'pass'],
    ]);
    assert.match(results[3]!.evidence, /auc gap across sex groups is 0\.1 \(highest g0, lowest g1\)/);
    assert.match(results[6]!.evidence, /disparate_impact_ratio on age is 0\.7, minimum 0\.8: violated/);
  });

  it('names the champion\'s figure when there is one', () => {
    const report = fakeReport({
      champion: {},
      fairness: { sex: fairness('sex', { demographic_parity_difference: 0.12 }) },
      championFairness: { sex: fairness('sex', { demographic_parity_difference: 0.03 }, [0.8, 0.79]) },
    });
    const results = runGates(report, { fairness: { max_demographic_parity_difference: 0.1, max_group_metric_gap: { metric: 'auc', max: 0.2 } } }, CHAMPION);
    assert.match(results[0]!.evidence, /demographic_parity_difference on sex is 0\.12 \(champion 0\.03\), limit 0\.1: violated/);
    assert.match(results[1]!.evidence, /auc gap across sex groups is 0\.1 \(champion 0\.01\)/);
  });

  it('no protected columns: skipped', () => {
    const r = only(fakeReport(), config);
    assert.equal(r.verdict, 'skipped');
    assert.match(r.evidence, /no protected columns/);
  });
});

describe('golden, churn, calibration, importance_shift, operational', () => {
  const golden = (failed: number) => ({
    threshold: 0.5,
    cases: Array.from({ length: 10 }, (_, i) => ({ id: `case-${i}`, score: 0.5, pass: i >= failed, problems: i >= failed ? [] : ['x'] })),
    failures: Array.from({ length: failed }, (_, i) => ({ id: `case-${i}`, score: 0.5, pass: false, problems: ['x'] })),
    passed: 10 - failed,
    failed,
  });

  it('golden: pass, warn within the allowance, fail beyond; missing evidence is insufficient_data', () => {
    const config: GateConfig = { golden: { max_failures: 1 } };
    assert.equal(only(fakeReport(), config, { hasChampion: true, golden: golden(0) }).verdict, 'pass');
    assert.equal(only(fakeReport(), config, { hasChampion: true, golden: golden(1) }).verdict, 'warn');
    const fail = only(fakeReport(), config, { hasChampion: true, golden: golden(2) });
    assert.equal(fail.verdict, 'fail');
    assert.match(fail.evidence, /fails 2 of 10 golden cases \(case-0, case-1\); at most 1 allowed/);
    assert.equal(only(fakeReport(), config).verdict, 'insufficient_data');
  });

  it('churn: judged against max; skipped on the first run; undefined is insufficient_data', () => {
    const config: GateConfig = { churn: { max: 0.05 } };
    assert.equal(only(fakeReport({ champion: {}, churn: 0.03 }), config).verdict, 'pass');
    const fail = only(fakeReport({ champion: {}, churn: 0.1 }), config);
    assert.equal(fail.verdict, 'fail');
    assert.match(fail.evidence, /gets wrong 80 of the 800 rows the champion gets right/);
    assert.equal(only(fakeReport({ champion: {}, churn: null }), config).verdict, 'insufficient_data');
    assert.equal(only(fakeReport(), config, FIRST_RUN).verdict, 'skipped');
  });

  it('calibration: ECE at most max_ece (lower is better)', () => {
    const config: GateConfig = { calibration: { max_ece: 0.05 } };
    assert.equal(only(fakeReport({ overall: { ece: 0.04 } }), config).verdict, 'pass');
    assert.equal(only(fakeReport({ overall: { ece: 0.06 } }), config).verdict, 'fail');
    assert.equal(only(fakeReport({ overall: { ece: null } }), config).verdict, 'fail');
  });

  it('importance_shift: fail below the correlation, warn on new top features, pass otherwise', () => {
    const config: GateConfig = { importance_shift: { min_rank_correlation: 0.5, top_k: 2 } };
    const imp = (pairs: [string, number][]) => pairs.map(([feature, mean]) => ({ feature, mean, std: 0, drops: [mean] }));
    const champion = imp([['a', 0.3], ['b', 0.2], ['c', 0.1], ['d', 0.05]]);
    const same = only(fakeReport(), config, { hasChampion: true, importance: { candidate: imp([['a', 0.31], ['b', 0.19], ['c', 0.09], ['d', 0.04]]), champion } });
    assert.deepEqual([same.verdict, same.value], ['pass', 1]);
    const fresh = only(fakeReport(), config, { hasChampion: true, importance: { candidate: imp([['a', 0.3], ['c', 0.2], ['b', 0.1], ['d', 0.05]]), champion } });
    assert.equal(fresh.verdict, 'warn');
    assert.match(fresh.evidence, /new in the top 2: c/);
    const flipped = only(fakeReport(), config, { hasChampion: true, importance: { candidate: imp([['a', 0.05], ['b', 0.1], ['c', 0.2], ['d', 0.3]]), champion } });
    assert.deepEqual([flipped.verdict, flipped.value], ['fail', -1]);
    assert.equal(only(fakeReport(), config).verdict, 'insufficient_data');
    assert.equal(only(fakeReport(), config, FIRST_RUN).verdict, 'skipped');
  });

  it('operational: latency and size within budget; unmeasured is insufficient_data', () => {
    const config: GateConfig = { operational: { max_p99_latency_ms_per_row: 2, max_artifact_bytes: 1000 } };
    const results = runGates(fakeReport(), config, { hasChampion: true, latencyP99MsPerRow: 3, artifactBytes: 900 });
    assert.deepEqual(results.map((r) => [r.gate, r.verdict]), [
      ['operational:p99_latency_ms_per_row', 'fail'],
      ['operational:artifact_bytes', 'pass'],
    ]);
    assert.equal(runGates(fakeReport(), config, CHAMPION)[0]!.verdict, 'insufficient_data');
  });
});

describe('overrides', () => {
  const results = runGates(
    fakeReport({ overall: { auc: 0.7, ece: 0.2 } }),
    { min_performance: { metric: 'auc', min: 0.75 }, calibration: { max_ece: 0.1 } },
    FIRST_RUN,
  );
  const override = { by: 'alice', reason: 'known label delay in this window', at: '2024-05-01T10:00:00Z' };

  it('an admin lifts the block; the verdict stays fail and the override is recorded', () => {
    assert.equal(blockingFailures(results).length, 2);
    const after = applyOverride(results, 'min_performance', override, ['alice', 'bob']);
    const gate = after.find((r) => r.gate === 'min_performance')!;
    assert.equal(gate.verdict, 'fail');
    assert.equal(gate.blocking, false);
    assert.deepEqual(gate.override, override);
    assert.deepEqual(blockingFailures(after).map((r) => r.gate), ['calibration']);
    assert.equal(results[0]!.blocking, true, 'input not modified');
  });

  it('a non-admin is refused with a clear error', () => {
    assert.throws(
      () => applyOverride(results, 'min_performance', { ...override, by: 'mallory' }, ['alice', 'bob']),
      (e: Error) => e instanceof GateOverrideError && /mallory may not override gate min_performance: only admins \(alice, bob\)/.test(e.message),
    );
  });

  it('an unknown gate, a passing gate, or a missing reason is refused', () => {
    assert.throws(() => applyOverride(results, 'nope', override, ['alice']), /no gate named nope/);
    const passing = runGates(fakeReport({ overall: { auc: 0.8 } }), { min_performance: { metric: 'auc', min: 0.75 } }, FIRST_RUN);
    assert.throws(() => applyOverride(passing, 'min_performance', override, ['alice']), /did not fail/);
    assert.throws(() => applyOverride(results, 'min_performance', { ...override, reason: ' ' }, ['alice']), /needs a reason/);
  });
});

describe('gates on a real report', () => {
  it('a worse candidate fails non-regression against the champion it would replace', () => {
    const fx = loadFixture('basic');
    // The fixture's baseline scores are the noisier model: use them as the candidate.
    const report = buildEvaluationReport({
      labels: labelsOf(fx),
      scores: baselineOf(fx)!,
      baselineScores: scoresOf(fx),
      sliceColumns: fx.inputs.slice_columns,
      protectedColumns: fx.inputs.protected_columns,
      threshold: 0.5,
      bootstrap: { replicates: 200, seed: 3 },
      minSliceRows: 50,
    });
    const results = runGates(report, {
      min_performance: { metric: 'auc', min: 0.6 },
      non_regression: { metric: 'auc', max_drop: 0.01 },
      slice_non_regression: { metric: 'auc', max_drop: 0.05, min_rows: 100 },
    });
    const byName = Object.fromEntries(results.map((r) => [r.gate, r]));
    assert.equal(byName.min_performance!.verdict, 'pass');
    assert.equal(byName.non_regression!.verdict, 'fail');
    assert.ok(report.delta!.auc.ci![1] < 0, 'the whole delta interval is below zero');
    assert.ok(blockingFailures(results).some((r) => r.gate === 'non_regression'));
    assert.ok(results.some((r) => r.gate.startsWith('slice_non_regression:region=')));
  });
});
