/**
 * Two-sample drift statistics against SciPy/NumPy on stored datasets
 * (test/fixtures/drift/numeric_*.json, categorical.json).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  categoricalBins,
  chi2Contingency,
  jensenShannon,
  ks2samp,
  ksStatisticSorted,
  MISSING_CATEGORY,
  numericBins,
  psi,
  psiBins,
  quantileSorted,
} from '../../validation/drift-stats';
import { assertClose, loadFixture, PVALUE_TOL, STAT_TOL, toFloat64 } from './drift-fixtures';

interface NumericExpected {
  reference_rows: number;
  current_rows: number;
  missing_reference: number;
  missing_current: number;
  edges: number[];
  reference_counts: number[];
  current_counts: number[];
  psi: number;
  js_distance: number;
  ks_statistic: number;
  ks_pvalue: number;
  ks_method: 'exact' | 'asymptotic';
  /** Differs from ks_method only where Ratchet skips a costly exact p-value below 1e-30. */
  ks_method_ratchet: 'exact' | 'asymptotic';
}
interface NumericCase {
  name: string;
  reference?: (number | null)[];
  current: (number | null)[];
  expected: NumericExpected;
}
interface CategoricalCase {
  name: string;
  reference: (string | null)[];
  current: (string | null)[];
  expected: {
    labels: string[];
    reference_counts: number[];
    current_counts: number[];
    chi2_statistic: number;
    chi2_pvalue: number;
    chi2_dof: number;
    psi: number;
    js_distance: number;
  };
}

function checkNumeric(name: string, refRaw: (number | null)[], curRaw: (number | null)[], e: NumericExpected): void {
  const ref = toFloat64(refRaw);
  const cur = toFloat64(curRaw);
  const bins = numericBins(ref, cur);
  assert.deepEqual(bins.edges, e.edges, `${name}: decile edges`);
  assert.deepEqual(bins.reference, e.reference_counts, `${name}: reference bin counts`);
  assert.deepEqual(bins.current, e.current_counts, `${name}: current bin counts`);
  assertClose(psi(bins.reference, bins.current), e.psi, STAT_TOL, `${name}: psi`);
  assertClose(jensenShannon(bins.reference, bins.current), e.js_distance, STAT_TOL, `${name}: js`);
  const ks = ks2samp(ref, cur);
  assert.ok(ks.ok, `${name}: ks2samp should succeed`);
  assert.equal(ks.method, e.ks_method_ratchet, `${name}: KS method`);
  assertClose(ks.statistic, e.ks_statistic, STAT_TOL, `${name}: ks statistic`);
  assertClose(ks.pvalue, e.ks_pvalue, PVALUE_TOL, `${name}: ks p-value`);
}

describe('numeric drift statistics vs SciPy', () => {
  const small = loadFixture<{ cases: NumericCase[] }>('numeric_small');
  for (const c of small.cases) {
    it(`small sample (exact KS): ${c.name}`, () => checkNumeric(c.name, c.reference!, c.current, c.expected));
  }

  const large = loadFixture<{ cases: NumericCase[] }>('numeric_large');
  for (const c of large.cases) {
    it(`large sample (asymptotic KS): ${c.name}`, () => checkNumeric(c.name, c.reference!, c.current, c.expected));
  }

  const unbalanced = loadFixture<{ reference: (number | null)[]; cases: NumericCase[] }>('numeric_unbalanced');
  for (const c of unbalanced.cases) {
    it(`12,000-row reference vs ${c.name} (asymptotic KS, small effective n)`, () =>
      checkNumeric(c.name, unbalanced.reference, c.current, c.expected));
  }
});

describe('categorical drift statistics vs SciPy', () => {
  const fx = loadFixture<{ cases: CategoricalCase[] }>('categorical');
  for (const c of fx.cases) {
    it(c.name, () => {
      const e = c.expected;
      const bins = categoricalBins(c.reference, c.current);
      assert.deepEqual(bins.labels, e.labels, 'labels in order of first appearance');
      assert.deepEqual(bins.reference, e.reference_counts);
      assert.deepEqual(bins.current, e.current_counts);
      const chi = chi2Contingency(bins.reference, bins.current);
      assert.ok(chi.ok);
      assert.equal(chi.dof, e.chi2_dof);
      assertClose(chi.statistic, e.chi2_statistic, STAT_TOL, `${c.name}: chi2 statistic`);
      assertClose(chi.pvalue, e.chi2_pvalue, PVALUE_TOL, `${c.name}: chi2 p-value`);
      assertClose(psi(bins.reference, bins.current), e.psi, STAT_TOL, `${c.name}: psi`);
      assertClose(jensenShannon(bins.reference, bins.current), e.js_distance, STAT_TOL, `${c.name}: js`);
    });
  }
});

/** SciPy's definition, literally: |F1 − F2| at every value of either sample, as floats. */
function naiveKs(a: Float64Array, b: Float64Array): number {
  const countAtMostLinear = (xs: Float64Array, v: number) => xs.reduce((c, x) => c + (x <= v ? 1 : 0), 0);
  let d = 0;
  for (const v of new Set([...a, ...b])) d = Math.max(d, Math.abs(countAtMostLinear(a, v) / a.length - countAtMostLinear(b, v) / b.length));
  return d;
}

describe('blocked KS walk', () => {
  it('finds exactly the supremum of the plain definition (random, tied, shifted, disjoint, identical samples)', () => {
    let seed = 99;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const shapes: [string, (k: number) => number][] = [
      ['continuous', () => rand()],
      ['ties', () => Math.floor(rand() * 7)],
      ['shifted', (k) => rand() + (k % 2 ? 0.05 : 0)],
      ['disjoint', (k) => rand() + (k % 2 ? 2 : 0)],
      ['one tie run', () => (rand() < 0.6 ? 0.5 : rand())],
    ];
    for (const [name, draw] of shapes) {
      for (const [n1, n2] of [[300, 200], [1000, 1500], [2048, 64], [700, 700]] as const) {
        const a = Float64Array.from({ length: n1 }, () => draw(0)).sort();
        const b = Float64Array.from({ length: n2 }, () => draw(1)).sort();
        assertClose(ksStatisticSorted(a, b), naiveKs(a, b), 1e-15, `${name} ${n1}/${n2}`);
        assertClose(ksStatisticSorted(a, a), 0, 0, `${name} identical`);
      }
    }
  });
});

describe('documented edge cases', () => {
  it('quantileSorted reproduces numpy linear interpolation', () => {
    const s = Float64Array.from([1, 2, 4, 8]);
    // np.quantile([1,2,4,8], [0, .1, .5, .9, 1]) = [1, 1.3, 3, 6.8, 8]
    assert.deepEqual([0, 0.1, 0.5, 0.9, 1].map((p) => quantileSorted(s, p)), [1, 1.3, 3, 6.800000000000001, 8]);
  });

  it('bins are right-closed: a value equal to an edge falls in the bin below it', () => {
    const ref = Float64Array.from({ length: 11 }, (_, i) => i); // deciles 1..9 exactly
    const bins = numericBins(ref, Float64Array.from([1, 1.5, 9, 9.5]));
    assert.deepEqual(bins.edges, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    assert.deepEqual(bins.reference, [2, 1, 1, 1, 1, 1, 1, 1, 1, 1]);
    assert.deepEqual(bins.current, [1, 1, 0, 0, 0, 0, 0, 0, 1, 1]);
    assert.equal(bins.labels[0], '(-inf, 1]');
    assert.equal(bins.labels[9], '(9, inf)');
  });

  it('a constant reference collapses to two bins: at-or-below the constant, and above', () => {
    const bins = numericBins(new Float64Array(50).fill(3), Float64Array.from([2, 3, 3.5, 4]));
    assert.deepEqual(bins.edges, [3]);
    assert.deepEqual(bins.reference, [50, 0]);
    assert.deepEqual(bins.current, [2, 2]);
    // shares (1, 0→1e-4) vs (0.5, 0.5): (0.5−1)ln(0.5) + (0.5−1e-4)ln(0.5/1e-4)
    const expected = (0.5 - 1) * Math.log(0.5) + (0.5 - 1e-4) * Math.log(0.5 / 1e-4);
    assertClose(psi(bins.reference, bins.current), expected, 1e-12, 'psi with an empty reference bin');
  });

  it('NaN and ±Infinity are dropped before binning and testing', () => {
    const withJunk = Float64Array.from([NaN, 1, 2, Infinity, 3, -Infinity]);
    const clean = Float64Array.from([1, 2, 3]);
    assert.deepEqual(numericBins(withJunk, withJunk), numericBins(clean, clean));
    const ks = ks2samp(withJunk, Float64Array.from([1, 2, 3]));
    assert.ok(ks.ok);
    assert.equal(ks.statistic, 0);
    assert.equal(ks.pvalue, 1);
  });

  it('empty samples give null or a reason, never a number', () => {
    assert.equal(psi([0, 0], [1, 2]), null);
    assert.equal(jensenShannon([1, 2], [0, 0]), null);
    const ks = ks2samp(new Float64Array(0), Float64Array.from([1]));
    assert.deepEqual(ks, { ok: false, reason: 'reference has no finite values' });
    assert.deepEqual(chi2Contingency([3, 4], [0, 0]), { ok: false, reason: 'current has no observations' });
  });

  it('misused bin counts are a programming error and throw, naming the function', () => {
    assert.throws(() => psi([1, 2], [1]), /psi: 2 reference bins but 1 current bins/);
    assert.throws(() => jensenShannon([1, -2], [1, 1]), /jensenShannon: bin counts must be finite and >= 0, got -2/);
    assert.throws(() => chi2Contingency([1, NaN], [1, 1]), /chi2Contingency: bin counts must be finite and >= 0, got NaN/);
  });

  it('chi-square: one category is dof 0 (statistic 0, p 1); categories absent on both sides are ignored', () => {
    assert.deepEqual(chi2Contingency([10], [7]), { ok: true, statistic: 0, pvalue: 1, dof: 0, categories: 1 });
    const withEmpty = chi2Contingency([10, 0, 5], [4, 0, 9]);
    const without = chi2Contingency([10, 5], [4, 9]);
    assert.deepEqual(withEmpty, without);
  });

  it('null is its own category, counted apart from a literal "(missing)" string', () => {
    const bins = categoricalBins(['a', null, '(missing)'], ['a', null, null]);
    assert.deepEqual(bins.labels, ['a', MISSING_CATEGORY, '(missing)']);
    assert.deepEqual(bins.reference, [1, 1, 1]);
    assert.deepEqual(bins.current, [1, 2, 0]);
    assert.deepEqual(bins.missing, { reference: 1, current: 2 });
  });

  it('numeric codes work as categories, NaN as missing', () => {
    const bins = psiBins(Float64Array.from([1, 2, NaN]), Float64Array.from([2, 2, 3]), 'categorical');
    assert.deepEqual(bins.labels, ['1', '2', MISSING_CATEGORY, '3']);
    assert.deepEqual(bins.reference, [1, 1, 1, 0]);
    assert.deepEqual(bins.current, [0, 2, 0, 1]);
  });

  it('Jensen–Shannon is 0 for identical and 1 for disjoint distributions', () => {
    assert.equal(jensenShannon([1, 2, 3], [2, 4, 6]), 0);
    assert.equal(jensenShannon([1, 0], [0, 1]), 1);
  });
});
