/**
 * Guards the cost of drift on large tables: one sort per sample, linear walks, no exact KS on big
 * samples. Budgets are ~10× what a quiet 2-core machine needs, so only a complexity regression
 * (an accidental O(n²), a comparison sort per bin, an exact p-value on a million rows) fails.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ColumnTable, FeatureSpec } from '../../core/types';
import { driftReport } from '../../validation/drift';

function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

function cpuMs(fn: () => void): number {
  const start = process.cpuUsage();
  fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

describe('drift speed', () => {
  it('5 columns × 250,000 rows per side in well under 2 s of CPU', () => {
    const rand = generator(3);
    const n = 250_000;
    const normal = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
    const ref: ColumnTable = { rowCount: n, columns: {} };
    const cur: ColumnTable = { rowCount: n, columns: {} };
    const features: FeatureSpec[] = [];
    for (let c = 0; c < 4; c++) {
      ref.columns[`x${c}`] = Float64Array.from({ length: n }, () => (rand() < 0.01 ? NaN : normal()));
      cur.columns[`x${c}`] = Float64Array.from({ length: n }, () => (rand() < 0.01 ? NaN : normal() + 0.01 * c));
      features.push({ name: `x${c}`, type: 'numeric' });
    }
    const cats = ['a', 'b', 'c', 'd', 'e'];
    ref.columns.cat = Array.from({ length: n }, () => cats[Math.floor(rand() * 5)]!);
    cur.columns.cat = Array.from({ length: n }, () => (rand() < 0.02 ? null : cats[Math.floor(rand() * 5)]!));
    features.push({ name: 'cat', type: 'categorical' });

    let report: ReturnType<typeof driftReport> | undefined;
    const used = cpuMs(() => {
      report = driftReport(ref, cur, features, { pvalueFlag: {} });
    });
    assert.equal(report!.evaluated_columns, 5);
    assert.ok(report!.columns.every((c) => c.type !== 'numeric' || c.ks_method === 'asymptotic'));
    assert.ok(used < 2000, `drift over 5 × 250k rows took ${used.toFixed(0)} ms of CPU`);
  });

  it('a heavily drifted 10,000-row column does not pay for the exact KS walk', () => {
    const rand = generator(9);
    const ref: ColumnTable = { rowCount: 10000, columns: { x: Float64Array.from({ length: 10000 }, rand) } };
    const cur: ColumnTable = { rowCount: 9999, columns: { x: Float64Array.from({ length: 9999 }, () => rand() + 0.5) } };
    let verdict = '';
    const used = cpuMs(() => {
      verdict = driftReport(ref, cur, [{ name: 'x', type: 'numeric' }]).columns[0]!.verdict;
    });
    assert.equal(verdict, 'fail');
    assert.ok(used < 200, `took ${used.toFixed(0)} ms of CPU`);
  });
});
