/**
 * Shared by the validation-*.test.ts files: loading the reference fixtures written by
 * scripts/fixtures/validation_fixtures.py, and comparing numbers that may legitimately be null.
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { METRIC_NAMES, type MetricName } from '../../validation/types';

export const FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'validation');
export const DATASET_FIXTURES = ['basic', 'ties', 'awkward', 'one_class', 'separable', 'no_predicted_positives', 'unlabelled_only'];
/** Agreement required with scikit-learn / Fairlearn / SciPy. */
export const TOLERANCE = 1e-9;

export type ExpectedMetrics = Record<MetricName, number | null>;

export interface ExpectedGroup {
  value: string;
  rows: number;
  selection_rate: number;
  tpr: number;
  fpr: number;
  metrics: ExpectedMetrics;
}

export interface DatasetFixture {
  name: string;
  inputs: {
    threshold: number;
    labels: (number | null)[];
    scores: number[];
    baseline_scores: number[] | null;
    weights: number[];
    slice_columns: Record<string, (string | null)[]>;
    protected_columns: Record<string, (string | null)[]>;
  };
  expected: {
    rows: number;
    unlabelled_rows: number;
    overall: ExpectedMetrics;
    weighted: ExpectedMetrics;
    baseline_overall?: ExpectedMetrics;
    churn?: number | null;
    slices: { column: string; value: string; rows: number; metrics: ExpectedMetrics; baseline_metrics?: ExpectedMetrics }[];
    fairness: Record<
      string,
      {
        demographic_parity_difference: number | null;
        demographic_parity_ratio: number | null;
        equalized_odds_difference: number | null;
        equalized_odds_ratio: number | null;
        groups: ExpectedGroup[];
      }
    >;
    curves?: {
      roc: { fpr: number[]; tpr: number[]; thresholds: (number | null)[] };
      pr: { precision: number[]; recall: number[]; thresholds: number[] };
    } | null;
  };
}

export function loadFixture<T = DatasetFixture>(name: string): T {
  return JSON.parse(readFileSync(join(FIXTURE_DIR, `${name}.json`), 'utf8')) as T;
}

export function labelsOf(fx: DatasetFixture): Float64Array {
  return Float64Array.from(fx.inputs.labels, (v) => (v === null ? NaN : v));
}

export function scoresOf(fx: DatasetFixture): Float64Array {
  return Float64Array.from(fx.inputs.scores);
}

export function baselineOf(fx: DatasetFixture): Float64Array | undefined {
  return fx.inputs.baseline_scores ? Float64Array.from(fx.inputs.baseline_scores) : undefined;
}

/** |actual − expected| <= tol, or both null. */
export function assertClose(actual: number | null | undefined, expected: number | null | undefined, where: string, tol = TOLERANCE): void {
  if (expected === null || expected === undefined) {
    assert.equal(actual ?? null, null, `${where}: expected null, got ${actual}`);
    return;
  }
  assert.ok(typeof actual === 'number', `${where}: expected ${expected}, got ${actual}`);
  assert.ok(Math.abs(actual - expected) <= tol, `${where}: expected ${expected}, got ${actual} (diff ${actual - expected})`);
}

export function assertMetricsClose(actual: Record<MetricName, number | null>, expected: ExpectedMetrics, where: string): void {
  for (const m of METRIC_NAMES) assertClose(actual[m], expected[m], `${where} ${m}`);
}
