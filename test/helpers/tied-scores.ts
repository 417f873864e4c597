/**
 * Reproducible labels, model scores and baseline scores for bootstrap tests: few positives, and
 * model scores rounded to a grid, so there are ties and some resamples hold one class.
 */
import { Rng } from '../../validation/rng';

export function tiedScores(n: number, seed: number, options: { positiveRate: number; scoreSteps: number }) {
  const rng = new Rng(seed);
  const labels = new Float64Array(n);
  const scores = new Float64Array(n);
  const baseline = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    labels[i] = rng.nextFloat() < options.positiveRate ? 1 : 0;
    scores[i] = Math.round(Math.min(1, Math.max(0, 0.3 + 0.3 * labels[i]! + 0.2 * rng.nextNormal())) * options.scoreSteps) / options.scoreSteps;
    baseline[i] = Math.min(1, Math.max(0, 0.35 + 0.2 * labels[i]! + 0.25 * rng.nextNormal()));
  }
  return { labels, scores, baseline };
}
