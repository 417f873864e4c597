/**
 * A statistical test of the bootstrap itself: on data whose true AUC is known, the 95 % percentile
 * interval must cover it about 95 % of the time. Binormal scores (negatives ~ N(0, 1), positives ~
 * N(d, 1)) have AUC = Φ(d / √2); a logistic transform maps them into [0, 1] without changing any
 * ranking, so the AUC is unchanged.
 */

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bootstrapReplicates, percentileInterval } from '../../validation/bootstrap';
import { Rng } from '../../validation/rng';
import { prepareScores } from '../../validation/scored';

const D = 1;
const TRUE_AUC = 0.7602499389065233; // scipy.stats.norm.cdf(1 / sqrt(2))
const REPETITIONS = 400;
const ROWS = 300;
const REPLICATES = 300;

describe('bootstrap coverage', () => {
  it(`the 95% interval covers the true AUC in 90-99% of ${REPETITIONS} repetitions`, () => {
    const data = new Rng(2024);
    let covered = 0;
    let widthSum = 0;
    for (let rep = 0; rep < REPETITIONS; rep++) {
      const labels = new Float64Array(ROWS);
      const scores = new Float64Array(ROWS);
      for (let i = 0; i < ROWS; i++) {
        labels[i] = i % 2; // fixed prevalence 1/2
        scores[i] = 1 / (1 + Math.exp(-(data.nextNormal() + D * labels[i]!)));
      }
      const series = bootstrapReplicates([{ model: prepareScores(labels, scores, 0.5) }], ROWS, {
        replicates: REPLICATES,
        seed: 1000 + rep,
      })[0]!.model;
      const ci = percentileInterval(series.values.auc, series.skipped.auc, 0.95)!;
      if (ci[0] <= TRUE_AUC && TRUE_AUC <= ci[1]) covered++;
      widthSum += ci[1] - ci[0];
    }
    const rate = covered / REPETITIONS;
    // Hanley-McNeil standard error of the AUC at n = 150 + 150 is about 0.027, i.e. a 95 % width
    // near 0.11: the intervals must be of that size, not merely wide enough to cover.
    const meanWidth = widthSum / REPETITIONS;
    console.log(`coverage ${(rate * 100).toFixed(1)}% (${covered}/${REPETITIONS}), mean width ${meanWidth.toFixed(4)}`);
    assert.ok(rate >= 0.9 && rate <= 0.99, `coverage ${rate}`);
    assert.ok(meanWidth > 0.08 && meanWidth < 0.14, `mean width ${meanWidth}`);
  });
});
