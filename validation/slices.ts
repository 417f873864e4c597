/**
 * Segment slices: every distinct value of every slice column, with all metrics on its rows (and the
 * baseline's, and the point deltas). Slices smaller than `minRows` are still measured but marked
 * insufficient_data, so that no gate judges a model on a handful of rows.
 */

import { metricsOfPrepared } from './metrics';
import { checkSameLength, partitionPrepared, prepareScores, ValidationInputError, type PreparedScores } from './scored';
import { METRIC_NAMES, type DeltaSet, type MetricSet, type SliceReport } from './types';

/** The name of the slice (or protected group) made of null cells. */
export const MISSING_VALUE_TOKEN = '(missing)';

export interface RowGroup {
  value: string;
  rows: Uint32Array;
}

/** A categorical column as small integers: row i holds values[codes[i]]. */
export interface EncodedColumn {
  /** Sorted by value (code-point order), the missing-value group last, so reports are stable. */
  values: string[];
  codes: Int32Array;
}

/**
 * Encodes a categorical column: one hash lookup per row here, then every later step (gathering
 * rows into another order, splitting them by value) works on integers instead of strings.
 */
export function encodeColumn(column: (string | null)[], columnName: string): EncodedColumn {
  const firstSeen = new Map<string, number>();
  const provisional = new Int32Array(column.length);
  for (let i = 0; i < column.length; i++) {
    const cell = column[i];
    if (cell === MISSING_VALUE_TOKEN) {
      throw new ValidationInputError(
        `column ${columnName} holds the literal value "${MISSING_VALUE_TOKEN}" at row ${i}, which names the missing-value slice: rename that category`,
      );
    }
    const key = cell === null || cell === undefined ? MISSING_VALUE_TOKEN : String(cell);
    let code = firstSeen.get(key);
    if (code === undefined) firstSeen.set(key, (code = firstSeen.size));
    provisional[i] = code;
  }
  const values = [...firstSeen.keys()].sort((a, b) =>
    a === MISSING_VALUE_TOKEN ? 1 : b === MISSING_VALUE_TOKEN ? -1 : a < b ? -1 : a > b ? 1 : 0,
  );
  const rank = new Int32Array(values.length);
  values.forEach((value, r) => (rank[firstSeen.get(value)!] = r));
  const codes = provisional.map((c) => rank[c]!);
  return { values, codes };
}

/** The column's rows in another order: new row k is old row rows[k]. */
export function gatherEncoded(column: EncodedColumn, rows: Uint32Array): EncodedColumn {
  const codes = new Int32Array(rows.length);
  for (let k = 0; k < rows.length; k++) codes[k] = column.codes[rows[k]!]!;
  return { values: column.values, codes };
}

/** Row indices per value of an encoded column, in row order, in the order of `values`. */
export function rowsByValue(column: EncodedColumn): Uint32Array[] {
  const sizes = new Int32Array(column.values.length);
  for (const c of column.codes) sizes[c]!++;
  const rows = Array.from(sizes, (size) => new Uint32Array(size));
  const next = new Int32Array(column.values.length);
  column.codes.forEach((c, i) => (rows[c]![next[c]!++] = i));
  return rows;
}

/** Splits row indices by the value of `column` (groups ordered as EncodedColumn.values). */
export function groupRows(column: (string | null)[], columnName: string): RowGroup[] {
  const encoded = encodeColumn(column, columnName);
  const rows = rowsByValue(encoded);
  return encoded.values.map((value, g) => ({ value, rows: rows[g]! }));
}

/** One value of a column with its rows, prepared for scanning. */
export interface PreparedGroup {
  value: string;
  prepared: PreparedScores;
}

/**
 * The prepared rows of every value of `column` that has labelled rows (a value seen only on
 * unlabelled rows is no slice or group), in the order of `column.values`: cut out of the prepared
 * rows of the whole (no re-sort) when the whole has an order, else (NaN scores somewhere) prepared
 * group by group, so that only the groups holding a NaN score lose their metrics. Which values
 * are kept depends on the labels only, so two models' groups of one column line up.
 */
export function preparedGroups(whole: PreparedScores, column: EncodedColumn, labels: Float64Array, scores: Float64Array): PreparedGroup[] {
  const prepared =
    whole.nanScores === 0
      ? partitionPrepared(whole, column.codes, column.values.length)
      : rowsByValue(column).map((rows) => prepareScores(labels, scores, whole.threshold, rows));
  return column.values.flatMap((value, g) => (prepared[g]!.rows + prepared[g]!.nanScores > 0 ? [{ value, prepared: prepared[g]! }] : []));
}

/** One slice's rows prepared for scanning, by the model and (optionally) the baseline. */
export interface PreparedSlice {
  column: string;
  value: string;
  model: PreparedScores;
  baseline?: PreparedScores;
}

export interface SliceInput {
  labels: Float64Array;
  scores: Float64Array;
  baselineScores?: Float64Array;
  /** The prepared rows of every row, by the model and the baseline. */
  model: PreparedScores;
  baseline?: PreparedScores;
  columns: Record<string, EncodedColumn>;
}

export function prepareSlices(input: SliceInput): PreparedSlice[] {
  const { labels, scores, baselineScores, columns } = input;
  const slices: PreparedSlice[] = [];
  for (const [column, encoded] of Object.entries(columns)) {
    checkSameLength(`slice column ${column}`, encoded.codes, labels.length);
    const baseline = input.baseline && baselineScores ? preparedGroups(input.baseline, encoded, labels, baselineScores) : undefined;
    preparedGroups(input.model, encoded, labels, scores).forEach(({ value, prepared }, g) => {
      slices.push({ column, value, model: prepared, ...(baseline ? { baseline: baseline[g]!.prepared } : {}) });
    });
  }
  return slices;
}

/** Point delta model − baseline per metric; null (with the reason) where either side is null. */
export function pointDeltas(model: MetricSet, baseline: MetricSet): DeltaSet {
  const delta = {} as DeltaSet;
  for (const name of METRIC_NAMES) {
    const m = model[name];
    const b = baseline[name];
    if (m === null || b === null) {
      const reason = m === null ? `model: ${model.reasons[name]}` : `baseline: ${baseline.reasons[name]}`;
      delta[name] = { value: null, ci: null, reason };
    } else {
      delta[name] = { value: m - b, ci: null };
    }
  }
  return delta;
}

/** The slice records of a report, without intervals (report.ts adds those from the bootstrap). */
export function sliceReport(slice: PreparedSlice, minRows: number): SliceReport {
  const metrics = metricsOfPrepared(slice.model);
  const rows = slice.model.rows + slice.model.nanScores;
  const report: SliceReport = {
    column: slice.column,
    value: slice.value,
    rows,
    status: rows >= minRows ? 'ok' : 'insufficient_data',
    ...metrics,
  };
  if (slice.baseline) {
    const baseline = metricsOfPrepared(slice.baseline);
    report.baseline = baseline;
    report.delta = pointDeltas(metrics, baseline);
  }
  return report;
}

export interface ComputeSlicesInput {
  labels: Float64Array;
  scores: Float64Array;
  baselineScores?: Float64Array;
  columns: Record<string, (string | null)[]>;
  threshold: number;
  minRows: number;
}

/** Slices of one model (and baseline) in one call: for callers that need no intervals. */
export function computeSlices(input: ComputeSlicesInput): SliceReport[] {
  const { labels, scores, baselineScores, threshold } = input;
  // prepareSlices checks each column's length (its codes are as long as its cells).
  const columns = Object.fromEntries(Object.entries(input.columns).map(([name, cells]) => [name, encodeColumn(cells, name)]));
  const model = prepareScores(labels, scores, threshold);
  const baseline = baselineScores ? prepareScores(labels, baselineScores, threshold, undefined, 'baselineScores') : undefined;
  return prepareSlices({ labels, scores, baselineScores, model, baseline, columns }).map((slice) => sliceReport(slice, input.minRows));
}
