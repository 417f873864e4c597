/**
 * Segment slices: every distinct value of every slice column, with all metrics on its rows (and the
 * baseline's, and the point deltas). Slices smaller than `minRows` are still measured but marked
 * insufficient_data, so that no gate judges a model on a handful of rows.
 */

import { metricsOfPrepared } from './metrics';
import { checkSameLength, prepareScores, ValidationInputError, type PreparedScores } from './scored';
import { METRIC_NAMES, type DeltaSet, type MetricSet, type SliceReport } from './types';

/** The name of the slice (or protected group) made of null cells. */
export const MISSING_VALUE_TOKEN = '(missing)';

export interface RowGroup {
  value: string;
  rows: Uint32Array;
}

/**
 * Splits row indices by the value of `column`. Groups come sorted by value (code-point order),
 * the missing-value group last, so reports are stable from run to run.
 */
export function groupRows(column: (string | null)[], columnName: string): RowGroup[] {
  const byValue = new Map<string, number[]>();
  for (let i = 0; i < column.length; i++) {
    const cell = column[i];
    if (cell === MISSING_VALUE_TOKEN) {
      throw new ValidationInputError(
        `column ${columnName} holds the literal value "${MISSING_VALUE_TOKEN}" at row ${i}, which names the missing-value slice: rename that category`,
      );
    }
    const key = cell === null || cell === undefined ? MISSING_VALUE_TOKEN : String(cell);
    let rows = byValue.get(key);
    if (!rows) byValue.set(key, (rows = []));
    rows.push(i);
  }
  return [...byValue.keys()]
    .sort((a, b) => (a === MISSING_VALUE_TOKEN ? 1 : b === MISSING_VALUE_TOKEN ? -1 : a < b ? -1 : a > b ? 1 : 0))
    .map((value) => ({ value, rows: Uint32Array.from(byValue.get(value)!) }));
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
  columns: Record<string, (string | null)[]>;
  threshold: number;
}

export function prepareSlices(input: SliceInput): PreparedSlice[] {
  const { labels, scores, baselineScores, columns, threshold } = input;
  const slices: PreparedSlice[] = [];
  for (const [column, cells] of Object.entries(columns)) {
    checkSameLength(`slice column ${column}`, cells, labels.length);
    for (const group of groupRows(cells, column)) {
      slices.push({
        column,
        value: group.value,
        model: prepareScores(labels, scores, threshold, group.rows),
        ...(baselineScores ? { baseline: prepareScores(labels, baselineScores, threshold, group.rows) } : {}),
      });
    }
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

/** Slices of one model (and baseline) in one call: for callers that need no intervals. */
export function computeSlices(input: SliceInput & { minRows: number }): SliceReport[] {
  return prepareSlices(input).map((slice) => sliceReport(slice, input.minRows));
}
