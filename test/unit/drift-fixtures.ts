/**
 * Shared helpers for the drift tests: load a SciPy fixture written by
 * scripts/fixtures/drift_fixtures.py, and compare numbers with the tolerances the drift module
 * promises (1e-9 for statistics, 1e-6 for p-values).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/drift/', import.meta.url));

export function loadFixture<T>(name: string): T {
  const path = `${FIXTURE_DIR}${name}.json`;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (err) {
    throw new Error(`cannot read drift fixture ${path}: run python3 scripts/fixtures/drift_fixtures.py (${String(err)})`);
  }
}

/** JSON has no NaN: the fixtures write missing numbers as null. */
export function toFloat64(values: readonly (number | null)[]): Float64Array {
  return Float64Array.from(values, (v) => (v === null ? NaN : v));
}

export const STAT_TOL = 1e-9;
export const PVALUE_TOL = 1e-6;

/** |actual − expected| <= tol · max(1, |expected|): absolute near zero, relative for big statistics. */
export function assertClose(actual: number | null | undefined, expected: number, tol: number, what: string): void {
  assert.equal(typeof actual, 'number', `${what}: expected a number, got ${actual}`);
  const a = actual as number;
  const bound = tol * Math.max(1, Math.abs(expected));
  assert.ok(Math.abs(a - expected) <= bound, `${what}: got ${a}, SciPy says ${expected} (|diff| ${Math.abs(a - expected)} > ${bound})`);
}

/** Relative agreement for probabilities far below the absolute tolerance (tails of p-values). */
export function assertRelClose(actual: number, expected: number, rtol: number, what: string): void {
  const bound = rtol * Math.abs(expected) + 1e-300;
  assert.ok(Math.abs(actual - expected) <= bound, `${what}: got ${actual}, SciPy says ${expected} (relative tolerance ${rtol})`);
}
