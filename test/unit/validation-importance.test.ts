import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnTable } from '../../core/types';
import { checkGolden } from '../../validation/golden';
import { averageRanks, importanceShift, permutationImportance, spearman } from '../../validation/importance';
import { Rng } from '../../validation/rng';
import { assertClose, loadFixture } from './validation-helpers';

interface SpearmanFixture {
  cases: { a: number[]; b: number[]; rho: number | null }[];
}

/**
 * A small real model over a table: logit = 2·x1 + 0.5·x2 + (segment "hot" ? 1 : 0); x3 is unused.
 * Deterministic data with labels drawn from the model itself.
 */
function dataset(n: number) {
  const rng = new Rng(12);
  const x1 = new Float64Array(n);
  const x2 = new Float64Array(n);
  const x3 = new Float64Array(n);
  const segment: (string | null)[] = [];
  const labels = new Float64Array(n);
  const table: ColumnTable = { rowCount: n, columns: { x1, x2, x3, segment } };
  for (let i = 0; i < n; i++) {
    x1[i] = rng.nextNormal();
    x2[i] = rng.nextNormal();
    x3[i] = rng.nextNormal();
    segment.push(rng.nextFloat() < 0.3 ? 'hot' : i % 10 === 0 ? null : 'cold');
  }
  const score = async (t: ColumnTable): Promise<Float64Array> => {
    const [a, b, seg] = [t.columns.x1 as Float64Array, t.columns.x2 as Float64Array, t.columns.segment as (string | null)[]];
    return Float64Array.from({ length: t.rowCount }, (_, i) => 1 / (1 + Math.exp(-(2 * a[i]! + 0.5 * b[i]! + (seg[i] === 'hot' ? 1 : 0)))));
  };
  return { table, labels, score };
}

describe('permutation importance', () => {
  it('ranks the features the model uses, and an unused feature scores exactly 0', async () => {
    const { table, labels, score } = dataset(2000);
    const truth = await score(table);
    const draw = new Rng(99);
    for (let i = 0; i < labels.length; i++) labels[i] = draw.nextFloat() < truth[i]! ? 1 : 0;
    const result = await permutationImportance(score, table, labels, ['x1', 'x2', 'x3', 'segment'], { metric: 'auc', repeats: 4, seed: 5 });
    const by = Object.fromEntries(result.features.map((f) => [f.feature, f]));
    assert.ok(by.x1!.mean > by.x2!.mean && by.x2!.mean > 0.005, `x1 ${by.x1!.mean} > x2 ${by.x2!.mean} > 0`);
    assert.ok(by.segment!.mean > 0.005, `segment ${by.segment!.mean}`);
    assert.deepEqual([by.x3!.mean, by.x3!.std], [0, 0]);
    assert.equal(by.x1!.drops.length, 4);
    const m = by.x1!.mean;
    assertClose(by.x1!.std, Math.sqrt(by.x1!.drops.reduce((a, d) => a + (d - m) ** 2, 0) / 4), 'std ddof=0', 1e-15);
    // Same seed, same result; the input table is left untouched.
    const again = await permutationImportance(score, table, labels, ['x1', 'x2', 'x3', 'segment'], { metric: 'auc', repeats: 4, seed: 5 });
    assert.deepEqual(again, result);
    assert.deepEqual(await score(table), truth);
  });

  it('lower-is-better metrics: drop = shuffled − reference, still positive for a used feature', async () => {
    const { table, labels, score } = dataset(1000);
    const truth = await score(table);
    for (let i = 0; i < labels.length; i++) labels[i] = truth[i]! > 0.5 ? 1 : 0;
    const result = await permutationImportance(score, table, labels, ['x1'], { metric: 'log_loss', repeats: 2, seed: 1 });
    assert.ok(result.features[0]!.mean > 0);
  });

  it('refuses unknown features, misaligned labels and a metric undefined on the data', async () => {
    const { table, labels, score } = dataset(50);
    await assert.rejects(permutationImportance(score, table, labels, ['nope'], { metric: 'auc', repeats: 1, seed: 1 }), /feature nope is not a column/);
    await assert.rejects(permutationImportance(score, table, new Float64Array(3), ['x1'], { metric: 'auc', repeats: 1, seed: 1 }), /labels has 3 rows but the table has 50/);
    await assert.rejects(permutationImportance(score, table, labels, ['x1'], { metric: 'auc', repeats: 1, seed: 1 }), /auc is undefined on the unshuffled table \(only one class present\)/);
  });
});

describe('spearman and importance shift', () => {
  it('agrees with scipy.stats.spearmanr, ties included', () => {
    const fx = loadFixture<SpearmanFixture>('spearman');
    fx.cases.forEach((c, i) => assertClose(spearman(c.a, c.b), c.rho, `case ${i}`));
  });

  it('average ranks share tied positions', () => {
    assert.deepEqual(averageRanks([10, 20, 10, 30]), [1.5, 3, 1.5, 4]);
    assert.equal(spearman([1, 1, 1], [1, 2, 3]), null);
  });

  it('flags features new to the top K, including features the champion never had', () => {
    const imp = (pairs: [string, number][]) => pairs.map(([feature, mean]) => ({ feature, mean, std: 0, drops: [] }));
    const shift = importanceShift(imp([['new', 0.5], ['a', 0.3], ['b', 0.1]]), imp([['a', 0.3], ['b', 0.2], ['c', 0.1]]), 2);
    assert.deepEqual(shift.new_in_top_k, ['new']);
    assert.equal(shift.rank_correlation, 1); // a above b in both
    assert.equal(importanceShift(imp([['x', 1]]), imp([['y', 1]]), 1).rank_correlation, null);
  });
});

describe('golden set', () => {
  const cases = [
    { id: 'fraud-1', expected: { label: 1 as const } },
    { id: 'good-1', expected: { label: 0 as const, max_score: 0.2 } },
    { id: 'edge', expected: { min_score: 0.4, max_score: 0.6 } },
  ];

  it('passes cases that keep their expected outcome, and lists failures with reasons', () => {
    const ok = checkGolden(cases, [0.9, 0.1, 0.5]);
    assert.deepEqual([ok.passed, ok.failed], [3, 0]);
    const bad = checkGolden(cases, [0.4, 0.3, NaN]);
    assert.deepEqual(bad.failures.map((f) => f.id), ['fraud-1', 'good-1', 'edge']);
    assert.match(bad.failures[0]!.problems[0]!, /predicted 0 .* expected 1/);
    assert.match(bad.failures[1]!.problems[0]!, /above max_score 0.2/);
    assert.match(bad.failures[2]!.problems[0]!, /no score/);
    assert.equal(bad.cases[2]!.score, null);
  });

  it('a score exactly at the threshold predicts 1', () => {
    assert.equal(checkGolden([cases[0]!], [0.5]).failed, 0);
    assert.equal(checkGolden([cases[0]!], [0.5], 0.6).failed, 1);
  });

  it('refuses misaligned scores and empty expectations', () => {
    assert.throws(() => checkGolden(cases, [0.1]), /3 cases but 1 scores/);
    assert.throws(() => checkGolden([{ id: 'x', expected: {} }], [0.1]), /golden case x expects nothing/);
  });
});
