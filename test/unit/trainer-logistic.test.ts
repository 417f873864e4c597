import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ColumnTable, FeatureSpec } from '../../core/types';
import { TrainerError } from '../../trainers/errors';
import { fitLogistic, predictLogistic, type IterationInfo, type LogisticModel } from '../../trainers/logistic';
import { buildDesign, fitPreprocessing } from '../../trainers/preprocessing';
import { SYNTHETIC_FEATURES, syntheticTable } from '../fixtures/trainers/synthetic';

const numeric = (name: string): FeatureSpec => ({ name, type: 'numeric' });
const categorical = (name: string): FeatureSpec => ({ name, type: 'categorical' });

test('numeric preprocessing: median imputation, then mean and population std of the imputed column', () => {
  const table: ColumnTable = { rowCount: 5, columns: { x: Float64Array.from([1, Number.NaN, 3, 10, Number.NaN]), k: new Float64Array(5).fill(3) } };
  const pre = fitPreprocessing(table, [numeric('x'), numeric('k')], 50);
  // Imputed column: [1, 3, 3, 10, 3] → mean 4, population variance (9+1+1+36+1)/5 = 9.6.
  assert.deepEqual(pre.numeric[0], { name: 'x', median: 3, mean: 4, std: Math.sqrt(9.6) });
  assert.deepEqual(pre.numeric[1], { name: 'k', median: 3, mean: 3, std: 1 }, 'a constant column keeps scale 1');
  const design = buildDesign(pre, table);
  assert.ok(Math.abs(design.numeric[2]! - (3 - 4) / Math.sqrt(9.6)) < 1e-15, 'a missing value becomes the standardised median');
  assert.equal(design.numeric[3], 0);
});

test('categorical preprocessing: most frequent first, ties alphabetical, capped; missing, "" and rare values are all-zero', () => {
  const values = ['b', 'a', 'c', 'a', 'b', 'd', null, '', 'c', 'a'];
  const table: ColumnTable = { rowCount: values.length, columns: { c: values } };
  const pre = fitPreprocessing(table, [categorical('c')], 3);
  assert.deepEqual(pre.categorical[0]!.categories, ['a', 'b', 'c']); // a:3, b:2, c:2 (b before c), d:1 dropped
  const design = buildDesign(pre, table);
  assert.deepEqual(Array.from(design.active), [1, 0, 2, 0, 1, -1, -1, -1, 2, 0]);
  const unseen = buildDesign(pre, { rowCount: 1, columns: { c: ['zzz'] } });
  assert.deepEqual(Array.from(unseen.active), [-1]);
});

/** The penalised objective, computed independently of the solver from predicted probabilities. */
function objective(model: LogisticModel, table: ColumnTable, labels: Float64Array): number {
  const p = predictLogistic(model, table);
  let sum = 0;
  for (let i = 0; i < labels.length; i++) sum -= labels[i] === 1 ? Math.log(p[i]!) : Math.log(1 - p[i]!);
  return sum + 0.5 * model.params.l2 * model.weights.reduce((s, w) => s + w * w, 0);
}

test('the fit is a minimum: nudging any coefficient or the intercept raises the objective', () => {
  const { table, labels } = syntheticTable(1500, 21);
  const model = fitLogistic(table, labels, SYNTHETIC_FEATURES, { l2: 2 });
  assert.equal(model.training.converged, true);
  assert.ok(model.training.iterations >= 3 && model.training.iterations < 20, `${model.training.iterations} iterations`);
  const best = objective(model, table, labels);
  const h = 1e-3;
  for (let j = 0; j <= model.weights.length; j++) {
    for (const delta of [h, -h]) {
      const nudged: LogisticModel =
        j === model.weights.length
          ? { ...model, intercept: model.intercept + delta }
          : { ...model, weights: model.weights.map((w, k) => (k === j ? w + delta : w)) };
      assert.ok(objective(nudged, table, labels) > best, `moving ${model.columns[j] ?? 'intercept'} by ${delta} lowered the objective`);
    }
  }
  // And the effects built into the data are found.
  const weight = (name: string) => model.weights[model.columns.indexOf(name)]!;
  assert.ok(weight('region=north') > weight('region=south'));
  assert.ok(weight('tenure') < 0 && weight('age') > 0);
  assert.equal(weight('constant'), 0, 'a constant column carries no information');
});

test('fitting is deterministic and reports decreasing loss per iteration', () => {
  const { table, labels } = syntheticTable(800, 5);
  const seen: IterationInfo[] = [];
  const a = fitLogistic(table, labels, SYNTHETIC_FEATURES, {}, (info) => seen.push(info));
  const b = fitLogistic(table, labels, SYNTHETIC_FEATURES, {});
  assert.deepEqual(a, b);
  assert.equal(seen.length, a.training.iterations);
  for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.loss <= seen[i - 1]!.loss + 1e-9 * Math.abs(seen[i - 1]!.loss));
  assert.deepEqual(a.params, { l2: 1, maxIter: 100, tol: 1e-8, maxCategories: 50 });
  assert.ok(JSON.parse(JSON.stringify(a)).weights.length === a.weights.length, 'the model is plain JSON');
});

test('maxIter stops the solver and says it did not converge', () => {
  const { table, labels } = syntheticTable(800, 5);
  const model = fitLogistic(table, labels, SYNTHETIC_FEATURES, { maxIter: 1 });
  assert.equal(model.training.iterations, 1);
  assert.equal(model.training.converged, false);
});

test('bad labels, params and values are refused with the reason', () => {
  const { table, labels } = syntheticTable(50, 3);
  const refuses = (fn: () => unknown, pattern: RegExp) =>
    assert.throws(fn, (err: unknown) => err instanceof TrainerError && err.kind === 'invalid_input' && pattern.test(err.message));
  refuses(() => fitLogistic(table, labels.subarray(0, 49), SYNTHETIC_FEATURES), /labels has 49 values but the training table has 50 rows/);
  refuses(() => fitLogistic(table, labels.map((v, i) => (i === 7 ? 2 : v)), SYNTHETIC_FEATURES), /label at row 7 is 2/);
  refuses(() => fitLogistic(table, new Float64Array(50), SYNTHETIC_FEATURES), /all 0: logistic regression needs both classes/);
  refuses(() => fitLogistic(table, labels, SYNTHETIC_FEATURES, { l2: 0 }), /l2 must be a positive number/);
  refuses(() => fitLogistic(table, labels, SYNTHETIC_FEATURES, { maxIter: 0 }), /maxIter must be a positive integer/);
  const withInfinity: ColumnTable = { rowCount: 50, columns: { ...table.columns, tenure: new Float64Array(50).fill(Number.POSITIVE_INFINITY) } };
  refuses(() => fitLogistic(withInfinity, labels, SYNTHETIC_FEATURES), /feature "tenure" row 0 is Infinity/);
  assert.throws(() => fitLogistic({ rowCount: 50, columns: {} }, labels, SYNTHETIC_FEATURES), /no column "age"/);
});

interface SklearnFixture {
  max_categories: number;
  features: FeatureSpec[];
  columns: Record<string, (number | string | null)[]>;
  labels: number[];
  preprocessing: { numeric: { name: string; median: number; mean: number; std: number }[]; categorical: { name: string; categories: string[] }[] };
  design_first_rows: number[][];
  fits: { l2: number; coefficients: Record<string, number>; intercept: number }[];
}

test('coefficients match scikit-learn LogisticRegression(C = 1/l2) on the same preprocessing', async () => {
  const { readFileSync } = await import('node:fs');
  const fixture = JSON.parse(readFileSync(new URL('../fixtures/trainers/logistic-sklearn.json', import.meta.url), 'utf8')) as SklearnFixture;
  const rows = fixture.labels.length;
  const columns: ColumnTable['columns'] = {};
  for (const f of fixture.features) {
    const values = fixture.columns[f.name]!;
    columns[f.name] = f.type === 'numeric' ? Float64Array.from(values, (v) => (v === null ? Number.NaN : (v as number))) : (values as (string | null)[]);
  }
  const table: ColumnTable = { rowCount: rows, columns };
  const labels = Float64Array.from(fixture.labels);
  assert.equal(fixture.fits.length, 3);

  for (const expected of fixture.fits) {
    const model = fitLogistic(table, labels, fixture.features, { l2: expected.l2, maxCategories: fixture.max_categories });
    assert.equal(model.training.converged, true);
    // The preprocessing numpy computed independently.
    fixture.preprocessing.numeric.forEach((p, j) => {
      const got = model.preprocessing.numeric[j]!;
      assert.equal(got.name, p.name);
      for (const key of ['median', 'mean', 'std'] as const) assert.ok(Math.abs(got[key] - p[key]) < 1e-9, `${p.name}.${key}: ${got[key]} vs ${p[key]}`);
    });
    assert.deepEqual(model.preprocessing.categorical, fixture.preprocessing.categorical);
    const design = buildDesign(model.preprocessing, table);
    fixture.design_first_rows.forEach((row, i) => {
      const dense = new Array<number>(design.columnCount).fill(0);
      for (let j = 0; j < design.numericCount; j++) dense[j] = design.numeric[i * design.numericCount + j]!;
      for (let j = 0; j < design.categoricalCount; j++) {
        const col = design.active[i * design.categoricalCount + j]!;
        if (col >= 0) dense[col] = 1;
      }
      row.forEach((v, j) => assert.ok(Math.abs(dense[j]! - v) < 1e-9, `design row ${i} column ${j}`));
    });
    // The coefficients, by design-column name.
    assert.deepEqual([...model.columns].sort(), Object.keys(expected.coefficients).sort());
    for (const [name, coefficient] of Object.entries(expected.coefficients)) {
      const got = model.weights[model.columns.indexOf(name)]!;
      assert.ok(Math.abs(got - coefficient) < 1e-4, `l2=${expected.l2} ${name}: ${got} vs scikit-learn ${coefficient}`);
    }
    assert.ok(Math.abs(model.intercept - expected.intercept) < 1e-4, `l2=${expected.l2} intercept: ${model.intercept} vs ${expected.intercept}`);
  }
});
