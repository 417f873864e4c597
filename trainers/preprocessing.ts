/**
 * The preprocessing the built-in trainer fits on training data, mirrored operator by operator in
 * the ONNX graph (onnx-export.ts) so serving runs no feature code:
 * - numeric: missing (NaN) → training median, then (x − mean) / std with mean and population std
 *   of the imputed column (std treated as 1 for a constant column);
 * - categorical: one-hot over the most frequent training categories (at most maxCategories,
 *   ties broken alphabetically so the result is deterministic); missing (null or ""), rare and
 *   unseen values → all zeros. "" counts as missing because scoring sends null as "".
 *
 * Values are read through scoring's tableSource, so training sees data exactly as scoring does.
 */
import type { ColumnTable, FeatureSpec } from '../core/types';
import { tableSource } from '../scoring/feature-values';
import { TrainerError } from './errors';

export interface NumericTransform {
  name: string;
  median: number;
  mean: number;
  std: number; // never 0: a constant column keeps std 1
}

export interface CategoricalTransform {
  name: string;
  categories: string[]; // most frequent first
}

export interface Preprocessing {
  numeric: NumericTransform[]; // in declared feature order
  categorical: CategoricalTransform[]; // in declared feature order
}

/**
 * A preprocessed table in sparse form: every row has K dense numeric values and, per categorical
 * feature, the index of its one active design column (or -1 for all zeros).
 */
export interface DesignMatrix {
  rows: number;
  columnCount: number; // K + total one-hot columns
  numericCount: number; // K
  numeric: Float64Array; // rows × K, row-major, already imputed and standardised
  categoricalCount: number; // C
  active: Int32Array; // rows × C, row-major: design column index or -1
}

function median(sorted: Float64Array): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function fitNumeric(name: string, values: Float64Array): NumericTransform {
  const present: number[] = [];
  values.forEach((v, row) => {
    if (Number.isNaN(v)) return;
    if (!Number.isFinite(v)) {
      throw new TrainerError('invalid_input', `feature "${name}" row ${row} is ${v}; training needs finite numbers (null for missing)`);
    }
    present.push(v);
  });
  const med = median(Float64Array.from(present).sort());
  const n = values.length;
  let sum = 0;
  for (const v of values) sum += Number.isNaN(v) ? med : v;
  const mean = n > 0 ? sum / n : 0;
  let squares = 0;
  for (const v of values) {
    const d = (Number.isNaN(v) ? med : v) - mean;
    squares += d * d;
  }
  const std = n > 0 ? Math.sqrt(squares / n) : 0;
  // Rounding leaves a constant column with a std of ~1e-16 × mean; scaling by that would explode.
  const constant = !(std > 1e-12 * Math.max(1, Math.abs(mean)));
  return { name, median: med, mean, std: constant ? 1 : std };
}

function fitCategorical(name: string, read: (row: number) => string, rows: number, maxCategories: number): CategoricalTransform {
  const counts = new Map<string, number>();
  for (let row = 0; row < rows; row++) {
    const value = read(row);
    if (value !== '') counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const categories = [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, maxCategories)
    .map(([category]) => category);
  return { name, categories };
}

export function fitPreprocessing(table: ColumnTable, features: readonly FeatureSpec[], maxCategories: number): Preprocessing {
  const source = tableSource(table);
  const numeric: NumericTransform[] = [];
  const categorical: CategoricalTransform[] = [];
  for (const feature of features) {
    if (feature.type === 'numeric') {
      const read = source.numeric(feature.name);
      numeric.push(fitNumeric(feature.name, Float64Array.from({ length: table.rowCount }, (_, row) => read(row))));
    } else {
      categorical.push(fitCategorical(feature.name, source.categorical(feature.name), table.rowCount, maxCategories));
    }
  }
  return { numeric, categorical };
}

/** Names of the design columns: numeric feature names, then "feature=category" per one-hot column. */
export function designColumnNames(pre: Preprocessing): string[] {
  return [...pre.numeric.map((t) => t.name), ...pre.categorical.flatMap((t) => t.categories.map((c) => `${t.name}=${c}`))];
}

export function buildDesign(pre: Preprocessing, table: ColumnTable): DesignMatrix {
  const source = tableSource(table);
  const rows = table.rowCount;
  const k = pre.numeric.length;
  const numeric = new Float64Array(rows * k);
  pre.numeric.forEach((t, j) => {
    const read = source.numeric(t.name);
    for (let row = 0; row < rows; row++) {
      const v = read(row);
      numeric[row * k + j] = ((Number.isNaN(v) ? t.median : v) - t.mean) / t.std;
    }
  });
  const c = pre.categorical.length;
  const active = new Int32Array(rows * c);
  let offset = k;
  pre.categorical.forEach((t, j) => {
    const read = source.categorical(t.name);
    const index = new Map(t.categories.map((category, i) => [category, offset + i]));
    for (let row = 0; row < rows; row++) active[row * c + j] = index.get(read(row)) ?? -1;
    offset += t.categories.length;
  });
  return { rows, columnCount: offset, numericCount: k, numeric, categoricalCount: c, active };
}
