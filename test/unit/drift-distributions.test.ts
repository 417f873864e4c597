/**
 * Special functions and null distributions against SciPy 1.15 (test/fixtures/drift/distributions.json).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  chi2Sf,
  gammaincc,
  kstwoSf,
  ksTwoSampleExact,
  ksTwoSamplePvalue,
  lgamma,
  roundHalfEven,
  smirnovSf,
} from '../../validation/distributions';
import { assertClose, assertRelClose, loadFixture, PVALUE_TOL } from './drift-fixtures';

interface DistributionsFixture {
  chi2_sf: { x: number; df: number; sf: number }[];
  kstwo_sf: { d: number; n: number; sf: number }[];
  smirnov_sf: { n: number; x: number; sf: number }[];
  ks_exact: { n1: number; n2: number; d: number; ok: boolean; statistic: number; pvalue: number | null }[];
}

const fx = loadFixture<DistributionsFixture>('distributions');

describe('lgamma', () => {
  it('matches factorials and Γ(1/2) = sqrt(pi)', () => {
    // Absolute accuracy is what the incomplete-gamma prefactor needs (lgamma(2) = 0 has no relative scale).
    let fact = 1;
    for (let n = 1; n <= 30; n++) {
      assertClose(lgamma(n + 1), Math.log((fact *= n)), 1e-13, `lgamma(${n + 1})`);
    }
    assertRelClose(lgamma(1e6), 12815504.569147611, 1e-15, 'lgamma(1e6)');
    assertRelClose(lgamma(0.5), Math.log(Math.sqrt(Math.PI)), 1e-14, 'lgamma(0.5)');
    assert.equal(lgamma(1), 0);
    assert.throws(() => lgamma(0), RangeError);
  });
});

describe('chi2Sf', () => {
  it(`matches scipy.stats.chi2.sf on ${fx.chi2_sf.length} points within ${PVALUE_TOL} and 1e-8 relative`, () => {
    for (const { x, df, sf } of fx.chi2_sf) {
      const got = chi2Sf(x, df);
      assertClose(got, sf, PVALUE_TOL, `chi2Sf(${x}, ${df})`);
      // The tails matter for BH across many columns: hold relative accuracy too.
      assertRelClose(got, sf, 1e-8, `chi2Sf(${x}, ${df}) relative`);
    }
  });

  it('gives exact closed forms: df = 2 is exp(-x/2)', () => {
    for (const x of [0.1, 1, 5, 30, 200]) assertRelClose(chi2Sf(x, 2), Math.exp(-x / 2), 1e-13, `chi2Sf(${x}, 2)`);
    assert.equal(chi2Sf(0, 3), 1);
    assert.equal(chi2Sf(-1, 3), 1);
    assert.equal(gammaincc(2, Infinity), 0);
  });
});

describe('smirnovSf', () => {
  it(`matches scipy.special.smirnov on ${fx.smirnov_sf.length} points`, () => {
    for (const { n, x, sf } of fx.smirnov_sf) {
      const got = smirnovSf(n, x);
      assertClose(got, sf, PVALUE_TOL, `smirnovSf(${n}, ${x})`);
      assertRelClose(got, sf, 1e-8, `smirnovSf(${n}, ${x}) relative`);
    }
  });
});

describe('kstwoSf', () => {
  it(`matches scipy.stats.kstwo.sf on ${fx.kstwo_sf.length} points covering every branch`, () => {
    for (const { d, n, sf } of fx.kstwo_sf) {
      const got = kstwoSf(d, n);
      assertClose(got, sf, PVALUE_TOL, `kstwoSf(${d}, ${n})`);
      assertRelClose(got, sf, 1e-7, `kstwoSf(${d}, ${n}) relative`);
    }
  });

  it('is 1 below the support and 0 at d = 1', () => {
    assert.equal(kstwoSf(0.4 / 10, 10), 1);
    assert.equal(kstwoSf(1, 10), 0);
  });
});

describe('exact two-sample KS', () => {
  it(`matches scipy's _attempt_exact_2kssamp on ${fx.ks_exact.length} (n1, n2, d) points`, () => {
    for (const { n1, n2, d, ok, statistic, pvalue } of fx.ks_exact) {
      const got = ksTwoSampleExact(n1, n2, d);
      assert.equal(got.statistic, statistic, `snapped statistic for n1=${n1} n2=${n2} d=${d}`);
      if (!ok) {
        assert.equal(got.pvalue, null, `n1=${n1} n2=${n2} d=${d}: SciPy falls back to asymptotic`);
        continue;
      }
      assertClose(got.pvalue, pvalue as number, PVALUE_TOL, `exact p n1=${n1} n2=${n2} d=${d}`);
      assertRelClose(got.pvalue as number, pvalue as number, 1e-9, `exact p n1=${n1} n2=${n2} d=${d} relative`);
    }
  });

  it('switches to the asymptotic distribution above 10,000 values per side', () => {
    assert.equal(ksTwoSamplePvalue(10000, 10000, 0.02).method, 'exact');
    const big = ksTwoSamplePvalue(10001, 500, 0.02);
    assert.equal(big.method, 'asymptotic');
    assert.equal(big.statistic, 0.02, 'asymptotic branch reports d unchanged');
    // en = 10001·500/10501 = 476.19 → kstwo with n = 476
    assert.equal(big.pvalue, kstwoSf(0.02, 476));
  });
});

describe('costly exact KS p-values', () => {
  it('are skipped only when the asymptotic p-value is negligible, with a note saying so', () => {
    // 2·d·n1·n2 = 1e7 cells: within budget, exact (SciPy: 2.614608400705713e-11).
    const moderate = ksTwoSamplePvalue(10000, 9999, 0.05);
    assert.equal(moderate.method, 'exact');
    assertRelClose(moderate.pvalue, 2.614608400705713e-11, 1e-9, 'exact p at d = 0.05');
    // 1e8 cells (~0.5 s in SciPy): asymptotic p-value is ~1e-1000, so the exact walk is skipped.
    const started = process.cpuUsage();
    const heavy = ksTwoSamplePvalue(10000, 9999, 0.5);
    const used = process.cpuUsage(started);
    const cpuMs = (used.user + used.system) / 1000;
    assert.equal(heavy.method, 'asymptotic');
    assert.ok(heavy.pvalue < 1e-30);
    assert.match(heavy.note!, /costly exact computation was skipped/);
    assert.ok(cpuMs < 100, `skipping should be fast, took ${cpuMs} ms`);
    assert.equal(heavy.statistic, Math.round(0.5 * 10000 * 9999) / (10000 * 9999), 'statistic still snapped like SciPy');
  });
});

describe('roundHalfEven', () => {
  it('rounds like numpy.round', () => {
    assert.deepEqual([0.5, 1.5, 2.5, -0.5, -1.5, 2.4, 2.6].map(roundHalfEven), [0, 2, 2, -0, -2, 2, 3]);
  });
});
