/**
 * The golden set: curated cases (known frauds, known good customers, past incidents) whose outcome
 * must not change. Each case states what it expects: a predicted label, a score range, or both.
 */

import { DEFAULT_THRESHOLD } from './metrics';
import { checkThreshold, ValidationInputError } from './scored';
import type { GoldenCase, GoldenCaseResult, GoldenResult } from './types';

/** Checks each case against the candidate's score for it; `scores[i]` belongs to `cases[i]`. */
export function checkGolden(cases: GoldenCase[], scores: ArrayLike<number>, threshold: number = DEFAULT_THRESHOLD): GoldenResult {
  checkThreshold(threshold);
  if (scores.length !== cases.length) {
    throw new ValidationInputError(`golden set has ${cases.length} cases but ${scores.length} scores: score every case, in order`);
  }
  const results: GoldenCaseResult[] = cases.map((c, i) => {
    const { label, min_score, max_score } = c.expected ?? {};
    if (label === undefined && min_score === undefined && max_score === undefined) {
      throw new ValidationInputError(`golden case ${c.id} expects nothing: give expected.label, expected.min_score or expected.max_score`);
    }
    if (label !== undefined && label !== 0 && label !== 1) {
      throw new ValidationInputError(`golden case ${c.id}: expected.label must be 0 or 1, got ${String(label)}`);
    }
    const score = scores[i]!;
    const problems: string[] = [];
    if (Number.isNaN(score)) {
      problems.push('the model returned no score (NaN)');
    } else {
      const predicted = score >= threshold ? 1 : 0;
      if (label !== undefined && predicted !== label) {
        problems.push(`predicted ${predicted} (score ${score} vs threshold ${threshold}), expected ${label}`);
      }
      if (min_score !== undefined && !(score >= min_score)) problems.push(`score ${score} below min_score ${min_score}`);
      if (max_score !== undefined && !(score <= max_score)) problems.push(`score ${score} above max_score ${max_score}`);
    }
    return { id: c.id, score: Number.isNaN(score) ? null : score, pass: problems.length === 0, problems };
  });
  const failures = results.filter((r) => !r.pass);
  return { threshold, cases: results, failures, passed: results.length - failures.length, failed: failures.length };
}
