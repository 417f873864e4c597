/**
 * Benjamini–Hochberg against scipy.stats.false_discovery_control (test/fixtures/drift/bh.json).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { benjaminiHochberg } from '../../validation/multiple-testing';
import { assertClose, loadFixture } from './drift-fixtures';

const fx = loadFixture<{ cases: { name: string; ps: number[]; adjusted: number[] }[] }>('bh');

describe('benjaminiHochberg vs scipy.stats.false_discovery_control', () => {
  for (const c of fx.cases) {
    it(c.name, () => {
      const got = benjaminiHochberg(c.ps);
      assert.equal(got.length, c.adjusted.length);
      got.forEach((p, i) => assertClose(p, c.adjusted[i]!, 1e-12, `${c.name}[${i}]`));
    });
  }
});

describe('benjaminiHochberg properties', () => {
  it('never lowers a p-value and keeps their order', () => {
    const ps = [0.2, 0.001, 0.04, 0.03, 0.9, 0.012];
    const adj = benjaminiHochberg(ps);
    ps.forEach((p, i) => assert.ok(adj[i]! >= p, `adjusted ${adj[i]} < raw ${p}`));
    const byRaw = ps.map((_, i) => i).sort((a, b) => ps[a]! - ps[b]!);
    for (let k = 1; k < byRaw.length; k++) assert.ok(adj[byRaw[k]!]! >= adj[byRaw[k - 1]!]!);
    // Hand-computed: sorted .001 .012 .03 .04 .2 .9 → ×6/i = .006 .036 .06 .06 .24 .9
    assert.deepEqual(adj.map((p) => Number(p.toFixed(12))), [0.24, 0.006, 0.06, 0.06, 0.9, 0.036]);
  });

  it('handles empty input and rejects values outside [0, 1] naming the offender', () => {
    assert.deepEqual(benjaminiHochberg([]), []);
    assert.throws(() => benjaminiHochberg([0.1, NaN]), /p-value #1 is NaN/);
    assert.throws(() => benjaminiHochberg([1.2]), /p-value #0 is 1.2/);
  });
});
