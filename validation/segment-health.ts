/**
 * The monitor's per-segment breakdown: for each value of each segment column, how much of the
 * live traffic it is (against its share of the training reference), what the model predicts for
 * it, which features drifted inside it (the segment's live rows against the same segment of the
 * reference, so a shift confined to one channel is not diluted by the others), and its live AUC
 * where labels arrived. Pure; definitions are the drift report's and the metrics module's.
 */
import { selectRows } from '../core/column-table';
import type { ColumnTable, FeatureSpec } from '../core/types';
import { driftReport } from './drift';
import { computeMetrics } from './metrics';
import { worstDrift } from './monitoring';
import { groupRows } from './slices';

export interface SegmentSide {
  /** The segment value of each row (null: missing). */
  values: (string | null)[];
}

export interface SegmentHealthInput {
  column: string;
  features: FeatureSpec[];
  threshold: number;
  /** Groups with fewer rows than this get no drift or AUC (reported as insufficient). */
  minRows: number;
  reference: SegmentSide & { table: ColumnTable };
  /** The drift window: live inputs and the champion's scores. */
  current: SegmentSide & { table: ColumnTable; scores: Float64Array };
  /** The now-test's labelled rows. */
  labelled: SegmentSide & { scores: Float64Array; labels: Float64Array };
}

export interface SegmentHealth {
  column: string;
  value: string;
  rows: number;
  share: number | null;
  reference_share: number | null;
  positive_rate: number | null;
  mean_score: number | null;
  worst: { column: string; psi: number } | null;
  drifted_columns: string[];
  labelled: number;
  auc: number | null;
  note?: string;
}

export function segmentHealth(input: SegmentHealthInput): SegmentHealth[] {
  const { column, minRows } = input;
  const current = indexGroups(input.current.values, column);
  const reference = indexGroups(input.reference.values, column);
  const labelled = indexGroups(input.labelled.values, column);
  const values = [...new Set([...current.keys(), ...reference.keys()])];
  return values
    .map((value) => {
      const rows = current.get(value) ?? new Uint32Array(0);
      const refRows = reference.get(value) ?? new Uint32Array(0);
      const labelRows = labelled.get(value) ?? new Uint32Array(0);
      const notes: string[] = [];
      let positives = 0;
      let sum = 0;
      for (const r of rows) {
        const s = input.current.scores[r]!;
        sum += s;
        if (s >= input.threshold) positives++;
      }
      let worst: SegmentHealth['worst'] = null;
      let drifted: string[] = [];
      if (rows.length >= minRows && refRows.length >= minRows) {
        const report = driftReport(selectRows(input.reference.table, refRows), selectRows(input.current.table, rows), input.features);
        drifted = report.drifted_columns;
        worst = worstDrift(report.columns);
      } else notes.push(`drift needs ${minRows} rows on both sides (live ${rows.length}, reference ${refRows.length})`);
      let auc: number | null = null;
      if (labelRows.length >= minRows) {
        auc = computeMetrics(pick(input.labelled.labels, labelRows), pick(input.labelled.scores, labelRows), { threshold: input.threshold }).auc;
      } else if (labelRows.length > 0) notes.push(`AUC needs ${minRows} labelled rows (${labelRows.length})`);
      const n = rows.length;
      return {
        column,
        value,
        rows: n,
        share: input.current.values.length ? n / input.current.values.length : null,
        reference_share: input.reference.values.length ? refRows.length / input.reference.values.length : null,
        positive_rate: n ? positives / n : null,
        mean_score: n ? sum / n : null,
        worst,
        drifted_columns: drifted,
        labelled: labelRows.length,
        auc,
        ...(notes.length ? { note: notes.join('; ') } : {}),
      };
    })
    .sort((a, b) => b.rows - a.rows || (a.value < b.value ? -1 : 1));
}

function pick(values: Float64Array, rows: Uint32Array): Float64Array {
  return Float64Array.from(rows, (r) => values[r]!);
}

function indexGroups(values: (string | null)[], column: string): Map<string, Uint32Array> {
  return new Map(groupRows(values, column).map((g) => [g.value, g.rows]));
}
