import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  bootstrapReplicates,
  percentileInterval,
  quantileSorted,
  replicateRng,
  replicateSeeds,
  resampleCounts,
  resampleIndices,
} from '../../validation/bootstrap';
import { planBootstrap } from '../../validation/bootstrap-plan';
import { runPlan } from '../../validation/bootstrap-pool';
import { computeMetrics } from '../../validation/metrics';
import { Rng } from '../../validation/rng';
import { prepareScores } from '../../validation/scored';
import { argsortDescending } from '../../validation/sort';
import { METRIC_NAMES } from '../../validation/types';
import { tiedScores } from '../helpers/tied-scores';

function gather(values: Float64Array, indices: Uint32Array): Float64Array {
  return Float64Array.from(indices, (i) => values[i]!);
}

/** Small data with ties and few positives, so that some resamples hold one class. */
const smallData = (n: number, seed: number) => tiedScores(n, seed, { positiveRate: 0.12, scoreSteps: 10 });

describe('rng', () => {
  it('xoshiro128** reproduces the reference output from state (1, 2, 3, 4)', () => {
    const rng = Rng.fromState([1, 2, 3, 4]);
    assert.deepEqual(
      Array.from({ length: 6 }, () => rng.nextU32()),
      [11520, 0, 5927040, 70819200, 2031721883, 1637235492],
    );
  });

  it('same seed, same stream; different seed, different stream', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.nextU32());
    assert.deepEqual(xs, Array.from({ length: 5 }, () => b.nextU32()));
    assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.nextU32()));
  });

  it('below(n) is uniform, and countBelow counts exactly the draws of below(n)', () => {
    const a = new Rng(9);
    const b = new Rng(9);
    const n = 7;
    const draws = Array.from({ length: 70000 }, () => a.below(n));
    const counts = new Array<number>(n).fill(0);
    for (const d of draws) counts[d]!++;
    const counted = new Uint32Array(n);
    assert.equal(b.countBelow(n, 70000, counted), Math.max(...counts));
    assert.deepEqual(Array.from(counted), counts);
    assert.equal(a.nextU32(), b.nextU32(), 'both generators end in the same state');
    // Each cell ~ Binomial(70000, 1/7): mean 10000, sd ~ 93; 5 sd either side.
    for (const c of counts) assert.ok(Math.abs(c - 10000) < 465, `count ${c}`);
  });

  it('nextFloat is in [0, 1)', () => {
    const rng = new Rng(1);
    for (let i = 0; i < 1000; i++) {
      const x = rng.nextFloat();
      assert.ok(x >= 0 && x < 1);
    }
  });
});

describe('argsortDescending', () => {
  it('equals a stable comparator sort, including ties, 0, -0 and 1', () => {
    const rng = new Rng(3);
    const values = Float64Array.from({ length: 3000 }, () => Math.round(rng.nextFloat() * 50) / 50);
    values[0] = -0;
    values[1] = 0;
    values[2] = 1;
    const expected = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]! || a - b);
    assert.deepEqual(Array.from(argsortDescending(values)), expected);
    const subset = Uint32Array.from([5, 2, 9, 1, 0]);
    const sub = Array.from(subset).sort((a, b) => values[b]! - values[a]! || subset.indexOf(a) - subset.indexOf(b));
    assert.deepEqual(Array.from(argsortDescending(values, subset)), sub);
  });
});

describe('bootstrap', () => {
  it('resampleCounts and resampleIndices describe the same resample for the same seed', () => {
    const n = 500;
    const indices = resampleIndices(new Rng(4), n);
    const counts = resampleCounts(new Rng(4), n, new Uint8Array(n));
    const histogram = new Uint8Array(n);
    for (const i of indices) histogram[i]!++;
    assert.deepEqual(counts, histogram);
    assert.equal(counts.reduce((a, b) => a + b, 0), n);
    assert.ok(counts.filter((c) => c === 0).length > 150, 'about n/e rows are not drawn');
  });

  it('the fast weighted bootstrap equals naive resampling, replicate by replicate, paired', () => {
    const n = 60;
    // Four positives in 60 rows: about 1 resample in 60 draws none, so some replicates skip AUC.
    const { labels, scores, baseline } = smallData(n, 28);
    const threshold = 0.5;
    const replicates = 300;
    const seed = 77;
    const fast = bootstrapReplicates(
      [{ model: prepareScores(labels, scores, threshold), baseline: prepareScores(labels, baseline, threshold) }],
      n,
      { replicates, seed },
    )[0]!;

    // Replicate r draws from its own stream, seeded by the r-th four words of the seed's stream.
    const seeds = replicateSeeds(seed, replicates);
    const naive = Object.fromEntries(METRIC_NAMES.map((m) => [m, { model: [] as number[], delta: [] as number[], skipped: 0 }]));
    for (let r = 0; r < replicates; r++) {
      const idx = resampleIndices(replicateRng(seeds, r), n);
      const y = gather(labels, idx);
      const m = computeMetrics(y, gather(scores, idx), { threshold });
      const b = computeMetrics(y, gather(baseline, idx), { threshold });
      for (const name of METRIC_NAMES) {
        const entry = naive[name]!;
        if (m[name] === null) entry.skipped++;
        else entry.model.push(m[name]!);
        if (m[name] !== null && b[name] !== null) entry.delta.push(m[name]! - b[name]!);
      }
    }
    let sawSkips = false;
    for (const name of METRIC_NAMES) {
      const entry = naive[name]!;
      assert.equal(fast.model.skipped[name], entry.skipped, `${name} skipped`);
      sawSkips ||= entry.skipped > 0;
      assert.equal(fast.model.values[name].length, entry.model.length);
      entry.model.forEach((v, i) => assert.ok(Math.abs(fast.model.values[name][i]! - v) < 1e-12, `${name} replicate ${i}: ${fast.model.values[name][i]} vs ${v}`));
      assert.equal(fast.delta!.values[name].length, entry.delta.length);
      entry.delta.forEach((v, i) => assert.ok(Math.abs(fast.delta!.values[name][i]! - v) < 1e-12, `${name} delta ${i}`));
    }
    assert.ok(sawSkips, 'the data should produce some one-class resamples (AUC skipped)');
  });

  it('slices read the global counts: equals filtering each naive resample to the slice', () => {
    const n = 80;
    const { labels, scores } = smallData(n, 5);
    const sliceRows = Uint32Array.from({ length: n }, (_, i) => i).filter((i) => i % 3 !== 0);
    const fast = bootstrapReplicates([{ model: prepareScores(labels, scores, 0.5, sliceRows) }], n, { replicates: 50, seed: 8 })[0]!;
    const seeds = replicateSeeds(8, 50);
    const inSlice = new Set(sliceRows);
    const brier: number[] = [];
    for (let r = 0; r < 50; r++) {
      const idx = resampleIndices(replicateRng(seeds, r), n).filter((i) => inSlice.has(i));
      const m = computeMetrics(gather(labels, idx), gather(scores, idx));
      if (m.brier !== null) brier.push(m.brier);
    }
    brier.forEach((v, i) => assert.ok(Math.abs(fast.model.values.brier[i]! - v) < 1e-12));
  });

  it('is deterministic: same seed, same values; another seed, other values', () => {
    const { labels, scores } = smallData(200, 2);
    const run = (seed: number) => bootstrapReplicates([{ model: prepareScores(labels, scores, 0.5) }], 200, { replicates: 50, seed })[0]!.model.values.brier;
    assert.deepEqual(run(1), run(1));
    assert.notDeepEqual(run(1), run(2));
  });

  it('gives the same values on any number of threads', () => {
    // Small data forced onto worker threads: each replicate has its own stream, so the split of
    // the replicates between threads cannot change a value.
    const n = 300;
    const { labels, scores, baseline } = smallData(n, 13);
    const targets = [
      { model: prepareScores(labels, scores, 0.5), baseline: prepareScores(labels, baseline, 0.5) },
      { model: prepareScores(labels, scores, 0.5, Uint32Array.from({ length: 100 }, (_, i) => 3 * i)) },
    ];
    const run = (threads: number) => bootstrapReplicates(targets, n, { replicates: 41, seed: 3, threads });
    assert.deepEqual(run(3), run(1));
    // The calling thread may finish such small work before a worker starts: make the workers do it.
    assert.deepEqual(runPlan(planBootstrap(targets, n, 41, 3, 3), { callerTakesBlocks: false }), runPlan(planBootstrap(targets, n, 41, 3, 1)));
  });

  it('percentile intervals use linear interpolation (numpy\'s default)', () => {
    const values = Float64Array.from({ length: 10 }, (_, i) => 10 - i); // unsorted on purpose
    assert.deepEqual(percentileInterval(values, 0, 0.95), [1.225, 9.775]); // np.percentile(1..10, [2.5, 97.5])
    assert.equal(quantileSorted(Float64Array.from([1, 2]), 0.5), 1.5);
  });

  it('an interval is null when more than half the replicates were undefined', () => {
    assert.equal(percentileInterval(Float64Array.from([0.5, 0.6]), 3), null);
    assert.notEqual(percentileInterval(Float64Array.from([0.5, 0.6]), 2), null);
    assert.equal(percentileInterval(new Float64Array(0), 0), null);
  });
});
