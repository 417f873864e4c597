/**
 * driftReport end to end on a feature table whose expected statistics, Benjamini–Hochberg
 * adjustments and verdicts come from SciPy (test/fixtures/drift/report.json), plus the documented
 * edge cases: constant, sparse and all-missing columns, empty current data, unseen categories,
 * absent or mistyped columns.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnTable, FeatureSpec } from '../../core/types';
import { type ColumnDrift, driftReport, predictionDrift } from '../../validation/drift';
import { assertClose, loadFixture, PVALUE_TOL, STAT_TOL, toFloat64 } from './drift-fixtures';

type Verdicts = { verdict: string; drifted: boolean };
interface ColumnExpected {
  reference_rows: number;
  current_rows: number;
  missing_reference: number;
  missing_current: number;
  psi: number | null;
  js_distance: number | null;
  ks_statistic?: number | null;
  ks_pvalue?: number | null;
  chi2_statistic?: number;
  chi2_pvalue?: number;
  chi2_dof?: number;
  pvalue_adjusted?: number;
  verdict_psi_only: Verdicts;
  verdict_with_pvalue: Verdicts;
}
interface ReportFixture {
  thresholds: { psi_warn: number; psi_drift: number; min_rows: number };
  alpha: number;
  features: FeatureSpec[];
  reference: Record<string, (number | string | null)[]>;
  current: Record<string, (number | string | null)[]>;
  expected: Record<string, ColumnExpected>;
  prediction: { reference: (number | null)[]; current: (number | null)[]; expected: { psi: number; js_distance: number; ks_statistic: number; ks_pvalue: number } };
}

const fx = loadFixture<ReportFixture>('report');

function table(raw: Record<string, (number | string | null)[]>): ColumnTable {
  const columns: ColumnTable['columns'] = {};
  let rowCount = 0;
  for (const spec of fx.features) {
    const values = raw[spec.name]!;
    rowCount = values.length;
    columns[spec.name] = spec.type === 'numeric' ? toFloat64(values as (number | null)[]) : (values as (string | null)[]);
  }
  return { rowCount, columns };
}

const reference = table(fx.reference);
const current = table(fx.current);

function byName(columns: ColumnDrift[]): Map<string, ColumnDrift> {
  return new Map(columns.map((c) => [c.column, c]));
}

function assertAllFinite(value: unknown, path: string): void {
  if (typeof value === 'number') assert.ok(Number.isFinite(value), `${path} is ${value}`);
  else if (Array.isArray(value)) value.forEach((v, i) => assertAllFinite(v, `${path}[${i}]`));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) assertAllFinite(v, `${path}.${k}`);
}

function checkStatistics(got: ColumnDrift, e: ColumnExpected): void {
  const name = got.column;
  assert.equal(got.reference_rows, e.reference_rows, `${name}: reference_rows`);
  assert.equal(got.current_rows, e.current_rows, `${name}: current_rows`);
  assert.equal(got.missing_reference, e.missing_reference, `${name}: missing_reference`);
  assert.equal(got.missing_current, e.missing_current, `${name}: missing_current`);
  if (e.psi === null) {
    assert.equal(got.psi, null, `${name}: psi`);
    assert.equal(got.js_distance, null, `${name}: js`);
  } else {
    assertClose(got.psi, e.psi, STAT_TOL, `${name}: psi`);
    assertClose(got.js_distance, e.js_distance as number, STAT_TOL, `${name}: js`);
  }
  if (got.type === 'numeric') {
    if (e.ks_statistic === null) {
      assert.equal(got.ks_statistic, null);
      assert.equal(got.ks_pvalue, null);
    } else {
      assertClose(got.ks_statistic, e.ks_statistic as number, STAT_TOL, `${name}: ks statistic`);
      assertClose(got.ks_pvalue, e.ks_pvalue as number, PVALUE_TOL, `${name}: ks p-value`);
    }
  } else {
    assertClose(got.chi2_statistic, e.chi2_statistic as number, STAT_TOL, `${name}: chi2 statistic`);
    assertClose(got.chi2_pvalue, e.chi2_pvalue as number, PVALUE_TOL, `${name}: chi2 p-value`);
    assert.equal(got.chi2_dof, e.chi2_dof);
  }
}

describe('driftReport on the SciPy fixture table', () => {
  it('matches every statistic and the PSI-only verdicts', () => {
    const report = driftReport(reference, current, fx.features);
    const cols = byName(report.columns);
    assert.deepEqual([...cols.keys()], fx.features.map((f) => f.name), 'one result per feature, in order');
    for (const [name, e] of Object.entries(fx.expected)) {
      const got = cols.get(name)!;
      checkStatistics(got, e);
      assert.equal(got.verdict, e.verdict_psi_only.verdict, `${name}: verdict`);
      assert.equal(got.drifted, e.verdict_psi_only.drifted, `${name}: drifted`);
      assert.equal('ks_pvalue_adjusted' in got || 'chi2_pvalue_adjusted' in got, false, 'no adjusted p-values unless asked');
    }
    assert.deepEqual(report.drifted_columns, ['income', 'region']);
    assert.equal(report.evaluated_columns, 6);
    assert.equal(report.drifted_share, 2 / 6);
    assert.deepEqual(report.thresholds, fx.thresholds);
    assert.equal(report.correction, null);
    assert.equal(report.prediction, null);
  });

  it('with the p-value flag: Benjamini–Hochberg adjusted p-values and verdicts match SciPy', () => {
    const report = driftReport(reference, current, fx.features, { pvalueFlag: { alpha: fx.alpha } });
    const cols = byName(report.columns);
    for (const [name, e] of Object.entries(fx.expected)) {
      const got = cols.get(name)!;
      const adjusted = got.type === 'numeric' ? got.ks_pvalue_adjusted : got.chi2_pvalue_adjusted;
      if (e.pvalue_adjusted === undefined) assert.equal(adjusted, null, `${name}: outside the tested family`);
      else assertClose(adjusted, e.pvalue_adjusted, PVALUE_TOL, `${name}: adjusted p-value`);
      assert.equal(got.verdict, e.verdict_with_pvalue.verdict, `${name}: verdict with p-value flag`);
      assert.equal(got.drifted, e.verdict_with_pvalue.drifted, `${name}: drifted with p-value flag`);
    }
    assert.deepEqual(report.correction, { method: 'benjamini-hochberg', alpha: fx.alpha, tested_columns: 6 });
    // tenure: PSI alone says warn; its tiny adjusted p-value makes it drift.
    assert.match(cols.get('tenure')!.reason!, /adjusted p-value .* < alpha 0.05/);
  });

  it('explains the edge cases in words', () => {
    const cols = byName(driftReport(reference, current, fx.features).columns);
    assert.match(cols.get('gone')!.reason!, /column 'gone': the current data has no non-missing values \(1200 rows, all missing\)/);
    assert.match(cols.get('sparse')!.reason!, /fewer than min_rows 100; statistics are shown but decide nothing/);
    assert.match(cols.get('flag_rate')!.reason!, /reference is constant \(1\): PSI uses 2 bins/);
    const flag = cols.get('flag_rate')!;
    assert.equal(flag.verdict, 'pass');
    assert.equal(flag.psi, 0);
    assert.match(cols.get('region')!.reason!, /PSI .* >= 0.25; 1 category never seen in the reference: 'west'/);
    const region = cols.get('region')!;
    assert.equal(region.type === 'categorical' && region.categories_only_in_current, 1);
    assert.equal(cols.get('age')!.reason, undefined, 'a plain pass needs no explanation');
  });

  it('is JSON-serialisable: no NaN or Infinity anywhere, even for empty and missing columns', () => {
    const report = driftReport(reference, current, fx.features, {
      pvalueFlag: {},
      predictions: { reference: toFloat64(fx.prediction.reference), current: toFloat64(fx.prediction.current) },
    });
    assertAllFinite(report, 'report');
    assert.deepEqual(JSON.parse(JSON.stringify(report)), report);
  });

  it('reports prediction drift with the numeric treatment', () => {
    const e = fx.prediction.expected;
    const p = driftReport(reference, current, fx.features, {
      predictions: { reference: toFloat64(fx.prediction.reference), current: toFloat64(fx.prediction.current) },
    }).prediction!;
    assert.equal(p.column, 'prediction');
    assertClose(p.psi, e.psi, STAT_TOL, 'prediction psi');
    assertClose(p.js_distance, e.js_distance, STAT_TOL, 'prediction js');
    assertClose(p.ks_statistic, e.ks_statistic, STAT_TOL, 'prediction ks');
    assertClose(p.ks_pvalue, e.ks_pvalue, PVALUE_TOL, 'prediction ks p');
    const alone = predictionDrift(toFloat64(fx.prediction.reference), toFloat64(fx.prediction.current), { name: 'score' });
    assert.equal(alone.column, 'score');
    assert.equal(alone.psi, p.psi);
    assert.equal(alone.verdict, 'pass', `PSI ${alone.psi} < 0.1`);
    // With alpha, the (single, uncorrected) KS p-value of ~4e-8 flags the shift PSI calls small.
    const flagged = predictionDrift(toFloat64(fx.prediction.reference), toFloat64(fx.prediction.current), { alpha: 0.01 });
    assert.equal(flagged.verdict, 'fail');
    assert.equal(flagged.ks_pvalue_adjusted, flagged.ks_pvalue);
    assert.match(flagged.reason!, /^KS p-value 3.95e-8 < alpha 0.01 \(PSI 0.0781\)/);
  });
});

describe('driftReport thresholds and edge cases', () => {
  it('thresholds are configurable', () => {
    const strict = byName(driftReport(reference, current, fx.features, { thresholds: { psiWarn: 0.005, minRows: 50 } }).columns);
    assert.equal(strict.get('age')!.verdict, 'warn', `age PSI ${strict.get('age')!.psi} >= 0.005`);
    assert.notEqual(strict.get('sparse')!.verdict, 'insufficient_data', 'sparse has >= 50 values');
    const lax = driftReport(reference, current, fx.features, { thresholds: { psiWarn: 5, psiDrift: 10 } });
    assert.deepEqual(lax.drifted_columns, []);
    assert.equal(lax.drifted_share, 0);
  });

  it('the PSI boundaries are inclusive', () => {
    const psiOf = (name: string) => byName(driftReport(reference, current, fx.features).columns).get(name)!.psi!;
    const tenure = psiOf('tenure');
    const at = byName(driftReport(reference, current, fx.features, { thresholds: { psiWarn: tenure / 2, psiDrift: tenure } }).columns);
    assert.equal(at.get('tenure')!.verdict, 'fail');
    const warnAt = byName(driftReport(reference, current, fx.features, { thresholds: { psiWarn: tenure } }).columns);
    assert.equal(warnAt.get('tenure')!.verdict, 'warn');
  });

  it('empty current data: every column insufficient_data with a reason, drifted_share null', () => {
    const empty: ColumnTable = {
      rowCount: 0,
      columns: Object.fromEntries(fx.features.map((f) => [f.name, f.type === 'numeric' ? new Float64Array(0) : []])),
    };
    const report = driftReport(reference, empty, fx.features, { pvalueFlag: { alpha: 0.1 } });
    for (const c of report.columns) {
      assert.equal(c.verdict, 'insufficient_data');
      assert.equal(c.psi, null);
      assert.match(c.reason!, new RegExp(`column '${c.column}': the current data has no rows`));
    }
    assert.equal(report.drifted_share, null);
    assert.equal(report.evaluated_columns, 0);
    assert.deepEqual(report.correction, { method: 'benjamini-hochberg', alpha: 0.1, tested_columns: 0 });
  });

  it('an absent or mistyped column gets a reason naming the column and the fix', () => {
    const cur: ColumnTable = { rowCount: 3, columns: { a: Float64Array.from([1, 2, 3]), b: ['x', 'y', 'z'] } };
    const ref: ColumnTable = { rowCount: 3, columns: { a: Float64Array.from([1, 2, 3]), b: ['x', 'y', 'z'] } };
    const report = driftReport(ref, cur, [
      { name: 'missing_col', type: 'numeric' },
      { name: 'b', type: 'numeric' },
    ]);
    const [absent, mistyped] = report.columns;
    assert.equal(absent!.verdict, 'insufficient_data');
    assert.match(absent!.reason!, /column 'missing_col' is not in the reference table: add it to the data, or drop it from the feature list/);
    assert.match(mistyped!.reason!, /column 'b' is declared numeric but the reference table holds an array of categories: pass a Float64Array/);
  });

  it('all-missing categorical column: statistics over the (missing) category, but no verdict', () => {
    const ref: ColumnTable = { rowCount: 200, columns: { c: Array.from({ length: 200 }, (_, i) => (i % 2 ? 'a' : 'b')) } };
    const cur: ColumnTable = { rowCount: 150, columns: { c: new Array<string | null>(150).fill(null) } };
    const [c] = driftReport(ref, cur, [{ name: 'c', type: 'categorical' }]).columns;
    assert.equal(c!.verdict, 'insufficient_data');
    assert.equal(c!.missing_current, 150);
    assert.ok(c!.psi! > 5, 'everything moved to (missing)');
    assert.match(c!.reason!, /no non-missing values \(150 rows, all missing\)/);
  });

  it('rejects bad options with a message naming the setting', () => {
    const f = fx.features;
    assert.throws(() => driftReport(reference, current, f, { thresholds: { psiWarn: 0.3, psiDrift: 0.2 } }), /psiDrift \(0.2\) must be >= psiWarn \(0.3\)/);
    assert.throws(() => driftReport(reference, current, f, { thresholds: { minRows: 0 } }), /minRows must be an integer >= 1/);
    assert.throws(() => driftReport(reference, current, f, { pvalueFlag: { alpha: 1.5 } }), /alpha must be in \(0, 1\)/);
    assert.throws(() => driftReport(reference, current, [f[0]!, f[0]!]), /feature 'age' is listed twice/);
  });
});
